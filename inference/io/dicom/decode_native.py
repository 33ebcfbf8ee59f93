"""Decoder for uncompressed little-endian pixels: raw bytes read straight into the volume."""

from __future__ import annotations

import numpy as np

from inference.io.dicom.header import FileHeader
from inference.io.dicom.rescale import (
    fits_int16_by_header,
    mask_stored_bits,
    rescale_into,
    stored_dtype,
)

NAME = "native"


def can_decode(h: FileHeader) -> bool:
    """Whether the pixel bytes are uncompressed and located by offset."""
    return h.native_pixels


def _read_frame(h: FileHeader, buffer: np.ndarray, frame: int) -> None:
    nbytes = buffer.nbytes
    with open(h.path, "rb") as f:
        f.seek(h.pixel_offset + frame * nbytes)
        n = f.readinto(memoryview(buffer).cast("B"))
    if n != nbytes:
        raise EOFError(f"{n} of {nbytes} pixel bytes present")


def decode_into(h: FileHeader, out: np.ndarray, frame: int = 0) -> bool:
    """Read one frame's pixels into ``out`` (a 2-D slice of the volume) as HU; False on overflow."""
    dt = stored_dtype(h)
    if out.dtype == np.int16 and out.flags.c_contiguous and fits_int16_by_header(h):
        # Fast path: no temporary, one pass to mask and one to add the intercept.
        stored = out.view(dt)
        _read_frame(h, stored, frame)
        mask_stored_bits(stored, h)
        if h.rescale_intercept:
            out += np.int16(h.rescale_intercept)
        return True
    raw = np.empty((h.rows, h.columns), dtype=dt)
    _read_frame(h, raw, frame)
    mask_stored_bits(raw, h)
    return rescale_into(raw, h, out)


def decode(h: FileHeader, frame: int = 0) -> np.ndarray:
    """Stored values of one frame as a new array."""
    dt = stored_dtype(h)
    count = h.rows * h.columns
    offset = h.pixel_offset + frame * count * dt.itemsize
    raw = np.fromfile(h.path, dtype=dt, count=count, offset=offset)
    if raw.size != count:
        raise EOFError(f"{raw.size} of {count} pixels present")
    raw = raw.reshape(h.rows, h.columns)
    mask_stored_bits(raw, h)
    return raw
