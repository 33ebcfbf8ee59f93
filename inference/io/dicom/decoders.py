"""Registry of pixel decoders, tried in order: the first that accepts an image and succeeds wins."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pydicom

from inference.errors import DecodeError
from inference.io.dicom import decode_native, decode_pydicom
from inference.io.dicom.header import FileHeader
from inference.io.dicom.limits import TooLarge
from inference.io.dicom.rescale import rescale_into

DECODERS: list[ModuleType] = [decode_native, decode_pydicom]


def decode_stored(h: FileHeader, frame: int = 0) -> np.ndarray:
    """Stored pixel values of one frame, trying each registered decoder in turn."""
    errors = []
    for decoder in DECODERS:
        if not decoder.can_decode(h):
            continue
        try:
            return decoder.decode(h, frame)
        except TooLarge:
            raise  # the same claim for every decoder: say it as it is
        except Exception as exc:
            errors.append(f"{decoder.NAME}: {exc}")
    syntax = pydicom.uid.UID(h.transfer_syntax).name
    raise DecodeError(f"cannot decode the pixels of an image ({syntax}): "
                      + ("; ".join(errors) or "no decoder accepts it"))


def decode_hu_into(h: FileHeader, out: np.ndarray, frame: int = 0) -> bool:
    """Decode one frame straight into ``out`` as HU; False if int16 ``out`` would overflow."""
    if decode_native.can_decode(h):
        try:
            return decode_native.decode_into(h, out, frame)
        except (OSError, ValueError) as exc:
            raise DecodeError(f"image data is truncated or unreadable ({exc})") from exc
    return rescale_into(decode_stored(h, frame), h, out)
