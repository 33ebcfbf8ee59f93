"""The GPU's slice image against the numpy reference of the same rules (viewer.pixels.compositor):
rendered pixels of every blend equal what ``compose`` gives, within a grey level or two."""

import numpy as np
import pytest

from inference.io.geometry import Geometry
from inference.io.volume import SeriesMetadata, Volume
from tests.support.viewer import open_window, pixel_at
from viewer.model.layout import Layout
from viewer.model.state import OverlayMode
from viewer.model.window_level import WindowLevel
from viewer.pixels.compositor import Blend, LutCache, compose, extract, slice_geometry
from viewer.pixels.enhancement import DIFFERENCE_RANGE_HU

pytestmark = pytest.mark.gui

# Four flat quadrants per slice (no noise: interpolation cannot move a quadrant's middle).
BASE = ((-100, 40), (200, 1000))
OVER = ((300, -50), (90, 40))
MIDDLES = [(16, 16), (16, 48), (48, 16), (48, 48)]  # (row, column) of each quadrant's middle
K = 4


def quadrants(values, name: str) -> Volume:
    a = np.empty((8, 64, 64), np.int16)
    for (r, c), v in np.ndenumerate(np.array(values)):
        a[:, 32 * r:32 * (r + 1), 32 * c:32 * (c + 1)] = v
    return Volume(a, Geometry((-64.0, -64.0, 0.0), (2.0, 2.0, 4.0)),
                  metadata=SeriesMetadata(series_description=name))


@pytest.fixture
def shown(qtbot, settings):
    base, over = quadrants(BASE, "flat base"), quadrants(OVER, "flat overlay")
    w = open_window(qtbot, settings, base, overlay=over, size=(700, 600))
    w.state.set_layout(Layout.ONE)
    w.state.set_cursor(base.geometry.index_to_world([32.0, 32.0, float(K)]))
    view = w.grid.slice_views()[0]
    view.render()
    return w, view, base


def expected(w, view, base, blend: Blend) -> np.ndarray:
    """What the numpy rules give for the slice shown (RGB)."""
    st = w.state
    source = w.grid.pixels.source(st)
    out = np.empty((64, 64, 3), np.uint8)
    swipe = None
    if blend is Blend.SWIPE:
        swipe = view._swipe_column(slice_geometry(base, 2, K))
    compose(extract(base.array, 2, K), st.window, LutCache(), out, extract(source, 2, K),
            blend, st.overlay_opacity, st.enhancement_threshold, swipe,
            (DIFFERENCE_RANGE_HU, st.difference_threshold))
    return out


def assert_drawn_as_composed(w, view, base, blend: Blend) -> None:
    view.render()
    want = expected(w, view, base, blend)
    for r, c in MIDDLES:
        point = base.geometry.index_to_world([float(c), float(r), float(K)])
        drawn = pixel_at(view, point)
        assert np.abs(drawn - want[r, c]).max() <= 2, (blend, (r, c), drawn, want[r, c])


def test_grey_fade_at_any_opacity_and_window(shown):
    w, view, base = shown
    for opacity in (0.0, 0.37, 0.5, 1.0):
        w.state.set_overlay_opacity(opacity)
        assert_drawn_as_composed(w, view, base, Blend.GREY)
    w.state.set_window(WindowLevel(1500, 300))
    assert_drawn_as_composed(w, view, base, Blend.GREY)
    w.state.set_overlay_visible(False)  # the base alone: its grey ramp
    view.render()
    for r, c in MIDDLES:
        point = base.geometry.index_to_world([float(c), float(r), float(K)])
        assert pixel_at(view, point)[0] == pytest.approx(
            round(float(WindowLevel(1500, 300).grey(BASE[r // 32][c // 32]))), abs=2)


def test_swipe_curtain_and_colour_map(shown):
    w, view, base = shown
    w.state.set_overlay_mode(OverlayMode.SWIPE)
    assert_drawn_as_composed(w, view, base, Blend.SWIPE)
    w.state.set_overlay_mode(OverlayMode.ENHANCEMENT)
    for opacity in (0.5, 1.0):
        w.state.set_overlay_opacity(opacity)
        assert_drawn_as_composed(w, view, base, Blend.COLOUR)
    # The quadrant whose enhancement (300 - -100 = 400 HU) is coloured really is coloured.
    point = base.geometry.index_to_world([16.0, 16.0, float(K)])
    r, _g, b = pixel_at(view, point)
    assert r - b > 60


def test_no_overlay_slice_is_held_once_the_overlay_is_gone(shown):
    """An axial slice is a view into its volume: held, it would keep the whole volume."""
    w, view, _base = shown
    assert view.slice_image.over.data is not None
    w.state.set_overlay_visible(False)
    view.render()
    assert view.slice_image.over.data is None and view.slice_image.base.data is not None
