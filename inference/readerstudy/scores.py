"""The one rule for a reader's score: the ROC question's answer, or a mark's confidence.

A score is a finite number the reader gave. An answer without one (an empty value, a choice
given without its confidence, a mark without a rating) is never given a score of its own (0,
50, a mean): the reading is left out of what needs scores, and the analyses and exports that
need every score say how many are missing. The protocol makes the ROC question required, so
a study recorded by dcreview has none missing; older or hand-made results might.
"""

from __future__ import annotations

import math


def score(value: object) -> float | None:
    """The score an answer holds, or None when it holds none."""
    if isinstance(value, dict):
        value = value.get("confidence")
    if value is None or isinstance(value, bool | str):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
