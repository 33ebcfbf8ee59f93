"""Screen layouts (no Qt): which plane and which series each cell of the view grid shows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from viewer.model.orientation import Plane


class Role(Enum):
    """What a loaded series is in the review."""

    BASE = "non-contrast"
    OVERLAY = "digital contrast"
    COMPARE = "real contrast"


class Layout(Enum):
    """The layouts offered in the View menu."""

    ONE = "1x1"
    ROW = "1x3"
    GRID = "2x2"
    COMPARE = "compare"


@dataclass(frozen=True)
class Cell:
    """One view in the grid: position, plane, and the series it shows as its base layer.

    ``overlay`` says whether the digital-contrast overlay may be drawn on top (in the compare
    layout each column shows one series on its own).
    """

    row: int
    col: int
    plane: Plane | None  # None: the 3-D view
    role: Role = Role.BASE
    overlay: bool = True


PLANES = (Plane.AXIAL, Plane.CORONAL, Plane.SAGITTAL)


def cells(layout: Layout, focus: Plane = Plane.AXIAL,
          roles: tuple[Role, ...] = (Role.BASE,)) -> list[Cell]:
    """The cells of ``layout``; the compare layout has one column per loaded role."""
    if layout is Layout.ONE:
        return [Cell(0, 0, focus)]
    if layout is Layout.ROW:
        return [Cell(0, c, p) for c, p in enumerate(PLANES)]
    if layout is Layout.GRID:
        return [Cell(0, 0, Plane.AXIAL), Cell(0, 1, None), Cell(1, 0, Plane.CORONAL),
                Cell(1, 1, Plane.SAGITTAL)]
    # The compare hanging protocol: one large view per series side by side (non-contrast |
    # digital | real), all in one plane (axial unless another is asked for), linked.
    return [Cell(0, c, focus, role, overlay=False) for c, role in enumerate(roles)]
