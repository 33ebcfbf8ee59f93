"""Sizes an image may claim, checked from its header before anything is allocated: a header
(or a compressed codestream) claiming 65535 x 65535 x 2000 voxels is refused in one line at
once, never handed to numpy or a decoder to fail, or to be killed for memory, minutes later.

Documented maxima: 8192 pixels a side, 20,000 frames a file, and a volume of at most half of
this machine's memory (and never over 64 GiB).
"""

from __future__ import annotations

import os
import struct

from inference.errors import LoadError

MAX_SIDE = 8192
MAX_FRAMES = 20_000
MAX_VOLUME_BYTES = 64 << 30


class TooLarge(LoadError):
    """An image or series claims a size beyond what dcreview reads."""


def memory_bytes() -> int:
    """This machine's physical memory (0 where it cannot be told)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 0


def volume_limit() -> int:
    """The largest volume, in bytes, a series may need."""
    memory = memory_bytes()
    return min(MAX_VOLUME_BYTES, memory // 2) if memory else MAX_VOLUME_BYTES


def _gib(n: float) -> str:
    return f"{n / (1 << 30):.1f} GiB"


def check_image(rows: int, columns: int, frames: int = 1) -> None:
    """Refuse an image whose header claims more than dcreview reads."""
    if rows > MAX_SIDE or columns > MAX_SIDE or frames > MAX_FRAMES:
        raise TooLarge(f"an image claims {columns} x {rows} pixels"
                       + (f" x {frames} frames" if frames > 1 else "")
                       + f": beyond what dcreview reads ({MAX_SIDE} a side, {MAX_FRAMES} "
                       "frames); refused before reading it")


def check_volume(slices: int, rows: int, columns: int, itemsize: int = 2) -> None:
    """Refuse a series whose volume would not fit in memory."""
    check_image(rows, columns)
    need = slices * rows * columns * itemsize
    limit = volume_limit()
    if need > limit:
        raise TooLarge(f"the series would need {_gib(need)} of memory ({slices} slices of "
                       f"{columns} x {rows}); the most dcreview takes here is {_gib(limit)} "
                       "(half of this machine's memory): refused before reading it")


def codestream_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) a JPEG 2000, JPEG or JPEG-LS codestream declares (None: not known)."""
    if data[:4] == b"\xff\x4f\xff\x51" and len(data) >= 24:  # JPEG 2000: SOC, then SIZ
        xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", data[8:24])
        return xsiz - xosiz, ysiz - yosiz
    if data[:2] == b"\xff\xd8":  # JPEG and JPEG-LS: walk the markers to the frame header
        n = 2
        while n + 9 <= len(data):
            if data[n] != 0xFF:
                return None
            marker = data[n + 1]
            length = struct.unpack(">H", data[n + 2:n + 4])[0]
            if (0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)) or marker == 0xF7:
                height, width = struct.unpack(">HH", data[n + 5:n + 9])
                return width, height
            n += 2 + length
    return None


def check_codestream(data: bytes, rows: int, columns: int) -> None:
    """Refuse compressed pixel data that declares another size than its header."""
    size = codestream_size(data)
    if size is not None and size != (columns, rows):
        raise TooLarge(f"the compressed image declares {size[0]} x {size[1]} pixels, its "
                       f"header {columns} x {rows}: refused before decoding it")
