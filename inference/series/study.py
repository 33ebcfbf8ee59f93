"""Classify every series of a study: headers first, then a few dozen slices of pixels.

A study is judged as a whole as well as series by series: a series acquired after an enhanced
one cannot be plain (the contrast is still in the patient), whatever its description says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from inference.errors import LoadError
from inference.io.dicom.discovery import SeriesInfo, StudyScan
from inference.series.classify import PIXEL_KINDS, classify
from inference.series.facts import SeriesFacts, facts_from_series
from inference.series.header_rules import kind_reading
from inference.series.model import Evidence, Phase, SeriesClass

log = logging.getLogger(__name__)
PIXEL_SLICES = 48  # slices decoded per series: the landmarks read 40 at most


@dataclass(frozen=True)
class ClassifiedSeries:
    """A scanned series and what it was found to be."""

    series: SeriesInfo
    facts: SeriesFacts
    cls: SeriesClass

    def line(self) -> str:
        """One line for a terminal or a picker: the series and its kind and phase."""
        return f"{self.series.summary()}  [{self.cls.label()}]"


def subsample(series: SeriesInfo, slices: int = PIXEL_SLICES) -> SeriesInfo:
    """The series with at most ``slices`` images, evenly spaced along the stack."""
    headers = [h for h in series.headers if h.number_of_frames == 1]
    if len(headers) != len(series.headers) or len(headers) <= slices:
        return series  # multi-frame files are read whole
    if all(h.position and h.orientation for h in headers):
        o = np.asarray(headers[0].orientation, float)
        normal = np.cross(o[:3], o[3:])
        headers = sorted(headers, key=lambda h: float(np.dot(normal, h.position)))
    else:
        headers = sorted(headers, key=lambda h: h.instance_number or 0)
    step = -(-len(headers) // slices)
    return replace(series, headers=headers[::step])


def classify_series(series: SeriesInfo, *, pixels: bool = True) -> ClassifiedSeries:
    """Kind and phase of one scanned series, reading pixels where the kind allows."""
    facts = facts_from_series(series)
    reading = None
    if pixels and series.headers and facts.modality == "CT":
        kind = kind_reading(facts)[0]
        if kind in PIXEL_KINDS:
            reading = _read_pixels(series)
    return ClassifiedSeries(series, facts, classify(facts, reading))


def _read_pixels(series: SeriesInfo):
    from inference.io.dicom.ct_loader import load_ct_series
    from inference.series.pixels import read_pixels

    try:
        volume = load_ct_series(subsample(series), allow_gaps=True).volume
    except (LoadError, ValueError, OSError) as exc:
        log.info("pixels of a series could not be read for its phase: %s", type(exc).__name__)
        return None
    return read_pixels(volume)


def classify_study(scan: StudyScan, *, pixels: bool = True) -> list[ClassifiedSeries]:
    """Every series of a scan, classified, in the scan's order."""
    found = [classify_series(s, pixels=pixels) for s in scan.series]
    return after_enhanced(found)


def after_enhanced(found: list[ClassifiedSeries]) -> list[ClassifiedSeries]:
    """Series acquired after an enhanced volume of their study are not plain: an unknown
    phase becomes 'contrast', a non-contrast call becomes a conflict."""
    enhanced: dict[str, list[ClassifiedSeries]] = {}  # by study: a catalogue passes many
    for o in found:
        if o.cls.real_contrast:
            enhanced.setdefault(o.facts.study_uid, []).append(o)
    out = []
    for item in found:
        f, cls = item.facts, item.cls
        earlier = [o for o in enhanced.get(f.study_uid, ()) if o is not item
                   and _before(o.facts, f)]
        if not earlier or cls.kind.value not in ("volume", "reformat", "unknown"):
            out.append(item)
            continue
        first = earlier[0].facts
        said = (f"acquired at {_clock(f.acquisition_time)}, after the enhanced series "
                f"#{first.series_number} ({_clock(first.acquisition_time)})")
        if cls.phase is Phase.UNKNOWN:
            cls = replace(cls, phase=Phase.CONTRAST, phase_confidence=0.5,
                          evidence=(*cls.evidence, Evidence("AcquisitionTime", said,
                                                            "phase=contrast", 0.5)))
        elif cls.phase is Phase.NON_CONTRAST:
            cls = replace(cls, conflicts=(*cls.conflicts, f"called non-contrast but {said}"),
                          evidence=(*cls.evidence, Evidence("AcquisitionTime", said,
                                                            "phase=contrast", 0.5)))
        out.append(replace(item, cls=cls))
    return out


def _seconds(t: str) -> float | None:
    t = t.strip()
    if len(t) < 4 or not t[:6].replace(".", "").isdigit():
        return None
    try:
        return int(t[0:2]) * 3600 + int(t[2:4]) * 60 + float(t[4:] or 0)
    except ValueError:
        return None


def _before(a: SeriesFacts, b: SeriesFacts) -> bool:
    """True when ``a`` was acquired clearly (over a minute) before ``b``."""
    ta, tb = _seconds(a.acquisition_time), _seconds(b.acquisition_time)
    return ta is not None and tb is not None and tb - ta > 60.0


def _clock(t: str) -> str:
    return f"{t[0:2]}:{t[2:4]}" if len(t) >= 4 else "?"
