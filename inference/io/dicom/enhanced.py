"""Enhanced (multi-frame) CT: one header per frame from the functional group sequences."""

from __future__ import annotations

from dataclasses import replace

import pydicom

from inference.io.dicom.header import FileHeader, _floats


def _item(group: object, keyword: str) -> object | None:
    seq = getattr(group, keyword, None) if group is not None else None
    return seq[0] if seq else None


def _lookup(shared: object, frame: object, seq: str, attr: str) -> object | None:
    """A functional-group attribute, per-frame first, then shared."""
    for group in (frame, shared):
        item = _item(group, seq)
        if item is not None and attr in item:
            return item.get(attr)
    return None


def frame_headers(h: FileHeader) -> list[FileHeader]:
    """Expand a multi-frame image into per-frame headers carrying position and rescale."""
    ds = pydicom.dcmread(h.path, stop_before_pixels=True)
    shared = (ds.get("SharedFunctionalGroupsSequence") or [None])[0]
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or [None] * h.number_of_frames
    out = []
    for n in range(h.number_of_frames):
        frame = per_frame[n] if n < len(per_frame) else None
        position = _floats(
            _lookup(shared, frame, "PlanePositionSequence", "ImagePositionPatient"), 3)
        orientation = _floats(
            _lookup(shared, frame, "PlaneOrientationSequence", "ImageOrientationPatient"), 6)
        spacing = _floats(_lookup(shared, frame, "PixelMeasuresSequence", "PixelSpacing"), 2)
        thickness = _lookup(shared, frame, "PixelMeasuresSequence", "SliceThickness")
        slope = _lookup(shared, frame, "PixelValueTransformationSequence", "RescaleSlope")
        intercept = _lookup(shared, frame, "PixelValueTransformationSequence", "RescaleIntercept")
        out.append(replace(
            h,
            position=position or h.position,
            orientation=orientation or h.orientation,
            pixel_spacing=spacing or h.pixel_spacing,
            slice_thickness=float(thickness) if thickness is not None else h.slice_thickness,
            rescale_slope=float(slope) if slope is not None else h.rescale_slope,
            rescale_intercept=float(intercept) if intercept is not None else h.rescale_intercept,
            instance_number=n + 1,
            frame_index=n,
        ))
    return out
