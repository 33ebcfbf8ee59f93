"""The status bar's readout under the mouse: patient position with its side, and each layer's HU."""

from __future__ import annotations

import numpy as np

from viewer.model.orientation import signed_position
from viewer.model.state import ViewerState


def position_text(state: ViewerState, point: np.ndarray | None) -> str:
    """Position and the value of every loaded series there (empty when off the images)."""
    if point is None or state.base is None:
        return ""
    parts = [signed_position(point)]
    for role, value in state.values_at(point).items():
        shown = "outside" if value is None else f"{value:.0f} HU"
        parts.append(f"{role.value}: {shown}")
    return "   |   ".join(parts)
