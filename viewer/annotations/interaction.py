"""Drawing and editing annotations with the mouse in one slice view (no Qt types).

The slice view turns mouse events into world points on its plane and hands them here first;
whatever this does not consume (a click away from every shape with no tool) navigates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from inference.annotations.model import Annotation, Kind
from viewer.annotations.draft import Draft, Frame, Hit, edited, pick
from viewer.annotations.drawing import AnnotationDrawing
from viewer.annotations.text import label_text
from viewer.model.state import ViewerState

PICK_PX = 6.0  # how near (in screen pixels) a click must be to grab a shape


class PlaneHost(Protocol):
    """What the interaction needs to know of the view it works in."""

    def plane_frame(self) -> Frame | None:
        """Right, up and look directions of the view (None: nothing shown)."""

    def plane_origin(self) -> np.ndarray:
        """A world point on the displayed slice plane."""

    def mm_per_px(self) -> float:
        """Size of one screen pixel in mm at the current zoom."""

    def half_thickness(self) -> float:
        """Half the slice thickness (mm): shapes this near the plane are drawn on it."""

    def render(self) -> None:
        """Repaint the view."""

    def text_boxes(self) -> list[tuple[float, float, float, float]]:
        """Display boxes of the view's own texts, which labels keep off."""


class AnnotationInput:
    """The half-drawn shape and the drag being edited in one view, and their drawing."""

    def __init__(self, state: ViewerState, host: PlaneHost, drawing: AnnotationDrawing,
                 note_requested: Callable[[Annotation], None]) -> None:
        self.state = state
        self.host = host
        self.drawing = drawing
        self.note_requested = note_requested
        self.draft: Draft | None = None
        self.preview: Annotation | None = None
        self._gesture: str | None = None  # "draw" or "edit" while the button is down
        self._grab: tuple[Hit, np.ndarray] | None = None

    @property
    def drafting(self) -> bool:
        """Whether a shape is half drawn or being dragged."""
        return self.preview is not None or bool(self.draft is not None and self.draft.points)

    def cancel(self) -> None:
        """Drop a half-drawn shape (Esc, or another tool chosen)."""
        self.draft = None
        self.preview = None
        self.host.render()

    # -- mouse ---------------------------------------------------------------------------------
    def press(self, point: np.ndarray, may_select: bool = True) -> bool:
        """A left press at ``point``: draw with the active tool, or grab a shape.

        Returns whether the press was consumed; if not, it navigates (sets the crosshair).
        """
        frame = self.host.plane_frame()
        ann = self.state.annotations
        if frame is None:
            return False
        if ann.tool is not None:
            if self.draft is None or self.draft.kind is not ann.tool:
                self.draft = Draft(ann.tool, frame)
            self._gesture = "draw"
            done = self.draft.press(point)
            self.preview = self.draft.preview()
            if done is not None:
                self._commit(done)
            else:
                self.host.render()
            return True
        if not may_select:
            return False
        hit = self._pick(point, frame)
        if hit is not None:
            ann.select(hit.annotation_id)
            self._gesture, self._grab = "edit", (hit, point)
            return True
        ann.select(None)
        return False

    def drag(self, point: np.ndarray | None) -> bool:
        """The mouse moved with the button down; returns whether this was a drawing gesture."""
        if self._gesture == "draw" and self.draft is not None:
            if point is not None:
                self.draft.move(point)
                self.preview = self.draft.preview()
                self.host.render()
            return True
        if self._gesture == "edit" and self._grab is not None:
            hit, grabbed = self._grab
            current = self.state.annotations.get(hit.annotation_id)
            if current is not None and point is not None:
                self.preview = edited(current, hit, grabbed, point)
                self.host.render()
            return True
        return False

    def release(self) -> bool:
        """The button came up; a drag-drawn shape is finished, an edit is one undo step."""
        gesture, self._gesture, self._grab = self._gesture, None, None
        if gesture == "draw" and self.draft is not None and self.draft.moving is not None:
            done = self.draft.release(self.draft.moving)
            if done is not None:
                self._commit(done)
            elif not self.draft.points:
                self.preview = None
                self.host.render()
            return True
        if gesture == "edit" and self.preview is not None:
            shape, self.preview = self.preview, None
            self.state.annotations.replace(shape)
            self.host.render()
            return True
        return gesture is not None

    def hover(self, point: np.ndarray | None) -> None:
        """Rubber-band the next vertex of a shape drawn by clicks."""
        if self.draft is not None and self.draft.points and self._gesture is None and (
                point is not None):
            self.draft.move(point)
            self.preview = self.draft.preview()
            self.host.render()

    def double_click(self) -> bool:
        """Close a polygon; returns whether the double click was used."""
        if self.draft is None or self.draft.kind is not Kind.POLYGON:
            return False
        points = self.draft.points
        # The double click's first press already added a vertex at the same place.
        if len(points) > 3 and np.allclose(points[-1], points[-2], atol=1.0):
            points.pop()
        self._commit(self.draft.finish())
        return True

    # -- keys ----------------------------------------------------------------------------------
    def finish(self) -> bool:
        """Enter: close the shape being drawn."""
        if self.draft is None:
            return False
        self._commit(self.draft.finish())
        return True

    def escape(self) -> bool:
        """Esc: drop the shape being drawn."""
        if self.draft is None and self.preview is None:
            return False
        self.cancel()
        return True

    # -- drawing -------------------------------------------------------------------------------
    def draw(self) -> None:
        """Place the outlines and labels of every shape through this view's plane."""
        ann = self.state.annotations
        frame = self.host.plane_frame()
        if frame is None or (not ann.set.items and self.preview is None):
            self.drawing.hide()
            return
        layers = self.state.layers()
        self.drawing.update(
            ann.items, ann.selected, self.preview, self.host.plane_origin(), frame.look,
            frame.right, frame.up, self.host.half_thickness(), self.host.mm_per_px(),
            lambda a: label_text(a, ann.stats(a, layers),
                                 detailed=a.id == ann.selected or a is self.preview),
            self.host.text_boxes())

    def _pick(self, point: np.ndarray, frame: Frame) -> Hit | None:
        visible = [a for a in self.state.annotations.items if a.id in self.drawing.shown_ids]
        return pick(visible, point, self.host.plane_origin(), frame.look,
                    PICK_PX * self.host.mm_per_px())

    def _commit(self, annotation: Annotation | None) -> None:
        self.preview = None
        if annotation is None:
            self.host.render()
            return
        self.draft = None
        if annotation.kind is Kind.NOTE and not annotation.text:
            self.host.render()
            self.note_requested(annotation)
            return
        self.state.annotations.add(annotation)  # views redraw on the change event
