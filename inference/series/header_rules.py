"""Read kind, phase and region from a series' headers, with the evidence for each.

The series' own description outranks its protocol name, which outranks the study
description: 'Thorax Contr' inside a protocol named 'ThoraxNative' is enhanced, and the
disagreement is reported. Within one text, or between a description and the Contrast/Bolus
attributes, non-contrast beside enhanced is unknown: calling a contrast series non-contrast
is the error that harms, so it is never a tie-break.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from inference.series import kind_words, phase_words
from inference.series.facts import SeriesFacts
from inference.series.model import NAMED, Evidence, Kind, Phase
from inference.series.text import masked, normalise

# How much each header says about the series itself.
SERIES, PROTOCOL, STUDY, BODY_PART = 1.0, 0.8, 0.65, 0.65
NON_CONTRAST_FLOOR = 0.5  # a non-contrast call needs at least this confidence
SCOUT_MAX_IMAGES = 12  # a 'scout' holding more images is something else
MONITOR_MAX_IMAGES = 60


@dataclass(frozen=True)
class TextReading:
    """What one header text says about the phase."""

    evidence: tuple[Evidence, ...]
    mixed: bool = False  # the text says both with and without


def _blank(text: str, rules, keep: list) -> str:
    """Blank each rule's matches before the next rule looks (earlier rules win)."""
    for r in rules:
        spans = []
        for m in r.pattern.finditer(text):
            spans.append(m.span())
            keep.append((r, m.group(0).strip()))
        if spans:
            text = masked(text, spans)
    return text


@lru_cache(maxsize=65536)
def read_text(text: str, source: str, scale: float, series_level: bool,
              procedure: bool) -> TextReading:
    """The phase evidence in one header text (cached: archives repeat their descriptions)."""
    t = normalise(text)
    if not t:
        return TextReading(())
    traps: list = []
    t = _blank(t, phase_words.TRAPS, traps)
    evidence: list[Evidence] = []
    both: list = []
    _blank(t, phase_words.MIXED[:1], both)
    if both:
        return TextReading((Evidence(source, text, "note: says with and without", scale),),
                           mixed=True)
    several: list = []
    t = _blank(t, phase_words.MIXED[1:], several)
    if several and not series_level:
        return TextReading((Evidence(source, text, "note: a study of several phases", scale),),
                           mixed=True)
    if several:
        evidence.append(Evidence(source, text, "phase=contrast", 0.5 * scale))
    t = _timings(t, text, source, scale, procedure, evidence)
    found: list = []
    t = _blank(t, phase_words.NAMED, found)
    groups = [r for r in phase_words.NON_CONTRAST
              if not (procedure and r.name == "before (alone)")]
    t = _blank(t, groups, found)
    oral = bool(phase_words.ORAL.search(t)) and not phase_words.IV_MARKER.search(t)
    contrast = [r for r in phase_words.CONTRAST if not (procedure and r.name == "after (alone)")]
    _blank(t, contrast, found)
    for r, matched in found:
        weight = r.weight * scale
        if oral and r.phase is Phase.CONTRAST and r.name != "contrast medium":
            evidence.append(Evidence(source, matched, "note: oral contrast says nothing "
                                                      "about intravenous contrast", 0.0))
            continue
        evidence.append(Evidence(source, matched, f"phase={r.phase.value}", weight))
    phases = {_phase(e) for e in evidence if e.says.startswith("phase=")}
    if Phase.NON_CONTRAST in phases and len(phases) > 1:
        both = Evidence(source, text, "note: says both non-contrast and enhanced", scale)
        return TextReading((*evidence, both), mixed=True)
    return TextReading(tuple(evidence))


def _timings(t: str, text: str, source: str, scale: float, procedure: bool,
             evidence: list[Evidence]) -> str:
    """Seconds or minutes after the injection ('70 SEC', '15 MIN DELAY')."""
    spans = []
    for m in phase_words.SECONDS.finditer(t):
        phase = phase_words.phase_after(float(m.group(1)))
        if phase is not None:
            evidence.append(Evidence(source, m.group(0), f"phase={phase.value}", 0.8 * scale))
            spans.append(m.span())
    delay_words = any(r.pattern.search(t) for r in phase_words.NAMED if r.phase is Phase.DELAYED)
    for m in phase_words.MINUTES.finditer(t):
        if procedure and not delay_words:
            continue  # '10 min post' after a biopsy
        phase = phase_words.phase_after(60.0 * float(m.group(1)))
        if phase is not None:
            evidence.append(Evidence(source, m.group(0), f"phase={phase.value}", 0.85 * scale))
            spans.append(m.span())
    return masked(t, spans) if spans else t


def _phase(e: Evidence) -> Phase:
    return Phase(e.says.split("=", 1)[1])


def combined(weights: list[float]) -> float:
    """Independent pieces of evidence for one answer: 1 - prod(1 - w)."""
    p = 1.0
    for w in weights:
        p *= 1.0 - min(max(w, 0.0), 0.99)
    return 1.0 - p


def decide(evidence: list[Evidence]) -> tuple[Phase, float, bool]:
    """(phase, confidence, mixed) from one level's evidence; UNKNOWN when it says nothing."""
    votes = [(_phase(e), e.weight) for e in evidence if e.says.startswith("phase=")
             and e.weight > 0]
    if not votes:
        return Phase.UNKNOWN, 0.0, False
    nc = [w for p, w in votes if p is Phase.NON_CONTRAST]
    enhanced = [(p, w) for p, w in votes if p is not Phase.NON_CONTRAST]
    if nc and enhanced:
        return Phase.UNKNOWN, 0.0, True
    if nc:
        return Phase.NON_CONTRAST, combined(nc), False
    named = {p for p, _ in enhanced if p in NAMED}
    confidence = combined([w for _, w in enhanced])
    if len(named) == 1:
        return named.pop(), confidence, False
    return Phase.CONTRAST, confidence, False


def attribute_evidence(f: SeriesFacts) -> list[Evidence]:
    """Contrast/Bolus attributes (PS3.3 C.7.6.4) as phase evidence."""
    out: list[Evidence] = []
    agent = normalise(f.contrast_agent)
    if agent:
        if agent in ("NONE", "NO", "N/A", "NA", "0", "NIL", "NO CONTRAST", "NONE GIVEN"):
            out.append(Evidence("ContrastBolusAgent", f.contrast_agent, "phase=non-contrast",
                                0.5))
        elif phase_words.ORAL.search(agent) and not phase_words.IV_MARKER.search(agent):
            out.append(Evidence("ContrastBolusAgent", f.contrast_agent,
                                "note: oral contrast only", 0.0))
        else:
            out.append(Evidence("ContrastBolusAgent", f.contrast_agent, "phase=contrast", 0.9))
    route = normalise(f.contrast_route)
    if route and ("INTRAVEN" in route or route in ("IV", "I.V.", "I.V")):
        out.append(Evidence("ContrastBolusRoute", f.contrast_route, "phase=contrast", 0.9))
    try:
        volume = float(f.contrast_volume) if f.contrast_volume else 0.0
    except ValueError:
        volume = 0.0
    if volume > 0:
        out.append(Evidence("ContrastBolusVolume", f.contrast_volume, "phase=contrast", 0.8))
    if "IOD" in normalise(f.contrast_ingredient):
        out.append(Evidence("ContrastBolusIngredient", f.contrast_ingredient,
                            "phase=contrast", 0.8))
    delay = _seconds_between(f.contrast_start_time, f.series_time)
    if delay is not None and out:
        phase = phase_words.phase_after(delay)
        if phase is not None:
            out.append(Evidence("ContrastBolusStartTime", f"{delay:.0f} s before the series",
                                f"phase={phase.value}", 0.8))
    return out


def _seconds_between(start: str, then: str) -> float | None:
    def seconds(tm: str) -> float | None:
        tm = tm.strip().replace(":", "")
        if len(tm) < 4 or not tm[:6].split(".")[0].isdigit():
            return None
        try:
            h, m = int(tm[:2]), int(tm[2:4])
            s = float(tm[4:]) if len(tm) > 4 else 0.0
        except ValueError:
            return None
        return h * 3600 + m * 60 + s
    a, b = seconds(start or ""), seconds(then or "")
    if a is None or b is None or b < a:
        return None
    return b - a


def phase_reading(f: SeriesFacts) -> tuple[Phase, float, list[Evidence], list[str]]:
    """Phase, confidence, evidence and the disagreements between headers."""
    procedure = any(phase_words.PROCEDURE.search(normalise(t))
                    for t in (f.series_description, f.study_description, f.protocol_name))
    levels = [
        ("series description", [read_text(f.series_description, "SeriesDescription", SERIES,
                                          True, procedure)], attribute_evidence(f)),
        ("protocol name", [read_text(f.protocol_name, "ProtocolName", PROTOCOL, True,
                                     procedure)], []),
        ("study description", [read_text(f.study_description, "StudyDescription", STUDY,
                                         False, procedure),
                               read_text(f.body_part, "BodyPartExamined", BODY_PART, False,
                                         procedure)], []),
    ]
    evidence: list[Evidence] = []
    decisions = []
    for name, readings, extra in levels:
        level_evidence = [e for r in readings for e in r.evidence] + extra
        evidence += level_evidence
        mixed = any(r.mixed for r in readings)
        phase, confidence, conflict = decide(level_evidence)
        decisions.append((name, phase, confidence, mixed or conflict))
    notes: list[str] = []
    chosen = (Phase.UNKNOWN, 0.0)
    for i, (name, phase, confidence, mixed) in enumerate(decisions):
        if mixed and i == 0:
            notes.append(f"the {name} says both non-contrast and enhanced")
            return Phase.UNKNOWN, 0.0, evidence, notes
        if phase is Phase.UNKNOWN:
            if mixed:
                break  # a study of both: its series' phase stays unknown
            continue
        chosen = (phase, confidence)
        for lower_name, lower, lower_confidence, _m in decisions[i + 1:]:
            if lower is Phase.UNKNOWN:
                continue
            if phase is Phase.CONTRAST and lower in NAMED:
                # 'CE' in the series, 'CT PE CHEST' in the study: the study names it.
                chosen = (lower, combined([confidence, lower_confidence]) * 0.9)
                evidence.append(Evidence(lower_name, "", f"note: the {lower_name} names "
                                         f"the phase ({lower.value})"))
                break
            if lower.enhanced != phase.enhanced:
                notes.append(f"the {name} says {phase.value}, the {lower_name} "
                             f"{lower.value} (the {name} is read)")
                chosen = (phase, confidence * 0.85)
            elif lower is phase or lower is Phase.CONTRAST:
                chosen = (phase, combined([chosen[1], 0.3]))
        break
    phase, confidence = chosen
    if phase is Phase.NON_CONTRAST and confidence < NON_CONTRAST_FLOOR:
        notes.append("too little evidence to call it non-contrast")
        phase, confidence = Phase.UNKNOWN, 0.0
    return phase, confidence, evidence, notes


@lru_cache(maxsize=65536)
def _description_kind(text: str) -> tuple[Kind, str, float] | None:
    t = normalise(text)
    t = masked(t, [m.span() for m in _NOT_KIND.finditer(t)])
    for r in kind_words.KIND_WORDS:
        m = r.pattern.search(t)
        if m:
            return r.kind, m.group(0), r.weight
    return None


# 'ATTEN COR' is attenuation correction, 'CONTRAST/BOLUS AGENT' the attribute's name.
_NOT_KIND = kind_words.re.compile(r"ATTEN\w*\s?COR\w*|\bAC\b|CONTRAST/BOLUS")


def kind_reading(f: SeriesFacts) -> tuple[Kind, float, list[Evidence]]:
    """Kind, confidence and evidence."""
    ev: list[Evidence] = []
    modality = f.modality.upper()
    if f.dose_sr or (modality == "SR" and _description_kind(f.series_description)
                     and _description_kind(f.series_description)[0] is Kind.DOSE_REPORT):
        return Kind.DOSE_REPORT, 0.95, [Evidence("SOPClassUID", f.sop_class_uid or modality,
                                                 "kind=dose-report")]
    if modality and modality != "CT":
        return Kind.NON_CT, 1.0, [Evidence("Modality", modality, "kind=non-CT")]
    image_kinds = [(v, kind_words.IMAGE_TYPE_KINDS[v]) for v in f.image_type
                   if v in kind_words.IMAGE_TYPE_KINDS]
    # The most specific value first: DERIVED\SECONDARY\MPR is a reformat.
    image_kinds.sort(key=lambda vk: vk[1] is Kind.DERIVED)
    for value, kind in image_kinds:
        if kind is Kind.LOCALIZER:
            return kind, 0.98, [Evidence("ImageType", value, "kind=localizer")]
    words = _description_kind(f.series_description)
    count = f.instance_count
    if words:
        kind, matched, weight = words
        ev.append(Evidence("SeriesDescription", matched, f"kind={kind.value}", weight))
        limit = {Kind.LOCALIZER: SCOUT_MAX_IMAGES, Kind.BOLUS_TRACKING: MONITOR_MAX_IMAGES}
        if kind in limit and count is not None and count > limit[kind]:
            ev.append(Evidence("instanceCount", str(count),
                               f"note: {count} images is not a {kind.value} series"))
            return Kind.UNKNOWN, 0.0, ev
        if kind is not Kind.REFORMAT or not image_kinds:
            return kind, weight, ev
    for value, kind in image_kinds:
        ev.append(Evidence("ImageType", value, f"kind={kind.value}"))
        return kind, 0.9, ev
    if f.secondary_capture:
        ev.append(Evidence("SOPClassUID", f.sop_class_uid, "kind=derived"))
        return Kind.DERIVED, 0.85, ev
    if words:  # a reformat by name only
        return words[0], words[2], ev
    if f.axial is False:
        ev.append(Evidence("ImageOrientationPatient", "not axial", "kind=reformat", 0.8))
        return Kind.REFORMAT, 0.8, ev
    if f.distinct_positions is not None and count and count >= 4 and f.distinct_positions <= 3:
        ev.append(Evidence("ImagePositionPatient", f"{f.distinct_positions} position(s) for "
                                                   f"{count} images", "kind=bolus-tracking"))
        return Kind.BOLUS_TRACKING, 0.85, ev
    if count is not None and count <= 3:
        ev.append(Evidence("instanceCount", str(count), "kind=localizer", 0.6))
        return Kind.LOCALIZER, 0.6, ev
    if "DERIVED" in f.image_type:
        ev.append(Evidence("ImageType", "DERIVED", "note: derived from other images", 0.3))
    confidence = 0.85 if kind_words.VOLUME_WORDS.search(normalise(f.series_description)) \
        else 0.7
    return Kind.VOLUME, confidence, ev


def region_reading(f: SeriesFacts) -> tuple[str, list[Evidence]]:
    """Body region from BodyPartExamined and the descriptions."""
    found: set[str] = set()
    ev: list[Evidence] = []
    part = f.body_part.replace(" ", "").upper()
    if part in kind_words.BODY_PART_REGIONS:
        found.update(kind_words.BODY_PART_REGIONS[part])
        ev.append(Evidence("BodyPartExamined", f.body_part, f"region={part}"))
    texts = [("SeriesDescription", f.series_description), ("StudyDescription",
             f.study_description), ("ProtocolName", f.protocol_name)]
    if not found:
        texts.insert(0, ("BodyPartExamined", f.body_part))
    for source, text in texts:
        for name, said in _regions_named(text):
            if name not in found:
                found.add(name)
                ev.append(Evidence(source, said, f"region={name}", 0.7))
    return kind_words.region_name(found), ev


@lru_cache(maxsize=65536)
def _regions_named(text: str) -> tuple[tuple[str, str], ...]:
    """(region, the words naming it) for each region a text names, in the rules' order."""
    t = normalise(text)
    return tuple((name, m.group(0)) for name, pattern in kind_words.REGIONS
                 if (m := pattern.search(t)))
