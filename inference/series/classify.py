"""One classifier for every caller: headers first, pixels where they were measured.

Header and pixels each give a phase with a confidence. Where they agree the answer is
firmer; where one says non-contrast and the other enhanced, the answer is the enhanced one
(or unknown) and the disagreement is a conflict the user is shown: a contrast series fed to
the model as its input is the error that harms.
"""

from __future__ import annotations

from inference.series import header_rules
from inference.series.facts import SeriesFacts
from inference.series.model import Evidence, Kind, Phase, PixelReading, SeriesClass

# A pixel call counts only for kinds whose pixels are an image of the patient in HU.
PIXEL_KINDS = frozenset({Kind.VOLUME, Kind.REFORMAT, Kind.UNKNOWN})


def classify(facts: SeriesFacts, pixels: PixelReading | None = None) -> SeriesClass:
    """Kind, phase and region of one series, with the evidence and any conflict."""
    kind, kind_confidence, kind_evidence = header_rules.kind_reading(facts)
    region, region_evidence = header_rules.region_reading(facts)
    evidence = list(kind_evidence)
    conflicts: list[str] = []
    if kind in (Kind.LOCALIZER, Kind.DOSE_REPORT, Kind.NON_CT):
        return SeriesClass(kind, Phase.UNKNOWN, region, kind_confidence, 0.0,
                           tuple(evidence + region_evidence), synthetic=facts.synthetic)
    phase, confidence, phase_evidence, notes = header_rules.phase_reading(facts)
    evidence += phase_evidence
    evidence += [Evidence("headers", n, "note") for n in notes]
    if kind is Kind.BOLUS_TRACKING:
        phase, confidence = Phase.CONTRAST, max(confidence, 0.6)
        evidence.append(Evidence("kind", "bolus tracking", "phase=contrast", 0.6))
    elif kind is Kind.VIRTUAL_NON_CONTRAST:
        # Computed from an enhanced acquisition: it looks plain but is never plain input.
        evidence.append(Evidence("kind", "virtual non-contrast", "note: computed from a "
                                 "contrast scan; phase left unknown"))
        phase, confidence = Phase.UNKNOWN, 0.0
    measurements: dict = {}
    if pixels is not None and kind in PIXEL_KINDS:
        evidence += pixels.evidence
        measurements = dict(pixels.measurements)
        if pixels.region and not region:
            region = pixels.region
        phase, confidence, conflict = merge(phase, confidence, pixels.phase, pixels.confidence)
        if conflict:
            conflicts.append(conflict)
    return SeriesClass(kind, phase, region, kind_confidence, confidence,
                       tuple(evidence + region_evidence), tuple(conflicts), measurements,
                       synthetic=facts.synthetic)


def merge(header: Phase, header_confidence: float, pixels: Phase,
          pixel_confidence: float) -> tuple[Phase, float, str | None]:
    """One phase from the header's and the pixels' (and the conflict, if they disagree)."""
    if pixels is Phase.UNKNOWN:
        return header, header_confidence, None
    if header is Phase.UNKNOWN:
        return pixels, pixel_confidence, None
    if header.enhanced != pixels.enhanced:
        said = (f"headers say {header.value} ({header_confidence:.2f}), pixels "
                f"{pixels.value} ({pixel_confidence:.2f})")
        # Never settle on non-contrast against enhanced evidence.
        enhanced = header if header.enhanced else pixels
        confidence = header_confidence if header.enhanced else pixel_confidence
        return enhanced, confidence * 0.5, said
    if header is pixels:
        return header, header_rules.combined([header_confidence, pixel_confidence]), None
    if not header.enhanced:  # both non-contrast
        return header, header_rules.combined([header_confidence, pixel_confidence]), None
    if header is Phase.CONTRAST:
        return pixels, pixel_confidence, None
    if pixels is Phase.CONTRAST:
        return header, header_confidence, None
    said = (f"headers say {header.value} ({header_confidence:.2f}), pixels {pixels.value} "
            f"({pixel_confidence:.2f})")
    if header_confidence >= pixel_confidence:
        return header, header_confidence * 0.8, said
    return pixels, pixel_confidence * 0.8, said
