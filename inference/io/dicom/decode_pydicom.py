"""Decoder for everything else through pydicom's pixel plugins (pylibjpeg, gdcm, pillow)."""

from __future__ import annotations

import numpy as np
import pydicom

from inference.io.dicom.header import FileHeader

NAME = "pydicom"


def can_decode(h: FileHeader) -> bool:
    """pydicom is the fallback for every transfer syntax its installed plugins know."""
    return h.has_pixels


def decode_all_frames(path: str) -> np.ndarray:
    """Stored values of every frame, shape (frames, rows, columns)."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    return arr[np.newaxis] if arr.ndim == 2 else arr


def decode(h: FileHeader, frame: int = 0) -> np.ndarray:
    """Stored values of one frame as a new array."""
    if h.number_of_frames > 1:
        ds = pydicom.dcmread(h.path)
        return pydicom.pixels.pixel_array(ds, index=frame)
    return pydicom.dcmread(h.path).pixel_array
