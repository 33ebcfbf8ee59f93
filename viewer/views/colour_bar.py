"""The colour bar of the enhancement and difference maps: colours, range and unit (HU), in a
margin of its own at the view's right.

Drawn over the image it covered anatomy and the orientation letter, and its labels were cut
in narrow views; in its own renderer beside the image's it can do neither (the image's
viewport narrows while a legend shows, and the one fit rule refits the view).
"""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkCommonCore import vtkLookupTable
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import vtkRenderer

from viewer.pixels.enhancement import (
    DIFFERENCE_RANGE_HU,
    ENHANCEMENT_MAX_HU,
    UNCERTAINTY_MAX_HU,
    UNCERTAINTY_THRESHOLD_HU,
    diverging_table,
    iodine_table,
)

BAND_GREY = 0.25  # the uncoloured noise band, as the bar shows it
LEGEND_PX = 54  # the margin: bar, labels up to "-200" at 12 pt, and the title "SD HU"


class ColourBar:
    """A slim bar in a right-hand margin with its range in HU; no margin for greyscale modes."""

    def __init__(self, image_renderer: vtkRenderer) -> None:
        self.image_renderer = image_renderer
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0, 0, 0)
        self.renderer.InteractiveOff()
        # In the window only while a legend shows: a renderer with an empty viewport crashed
        # vtkWindowToImageFilter after a resize.
        self.window = image_renderer.GetRenderWindow()
        self.fraction = 0.0
        self.lut = vtkLookupTable()
        self.actor = vtkScalarBarActor()
        self.actor.SetLookupTable(self.lut)
        self.actor.SetTitle("HU")
        self.actor.SetNumberOfLabels(3)
        self.actor.SetLabelFormat("%.0f")
        self.actor.SetPosition(0.08, 0.22)
        self.actor.SetWidth(0.84)
        self.actor.SetHeight(0.56)
        self.actor.SetVisibility(False)
        self.actor.UnconstrainedFontSizeOn()  # the 12-pt size below, not scaled to the bar
        self.actor.SetBarRatio(0.3)
        for prop in (self.actor.GetTitleTextProperty(), self.actor.GetLabelTextProperty()):
            prop.SetFontSize(12)
            prop.SetItalic(False)
            prop.SetBold(False)
            prop.SetColor(0.9, 0.9, 0.9)
            prop.SetShadow(True)
        self.renderer.AddViewProp(self.actor)
        self.kind: str | None = None

    def reserve(self, width_px: int, device_ratio: float = 1.0) -> bool:
        """Split the view between the image and the legend's margin (none while no legend
        shows); True when the image's share changed (the view must refit)."""
        fraction = (min(0.5, LEGEND_PX * device_ratio / width_px) if self.kind and width_px > 0
                    else 0.0)
        if abs(fraction - self.fraction) < 1e-6:
            return False
        self.fraction = fraction
        self.image_renderer.SetViewport(0.0, 0.0, 1.0 - fraction, 1.0)
        if fraction:
            self.renderer.SetViewport(1.0 - fraction, 0.0, 1.0, 1.0)
            if not self.window.HasRenderer(self.renderer):
                self.window.AddRenderer(self.renderer)
        elif self.window.HasRenderer(self.renderer):
            self.window.RemoveRenderer(self.renderer)
        return True

    def show_enhancement(self, threshold: float) -> None:
        """Iodine enhancement colours from the threshold to the top of the scale."""
        table = iodine_table(threshold)
        hu = np.linspace(0, ENHANCEMENT_MAX_HU, len(table))
        keep = hu >= threshold
        self._set(table[keep], float(max(threshold, 0)), ENHANCEMENT_MAX_HU, "enhancement",
                  "\u0394HU")

    def show_uncertainty(self) -> None:
        """The spread of the model's predictions (SD, HU), in the hot colours."""
        table = iodine_table(UNCERTAINTY_THRESHOLD_HU, max_hu=UNCERTAINTY_MAX_HU)
        hu = np.linspace(0, UNCERTAINTY_MAX_HU, len(table))
        keep = hu >= UNCERTAINTY_THRESHOLD_HU
        self._set(table[keep], UNCERTAINTY_THRESHOLD_HU, UNCERTAINTY_MAX_HU, "uncertainty",
                  "SD HU")

    def show_difference(self, band_hu: float) -> None:
        """Blue (synthetic below real) and red (above) outside the noise band, which stays
        uncoloured (shown grey on the bar): the map's own table."""
        values = np.linspace(-DIFFERENCE_RANGE_HU, DIFFERENCE_RANGE_HU, 257)
        table = diverging_table(values, DIFFERENCE_RANGE_HU, band_hu)
        table[table[:, 3] == 0, :3] = BAND_GREY
        self._set(table, -DIFFERENCE_RANGE_HU, DIFFERENCE_RANGE_HU, "difference", "\u0394HU")

    def hide(self) -> None:
        """No colour map shown."""
        self.kind = None
        self.actor.SetVisibility(False)

    def _set(self, table: np.ndarray, low: float, high: float, kind: str,
             title: str) -> None:
        self.lut.SetNumberOfTableValues(len(table))
        for n, (r, g, b, _a) in enumerate(table):
            self.lut.SetTableValue(n, r, g, b, 1.0)
        self.lut.SetRange(low, high)
        self.lut.Build()
        # The unit only: the corner text names the map (a long title is cut).
        self.actor.SetTitle(title)
        self.kind = kind
        self.actor.SetVisibility(True)

