"""The status bar's readout under the mouse: patient position with its side, and each layer's HU."""

from __future__ import annotations

import numpy as np

from viewer.model.state import ViewerState

# LPS: +x is the patient's left, +y posterior, +z superior.
_SIDES = (("R", "L"), ("A", "P"), ("I", "S"))


def signed_position(point: np.ndarray) -> str:
    """E.g. "12.0 L  28.0 P  105.5 S mm": each coordinate with the side it lies on."""
    parts = [f"{abs(v):.1f} {neg if v < 0 else pos}"
             for v, (neg, pos) in zip(point, _SIDES, strict=True)]
    return "  ".join(parts) + " mm"


def position_text(state: ViewerState, point: np.ndarray | None) -> str:
    """Position and the value of every loaded series there (empty when off the images)."""
    if point is None or state.base is None:
        return ""
    parts = [signed_position(point)]
    for role, value in state.values_at(point).items():
        shown = "outside" if value is None else f"{value:.0f} HU"
        parts.append(f"{role.value}: {shown}")
    return "   |   ".join(parts)
