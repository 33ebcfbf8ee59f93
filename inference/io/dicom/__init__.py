"""DICOM reading: discovery, headers, stacking slices, pixel decoders with fallbacks."""
