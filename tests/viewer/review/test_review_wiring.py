"""The review window's wiring: keys bound from one table, fine-grained overlay events, the one
provenance rule on every view, one rule for a new series' window."""

from html import escape

import pytest
from PySide6.QtGui import QAction, QKeySequence

from tests.support.viewer import AORTA, grey_at, open_window
from viewer.model.layout import Layout
from viewer.model.orientation import Plane
from viewer.model.provenance import SYNTHETIC_TEXT
from viewer.model.shortcuts import BINDINGS
from viewer.model.window_level import WindowLevel, initial_window, preset
from viewer.review.help import shortcuts_html
from viewer.views.slice_input import FINISH_KEYS, SCROLL_KEYS

pytestmark = pytest.mark.gui

PORTABLE = QKeySequence.SequenceFormat.PortableText


def _norm(text: str) -> str:
    return QKeySequence(text).toString(PORTABLE)


@pytest.fixture
def overlaid(qtbot, settings, phantom_volumes):
    plain, arterial = phantom_volumes
    return open_window(qtbot, settings, plain, overlay=arterial)


def test_help_lists_exactly_the_bound_shortcuts(window):
    bound = {_norm(seq.toString(PORTABLE)) for act in window.findChildren(QAction)
             for seq in act.shortcuts() if not seq.isEmpty()}
    view_keys = {QKeySequence(k).toString(PORTABLE) for k in (*SCROLL_KEYS, *FINISH_KEYS)}
    listed_window = {_norm(k) for b in BINDINGS.values() if b.scope == "window" for k in b.keys}
    listed_view = {_norm(k) for b in BINDINGS.values() if b.scope == "view" for k in b.keys}
    assert bound == listed_window
    assert view_keys == listed_view
    html = shortcuts_html()
    for binding in BINDINGS.values():
        assert escape(binding.text) in html
    dialog = window.show_help()
    assert dialog.label.text() == html
    dialog.close()


def test_a_fade_fires_only_its_own_event_and_recomposes_only_pixels(overlaid, monkeypatch):
    st = overlaid.state
    fired = []
    for name in ("volumes_changed", "cursor_changed", "window_changed", "layout_changed",
                 "overlay_visible_changed", "overlay_opacity_changed", "overlay_mode_changed",
                 "enhancement_threshold_changed", "swipe_position_changed"):
        getattr(st, name).connect(lambda *_a, n=name: fired.append(n))
    axial = overlaid.views[Plane.AXIAL]
    refreshed = []
    for view in overlaid.grid.slice_views():
        monkeypatch.setattr(view, "refresh_overlay", lambda v=view: refreshed.append(v))
    before = grey_at(axial, AORTA)
    overlaid.overlay.opacity_slider.setValue(100)
    assert fired == ["overlay_opacity_changed"]
    assert refreshed == []  # labels and banners untouched
    assert grey_at(axial, AORTA) > before + 20  # the pixels did change
    assert "100%" in axial.info.GetInput()
    assert overlaid.overlay.opacity_label.text() == "100%"


def test_the_3d_view_follows_the_provenance_rule(overlaid):
    overlaid.state.set_layout(Layout.GRID)
    view = overlaid.grid.volume_view
    assert view.synthetic_label.GetVisibility() and view.synthetic_label.GetInput().startswith(
        SYNTHETIC_TEXT)
    # A blinded reader-study arm: no surface may say where the pixels came from.
    overlaid.state.blinded = True
    overlaid.state.set_overlay_visible(False)
    overlaid.state.set_overlay_visible(True)
    assert not view.synthetic_label.GetVisibility()
    assert "SYNTHETIC" not in view.title.GetInput()
    for v in overlaid.grid.slice_views():
        assert not v.synthetic_label.GetVisibility()
        assert "synthetic" not in v.info.GetInput().lower()


def test_a_new_series_opens_with_the_chosen_preset_and_r_returns_to_it(window,
                                                                       phantom_volumes):
    plain = phantom_volumes[0]
    assert window.state.window == initial_window(plain)
    window.apply_preset("bone")
    window.state.set_window(WindowLevel(100, 0))
    window.reset_view()
    assert window.state.window == preset("bone").window
    window.show_volume(plain)  # a new series opens with the remembered preset too
    assert window.state.window == preset("bone").window


def test_a_new_non_contrast_series_replaces_every_layer(overlaid, phantom_volumes):
    removed = []
    overlaid.state.volumes_changed.connect(removed.append)
    overlaid.show_volume(phantom_volumes[0])
    assert overlaid.state.overlay is None
    assert removed[0].value == "digital contrast"
