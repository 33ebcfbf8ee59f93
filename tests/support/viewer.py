"""Helpers that drive the real review window: open it on volumes, read its pixels, send it
mouse and wheel events."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from viewer.model.layout import Role
from viewer.review.main_window import MainWindow
from viewer.views.application import application  # noqa: F401  (configures VTK's Qt binding first)
from viewer.views.screenshot import capture

AORTA = np.array([12.0, 28.0, 60.0])  # LPS mm: the phantom's aorta above the aneurysm
SUBCUTANEOUS_FAT = np.array([0.0, -106.0, 60.0])


def red_text_pixels(pixels: np.ndarray) -> int:
    """Pixels of the red SYNTHETIC banner colour in the top strip of a capture."""
    top = pixels[: 30].astype(int)
    return int(((top[..., 0] > 200) & (top[..., 1] < 110) & (top[..., 2] < 110)).sum())


def empty_window(qtbot, settings, size=(1200, 460)) -> MainWindow:
    """Show the real main window with nothing open (the start page)."""
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    QApplication.processEvents()
    return w


def open_window(qtbot, settings, base, overlay=None, compare=None, size=(1200, 460),
                crosshair: bool = False) -> MainWindow:
    """Show the real main window with the given series, cursor on the aorta.

    The crosshair is hidden unless asked for: it passes through the cursor, which is where
    most pixel assertions look.
    """
    w = empty_window(qtbot, settings, size)
    w.show_volume(base)
    if overlay is not None:
        w.show_volume(overlay, role=Role.OVERLAY)
    if compare is not None:
        w.show_volume(compare, role=Role.COMPARE)
    QApplication.processEvents()
    w.state.set_cursor(AORTA)
    w.act_crosshair.setChecked(crosshair)
    w.grid.set_crosshair_visible(crosshair)
    w.grid.render_all()
    return w


def pixel_at(view, point: np.ndarray, reduce=np.mean) -> np.ndarray:
    """Displayed RGB in a 3x3 patch around a world point (mean, or e.g. max for thin lines)."""
    pixels = capture(view.render_window)
    x, y = view.display_of_world(point)
    row, col = pixels.shape[0] - 1 - round(y), round(x)
    return reduce(pixels[row - 1:row + 2, col - 1:col + 2].reshape(-1, 3), axis=0)


def grey_at(view, point: np.ndarray) -> float:
    """Displayed grey (red channel) around a world point."""
    return float(pixel_at(view, point)[0])


def qt_pos(view, point: np.ndarray) -> QPointF:
    """Widget coordinates (Qt, origin top-left) of a world point in a view."""
    x, y = view.display_of_world(point)
    return QPointF(x, view.canvas.height() - 1 - y)


def mouse(widget, kind: QEvent.Type, pos: QPointF, button=Qt.MouseButton.NoButton,
          buttons=Qt.MouseButton.NoButton, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Send one real QMouseEvent to a widget."""
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def drag(widget, start: QPointF, end: QPointF, button: Qt.MouseButton,
         modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Press, move in steps, release."""
    mouse(widget, QEvent.Type.MouseButtonPress, start, button, button, modifiers)
    for t in (0.33, 0.66, 1.0):
        p = QPointF(start.x() + (end.x() - start.x()) * t, start.y() + (end.y() - start.y()) * t)
        mouse(widget, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, button, modifiers)
    mouse(widget, QEvent.Type.MouseButtonRelease, end, button, Qt.MouseButton.NoButton, modifiers)


def wheel(widget, steps: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Send wheel notches (+ = away from the user)."""
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(pos, widget.mapToGlobal(pos), QPointF(0, 0).toPoint(),
                        QPointF(0, 120 * steps).toPoint(), Qt.MouseButton.NoButton, modifiers,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)
