"""The colour bar of the enhancement and difference maps: colours, range and unit (HU)."""

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


class ColourBar:
    """A slim bar at the right edge with its range in HU; hidden for greyscale modes."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.lut = vtkLookupTable()
        self.actor = vtkScalarBarActor()
        self.actor.SetLookupTable(self.lut)
        self.actor.SetTitle("HU")
        self.actor.SetNumberOfLabels(3)
        self.actor.SetLabelFormat("%.0f")
        self.actor.SetMaximumWidthInPixels(60)
        self.actor.SetPosition(0.89, 0.25)
        self.actor.SetWidth(0.08)
        self.actor.SetHeight(0.45)
        self.actor.SetVisibility(False)
        self.actor.UnconstrainedFontSizeOn()  # the 12-pt size below, not scaled to the bar
        self.actor.SetBarRatio(0.3)
        for prop in (self.actor.GetTitleTextProperty(), self.actor.GetLabelTextProperty()):
            prop.SetFontSize(12)
            prop.SetItalic(False)
            prop.SetBold(False)
            prop.SetColor(0.9, 0.9, 0.9)
            prop.SetShadow(True)
        renderer.AddViewProp(self.actor)
        self.kind: str | None = None

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
