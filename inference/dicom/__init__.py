"""DICOM study discovery and CT series loading."""
