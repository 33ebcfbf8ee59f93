"""What the headers say about one series, from DICOM files or from a table row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from inference.io.dicom.discovery import SeriesInfo

SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
DOSE_SR_CLASSES = frozenset({"1.2.840.10008.5.1.4.1.1.88.67", "1.2.840.10008.5.1.4.1.1.88.22"})


@dataclass(frozen=True)
class SeriesFacts:
    """Header values of a series by DICOM keyword, as far as they are known; geometry
    (orientation, repeated positions) only where DICOM files were read."""

    series_uid: str = ""
    study_uid: str = ""
    modality: str = ""
    series_description: str = ""
    study_description: str = ""
    protocol_name: str = ""
    body_part: str = ""
    image_type: tuple[str, ...] = ()
    sop_class_uid: str = ""
    contrast_agent: str = ""
    contrast_route: str = ""
    contrast_volume: str = ""
    contrast_start_time: str = ""
    contrast_ingredient: str = ""
    instance_count: int | None = None
    series_number: int | None = None
    series_time: str = ""
    acquisition_time: str = ""  # the earliest image's: when the scan itself was made
    slice_thickness: float | None = None
    axial: bool | None = None  # None: orientation unknown (a table row)
    distinct_positions: int | None = None  # few positions, many images: a monitor
    synthetic: bool = False

    @property
    def secondary_capture(self) -> bool:
        """Stored as a Secondary Capture image (a screen, not an acquisition)."""
        return self.sop_class_uid.startswith(SECONDARY_CAPTURE_PREFIX)

    @property
    def dose_sr(self) -> bool:
        """An X-ray radiation dose structured report."""
        return self.sop_class_uid in DOSE_SR_CLASSES


def _text(row: Mapping, *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = "\\".join(str(v) for v in value if v is not None)
        text = str(value).strip()
        if text and text.lower() not in ("none", "nan", "null"):
            return text
    return ""


def _int(value: object) -> int | None:
    try:
        return int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _float(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return out if out == out else None  # NaN: unknown


def facts_from_row(row: Mapping) -> SeriesFacts:
    """Facts from a table row whose columns are DICOM keywords, as the IDC index names them
    (instanceCount for the number of images); missing columns stay unknown."""
    image_type = _text(row, "ImageType")
    return SeriesFacts(
        series_uid=_text(row, "SeriesInstanceUID"),
        study_uid=_text(row, "StudyInstanceUID"),
        modality=_text(row, "Modality").upper(),
        series_description=_text(row, "SeriesDescription"),
        study_description=_text(row, "StudyDescription"),
        protocol_name=_text(row, "ProtocolName"),
        body_part=_text(row, "BodyPartExamined").upper(),
        image_type=tuple(p.strip().upper() for p in image_type.replace("/", "\\").split("\\")
                         if p.strip()),
        sop_class_uid=_text(row, "SOPClassUID"),
        contrast_agent=_text(row, "ContrastBolusAgent"),
        contrast_route=_text(row, "ContrastBolusRoute"),
        contrast_volume=_text(row, "ContrastBolusVolume"),
        contrast_start_time=_text(row, "ContrastBolusStartTime"),
        contrast_ingredient=_text(row, "ContrastBolusIngredient"),
        instance_count=_int(row.get("instanceCount", row.get("NumberOfInstances"))),
        series_number=_int(row.get("SeriesNumber")),
        series_time=_text(row, "SeriesTime", "AcquisitionTime"),
        acquisition_time=_text(row, "AcquisitionTime"),
        slice_thickness=_float(row.get("SliceThickness")),
    )


def facts_from_series(series: SeriesInfo) -> SeriesFacts:
    """Facts from a scanned DICOM series: its first image's header, its image count, whether
    its images are axial, how many distinct positions they take, and its provenance."""
    from inference.io.dicom.ct_loader import series_provenance

    headers = series.headers
    if not headers:  # localizer images only: discovery keeps them out of ``headers``
        return SeriesFacts(series_uid=series.series_uid, study_uid=series.study_uid,
                           modality=series.modality.upper(),
                           series_description=series.description,
                           image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"),
                           instance_count=series.localizers,
                           series_number=series.series_number)
    h = headers[0]
    oriented = [x.orientation for x in headers if x.orientation]
    axial = None
    if oriented:
        o = np.asarray(oriented[0], float)
        normal = np.cross(o[:3], o[3:])
        axial = bool(abs(normal[2]) > 0.8 * np.linalg.norm(normal))
    positions = {tuple(round(v, 1) for v in x.position) for x in headers if x.position}
    synthetic, _ = series_provenance(headers)
    return SeriesFacts(
        series_uid=series.series_uid, study_uid=series.study_uid,
        modality=(series.modality or h.modality).upper(),
        series_description=h.series_description, study_description=h.study_description,
        protocol_name=h.protocol_name, body_part=h.body_part.upper(),
        image_type=tuple(p.upper() for p in h.image_type), sop_class_uid=h.sop_class_uid,
        contrast_agent=h.contrast_agent, contrast_route=h.contrast_route,
        contrast_volume=h.contrast_volume, contrast_start_time=h.contrast_start_time,
        contrast_ingredient=h.contrast_ingredient, instance_count=series.image_count,
        series_number=series.series_number, series_time=h.series_time or h.acquisition_time,
        acquisition_time=min((x.acquisition_time for x in headers if x.acquisition_time),
                             default=""),
        slice_thickness=h.slice_thickness, axial=axial,
        distinct_positions=len(positions) if positions else None, synthetic=synthetic)
