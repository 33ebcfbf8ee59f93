"""The bottom-left corner's text, drawn from a texture of its own, reads as a VTK text: the
same pixels as a vtkTextActor with the same font, size and anchor."""

import numpy as np
import pytest

from tests.support.viewer import open_window
from viewer.views.screen_text import ScreenText
from viewer.views.screenshot import capture
from viewer.views.text import INFO_COLOUR, corner_text

pytestmark = pytest.mark.gui

TEXT = "Axial 31/60   W 400 L 40\nPos S 12.5 mm   Thk 1 mm"


def ink(pixels: np.ndarray, box, margin: int = 0) -> np.ndarray:
    """The bright pixels (glyphs) inside a display box of a capture (rows from the top)."""
    x0, y0, x1, y1 = (round(v) for v in box)
    h = pixels.shape[0]
    crop = pixels[h - y1 - margin:h - y0 + margin, x0 - margin:x1 + margin].astype(int)
    return crop.min(axis=2) > 150


def best_overlap(mine: np.ndarray, reference: np.ndarray, reach: int = 4) -> float:
    """Share of the reference's ink that ours covers, at the best shift of a few pixels."""
    rows, cols = min(mine.shape[0], reference.shape[0]), min(mine.shape[1], reference.shape[1])
    a = mine[reach:rows - reach, reach:cols - reach]
    best = 0.0
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            b = reference[reach + dy:rows - reach + dy, reach + dx:cols - reach + dx]
            best = max(best, float((a & b).sum()) / max(1, int(b.sum())))
    return best


def test_same_glyphs_as_a_text_actor_and_only_changed_text_is_sent(qtbot, settings,
                                                                   phantom_volumes):
    w = open_window(qtbot, settings, phantom_volumes[0])
    view = next(iter(w.views.values()))
    renderer = view.renderer
    view.slice_image.hide()  # on black: only glyphs are bright
    view.compose = lambda: None
    ours = ScreenText(renderer, 13, INFO_COLOUR, 0.05, 0.45)
    theirs = corner_text(renderer, 13, INFO_COLOUR, False, 0.05, 0.7)
    ours.SetInput(TEXT)
    theirs.SetInput(TEXT)
    view.render()
    pixels = capture(view.render_window)
    box = ours.box()
    assert box[2] - box[0] > 100 and box[3] - box[1] > 20  # two lines of a dozen glyphs
    b = [0.0] * 4
    theirs.GetBoundingBox(renderer, b)
    x, y = theirs.GetPositionCoordinate().GetComputedDisplayValue(renderer)
    theirs_box = (x + b[0], y + b[2], x + b[1], y + b[3])
    mine, reference = ink(pixels, box), ink(pixels, theirs_box)
    assert mine.sum() > 300
    # The same glyphs in the same places (the edges blend a little brighter here).
    assert abs(int(mine.sum()) - int(reference.sum())) <= 0.12 * reference.sum()
    assert best_overlap(ink(pixels, box, 5), ink(pixels, theirs_box, 5)) > 0.9
    # A frame without a change sends nothing; a changed text is drawn.
    view.render()
    assert ours.layer.sent == ours.layer.key == TEXT
    ours.SetInput(TEXT.replace("31/60", "32/60"))
    assert ours.layer.sent != ours.layer.key
    view.render()
    assert ours.layer.sent == ours.layer.key and ours.GetInput().startswith("Axial 32/60")
    assert not np.array_equal(capture(view.render_window), pixels)
    ours.SetInput("")
    assert not ours.GetVisibility() and not ours.actor.GetVisibility()
