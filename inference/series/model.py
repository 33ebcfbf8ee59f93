"""The vocabulary of series understanding: kinds, phases, evidence and a classification."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What a series is, as a reader would sort a study."""

    VOLUME = "volume"
    LOCALIZER = "localizer"
    BOLUS_TRACKING = "bolus-tracking"
    REFORMAT = "reformat"  # MPR, MIP/MinIP, thick slab, average projection
    DERIVED = "derived"  # secondary capture, monoenergetic, maps, fused, registered
    VIRTUAL_NON_CONTRAST = "virtual-non-contrast"
    DOSE_REPORT = "dose-report"  # dose report or screen capture
    NON_CT = "non-CT"
    UNKNOWN = "unknown"


class Phase(StrEnum):
    """Contrast phase; CONTRAST is enhanced with the phase unnamed."""

    NON_CONTRAST = "non-contrast"
    ARTERIAL = "arterial"
    PORTAL_VENOUS = "portal-venous"  # nephrographic included
    DELAYED = "delayed"  # excretory included
    CONTRAST = "contrast"
    UNKNOWN = "unknown"

    @property
    def enhanced(self) -> bool:
        """True for every phase after contrast was given."""
        return self in ENHANCED


ENHANCED = frozenset({Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED, Phase.CONTRAST})
NAMED = (Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED)


@dataclass(frozen=True)
class Evidence:
    """One finding: where it was read, what it was, and what it says (a kind, a phase, a
    region or a plain note), with a weight (0..1) for how much it says so."""

    source: str  # "SeriesDescription", "StudyDescription", "ImageType", "pixels: aorta", ...
    value: str  # the header text or the measurement, as the user would check it
    says: str  # "phase=arterial", "kind=localizer", "region=CHEST", "note"
    weight: float = 1.0

    def as_dict(self) -> dict:
        """For JSON output."""
        return {"source": self.source, "value": self.value, "says": self.says,
                "weight": round(self.weight, 2)}

    def line(self) -> str:
        """One line for a terminal or a tooltip."""
        return f"{self.source} {self.value!r}: {self.says}"


@dataclass(frozen=True)
class SeriesClass:
    """What a series is and why: kind, phase and region, each with a confidence, the evidence
    behind them, and the conflicts found between header and pixels (never a silent choice)."""

    kind: Kind
    phase: Phase
    region: str = ""
    kind_confidence: float = 0.0
    phase_confidence: float = 0.0
    evidence: tuple[Evidence, ...] = ()
    conflicts: tuple[str, ...] = ()
    measurements: dict = field(default_factory=dict)
    synthetic: bool = False

    @property
    def usable_as_input(self) -> bool:
        """A volume acquired without contrast: what a synthesis model may take."""
        return (self.kind is Kind.VOLUME and self.phase is Phase.NON_CONTRAST
                and not self.synthetic and not self.conflicts)

    @property
    def real_contrast(self) -> bool:
        """A real (not synthetic) enhanced volume, fit to compare with."""
        return self.kind is Kind.VOLUME and self.phase.enhanced and not self.synthetic

    def label(self) -> str:
        """A few words: 'volume, arterial (0.95)'."""
        text = f"{self.kind.value}, {self.phase.value}"
        if self.phase is not Phase.UNKNOWN:
            text += f" ({self.phase_confidence:.2f})"
        if self.synthetic:
            text = "SYNTHETIC " + text
        return text + (" - CONFLICT" if self.conflicts else "")

    def why(self, limit: int = 2) -> str:
        """The strongest phase evidence in one line."""
        phase = [e for e in self.evidence if e.says.startswith("phase=")]
        phase.sort(key=lambda e: -e.weight)
        return "; ".join(e.line() for e in phase[:limit]) or "no phase evidence"

    def as_dict(self) -> dict:
        """For `info --json`, the catalogue and the run report."""
        return {"kind": self.kind.value, "kind_confidence": round(self.kind_confidence, 2),
                "phase": self.phase.value, "phase_confidence": round(self.phase_confidence, 2),
                "region": self.region, "synthetic": self.synthetic,
                "conflicts": list(self.conflicts),
                "evidence": [e.as_dict() for e in self.evidence],
                "measurements": dict(self.measurements)}


@dataclass(frozen=True)
class PixelReading:
    """What the pixels say: a phase with a confidence, a region, the measurements (HU of
    landmarks) and the evidence lines built from them."""

    phase: Phase
    confidence: float
    evidence: tuple[Evidence, ...] = ()
    measurements: dict = field(default_factory=dict)
    region: str = ""
    where: dict = field(default_factory=dict)  # landmark -> source voxel (k, j, i) measured
