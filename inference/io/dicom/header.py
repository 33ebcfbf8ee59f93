"""Parse just what a loader needs from a DICOM file's header, without decoding pixels."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pydicom
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from inference.io.dicom import rawscan
from inference.provenance import PRIVATE_CREATOR, PRIVATE_GROUP
from inference.pseudonym import pseudonymise

# Transfer syntaxes whose pixel bytes can be read straight into the volume buffer.
NATIVE_SYNTAXES = frozenset({ImplicitVRLittleEndian, ExplicitVRLittleEndian})
_STREAMED_SYNTAXES = frozenset({DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian})
_LONG_VRS = {b"OB", b"OW", b"OD", b"OF", b"OL", b"OV", b"UN", b"SQ", b"UT", b"UC", b"UR"}
_PIXEL_DATA_TAG = (0x7FE0, 0x0010)
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
# The only attributes a header read needs; everything else is skipped without conversion.
_KEYWORDS = (
    "SOPInstanceUID", "SOPClassUID", "SeriesInstanceUID", "StudyInstanceUID",
    "FrameOfReferenceUID", "Modality", "ImageType", "Rows", "Columns", "NumberOfFrames",
    "PixelSpacing", "ImagePositionPatient", "ImageOrientationPatient", "SliceThickness",
    "InstanceNumber", "AcquisitionNumber", "RescaleSlope", "RescaleIntercept", "BitsAllocated",
    "BitsStored", "PixelRepresentation", "SamplesPerPixel", "SeriesDescription", "SeriesNumber",
    "AcquisitionTime", "SeriesTime", "Manufacturer", "ConvolutionKernel", "WindowCenter",
    "WindowWidth", "PatientID", "PatientBirthDate", "BodyPartExamined", "KVP",
    "ContrastBolusAgent", "SyntheticData", "DerivationDescription", "ImageComments",
    "StudyDescription", "ProtocolName", "ContrastBolusRoute", "ContrastBolusVolume",
    "ContrastBolusStartTime", "ContrastBolusIngredient", "StudyDate", "PixelData",
)
# dcreview's private provenance block: its creator may sit in the first few slots of the group.
_PRIVATE_SLOTS = range(0x10, 0x14)
_PRIVATE_TAGS = [*((PRIVATE_GROUP << 16) | s for s in _PRIVATE_SLOTS),
                 *((PRIVATE_GROUP << 16) | (s << 8) | 0x01 for s in _PRIVATE_SLOTS)]
_TAGS = [tag_for_keyword(k) for k in _KEYWORDS] + _PRIVATE_TAGS
_WANTED = frozenset(_TAGS)
_TAG_OF = {k: tag_for_keyword(k) for k in _KEYWORDS}
_VR_OF = {t: dictionary_VR(t) for t in _TAG_OF.values()}  # for implicit-VR files
_BINARY = {"US": ("H", 2), "SS": ("h", 2), "UL": ("I", 4), "SL": ("i", 4)}
_UTF8_VRS = frozenset({"LO", "SH", "ST", "LT", "PN", "UT"})


def _decode(raw: bytes, vr: str, default: object) -> object:
    """A plain string, number or list of them from an element's raw little-endian bytes."""
    if not raw:
        return default
    binary = _BINARY.get(vr)
    if binary is not None:
        values = struct.unpack(f"<{len(raw) // binary[1]}{binary[0]}", raw)
        return values[0] if len(values) == 1 else list(values)
    text = raw.decode("utf-8" if vr in _UTF8_VRS else "ascii", "replace")
    text = text.rstrip(" \x00").lstrip(" ")
    if "\\" not in text:
        return text.strip()
    return [p.strip() for p in text.split("\\")]


class _Fields:
    """Attribute values of a partially read dataset, decoded straight from the raw bytes.

    pydicom's general conversion costs more than the rest of a header read; these few
    attributes are plain strings and small integers, so decoding them here is exact and
    several times faster. Anything already converted falls back to pydicom's value.
    """

    def __init__(self, ds: pydicom.Dataset) -> None:
        self._ds = ds

    def get(self, keyword: str, default: object = None) -> object:
        tag = _TAG_OF.get(keyword) or tag_for_keyword(keyword)
        elem = self._ds._dict.get(tag)
        if elem is None:
            return default
        if not isinstance(elem, RawDataElement):
            return self._ds.get(keyword, default)
        if elem.value is None:
            return default
        return _decode(elem.value, elem.VR or dictionary_VR(tag), default)

    def raw(self, tag: int) -> object:
        """An element's value as stored (bytes while undecoded), or None."""
        elem = self._ds._dict.get(tag)
        return None if elem is None else elem.value


class _RawFields:
    """The same values from the fast walk's (VR, bytes) pairs (rawscan)."""

    __slots__ = ("_elements",)

    def __init__(self, elements: dict[int, tuple[str | None, bytes]]) -> None:
        self._elements = elements

    def get(self, keyword: str, default: object = None) -> object:
        tag = _TAG_OF[keyword]
        item = self._elements.get(tag)
        if item is None:
            return default
        return _decode(item[1], item[0] or _VR_OF[tag], default)

    def raw(self, tag: int) -> object:
        """An element's bytes, or None."""
        item = self._elements.get(tag)
        return None if item is None else item[1]


ENHANCED_CT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.2.1"


@dataclass(frozen=True)
class FileHeader:
    """What one DICOM file says about itself: identity, geometry, pixel format and location."""

    path: str
    sop_instance_uid: str
    sop_class_uid: str
    series_uid: str
    study_uid: str
    frame_of_reference_uid: str
    modality: str
    image_type: tuple[str, ...]
    rows: int
    columns: int
    number_of_frames: int
    pixel_spacing: tuple[float, float] | None
    position: tuple[float, float, float] | None
    orientation: tuple[float, float, float, float, float, float] | None
    slice_thickness: float | None
    instance_number: int | None
    acquisition_number: int | None
    rescale_slope: float
    rescale_intercept: float
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    samples_per_pixel: int
    transfer_syntax: str
    pixel_offset: int | None
    pixel_length: int | None
    series_description: str
    series_number: int | None
    acquisition_time: str
    manufacturer: str
    convolution_kernel: str
    window_center: float | None
    window_width: float | None
    patient_pseudonym: str
    frame_index: int | None = None
    body_part: str = ""
    kvp: float | None = None
    contrast_agent: str = ""
    synthetic_data: str = ""  # Synthetic Data (0008,001C): YES on synthetic images
    derivation: str = ""
    comments: str = ""
    provenance_json: str = ""  # dcreview's private provenance block
    # What series understanding reads (inference.series): descriptions and Contrast/Bolus.
    study_description: str = ""
    protocol_name: str = ""
    series_time: str = ""
    contrast_route: str = ""
    contrast_volume: str = ""
    contrast_start_time: str = ""
    contrast_ingredient: str = ""
    study_date: str = ""  # YYYYMMDD: pairs a patient's studies within a time window

    @property
    def is_localizer(self) -> bool:
        """Scout/topogram images, which are never part of a volume."""
        return "LOCALIZER" in self.image_type

    @property
    def has_pixels(self) -> bool:
        """True if the file carries image pixels."""
        return self.pixel_offset is not None and self.rows > 0 and self.columns > 0

    @property
    def native_pixels(self) -> bool:
        """True when pixels can be read as raw little-endian bytes (no decoder needed)."""
        return (
            self.transfer_syntax in NATIVE_SYNTAXES
            and self.pixel_length is not None
            and self.samples_per_pixel == 1
            and self.bits_allocated in (8, 16, 32)
            and self.pixel_length
            >= self.rows * self.columns * self.number_of_frames * self.bits_allocated // 8
        )


_SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


def pixels_complete(h: FileHeader) -> bool:
    """Whether the file holds all of its pixel data: the declared length, or for encapsulated
    (compressed) data the closing sequence delimiter (a file cut short has neither)."""
    if h.pixel_offset is None:
        return False
    try:
        size = os.path.getsize(h.path)
        if h.pixel_length is not None:
            return size >= h.pixel_offset + h.pixel_length
        if h.transfer_syntax in _STREAMED_SYNTAXES:
            return True  # read whole by pydicom when its header was read
        return _fragments_complete(h.path, h.pixel_offset, size)
    except OSError:
        return False


def _fragments_complete(path: str, offset: int, size: int) -> bool:
    """Walk the encapsulated items from ``offset``: whole if the sequence delimiter is reached
    inside the file (elements after it, such as trailing padding, do not matter)."""
    with open(path, "rb") as f:
        f.seek(offset)
        while True:
            head = f.read(8)
            if len(head) < 8:
                return False
            if head == _SEQUENCE_DELIMITER:
                return True
            group, elem, length = struct.unpack("<HHI", head)
            if (group, elem) != (0xFFFE, 0xE000) or f.tell() + length > size:
                return False
            f.seek(length, 1)


def _first_number(value: object) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        if not value:
            return None
        value = value[0]
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _floats(value: object, n: int) -> tuple[float, ...] | None:
    try:
        out = tuple(float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    return out if len(out) == n else None


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _pixel_element_location(fp, explicit_vr: bool) -> tuple[int | None, int | None]:
    """Offset of the pixel bytes and their length (None if encapsulated) at fp's position."""
    start = fp.tell()
    head = fp.read(8)
    if len(head) < 8:
        return None, None
    group, elem = struct.unpack("<HH", head[:4])
    if (group, elem) != _PIXEL_DATA_TAG:
        return None, None
    if explicit_vr:
        vr = head[4:6]
        if vr in _LONG_VRS:
            (length,) = struct.unpack("<I", fp.read(4))
            offset = start + 12
        else:
            (length,) = struct.unpack("<H", head[6:8])
            offset = start + 8
    else:
        (length,) = struct.unpack("<I", head[4:8])
        offset = start + 8
    return offset, (None if length == 0xFFFFFFFF else length)


def looks_like_dicom(path: str | Path) -> bool:
    """True when a file carries the DICOM Part 10 preamble ('DICM' at byte 128)."""
    try:
        with open(path, "rb") as fp:
            fp.seek(128)
            return fp.read(4) == b"DICM"
    except OSError:
        return False


def read_header(path: str | Path) -> FileHeader | None:
    """Parse a file's header; None when it is not DICOM. Never decodes pixel data."""
    path = str(path)
    fast = rawscan.scan(path, _WANTED)
    if fast == rawscan.NOT_PART10:
        return None
    if fast is not None:
        return _header(path, _RawFields(fast.elements), fast.transfer_syntax,
                       fast.media_sop_class,
                       fast.pixel_offset, fast.pixel_length)
    return read_header_pydicom(path)


def read_header_pydicom(path: str) -> FileHeader | None:
    """`read_header` by pydicom's general reader: the fallback for files the fast walk
    does not read (and its reference in the tests)."""
    try:
        with open(path, "rb") as fp:
            ds = pydicom.dcmread(fp, stop_before_pixels=True, specific_tags=_TAGS)
            meta = getattr(ds, "file_meta", None)
            ts = str(getattr(meta, "TransferSyntaxUID", "") or ImplicitVRLittleEndian)
            if ts in _STREAMED_SYNTAXES:
                # Deflated or big-endian files cannot be located by offset: decode via pydicom.
                full = pydicom.dcmread(path, defer_size=256)
                offset, length = (0 if "PixelData" in full else None), None
            else:
                offset, length = _pixel_element_location(fp, ts != ImplicitVRLittleEndian)
    except (InvalidDicomError, OSError, EOFError, ValueError, struct.error, TypeError, KeyError):
        return None
    except Exception:
        return None
    if ts not in _STREAMED_SYNTAXES:
        ds = _Fields(ds)  # type: ignore[assignment]
    return _header(path, ds, ts, str(getattr(meta, "MediaStorageSOPClassUID", "") or ""),
                   offset, length)


def _header(path: str, ds, ts: str, media_sop_class: str, offset: int | None,
            length: int | None) -> FileHeader | None:
    sop_class = str(ds.get("SOPClassUID", "") or media_sop_class)
    if sop_class == DICOMDIR_SOP_CLASS:
        return None
    return FileHeader(
        path=path,
        sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
        sop_class_uid=sop_class,
        series_uid=str(ds.get("SeriesInstanceUID", "")),
        study_uid=str(ds.get("StudyInstanceUID", "")),
        frame_of_reference_uid=str(ds.get("FrameOfReferenceUID", "")),
        modality=str(ds.get("Modality", "")),
        image_type=_strings(ds.get("ImageType")),
        rows=_int(ds.get("Rows")) or 0,
        columns=_int(ds.get("Columns")) or 0,
        number_of_frames=_int(ds.get("NumberOfFrames")) or 1,
        pixel_spacing=_floats(ds.get("PixelSpacing"), 2),  # type: ignore[arg-type]
        position=_floats(ds.get("ImagePositionPatient"), 3),  # type: ignore[arg-type]
        orientation=_floats(ds.get("ImageOrientationPatient"), 6),  # type: ignore[arg-type]
        slice_thickness=_first_number(ds.get("SliceThickness")),
        instance_number=_int(ds.get("InstanceNumber")),
        acquisition_number=_int(ds.get("AcquisitionNumber")),
        rescale_slope=_first_number(ds.get("RescaleSlope")) or 1.0,
        rescale_intercept=_first_number(ds.get("RescaleIntercept")) or 0.0,
        bits_allocated=_int(ds.get("BitsAllocated")) or 16,
        bits_stored=_int(ds.get("BitsStored")) or 16,
        pixel_representation=_int(ds.get("PixelRepresentation")) or 0,
        samples_per_pixel=_int(ds.get("SamplesPerPixel")) or 1,
        transfer_syntax=ts,
        pixel_offset=offset,
        pixel_length=length,
        series_description=str(ds.get("SeriesDescription", "") or ""),
        series_number=_int(ds.get("SeriesNumber")),
        acquisition_time=str(ds.get("AcquisitionTime", "") or ds.get("SeriesTime", "") or ""),
        manufacturer=str(ds.get("Manufacturer", "") or ""),
        convolution_kernel=str(_first_str(ds.get("ConvolutionKernel"))),
        window_center=_first_number(ds.get("WindowCenter")),
        window_width=_first_number(ds.get("WindowWidth")),
        patient_pseudonym=_pseudonym(str(ds.get("PatientID", "")),
                                     str(ds.get("PatientBirthDate", ""))),
        body_part=str(ds.get("BodyPartExamined", "") or "").upper(),
        kvp=_first_number(ds.get("KVP")),
        contrast_agent=str(ds.get("ContrastBolusAgent", "") or ""),
        synthetic_data=str(ds.get("SyntheticData", "") or ""),
        derivation=str(ds.get("DerivationDescription", "") or ""),
        comments=str(ds.get("ImageComments", "") or ""),
        provenance_json=_private_json(ds),
        study_description=str(ds.get("StudyDescription", "") or ""),
        protocol_name=str(ds.get("ProtocolName", "") or ""),
        series_time=str(ds.get("SeriesTime", "") or ""),
        contrast_route=str(ds.get("ContrastBolusRoute", "") or ""),
        contrast_volume=str(ds.get("ContrastBolusVolume", "") or ""),
        contrast_start_time=str(ds.get("ContrastBolusStartTime", "") or ""),
        contrast_ingredient=str(ds.get("ContrastBolusIngredient", "") or ""),
        study_date=str(ds.get("StudyDate", "") or ""),
    )


@lru_cache(maxsize=4096)
def _pseudonym(patient_id: str, birth_date: str) -> str:
    """The keyed pseudonym, computed once per patient (a series repeats it in every file)."""
    return pseudonymise(patient_id, birth_date)


def _raw_text(ds, tag: int) -> str:
    """A private element's text, however the dataset holds it (raw bytes or a value)."""
    if isinstance(ds, _Fields | _RawFields):
        value = ds.raw(tag)
    else:
        elem = ds._dict.get(tag)
        value = None if elem is None else elem.value
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").rstrip(" \x00")
    return str(value or "")


def _private_json(ds) -> str:
    """dcreview's provenance JSON, found by its private creator (PS3.5 7.8.1)."""
    for slot in _PRIVATE_SLOTS:
        if _raw_text(ds, (PRIVATE_GROUP << 16) | slot).strip() == PRIVATE_CREATOR:
            return _raw_text(ds, (PRIVATE_GROUP << 16) | (slot << 8) | 0x01)
    return ""


def _strings(value: object) -> tuple[str, ...]:
    """Upper-case string values of a possibly single-valued attribute."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value.upper(),)
    return tuple(str(v).upper() for v in value)  # type: ignore[union-attr]


def _first_str(value: object) -> str:
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)

