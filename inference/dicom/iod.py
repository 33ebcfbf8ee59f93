"""The Type 1 and Type 2 attributes of the IODs dcreview writes, and one pass that enforces them.

Type 2 attributes must be present, even empty; a writer that copies them "if the source has
them" produces non-conformant objects whenever the source lacks one. Every writer calls
``complete`` last, after any de-identification, so the rule holds for every export path.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from inference.errors import ExportError

# PS3.3 A.3 CT Image IOD: Patient, General Study, General Series, Frame of Reference, General
# Equipment, General Image, Image Plane, Image Pixel, CT Image, SOP Common.
CT_IMAGE_TYPE1 = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID",
                  "Modality", "FrameOfReferenceUID", "ImageType", "PixelSpacing",
                  "ImageOrientationPatient", "ImagePositionPatient", "SamplesPerPixel",
                  "PhotometricInterpretation", "Rows", "Columns", "BitsAllocated",
                  "BitsStored", "HighBit", "PixelRepresentation", "RescaleIntercept",
                  "RescaleSlope", "PixelData")
CT_IMAGE_TYPE2 = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate",
                  "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber",
                  "SeriesNumber", "PositionReferenceIndicator", "Manufacturer",
                  "InstanceNumber", "SliceThickness", "KVP", "AcquisitionNumber")
# PS3.3 A.35.13 Comprehensive 3D SR IOD: Patient, General Study, SR Document Series, General
# Equipment, SR Document General, SR Document Content, SOP Common.
SR_TYPE1 = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID",
            "Modality", "InstanceNumber", "CompletionFlag", "VerificationFlag", "ContentDate",
            "ContentTime", "ValueType", "ConceptNameCodeSequence", "ContinuityOfContent")
SR_TYPE2 = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate",
            "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber",
            "SeriesNumber", "Manufacturer", "ReferencedPerformedProcedureStepSequence",
            "PerformedProcedureCodeSequence")
IODS = {"ct": (CT_IMAGE_TYPE1, CT_IMAGE_TYPE2), "sr": (SR_TYPE1, SR_TYPE2)}


def complete(ds: Dataset, iod: str) -> Dataset:
    """Add every missing Type 2 attribute (empty); refuse an object lacking a Type 1 value."""
    type1, type2 = IODS[iod]
    missing = [k for k in type1 if k not in ds or ds.data_element(k).value in (None, "", [])]
    if missing:
        raise ExportError(f"cannot write a conformant {iod.upper()} object: "
                          f"{', '.join(missing)} missing")
    for keyword in type2:
        if keyword not in ds:
            setattr(ds, keyword, [] if keyword.endswith("Sequence") else "")
    return ds
