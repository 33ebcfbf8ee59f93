"""Stored pixel values to Hounsfield units, written into a pre-allocated slice."""

from __future__ import annotations

import numpy as np

from inference.io.dicom.header import FileHeader
from inference.io.volume import INT16_MAX, INT16_MIN


def stored_dtype(h: FileHeader) -> np.dtype:
    """Numpy dtype of the stored (raw) pixel values of an image."""
    signed = h.pixel_representation == 1
    kind = {8: "i1" if signed else "u1", 16: "<i2" if signed else "<u2",
            32: "<i4" if signed else "<u4"}[h.bits_allocated]
    return np.dtype(kind)


def stored_range(h: FileHeader) -> tuple[int, int]:
    """Smallest and largest stored value BitsStored and PixelRepresentation allow."""
    if h.pixel_representation == 1:
        return -(1 << (h.bits_stored - 1)), (1 << (h.bits_stored - 1)) - 1
    return 0, (1 << h.bits_stored) - 1


def fits_int16_by_header(h: FileHeader) -> bool:
    """True when every value the header allows maps to int16 HU with a unit slope.

    Then 16-bit stored values can be read straight into an int16 volume (unsigned values
    below 2**15 have the same bits as int16) and only the intercept remains to add.
    """
    if h.bits_allocated != 16 or (h.bits_stored > 15 and h.pixel_representation == 0):
        return False
    if h.rescale_slope != 1.0 or not float(h.rescale_intercept).is_integer():
        return False
    lo, hi = stored_range(h)
    return lo + h.rescale_intercept >= INT16_MIN and hi + h.rescale_intercept <= INT16_MAX


def integral_rescale(h: FileHeader) -> bool:
    """True when slope and intercept map integers to integers (HU can stay int16)."""
    return float(h.rescale_slope).is_integer() and float(h.rescale_intercept).is_integer()


def mask_stored_bits(raw: np.ndarray, h: FileHeader) -> None:
    """Clear bits above BitsStored (overlays, garbage) and sign-extend signed values, in place."""
    if h.bits_stored >= raw.dtype.itemsize * 8:
        return
    shift = raw.dtype.itemsize * 8 - h.bits_stored
    if h.pixel_representation == 1:
        raw <<= shift
        raw >>= shift
    else:
        raw &= (1 << h.bits_stored) - 1


def rescale_into(raw: np.ndarray, h: FileHeader, out: np.ndarray) -> bool:
    """Write slope * raw + intercept into ``out``; False if int16 ``out`` would overflow."""
    slope, intercept = float(h.rescale_slope), float(h.rescale_intercept)
    if out.dtype == np.int16:
        lo, hi = int(raw.min()), int(raw.max())
        lo, hi = sorted((lo * slope + intercept, hi * slope + intercept))
        if lo < INT16_MIN or hi > INT16_MAX:
            return False
        if slope == 1.0:
            np.add(raw, np.int32(intercept), out=out, casting="unsafe")
        else:
            np.multiply(raw, np.int32(slope), out=out, casting="unsafe")
            out += np.int16(intercept)
        return True
    np.multiply(raw, np.float32(slope), out=out, casting="unsafe")
    out += np.float32(intercept)
    return True
