"""Decoder for everything else through pydicom's pixel plugins (pylibjpeg, gdcm, pillow)."""

from __future__ import annotations

import numpy as np
import pydicom

from inference.io.dicom.header import FileHeader
from inference.io.dicom.limits import check_codestream

NAME = "pydicom"


def can_decode(h: FileHeader) -> bool:
    """pydicom is the fallback for every transfer syntax its installed plugins know."""
    return h.has_pixels


def _checked(path: str) -> pydicom.Dataset:
    """The dataset, once its compressed pixel data declares the size its header does (a
    decoder trusts the codestream and would allocate whatever it claims)."""
    ds = pydicom.dcmread(path)
    if ds.file_meta.TransferSyntaxUID.is_compressed and "PixelData" in ds:
        try:
            first = next(pydicom.encaps.generate_frames(
                ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)))
        except (StopIteration, ValueError, TypeError):
            first = b""
        check_codestream(bytes(first[:4096]), int(ds.Rows), int(ds.Columns))
    return ds


def decode_all_frames(path: str) -> np.ndarray:
    """Stored values of every frame, shape (frames, rows, columns)."""
    arr = _checked(path).pixel_array
    return arr[np.newaxis] if arr.ndim == 2 else arr


def decode(h: FileHeader, frame: int = 0) -> np.ndarray:
    """Stored values of one frame as a new array."""
    ds = _checked(h.path)
    if h.number_of_frames > 1:
        return pydicom.pixels.pixel_array(ds, index=frame)
    return ds.pixel_array
