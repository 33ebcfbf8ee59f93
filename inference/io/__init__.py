"""Reading CT: DICOM folders, zips, DICOMDIR and multi-frame; NIfTI/NRRD; volumes, geometry."""
