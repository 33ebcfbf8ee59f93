"""Decoder for uncompressed little-endian pixels: raw bytes read straight into the volume."""

from __future__ import annotations

import numpy as np

from inference.dicom.header import FileHeader
from inference.dicom.rescale import mask_stored_bits, rescale_into, stored_dtype

NAME = "native"


def can_decode(h: FileHeader) -> bool:
    """Whether the pixel bytes are uncompressed and located by offset."""
    return h.native_pixels


def decode_into(h: FileHeader, out: np.ndarray, frame: int = 0) -> bool:
    """Read one frame's pixels into ``out`` (a 2-D slice of the volume) as HU; False on overflow."""
    dt = stored_dtype(h)
    frame_bytes = h.rows * h.columns * dt.itemsize
    # Reading into the destination avoids a temporary when no conversion is needed.
    direct = out.dtype == dt and out.flags.c_contiguous
    raw = out if direct else np.empty((h.rows, h.columns), dtype=dt)
    with open(h.path, "rb") as f:
        f.seek(h.pixel_offset + frame * frame_bytes)
        n = f.readinto(memoryview(raw).cast("B"))
    if n != frame_bytes:
        raise EOFError(f"{n} of {frame_bytes} pixel bytes present")
    mask_stored_bits(raw, h)
    if direct and h.rescale_slope == 1.0 and h.rescale_intercept == 0.0:
        return True
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
