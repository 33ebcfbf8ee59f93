"""A fast walk over a little-endian DICOM file's elements, keeping the raw bytes of the few
a header read needs: the fast path of `read_header`, with pydicom's reader as its fallback.

A catalogue reads the header of every file in an archive (500 million of them); pydicom's
general reader builds a dataset of every element before the one we want is reached, which costs
several times the read itself. This walker only steps over elements. Anything it does not
expect (a big-endian or deflated file, a length that runs past the end) makes it answer None,
and the caller reads the file with pydicom as before: never a different answer, only a faster
one. A file without the Part 10 preamble is answered at once: pydicom refuses it as well.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_IMPLICIT_LE = "1.2.840.10008.1.2"
# Encapsulated (compressed) syntaxes are explicit VR little endian up to the pixel data.
_BIG_OR_DEFLATED = frozenset({"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"})
_LONG_VRS = frozenset({b"OB", b"OW", b"OD", b"OF", b"OL", b"OV", b"UN", b"SQ", b"UT", b"UC",
                       b"UR"})
# Any other two upper-case letters are a short-length VR (as the slower walk judged them).
_SHORT_VR_SHAPES = frozenset(bytes((a, b)) for a in range(65, 91) for b in range(65, 91)) \
    - _LONG_VRS
_PIXEL_DATA = 0x7FE00010
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_FIRST_READ = 16384  # most CT headers end within this; more is read only when needed
_U16, _U32, _TAG = struct.Struct("<H"), struct.Struct("<I"), struct.Struct("<HH")
_EXPLICIT_HEAD, _IMPLICIT_HEAD = struct.Struct("<HH2sH"), struct.Struct("<HH0sI")


class _Unexpected(Exception):
    """The file is not one the fast walk reads: fall back to pydicom."""


class _NotPart10(Exception):
    """No 'DICM' at byte 128: pydicom's reader (without force) refuses such a file too."""


NOT_PART10 = "not a DICOM Part 10 file"  # scan's answer for a file that has no preamble


@dataclass
class RawHeader:
    """Raw elements a header read asked for, plus where the pixel data lies."""

    transfer_syntax: str
    media_sop_class: str
    elements: dict[int, tuple[str | None, bytes]]  # tag -> (VR, None if implicit; bytes)
    pixel_offset: int | None
    pixel_length: int | None


class _Reader:
    """The file's bytes, read in growing blocks as the walk needs them."""

    def __init__(self, fp) -> None:
        self.fp = fp
        self.buf = fp.read(_FIRST_READ)
        self.eof = len(self.buf) < _FIRST_READ

    def need(self, end: int) -> bool:
        """Make bytes up to ``end`` available; False when the file is shorter."""
        while len(self.buf) < end and not self.eof:
            more = self.fp.read(max(end - len(self.buf), len(self.buf)))
            self.eof = not more
            self.buf += more
        return len(self.buf) >= end


def scan(path: str, wanted: frozenset[int]) -> RawHeader | str | None:
    """The raw elements of ``wanted`` (tags as ints) in the file's main dataset; NOT_PART10
    for a file with no preamble (most files of a mixed archive); None when the file needs
    pydicom's general reader."""
    try:
        with open(path, "rb") as fp:
            return _scan(_Reader(fp), wanted)
    except _NotPart10:
        return NOT_PART10
    except _Unexpected:
        return None


def _scan(r: _Reader, wanted: frozenset[int]) -> RawHeader | None:
    if not r.need(132) or r.buf[128:132] != b"DICM":
        raise _NotPart10
    meta: dict[int, bytes] = {}
    pos = 132
    while r.need(pos + 8):
        group = _U16.unpack_from(r.buf, pos)[0]
        if group != 0x0002:
            break
        tag, vr, length, start = _explicit(r, pos)
        if length == _UNDEFINED or not r.need(start + length):
            raise _Unexpected
        meta[tag] = r.buf[start:start + length]
        pos = start + length
    ts = meta.get(0x00020010, b"").decode("ascii", "replace").rstrip(" \x00")
    if not ts or ts in _BIG_OR_DEFLATED:
        raise _Unexpected
    explicit = ts != _IMPLICIT_LE
    media_sop_class = meta.get(0x00020002, b"").decode("ascii", "replace").rstrip(" \x00")
    elements: dict[int, tuple[str | None, bytes]] = {}
    # The hot loop of a catalogue scan (tens of elements a file, millions of files): the
    # buffer and the unpackers are locals, and more bytes are asked for only near its end.
    buf, size = r.buf, len(r.buf)
    head_at = (_EXPLICIT_HEAD if explicit else _IMPLICIT_HEAD).unpack_from
    u32_at = _U32.unpack_from
    while True:
        if pos + 12 > size:
            if not r.need(pos + 8):
                break
            r.need(pos + 12)
            buf, size = r.buf, len(r.buf)
        # One unpack a element: group, element, then the VR and short length (explicit) or
        # the length (implicit).
        g, e, vr, length = head_at(buf, pos)
        tag = (g << 16) | e
        if not explicit:
            vr, start = None, pos + 8
        elif g == 0xFFFE:  # item and delimiter tags carry no VR
            vr, length, start = b"", u32_at(buf, pos + 4)[0], pos + 8
        elif vr in _LONG_VRS:
            if pos + 12 > size:
                raise _Unexpected
            length, start = u32_at(buf, pos + 8)[0], pos + 12
        elif vr in _SHORT_VR_SHAPES:
            start = pos + 8
        else:
            raise _Unexpected
        if tag == _PIXEL_DATA:
            return RawHeader(ts, media_sop_class, elements, start,
                             None if length == _UNDEFINED else length)
        if length == _UNDEFINED:
            if vr not in (b"SQ", b"UN", None):
                raise _Unexpected
            pos = _skip_sequence(r, start, explicit if vr != b"UN" else False)
            buf, size = r.buf, len(r.buf)
            continue
        if tag in wanted:
            if start + length > size:
                if not r.need(start + length):
                    raise _Unexpected
                buf, size = r.buf, len(r.buf)
            elements[tag] = (vr.decode() if vr else None, buf[start:start + length])
        pos = start + length
    # No pixel data: a non-image object that ends cleanly. Anything cut short mid-element is
    # judged by pydicom, as before.
    if pos != len(r.buf):
        raise _Unexpected
    return RawHeader(ts, media_sop_class, elements, None, None)


def _explicit(r: _Reader, pos: int) -> tuple[int, bytes, int, int]:
    g, e = _TAG.unpack_from(r.buf, pos)
    tag = (g << 16) | e
    if g == 0xFFFE:  # item and delimiter tags carry no VR
        return tag, b"", _U32.unpack_from(r.buf, pos + 4)[0], pos + 8
    vr = bytes(r.buf[pos + 4:pos + 6])
    if vr in _LONG_VRS:
        if not r.need(pos + 12):
            raise _Unexpected
        return tag, vr, _U32.unpack_from(r.buf, pos + 8)[0], pos + 12
    if not vr.isalpha() or not vr.isupper():
        raise _Unexpected
    return tag, vr, _U16.unpack_from(r.buf, pos + 6)[0], pos + 8


def _skip_sequence(r: _Reader, pos: int, explicit: bool, depth: int = 0) -> int:
    """Position after an undefined-length sequence that starts at ``pos``."""
    if depth > 16:
        raise _Unexpected
    while True:
        if not r.need(pos + 8):
            raise _Unexpected
        g, e = _TAG.unpack_from(r.buf, pos)
        tag, length = (g << 16) | e, _U32.unpack_from(r.buf, pos + 4)[0]
        pos += 8
        if tag == _SEQ_END:
            return pos
        if tag != _ITEM:
            raise _Unexpected
        if length != _UNDEFINED:
            pos += length
            continue
        pos = _skip_item(r, pos, explicit, depth)


def _skip_item(r: _Reader, pos: int, explicit: bool, depth: int) -> int:
    """Position after an undefined-length item's delimiter."""
    while True:
        if not r.need(pos + 8):
            raise _Unexpected
        if explicit:
            tag, vr, length, start = _explicit(r, pos)
        else:
            g, e = _TAG.unpack_from(r.buf, pos)
            tag, vr, length, start = (g << 16) | e, None, _U32.unpack_from(r.buf, pos + 4)[0], \
                pos + 8
        if tag == _ITEM_END:
            return start
        if length == _UNDEFINED:
            pos = _skip_sequence(r, start, explicit and vr != b"UN", depth + 1)
        else:
            pos = start + length
