"""The VTK render widget with dcreview's own mouse handling instead of a VTK interactor style."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QWidget
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleUser


class SliceCanvas(QVTKRenderWindowInteractor):
    """Emits Qt-level input as signals; VTK sees no mouse events, so it never acts on its own.

    Positions are in device pixels with the origin at the bottom-left, as VTK expects.
    """

    pressed = Signal(object, object, object)  # button, modifiers, (x, y)
    dragged = Signal(object, object, object)  # buttons, modifiers, (x, y)
    released = Signal(object)  # button
    hovered = Signal(object)  # (x, y)
    wheeled = Signal(int, object)  # notches (+ away from user), modifiers
    double_clicked = Signal()
    key_pressed = Signal(object)  # QKeyEvent

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.GetRenderWindow().GetInteractor().SetInteractorStyle(vtkInteractorStyleUser())
        self._wheel_rest = 0

    def _xy(self, event: QMouseEvent) -> tuple[float, float]:
        ratio = self.devicePixelRatioF()
        p = event.position()
        return p.x() * ratio, (self.height() - 1 - p.y()) * ratio

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Start of a click or drag."""
        self.setFocus()
        self.pressed.emit(event.button(), event.modifiers(), self._xy(event))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Drag when a button is held, hover otherwise."""
        if event.buttons() != Qt.MouseButton.NoButton:
            self.dragged.emit(event.buttons(), event.modifiers(), self._xy(event))
        self.hovered.emit(self._xy(event))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """End of a drag."""
        self.released.emit(event.button())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Maximise/restore request."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.double_clicked.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Whole notches only (touchpads send many small steps)."""
        self._wheel_rest += event.angleDelta().y()
        notches = int(self._wheel_rest / 120)
        if notches:
            self._wheel_rest -= notches * 120
            self.wheeled.emit(notches, event.modifiers())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Keys go to the view; unhandled ones propagate to the window's shortcuts."""
        self.key_pressed.emit(event)
        if not event.isAccepted():
            super(QVTKRenderWindowInteractor, self).keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        """Not forwarded to VTK."""
        event.ignore()

    def enterEvent(self, event) -> None:
        """Not forwarded to VTK."""

    def leaveEvent(self, event) -> None:
        """Not forwarded to VTK."""
