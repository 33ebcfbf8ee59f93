"""The digital-contrast overlay (toggle, fade, modes, SYNTHETIC label) and the layouts."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.support.viewer import AORTA, grey_at, open_window, pixel_at, red_text_pixels, wheel
from viewer.model.layout import Layout, Role
from viewer.model.orientation import Plane
from viewer.model.state import OverlayMode
from viewer.views.screenshot import capture

pytestmark = pytest.mark.gui


@pytest.fixture
def overlaid(qtbot, settings, phantom_volumes):
    """Non-contrast with the arterial scan as the overlay (standing in for digital contrast)."""
    plain, arterial = phantom_volumes
    return open_window(qtbot, settings, plain, overlay=arterial)


def test_toggle_and_fade_change_the_aorta(overlaid, qtbot):
    axial = overlaid.views[Plane.AXIAL]
    wl = overlaid.state.window
    half = grey_at(axial, AORTA)
    assert half == pytest.approx((wl.grey(40) + 255) / 2, abs=30)
    overlaid.activateWindow()
    qtbot.waitUntil(overlaid.isActiveWindow, timeout=5000)
    qtbot.keyClick(overlaid, Qt.Key.Key_T)
    assert not overlaid.state.overlay_visible
    assert grey_at(axial, AORTA) == pytest.approx(wl.grey(40), abs=30)
    overlaid.overlay.button.click()
    assert overlaid.state.overlay_visible
    overlaid.overlay.opacity_slider.setValue(100)
    assert overlaid.overlay.opacity_label.text() == "100%"
    assert grey_at(axial, AORTA) > 235
    overlaid.overlay.opacity_slider.setValue(0)
    assert grey_at(axial, AORTA) == pytest.approx(wl.grey(40), abs=30)


def test_fading_never_recomputes_the_overlay(overlaid):
    """Opacity is a uniform of the view's shader: no volume work, nothing uploaded again."""
    overlaid.state.set_overlay_mode(OverlayMode.ENHANCEMENT)
    views = list(overlaid.views.values())
    for v in views:
        v.render()
    sent = [(v.slice_image.base.sent, v.slice_image.over.sent) for v in views]
    assert all(s[0] is not None and s[1] is not None for s in sent)
    assert overlaid.grid.pixels.enhancement.computed == 1
    greys = set()
    for value in range(0, 101, 5):
        overlaid.overlay.opacity_slider.setValue(value)
        greys.add(int(pixel_at(views[0], AORTA)[2]))
    assert overlaid.grid.pixels.enhancement.computed == 1
    assert [(v.slice_image.base.sent, v.slice_image.over.sent) for v in views] == sent
    assert len(greys) > 5  # the blend did change what is shown


def test_synthetic_label_on_every_view_showing_synthetic(overlaid, qtbot):
    for view in overlaid.views.values():
        assert red_text_pixels(capture(view.render_window)) > 40, view.plane
    overlaid.state.set_overlay_visible(False)
    for view in overlaid.views.values():
        assert red_text_pixels(capture(view.render_window)) == 0, view.plane
    # Screenshots of the whole layout carry the label too.
    overlaid.state.set_overlay_visible(True)
    assert red_text_pixels(overlaid.capture()) > 100


def test_enhancement_mode_colours_the_lumen(overlaid):
    axial = overlaid.views[Plane.AXIAL]
    overlaid.state.set_overlay_opacity(1.0)
    overlaid.overlay.mode_combo.setCurrentIndex(list(OverlayMode).index(OverlayMode.ENHANCEMENT))
    assert overlaid.overlay.threshold_spin_action.isVisible()
    r, g, b = pixel_at(axial, AORTA)
    assert r > 200 and g > 60 and b < 0.6 * g  # orange-yellow: strong iodine
    overlaid.overlay.threshold_spin.setValue(400)  # nothing reaches it: plain grey again
    r, g, b = pixel_at(axial, AORTA)
    assert abs(r - g) < 12 and abs(g - b) < 12


def test_swipe_shows_each_series_on_its_side(overlaid):
    axial = overlaid.views[Plane.AXIAL]
    wl = overlaid.state.window
    overlaid.state.set_overlay_mode(OverlayMode.SWIPE)
    overlaid.state.set_overlay_opacity(1.0)
    assert overlaid.overlay.swipe_action.isVisible()
    x, _ = axial.display_of_world(AORTA)
    width = axial.canvas.width()
    overlaid.overlay.swipe_slider.setValue(int(100 * (x + 30) / width))  # line right of the aorta
    assert grey_at(axial, AORTA) == pytest.approx(wl.grey(40), abs=30)
    overlaid.overlay.swipe_slider.setValue(int(100 * (x - 30) / width))  # line left of the aorta
    assert grey_at(axial, AORTA) > 235
    full = grey_at(axial, AORTA)
    overlaid.state.set_overlay_opacity(0.5)  # a curtain: the synthetic side stays at 100 %
    assert grey_at(axial, AORTA) == pytest.approx(full, abs=1)
    assert not overlaid.overlay.opacity_slider.isEnabled()  # so the fade is not offered
    left, right = (label.GetInput() for label in axial.swipe_labels)
    assert (left, right) == ("non-contrast", "SYNTHETIC")
    assert all(label.GetVisibility() for label in axial.swipe_labels)
    rgb = capture(axial.render_window)
    cyan = (rgb[..., 2] > 200) & (rgb[..., 1] > 180) & (rgb[..., 0] < 90)
    assert cyan.any(axis=0).sum() <= 2 and cyan.sum() > 50  # a one-pixel vertical divider


def test_layouts_by_shortcut(overlaid, qtbot, phantom_volumes):
    overlaid.activateWindow()
    qtbot.waitUntil(overlaid.isActiveWindow, timeout=5000)
    expected = {Qt.Key.Key_1: 1, Qt.Key.Key_2: 3, Qt.Key.Key_3: 4}
    for key, count in expected.items():
        qtbot.keyClick(overlaid, key, Qt.KeyboardModifier.ControlModifier)
        assert len(overlaid.grid.visible_widgets()) == count
    overlaid.show_volume(phantom_volumes[1], role=Role.COMPARE)
    assert overlaid.state.layout is Layout.COMPARE
    assert len(overlaid.grid.visible_widgets()) == 3  # one large view per series
    assert overlaid.layout_combo.currentText() == "Compare series"


def test_3d_view_renders_the_vessels(overlaid):
    overlaid.state.set_layout(Layout.GRID)
    view3d = overlaid.grid.volume_view
    pixels = capture(view3d.render_window)
    assert pixels.max() > 200 and view3d.synthetic_label.GetVisibility()


def test_2x2_switch_returns_before_the_3d_frame_and_draws_it_once(overlaid, qtbot):
    """The ray-cast frame (seconds under software GL) is drawn after the switch has returned
    with its slice views, once for all the show, resize, paint and fit requests."""
    from PySide6.QtWidgets import QApplication

    overlaid.state.set_layout(Layout.GRID)
    view3d = overlaid.grid.volume_view
    qtbot.waitUntil(lambda: view3d.frames >= 1, timeout=20_000)
    overlaid.state.set_layout(Layout.ROW)
    QApplication.processEvents()
    before = view3d.frames
    overlaid.state.set_layout(Layout.GRID)
    QApplication.processEvents()
    assert view3d.frames == before  # control is back; the 3-D frame is still to come
    assert all(v.isVisible() for v in overlaid.grid.slice_views())
    qtbot.waitUntil(lambda: view3d.frames > before, timeout=20_000)
    qtbot.wait(300)
    assert view3d.frames == before + 1  # one frame for the whole switch


def test_compare_rows_are_linked(qtbot, settings, phantom_volumes):
    plain, arterial = phantom_volumes
    real = arterial.with_array(arterial.array)  # a second series object for the real scan
    w = open_window(qtbot, settings, plain, overlay=arterial, compare=real, size=(1200, 800))
    base_axial = w.grid.view(Plane.AXIAL, Role.BASE)
    real_axial = w.grid.view(Plane.AXIAL, Role.COMPARE)
    digital_axial = w.grid.view(Plane.AXIAL, Role.OVERLAY)
    k = base_axial.slice_index()
    wheel(base_axial.canvas, 3)
    assert real_axial.slice_index() == digital_axial.slice_index() == k + 3
    wheel(real_axial.canvas, 2, Qt.KeyboardModifier.ControlModifier)
    assert base_axial.camera.GetParallelScale() == pytest.approx(
        real_axial.camera.GetParallelScale())
    # Only the digital-contrast row is labelled synthetic; the overlay is not drawn in rows.
    assert red_text_pixels(capture(digital_axial.render_window)) > 40
    assert red_text_pixels(capture(real_axial.render_window)) == 0
    assert red_text_pixels(capture(base_axial.render_window)) == 0
    w.state.set_window(w.state.window.dragged(100, 0, 1.0))
    assert "W 500" in real_axial.info.GetInput() and "W 500" in digital_axial.info.GetInput()


def test_compare_hangs_large_linked_axials_side_by_side(qtbot, settings, phantom_volumes):
    """Non-contrast | digital | real, each at least 0.3 of a 1920x1080 window, titled as a
    hanging protocol names them; other planes on demand; the overlay's controls greyed."""
    plain, arterial = phantom_volumes
    real = arterial.with_array(arterial.array)
    w = open_window(qtbot, settings, plain, overlay=arterial, compare=real, size=(1920, 1080))
    assert w.state.layout is Layout.COMPARE
    views = w.grid.slice_views()
    assert [v.cell.role for v in views] == [Role.BASE, Role.OVERLAY, Role.COMPARE]
    assert all(v.plane is Plane.AXIAL for v in views)
    for v in views:
        assert v.width() >= 0.3 * w.width(), (v.cell.role, v.width(), w.width())
    titles = [v.info.GetInput().splitlines()[0] for v in views]
    assert titles == ["NON-CONTRAST", "DIGITAL CONTRAST (SYNTHETIC)",
                      "REAL CONTRAST - NOT registered"]
    assert not w.overlay.mode_combo.isEnabled() and not w.overlay.opacity_slider.isEnabled()
    assert "compare layout" in w.overlay.mode_combo.toolTip()
    w.grid.set_focus_plane(Plane.CORONAL)  # MPR on demand
    assert [v.plane for v in w.grid.slice_views()] == [Plane.CORONAL] * 3
    w.state.set_layout(Layout.ROW)
    assert w.overlay.mode_combo.isEnabled()


def test_overlay_must_share_the_grid(overlaid, phantom_volumes):
    from inference.errors import DcreviewError
    from inference.io.geometry import Geometry
    from inference.io.volume import Volume

    plain = phantom_volumes[0]
    shifted = Volume(plain.array, Geometry((0.0, 0.0, 0.0), plain.geometry.spacing))
    with pytest.raises(DcreviewError, match="must be on the non-contrast series' grid"):
        overlaid.show_volume(shifted, role=Role.OVERLAY)


def test_view_command_with_overlay_and_compare(small_case, tmp_path):
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    out = tmp_path / "compare.png"
    proc = subprocess.run(
        [sys.executable, "-m", "viewer", "view", str(small_case.noncontrast), "--overlay",
         str(small_case.contrast), "--compare", str(small_case.contrast), "--layout", "compare",
         "--screenshot", str(out), "--size", "900x600"], capture_output=True, text=True,
        timeout=180)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out)).convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine())[:, : image.width() * 3].reshape(
        image.height(), image.width(), 3)
    col = (pixels.shape[1] + 2) // 3  # three columns with 2-pixel gaps
    counts = [red_text_pixels(pixels[:, c * col:(c + 1) * col]) for c in range(3)]
    assert counts[0] == 0 and counts[1] > 40 and counts[2] == 0  # only the digital column
