"""Pick the pair for the user: the plain volume a model takes, and the real contrast series
to compare its output with, each with one line saying why.

Never a contrast series as the model's input: where no series is a plain volume beyond
doubt, nothing is picked and the candidates are listed for the user to choose.
"""

from __future__ import annotations

from dataclasses import dataclass

from inference.series.model import Phase
from inference.series.study import ClassifiedSeries

MIN_INPUT_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Pairing:
    """The input and comparison picked (either may be None) and why, in a line each."""

    input: ClassifiedSeries | None
    comparison: ClassifiedSeries | None
    input_reason: str
    comparison_reason: str
    candidates: tuple[ClassifiedSeries, ...]

    def lines(self) -> list[str]:
        """What a terminal or a status bar shows."""
        return [self.input_reason, self.comparison_reason]


def _name(item: ClassifiedSeries) -> str:
    s = item.series
    number = f"#{s.series_number} " if s.series_number is not None else ""
    return f"{number}{s.description or '(no description)'!r}"


def pick_input(found: list[ClassifiedSeries]) -> tuple[ClassifiedSeries | None, str]:
    """The plain volume a synthesis model takes (most images first), or None and why."""
    plain = [c for c in found if c.cls.usable_as_input
             and c.cls.phase_confidence >= MIN_INPUT_CONFIDENCE]
    if not plain:
        listing = "; ".join(f"{_name(c)}: {c.cls.label()}" for c in found) or "none"
        return None, ("no series is a non-contrast volume beyond doubt, so none is taken as "
                      f"the model's input: {listing}")
    best = max(plain, key=lambda c: (c.series.image_count, c.cls.phase_confidence))
    return best, (f"input: {_name(best)}, {best.cls.label()}: {best.cls.why()}")


def _phase_rank(phase: Phase, target: str) -> int:
    if phase.value == target:
        return 2
    if phase is Phase.CONTRAST or target == "contrast":
        return 1
    return 0


def pick_comparison(found: list[ClassifiedSeries], base: ClassifiedSeries | None,
                    target: str = "contrast") -> tuple[ClassifiedSeries | None, str]:
    """The real enhanced volume to compare with: same frame of reference or study as the base,
    the target phase first, then the most images."""
    real = [c for c in found if c.cls.real_contrast and c is not base]
    if base is not None:
        real = [c for c in real if c.facts.study_uid == base.facts.study_uid
                or _frame(c) == _frame(base)]
    if not real:
        return None, "no real contrast series in the study to compare with"
    best = max(real, key=lambda c: (_frame(c) == _frame(base) if base else False,
                                    _phase_rank(c.cls.phase, target), c.series.image_count,
                                    c.cls.phase_confidence))
    if target == "contrast":
        which = "a real enhanced series"
    elif best.cls.phase.value == target:
        which = "the model's target phase"
    else:
        which = f"the model targets {target}; the closest enhanced series"
    return best, f"compare with: {_name(best)}, {best.cls.label()} ({which})"


def _frame(item: ClassifiedSeries | None) -> str:
    if item is None or not item.series.headers:
        return ""
    return item.series.headers[0].frame_of_reference_uid or ""


def choose_pair(found: list[ClassifiedSeries], target: str = "contrast") -> Pairing:
    """Input and comparison for a study, each with its reason."""
    base, why_base = pick_input(found)
    other, why_other = pick_comparison(found, base, target)
    return Pairing(base, other, why_base, why_other, tuple(found))


def input_chooser(*, pixels: bool = True):
    """A loader chooser (see inference.io.loader) that picks a study's plain input volume."""
    from inference.series.study import classify_study

    def choose(scan):
        best, why = pick_input(classify_study(scan, pixels=pixels))
        return (best.series if best else None), why
    return choose


def comparison_chooser(target: str = "contrast", *, pixels: bool = True):
    """A loader chooser that picks a study's real contrast series, the target phase first."""
    from inference.series.study import classify_study

    def choose(scan):
        best, why = pick_comparison(classify_study(scan, pixels=pixels), None, target)
        return (best.series if best else None), why
    return choose
