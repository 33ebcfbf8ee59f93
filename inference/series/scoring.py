"""Precision and recall of a classification against labels, per phase and per kind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inference.series.model import ENHANCED, NAMED, Kind, Phase


@dataclass(frozen=True)
class Labelled:
    """One series: its label (phase UNKNOWN: the labeller could not tell) and the call."""

    truth_kind: Kind | None  # None: not labelled
    truth_phase: Phase
    kind: Kind
    phase: Phase


def _ratio(n: int, d: int) -> float | None:
    return n / d if d else None


def score(items: Iterable[Labelled]) -> dict:
    """The figures the issue sets floors on, and per-phase and per-kind precision/recall."""
    items = list(items)
    phased = [i for i in items if i.truth_phase is not Phase.UNKNOWN]
    contrast = [i for i in phased if i.truth_phase in ENHANCED]
    nc_truth = [i for i in phased if i.truth_phase is Phase.NON_CONTRAST]
    nc_called = [i for i in phased if i.phase is Phase.NON_CONTRAST]
    named = [i for i in phased if i.truth_phase in NAMED]
    kinds = [i for i in items if i.truth_kind is not None]
    localizers = [i for i in kinds if i.truth_kind is Kind.LOCALIZER]
    volumes = [i for i in kinds if i.truth_kind is Kind.VOLUME]
    out = {
        "series": len(items),
        "phase_labelled": len(phased),
        "non_contrast_precision": _ratio(sum(i.truth_phase is Phase.NON_CONTRAST
                                             for i in nc_called), len(nc_called)),
        "non_contrast_recall": _ratio(sum(i.phase is Phase.NON_CONTRAST for i in nc_truth),
                                      len(nc_truth)),
        "contrast_called_non_contrast": sum(i.phase is Phase.NON_CONTRAST for i in contrast),
        "contrast_series": len(contrast),
        "contrast_recall": _ratio(sum(i.phase in ENHANCED for i in contrast), len(contrast)),
        "named_phase_accuracy": _ratio(sum(i.phase is i.truth_phase for i in named),
                                       len(named)),
        "unlabelled_called_non_contrast": sum(i.truth_phase is Phase.UNKNOWN
                                              and i.phase is Phase.NON_CONTRAST for i in items),
        "localizer_recall": _ratio(sum(i.kind is Kind.LOCALIZER for i in localizers),
                                   len(localizers)),
        "volumes_called_localizer": _ratio(sum(i.kind is Kind.LOCALIZER for i in volumes),
                                           len(volumes)),
        "volumes_called_other_kind": _ratio(sum(i.kind is not Kind.VOLUME for i in volumes),
                                            len(volumes)),
        "phases": _per_value(phased, Phase, "truth_phase", "phase"),
        "kinds": _per_value(kinds, Kind, "truth_kind", "kind"),
    }
    return out


def _per_value(items: list[Labelled], values, truth: str, call: str) -> dict:
    """Precision and recall of each value (a phase or a kind) among labelled items."""
    out = {}
    for value in values:
        labelled = [i for i in items if getattr(i, truth) is value]
        called = [i for i in items if getattr(i, call) is value]
        if labelled or called:
            out[value.value] = {
                "labelled": len(labelled), "called": len(called),
                "precision": _ratio(sum(getattr(i, truth) is value for i in called),
                                    len(called)),
                "recall": _ratio(sum(getattr(i, call) is value for i in labelled),
                                 len(labelled))}
    return out


def table(figures: dict) -> str:
    """The figures as a plain-text table."""
    def f(v):
        return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))
    lines = [f"{'figure':<34}{'value':>8}"]
    for key, value in figures.items():
        if not isinstance(value, dict):
            lines.append(f"{key:<34}{f(value):>8}")
    for group in ("phases", "kinds"):
        lines.append(f"\n{group[:-1]:<22}{'labelled':>9}{'called':>8}{'precision':>10}"
                     f"{'recall':>8}")
        for name, v in figures[group].items():
            lines.append(f"{name:<22}{v['labelled']:>9}{v['called']:>8}{f(v['precision']):>10}"
                         f"{f(v['recall']):>8}")
    return "\n".join(lines)
