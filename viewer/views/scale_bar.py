"""The scale bar at a slice view's bottom-right: a nice round length in mm, kept to the zoom."""

from __future__ import annotations

import math

from vtkmodules.vtkRenderingCore import (
    vtkActor2D,
    vtkPolyDataMapper2D,
    vtkRenderer,
)

from viewer.views.lines import segments
from viewer.views.text import INFO_COLOUR, text_actor

MARGIN_PX = 20
BASELINE_PX = 22
TICK_PX = 6


def nice_length(mm: float) -> float:
    """Largest 1/2/5 x 10^n not above ``mm`` (scale bar lengths)."""
    if mm <= 0:
        return 0.0
    exp = math.floor(math.log10(mm))
    for m in (5, 2, 1):
        if m * 10**exp <= mm:
            return float(m * 10**exp)
    return float(10**exp)


class ScaleBar:
    """A bar with end ticks about a fifth of the view wide, and its length as text."""

    def __init__(self, renderer: vtkRenderer) -> None:
        poly, self.points = segments(4, [(0, 1), (0, 2), (1, 3)])
        mapper = vtkPolyDataMapper2D()
        mapper.SetInputData(poly)
        self.actor = vtkActor2D()
        self.actor.SetMapper(mapper)
        self.actor.GetProperty().SetColor(*INFO_COLOUR)
        self.actor.SetVisibility(False)
        renderer.AddViewProp(self.actor)
        self.text = text_actor(renderer, 12, INFO_COLOUR)

    def hide(self) -> None:
        """Nothing shown in the view: no bar."""
        self.actor.SetVisibility(False)
        self.text.SetVisibility(False)

    def place(self, size: tuple[int, int], parallel_scale: float) -> None:
        """Fit the bar to the image's part of the view, (width, height) in pixels, and the
        camera's zoom (half view height in mm)."""
        w, h = size
        if h <= 0 or parallel_scale <= 0:
            return
        px_per_mm = h / (2 * parallel_scale)
        length_mm = nice_length(0.2 * w / px_per_mm)
        x1, y = w - MARGIN_PX, BASELINE_PX
        x0 = x1 - length_mm * px_per_mm
        for n, (px, py) in enumerate(((x0, y), (x1, y), (x0, y + TICK_PX), (x1, y + TICK_PX))):
            self.points.SetPoint(n, px, py, 0)
        self.points.Modified()
        self.actor.SetVisibility(True)
        self.text.SetInput(f"{length_mm:.0f} mm" if length_mm >= 1 else f"{length_mm:g} mm")
        self.text.SetPosition((x0 + x1) / 2 / w, (y + 16) / h)
        self.text.SetVisibility(True)


class ScreenLine:
    """A one-pixel line in display coordinates (e.g. the swipe divider)."""

    def __init__(self, renderer: vtkRenderer, colour: tuple[float, float, float]) -> None:
        poly, self.points = segments(2, [(0, 1)])
        mapper = vtkPolyDataMapper2D()
        mapper.SetInputData(poly)
        self.actor = vtkActor2D()
        self.actor.SetMapper(mapper)
        self.actor.GetProperty().SetColor(*colour)
        self.actor.SetVisibility(False)
        renderer.AddViewProp(self.actor)

    def place(self, start: tuple[float, float], end: tuple[float, float], shown: bool) -> None:
        """Move the line (display pixels) and show or hide it."""
        self.points.SetPoint(0, start[0], start[1], 0)
        self.points.SetPoint(1, end[0], end[1], 0)
        self.points.Modified()
        self.actor.SetVisibility(shown)
