"""Drive the real main window: rendered pixels at known anatomy, scrolling, W/L, presets."""

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from tests.support.viewer import (
    AORTA,
    SUBCUTANEOUS_FAT,
    drag,
    grey_at,
    mouse,
    qt_pos,
    wheel,
)
from viewer.model.orientation import Plane
from viewer.model.window_level import WindowLevel
from viewer.review.main_window import MainWindow
from viewer.review.window_controls import CustomWindowDialog
from viewer.views.screenshot import capture

pytestmark = pytest.mark.gui

# Air outside the body, one point in each view's plane through the aorta.
OUTSIDE = {Plane.AXIAL: np.array([0.0, -150.0, 60.0]),
           Plane.CORONAL: np.array([-185.0, 28.0, 60.0]),
           Plane.SAGITTAL: np.array([12.0, -150.0, 60.0])}


def test_all_views_render_known_anatomy(window):
    wl = window.state.window
    assert wl == WindowLevel(400, 40)  # the series' own DICOM window
    for view in window.views.values():
        assert grey_at(view, AORTA) == pytest.approx(wl.grey(40), abs=30), view.plane
        assert grey_at(view, OUTSIDE[view.plane]) < 5, view.plane
    fat = grey_at(window.views[Plane.AXIAL], SUBCUTANEOUS_FAT)
    assert fat == pytest.approx(wl.grey(-100), abs=25)


def test_contrast_scan_shows_bright_aorta(window, phantom_volumes):
    window.show_volume(phantom_volumes[1])
    window.state.set_cursor(AORTA)
    assert grey_at(window.views[Plane.AXIAL], AORTA) > 240


def test_wheel_and_arrows_scroll_only_that_view(window, qtbot):
    axial, coronal = window.views[Plane.AXIAL], window.views[Plane.CORONAL]
    before = capture(axial.render_window)
    k0, j0 = axial.slice_index(), coronal.slice_index()
    wheel(axial.canvas, 1)
    assert axial.slice_index() == k0 + 1
    wheel(axial.canvas, -2)
    assert axial.slice_index() == k0 - 1
    assert coronal.slice_index() == j0
    assert not np.array_equal(capture(axial.render_window), before)
    axial.canvas.setFocus()
    qtbot.keyClick(axial.canvas, Qt.Key.Key_Up)
    assert axial.slice_index() == k0
    for _ in range(10):
        wheel(axial.canvas, -10)
    assert axial.slice_index() == 0  # clamped at the first slice


def test_a_scroll_sends_the_new_raw_slice_and_a_return_draws_the_same(window):
    """The view's texture holds the raw slice shown (window/level is the GPU's); scrolling
    away and back draws the same pixels."""
    axial = window.views[Plane.AXIAL]
    volume = axial.volume.array
    wheel(axial.canvas, 1)
    wheel(axial.canvas, -1)  # the cursor on a slice's centre (its position line too)
    k0 = axial.slice_index()
    axial.render()
    before = capture(axial.render_window)
    wheel(axial.canvas, 1)
    axial.render()
    assert axial.slice_image.base.sent == (id(volume), 2, k0 + 1)
    assert not np.array_equal(capture(axial.render_window), before)
    wheel(axial.canvas, -1)
    axial.render()
    assert axial.slice_image.base.sent == (id(volume), 2, k0)
    np.testing.assert_array_equal(capture(axial.render_window), before)


def test_ctrl_wheel_zooms_and_middle_drag_pans(window):
    axial = window.views[Plane.AXIAL]
    scale = axial.camera.GetParallelScale()
    wheel(axial.canvas, 2, Qt.KeyboardModifier.ControlModifier)
    assert axial.camera.GetParallelScale() == pytest.approx(scale / 1.15**2)
    x0, y0 = axial.display_of_world(AORTA)
    centre = QPointF(axial.canvas.width() / 2, axial.canvas.height() / 2)
    drag(axial.canvas, centre, centre + QPointF(40, 0), Qt.MouseButton.MiddleButton)
    x1, y1 = axial.display_of_world(AORTA)
    assert x1 - x0 == pytest.approx(40, abs=2) and y1 == pytest.approx(y0, abs=2)


def test_right_drag_changes_window_in_every_view(window):
    axial, sagittal = window.views[Plane.AXIAL], window.views[Plane.SAGITTAL]
    fat_before = grey_at(axial, SUBCUTANEOUS_FAT)
    c = QPointF(axial.canvas.width() / 2, axial.canvas.height() / 2)
    drag(axial.canvas, c, c + QPointF(-60, 40), Qt.MouseButton.RightButton)
    changed = window.state.window
    assert changed.width < 400 and changed.level > 40  # left narrows, down raises the level
    assert f"W {changed.width:.0f} L {changed.level:.0f}\n" in sagittal.info.GetInput()
    assert grey_at(axial, SUBCUTANEOUS_FAT) != pytest.approx(fat_before, abs=3)
    drag(axial.canvas, c, c + QPointF(30, 0), Qt.MouseButton.LeftButton,
         Qt.KeyboardModifier.ControlModifier)
    assert window.state.window.width > changed.width


def test_click_sets_crosshair_and_moves_other_views(window):
    axial, coronal, sagittal = (window.views[p] for p in Plane)
    target = np.array([-60.0, 10.0, AORTA[2]])  # in the liver
    mouse(axial.canvas, QEvent.Type.MouseButtonPress, qt_pos(axial, target),
          Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
    mouse(axial.canvas, QEvent.Type.MouseButtonRelease, qt_pos(axial, target),
          Qt.MouseButton.LeftButton)
    np.testing.assert_allclose(window.state.cursor[:2], target[:2], atol=2.5)
    assert coronal.cursor[1] == pytest.approx(target[1], abs=2.5)
    assert sagittal.cursor[0] == pytest.approx(target[0], abs=2.5)
    assert axial.cursor[2] == pytest.approx(AORTA[2], abs=1e-6)  # its own slice is unchanged
    # The sagittal view now cuts through the liver: liver grey at the crosshair.
    assert grey_at(sagittal, window.state.cursor) == pytest.approx(
        window.state.window.grey(60), abs=30)


def test_crosshair_lines_drawn_in_plane_colours(qtbot, settings, phantom_volumes):
    from tests.support.viewer import open_window, pixel_at

    w = open_window(qtbot, settings, phantom_volumes[0], crosshair=True)
    axial = w.views[Plane.AXIAL]
    # Left of the body on the cursor's row: the horizontal line is the coronal plane (green).
    r, g, b = pixel_at(axial, np.array([-175.0, AORTA[1], AORTA[2]]), np.max)
    assert g > 150 and r < 120
    # Above the body on the cursor's column: the vertical line is the sagittal plane (yellow).
    r, g, b = pixel_at(axial, np.array([AORTA[0], -170.0, AORTA[2]]), np.max)
    assert r > 150 and g > 150 and b < 120
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_C)
    assert grey_at(axial, np.array([-175.0, AORTA[1], AORTA[2]])) < 5


def test_number_keys_apply_presets(window, qtbot):
    # Window shortcuts need an active window (on X11 there is no window manager under Xvfb).
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.state.window == WindowLevel(600, 170)
    qtbot.keyClick(window, Qt.Key.Key_4)
    assert "W 1800 L 400\n" in window.views[Plane.AXIAL].info.GetInput()
    assert window.settings.preset == "bone"


def test_wl_combo_says_custom_after_a_drag_and_takes_typed_values(window, qtbot):
    """The presets show their values, include liver and brain; a dragged window reads
    "Custom" with its values; a typed width and level apply at once."""
    from PySide6.QtCore import QTimer

    combo = window.preset_combo
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert "1: Abdomen  W 400 L 40" in texts and "4: Bone  W 1800 L 400" in texts
    assert any("Liver  W 160 L 60" in t for t in texts)
    assert any("Brain  W 80 L 40" in t for t in texts)
    window.apply_preset("abdomen")
    assert combo.currentText() == "1: Abdomen  W 400 L 40"
    axial = window.views[Plane.AXIAL]
    c = QPointF(axial.canvas.width() / 2, axial.canvas.height() / 2)
    drag(axial.canvas, c, c + QPointF(-60, 40), Qt.MouseButton.RightButton)
    w = window.state.window
    assert combo.currentText() == f"Custom: W {w.width:.0f} L {w.level:.0f}"
    window.apply_preset("brain")
    assert window.state.window == WindowLevel(80, 40) and combo.currentText().startswith("8:")

    def type_values() -> None:
        dialog = window.findChild(CustomWindowDialog)
        dialog.width_box.setValue(250)
        dialog.level_box.setValue(-20)
        dialog.accept()

    QTimer.singleShot(100, type_values)
    window.wl.act_custom.trigger()
    assert window.state.window == WindowLevel(250, -20)
    assert combo.currentText() == "Custom: W 250 L -20"
    assert "W 250 L -20\n" in axial.info.GetInput()


def test_hover_reports_hu_of_every_layer(window, phantom_volumes):
    from viewer.model.layout import Role

    window.show_volume(phantom_volumes[1], role=Role.COMPARE)
    window.state.set_cursor(AORTA)
    axial = window.grid.view(Plane.AXIAL)
    mouse(axial.canvas, QEvent.Type.MouseMove, qt_pos(axial, AORTA))
    text = window.position_label.text()
    assert "non-contrast:" in text and "real contrast:" in text
    plain = float(text.split("non-contrast: ")[1].split()[0])
    real = float(text.split("real contrast: ")[1].split()[0])
    assert plain == pytest.approx(40, abs=40) and real > 200
    # The position says which side it is on, and follows the slice when scrolling.
    assert " L  " in text or " R  " in text
    before = text.split(" mm")[0]
    wheel(axial.canvas, 3)
    assert window.position_label.text().split(" mm")[0] != before


def test_double_click_maximises_and_restores(window):
    axial = window.views[Plane.AXIAL]
    mouse(axial.canvas, QEvent.Type.MouseButtonDblClick, QPointF(20, 20),
          Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
    assert window.grid.visible_widgets() == [axial]
    mouse(axial.canvas, QEvent.Type.MouseButtonDblClick, QPointF(20, 20),
          Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
    assert len(window.grid.visible_widgets()) == 3


def test_help_lists_shortcuts(window):
    dialog = window.show_help()
    assert "window/level" in dialog.label.text() and "Double click" in dialog.label.text()


def test_background_load_recent_and_readable_error(qtbot, settings, small_case, tmp_path):
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(900, 360)
    w.show()
    w.load(small_case.contrast)
    qtbot.waitUntil(lambda: w.volume is not None, timeout=30000)
    assert "arterial" in w.windowTitle()
    assert settings.recent()[0] == str(small_case.contrast)
    assert [a.text() for a in w.recent_menu.actions()] == [str(small_case.contrast)]
    bad = tmp_path / "scan.dcm"
    bad.write_text("this is not dicom")
    w.load(bad)
    qtbot.waitUntil(lambda: w.last_error is not None, timeout=30000)
    assert w.last_error == "file scan.dcm is not DICOM or a supported image file"
    boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "not DICOM" in boxes[0].text()


def test_drop_opens_folder(qtbot, settings, small_case):
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent

    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(small_case.noncontrast))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    w.dropEvent(event)
    qtbot.waitUntil(lambda: w.volume is not None, timeout=30000)
    assert "non-contrast" in w.windowTitle()


def test_layout_and_preset_persist(qtbot, settings, phantom_volumes):
    from tests.support.viewer import open_window
    from viewer.model.layout import Layout

    w = open_window(qtbot, settings, phantom_volumes[0])
    w.state.set_layout(Layout.ONE)
    w.apply_preset("lung")
    w.close()
    again = open_window(qtbot, settings, phantom_volumes[0])
    assert again.state.layout is Layout.ONE
    assert again.state.window == WindowLevel(1500, -600)
    assert len(again.grid.visible_widgets()) == 1


def test_screenshot_command(small_case, tmp_path):
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-m", "viewer", "view", str(small_case.noncontrast), "--screenshot",
         str(out), "--size", "900x300", "--preset", "bone"],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert image.width() > 800 and image.height() > 200
    ptr = image.convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(ptr.constBits(), np.uint8).reshape(ptr.height(), ptr.bytesPerLine())
    assert pixels.max() == 255 and pixels.mean() > 5  # bone is white, not a black frame


def test_screenshot_command_fails_clearly(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "viewer", str(tmp_path), "--screenshot",
                           str(tmp_path / "x.png")], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 2
    assert "no CT images found" in proc.stderr


def test_no_path_generates_and_opens_demo_case(tmp_path):
    """`dcreview` with no PATH builds the demo in the per-user cache and shows it."""
    import os

    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    out = tmp_path / "demo.png"
    proc = subprocess.run([sys.executable, "-m", "viewer", "--screenshot", str(out),
                           "--size", "900x300"], capture_output=True, text=True, timeout=300,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    cached = list((tmp_path / "cache" / "dcreview").glob("demo-v*/noncontrast/*.dcm"))
    assert len(cached) == 112
    assert QImage(str(out)).width() > 800


def test_first_start_fills_most_of_the_screen(qtbot):
    """Without remembered geometry the window takes 90 % of the screen's free area, centred."""
    import tempfile

    from PySide6.QtCore import QSettings

    from viewer.review.settings import ViewerSettings
    from viewer.views.application import SCREEN_FRACTION

    path = tempfile.mkdtemp() + "/fresh.ini"
    w = MainWindow(ViewerSettings(QSettings(path, QSettings.Format.IniFormat)))
    qtbot.addWidget(w)
    area = w.screen().availableGeometry()
    assert w.width() == max(640, int(area.width() * SCREEN_FRACTION))
    assert w.height() == max(480, int(area.height() * SCREEN_FRACTION))
    assert abs(w.frameGeometry().center().x() - area.center().x()) <= 2
