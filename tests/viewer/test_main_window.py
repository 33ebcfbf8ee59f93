"""Drive the real main window: rendered pixels at known anatomy, scrolling, W/L, presets."""

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from inference.study_loader import open_volume
from viewer.app import application  # noqa: F401  (configures VTK's Qt binding first)
from viewer.main_window import MainWindow
from viewer.screenshot import capture
from viewer.view_orientation import Plane
from viewer.window_level import WindowLevel

pytestmark = pytest.mark.gui

AORTA = np.array([12.0, 28.0, 60.0])  # LPS mm: the phantom's aorta above the aneurysm
SUBCUTANEOUS_FAT = np.array([0.0, -106.0, 60.0])
# Air outside the body, one point in each view's plane through the aorta.
OUTSIDE = {Plane.AXIAL: np.array([0.0, -150.0, 60.0]),
           Plane.CORONAL: np.array([-185.0, 28.0, 60.0]),
           Plane.SAGITTAL: np.array([12.0, -150.0, 60.0])}


@pytest.fixture
def window(qtbot, small_case):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1200, 420)
    w.show()
    qtbot.waitExposed(w)
    w.show_volume(open_volume(small_case.noncontrast).volume)
    for view in w.views.values():
        view.move_to(AORTA)
    w.render_all()
    return w


def grey_at(view, point: np.ndarray) -> float:
    """Mean displayed grey (red channel) in a 3x3 patch around a world point."""
    pixels = capture(view.render_window)
    x, y = view.display_of_world(point)
    row, col = pixels.shape[0] - 1 - round(y), round(x)
    return float(pixels[row - 1:row + 2, col - 1:col + 2, 0].mean())


def test_all_views_render_known_anatomy(window):
    wl = window.views[Plane.AXIAL].window()
    assert wl == WindowLevel(400, 40)  # the series' own DICOM window
    for view in window.views.values():
        aorta = grey_at(view, AORTA)
        assert aorta == pytest.approx(wl.grey(40), abs=30), view.plane
        assert grey_at(view, OUTSIDE[view.plane]) < 5, view.plane
    fat = grey_at(window.views[Plane.AXIAL], SUBCUTANEOUS_FAT)
    assert fat == pytest.approx(wl.grey(-100), abs=25)


def test_contrast_scan_shows_bright_aorta(window, small_case):
    window.show_volume(open_volume(small_case.contrast).volume)
    window.views[Plane.AXIAL].move_to(AORTA)
    assert grey_at(window.views[Plane.AXIAL], AORTA) > 240


def wheel(widget, steps: int) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_wheel_scrolls_only_that_view(window):
    axial, coronal = window.views[Plane.AXIAL], window.views[Plane.CORONAL]
    before = capture(axial.render_window)
    k0, j0 = axial.slice_index(), coronal.slice_index()
    wheel(axial.vtk_widget, 1)
    assert axial.slice_index() == k0 + 1
    wheel(axial.vtk_widget, -1)
    wheel(axial.vtk_widget, -1)
    assert axial.slice_index() == k0 - 1
    assert coronal.slice_index() == j0
    assert not np.array_equal(capture(axial.render_window), before)
    for _ in range(100):
        wheel(axial.vtk_widget, -1)
    assert axial.slice_index() == 0  # clamped at the first slice


def test_left_drag_changes_window_in_every_view(window, qtbot):
    axial, sagittal = window.views[Plane.AXIAL], window.views[Plane.SAGITTAL]
    fat_before = grey_at(axial, SUBCUTANEOUS_FAT)
    widget = axial.vtk_widget
    start = QPoint(widget.width() // 2, widget.height() // 2)
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(widget, start + QPoint(-60, -40))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=start + QPoint(-60, -40))
    changed = axial.window()
    assert changed != WindowLevel(400, 40)
    assert sagittal.window() == changed
    assert grey_at(axial, SUBCUTANEOUS_FAT) != pytest.approx(fat_before, abs=3)


def test_number_keys_apply_presets(window, qtbot):
    # Window shortcuts need an active window (on X11 there is no window manager under Xvfb).
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.views[Plane.CORONAL].window() == WindowLevel(600, 170)
    qtbot.keyClick(window, Qt.Key.Key_4)
    assert window.views[Plane.AXIAL].window() == WindowLevel(1800, 400)


def test_hover_reports_hu(window, qtbot):
    axial = window.views[Plane.AXIAL]
    x, y = axial.display_of_world(AORTA)
    pos = QPointF(x, axial.vtk_widget.height() - 1 - y)
    move = QMouseEvent(QEvent.Type.MouseMove, pos, axial.vtk_widget.mapToGlobal(pos),
                       Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(axial.vtk_widget, move)
    text = window.position_label.text()
    assert "HU" in text
    hu = float(text.split()[-2])
    assert hu == pytest.approx(40, abs=40)


def test_background_load_and_readable_error(qtbot, small_case, tmp_path):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(900, 360)
    w.show()
    w.load(small_case.contrast)
    qtbot.waitUntil(lambda: w.volume is not None, timeout=30000)
    assert "arterial" in w.windowTitle()
    bad = tmp_path / "scan.dcm"
    bad.write_text("this is not dicom")
    w.load(bad)
    qtbot.waitUntil(lambda: w.last_error is not None, timeout=30000)
    assert w.last_error == "file scan.dcm is not DICOM or a supported image file"
    boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "not DICOM" in boxes[0].text()


def test_screenshot_command(small_case, tmp_path):
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-m", "viewer", str(small_case.noncontrast), "--screenshot", str(out),
         "--size", "900x300", "--preset", "bone"],
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
