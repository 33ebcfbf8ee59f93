"""What a slice view does with the mouse, the wheel and the keys: scroll, zoom, pan, set the
crosshair, drag window/level, and hand presses to the annotation tools first. A mixin of
``SliceView`` (which holds the state, the camera, the frame and the annotations input)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence

from viewer.model.shortcuts import keys
from viewer.model.window_level import WindowLevel

ZOOM_STEP = 1.15


def _qt_key(text: str) -> Qt.Key:
    return QKeySequence(text)[0].key()


# Keys a slice view handles itself (the rest are the window's shortcuts), from the one table.
SCROLL_KEYS = {_qt_key(k): step for name, steps in (("slice", (1, -1)), ("page", (10, -10)))
               for k, step in zip(keys(name), steps, strict=True)}
FINISH_KEYS = {_qt_key(k) for k in keys("finish")}


class SliceInput:
    """Navigation and input handlers of a slice view."""

    def scroll(self, steps: int) -> None:
        """Move ``steps`` slices along the view normal (clamped), moving the shared cursor."""
        if self.volume is None or self.frame is None:
            return
        axis = self.frame.axis
        ijk = self.volume.world_to_index(self.state.cursor)
        ijk[axis] = float(np.clip(np.rint(ijk[axis]) + steps, 0, self.slice_count() - 1))
        target = self.volume.index_to_world(ijk)
        # Only the component along this view's normal changes; the in-plane cursor stays.
        cursor = self.state.cursor + self.frame.look * float(
            np.dot(self.frame.look, target - self.state.cursor))
        self.state.set_cursor(cursor, self.plane)

    def zoom(self, factor: float) -> None:
        """Zoom in (factor > 1) or out around the view centre."""
        self.camera.SetParallelScale(self.camera.GetParallelScale() / factor)

    def pan(self, dx: float, dy: float) -> None:
        """Shift the image by (dx, dy) display pixels."""
        if self.frame is None:
            return
        mm_per_px = 2 * self.camera.GetParallelScale() / max(1, self._height_px())
        shift = -(self.frame.right * dx + self.frame.up * dy) * mm_per_px
        self.camera.SetFocalPoint(*(np.asarray(self.camera.GetFocalPoint()) + shift))
        self.camera.SetPosition(*(np.asarray(self.camera.GetPosition()) + shift))

    def _height_px(self) -> float:
        return self.height() * self.devicePixelRatioF()

    # -- input -------------------------------------------------------------------------------
    def _on_press(self, button, modifiers, xy) -> None:
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        left = button == Qt.MouseButton.LeftButton
        if left and self.texts.warning_hit(*xy):
            self.details_requested.emit()  # the domain warning: its findings in full
            return
        point = self.world_at_display(*xy)
        # Annotation tools and shapes come first; what they leave navigates.
        if left and not ctrl and point is not None and self.annotations.press(
                point, may_select=not shift):
            return
        if left and not ctrl:
            self._drag = ("crosshair", xy, None)
            self._set_cursor_at(*xy)
        elif button == Qt.MouseButton.RightButton or (left and ctrl):
            self._drag = ("window", xy, self.state.window)
        elif button == Qt.MouseButton.MiddleButton:
            self._drag = ("pan", xy, None)

    def _on_drag(self, _buttons, _modifiers, xy) -> None:
        if self.annotations.drag(self.world_at_display(*xy)) or self._drag is None:
            return
        kind, start, origin = self._drag
        if kind == "crosshair":
            self._set_cursor_at(*xy)
        elif kind == "window":
            w: WindowLevel = origin
            scale = max(1.0, w.width / 256.0)
            # Display y grows upward: dragging down (negative dy) raises the level.
            self.state.set_window(w.dragged(xy[0] - start[0], start[1] - xy[1], scale))
        elif kind == "pan":
            self.pan(xy[0] - start[0], xy[1] - start[1])
            self._drag = ("pan", xy, None)
            self.render()

    def _on_release(self, _button) -> None:
        self._drag = None
        self.annotations.release()

    def _on_hover(self, xy) -> None:
        self._hover_xy = xy
        point = self.world_at_display(*xy)
        self.hovered.emit(point)
        if self._drag is None:
            self.annotations.hover(point)

    def _on_double_click(self) -> None:
        if not self.annotations.double_click():
            self.maximise_requested.emit()

    def _set_cursor_at(self, x: float, y: float) -> None:
        point = self.world_at_display(x, y)
        if point is not None:
            self.state.set_cursor(point, self.plane)

    def _on_wheel(self, notches: int, modifiers) -> None:
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            self.zoom(ZOOM_STEP ** notches)
            self.render()
        else:
            self.scroll(notches)
        self._refresh_hover()

    def _refresh_hover(self) -> None:
        # The mouse did not move but the slice under it did: the readout must follow.
        if self._hover_xy is not None:
            self.hovered.emit(self.world_at_display(*self._hover_xy))

    def _on_key(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        used = ((key in FINISH_KEYS and self.annotations.finish())
                or (key == Qt.Key.Key_Escape and self.annotations.escape())
                or (key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
                    and self.state.annotations.delete_selected()))
        steps = SCROLL_KEYS.get(key)
        if not used and steps is not None:
            self.scroll(steps)
            self._refresh_hover()
            used = True
        if used:
            event.accept()
        else:
            event.ignore()

