"""One slice view: a series (plus, optionally, the digital-contrast overlay) through the cursor."""

from __future__ import annotations

import math

import numpy as np
import vtkmodules.vtkRenderingFreeType
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (render window implementation)
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkImageData, vtkPolyData
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkActor2D,
    vtkCamera,
    vtkImageActor,
    vtkPolyDataMapper,
    vtkPolyDataMapper2D,
    vtkRenderer,
    vtkTextActor,
)

from inference.annotations.model import Annotation, Kind
from inference.volume import Volume
from viewer.annotation_draft import Draft, Frame, Hit, edited, pick
from viewer.annotation_overlay import AnnotationOverlay
from viewer.annotation_text import label_text
from viewer.canvas import SliceCanvas
from viewer.compositor import Blend, LutCache, compose, extract, slice_geometry
from viewer.enhancement import SubtractionCache
from viewer.layout import Cell, Role
from viewer.state import OverlayMode, ViewerState
from viewer.view_orientation import Plane, ViewFrame, view_frame
from viewer.vtk_panel import VtkPanel
from viewer.window_level import WindowLevel

ORIENTATION_COLOUR = (1.0, 0.85, 0.3)
PLANE_COLOURS = {Plane.AXIAL: (0.95, 0.3, 0.3), Plane.CORONAL: (0.3, 0.85, 0.3),
                 Plane.SAGITTAL: (0.95, 0.85, 0.2)}
SYNTHETIC_TEXT = "SYNTHETIC - AI-generated digital contrast"
PHANTOM_MODEL_TEXT = "demo model trained on synthetic phantoms:\nnot for clinical use"


def synthetic_banner(volume: Volume | None) -> str:
    """The banner for synthetic pixels, naming a phantom-trained model as such."""
    if volume is not None and volume.provenance.get("synthetic_phantoms_only"):
        return f"{SYNTHETIC_TEXT}\n{PHANTOM_MODEL_TEXT}"
    return SYNTHETIC_TEXT
CAMERA_DISTANCE = 1000.0
ZOOM_STEP = 1.15
BLENDS = {OverlayMode.SYNTHETIC: Blend.GREY, OverlayMode.ENHANCEMENT: Blend.COLOUR,
          OverlayMode.SWIPE: Blend.SWIPE, OverlayMode.DIFFERENCE: Blend.DIVERGING}


def _text(renderer: vtkRenderer, size: int = 14, colour=ORIENTATION_COLOUR) -> vtkTextActor:
    actor = vtkTextActor()
    prop = actor.GetTextProperty()
    prop.SetFontSize(size)
    prop.SetBold(True)
    prop.SetColor(*colour)
    prop.SetJustificationToCentered()
    prop.SetVerticalJustificationToCentered()
    prop.SetShadow(True)
    actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    renderer.AddViewProp(actor)
    return actor


def nice_length(mm: float) -> float:
    """Largest 1/2/5 x 10^n not above ``mm`` (scale bar lengths)."""
    if mm <= 0:
        return 0.0
    exp = math.floor(math.log10(mm))
    for m in (5, 2, 1):
        if m * 10**exp <= mm:
            return float(m * 10**exp)
    return float(10**exp)


class SliceView(VtkPanel):
    """Shows ``cell.role``'s series resliced through the shared cursor, perpendicular to a plane.

    Cameras are shared between views of the same plane, so zoom, pan and slice position are
    linked across series. The pixels are composed in numpy (see viewer.compositor) and shown
    as one texture placed in patient space; VTK only paints.
    """

    hovered = Signal(object)  # world point under the mouse, or None
    maximise_requested = Signal()
    note_requested = Signal(object)  # a NOTE annotation still without text

    def __init__(self, cell: Cell, state: ViewerState, camera: vtkCamera, luts: LutCache,
                 enhancement: SubtractionCache, difference: SubtractionCache,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert cell.plane is not None
        self.cell = cell
        self.plane: Plane = cell.plane
        self.state = state
        self.frame: ViewFrame | None = None
        self.volume: Volume | None = None
        self.crosshair_visible = True
        self._drag: tuple[str, tuple[float, float], object] | None = None
        self.luts = luts
        self.enhancement = enhancement
        self.difference = difference
        self.overlay_drawn = False
        self._composed_key: tuple | None = None
        self.rgb = np.zeros((1, 1, 3), dtype=np.uint8)
        self._line_colours: tuple[tuple[float, ...], ...] = ((1, 1, 1), (1, 1, 1))

        self.canvas = SliceCanvas(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0, 0, 0)
        self.renderer.SetActiveCamera(camera)
        self.render_window.AddRenderer(self.renderer)
        # Multisampling doubles the cost of every frame under software GL and buys nothing
        # for images; lines stay crisp at one pixel.
        self.render_window.SetMultiSamples(0)

        self.image = vtkImageData()
        self.actor = vtkImageActor()
        self.actor.GetMapper().SetInputData(self.image)
        self.actor.InterpolateOn()
        self.actor.SetVisibility(False)
        self._matrix = vtkMatrix4x4()
        self.actor.SetUserMatrix(self._matrix)
        self.renderer.AddActor(self.actor)
        self._crosshair = [self._line_actor(), self._line_actor()]
        self._scale_bar, self._scale_points = self._scale_bar_actor()
        self._labels = {edge: _text(self.renderer) for edge in ("left", "right", "top", "bottom")}
        self.info = _text(self.renderer, 13, (0.9, 0.9, 0.9))
        self.info.GetTextProperty().SetJustificationToLeft()
        self.info.GetTextProperty().SetVerticalJustificationToBottom()
        self.info.SetPosition(0.01, 0.01)
        self.synthetic_label = _text(self.renderer, 16, (1.0, 0.25, 0.25))
        self.synthetic_label.GetTextProperty().SetJustificationToLeft()
        self.synthetic_label.GetTextProperty().SetVerticalJustificationToTop()
        self.synthetic_label.GetTextProperty().SetBackgroundColor(0, 0, 0)
        self.synthetic_label.GetTextProperty().SetBackgroundOpacity(0.6)
        self.synthetic_label.SetInput(SYNTHETIC_TEXT)
        self.synthetic_label.SetPosition(0.01, 0.99)
        self.scale_text = _text(self.renderer, 12, (0.9, 0.9, 0.9))
        self.annotation_overlay = AnnotationOverlay(self.renderer)
        self._draft: Draft | None = None
        self._preview: Annotation | None = None
        self.renderer.AddObserver("StartEvent", lambda *_: self._update_scale_bar())

        self.canvas.pressed.connect(self._on_press)
        self.canvas.dragged.connect(self._on_drag)
        self.canvas.released.connect(self._on_release)
        self.canvas.hovered.connect(self._on_hover)
        self.canvas.wheeled.connect(self._on_wheel)
        self.canvas.double_clicked.connect(self._on_double_click)
        self.canvas.key_pressed.connect(self._on_key)

    # -- construction helpers ----------------------------------------------------------------
    def _line_actor(self) -> vtkActor:
        poly = vtkPolyData()
        points = vtkPoints()
        points.SetNumberOfPoints(2)
        poly.SetPoints(points)
        lines = vtkCellArray()
        lines.InsertNextCell(2)
        lines.InsertCellPoint(0)
        lines.InsertCellPoint(1)
        poly.SetLines(lines)
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(poly)
        actor = vtkActor()
        actor.SetMapper(mapper)
        actor.GetProperty().SetLineWidth(1.0)
        # Opaque on purpose: any translucent prop adds a whole translucent render pass.
        actor.SetVisibility(False)
        self.renderer.AddActor(actor)
        return actor

    def _scale_bar_actor(self) -> tuple[vtkActor2D, vtkPoints]:
        poly = vtkPolyData()
        points = vtkPoints()
        points.SetNumberOfPoints(4)
        poly.SetPoints(points)
        lines = vtkCellArray()
        for a, b in ((0, 1), (0, 2), (1, 3)):
            lines.InsertNextCell(2)
            lines.InsertCellPoint(a)
            lines.InsertCellPoint(b)
        poly.SetLines(lines)
        mapper = vtkPolyDataMapper2D()
        mapper.SetInputData(poly)
        actor = vtkActor2D()
        actor.SetMapper(mapper)
        actor.GetProperty().SetColor(0.9, 0.9, 0.9)
        actor.SetVisibility(False)
        self.renderer.AddViewProp(actor)
        return actor, points

    # -- content -------------------------------------------------------------------------------
    def refresh_content(self) -> None:
        """Re-read the series for this view's role and the overlay from the state."""
        volume = self.state.volumes.get(self.cell.role)
        if volume is not self.volume:
            self.volume = volume
            self._composed_key = None
            if volume is None:
                self.frame = None
                self.actor.SetVisibility(False)
            else:
                self.frame = view_frame(self.plane, volume.geometry)
                self._line_colours = self._crosshair_colours(volume)
                for edge, text in self.frame.edge_labels().items():
                    self._labels[edge].SetInput(text)
                positions = {"left": (0.025, 0.5), "right": (0.975, 0.5), "top": (0.5, 0.92),
                             "bottom": (0.5, 0.1)}
                for edge, pos in positions.items():
                    self._labels[edge].SetPosition(*pos)
        self.refresh_overlay()
        self.refresh_cursor()

    def refresh_overlay(self) -> None:
        """Overlay visibility and the SYNTHETIC label; pixels are recomposed at the next render."""
        st = self.state
        self.overlay_drawn = (self.cell.overlay and self.cell.role is Role.BASE
                              and st.overlay is not None and st.base is not None
                              and st.overlay_visible)
        shown = self.state.volumes.get(self.cell.role)
        source = shown if shown is not None and shown.synthetic else st.overlay
        banner = synthetic_banner(source)
        visible = st.shows_synthetic(self.cell.role, self.overlay_drawn)
        self.synthetic_label.SetInput(banner)
        self.synthetic_label.SetVisibility(visible)
        # Keep the top orientation letter readable below the banner's lines.
        lines = banner.count("\n") + 1 if visible else 0
        self._labels["top"].SetPosition(0.5, 0.92 - 0.045 * lines)
        self._update_info()

    def _swipe_column(self, geometry) -> tuple[float, bool]:
        """Column of the slice under the swipe line, and whether higher columns lie right."""
        assert self.frame is not None
        x = self.state.swipe_position * self.width() * self.devicePixelRatioF()
        point = self.world_at_display(x, 0.5 * self._height_px())
        col_vec = geometry.matrix[:3, 0]
        if point is None:
            return 0.0, True
        col = float(np.linalg.lstsq(geometry.matrix[:3, :3], point - geometry.matrix[:3, 3],
                                    rcond=None)[0][0])
        return col, bool(np.dot(col_vec, self.frame.right) > 0)

    def before_render(self) -> None:
        """Compose the pixels (if anything changed) right before painting."""
        self.compose()
        self._draw_annotations()

    # -- annotations ---------------------------------------------------------------------------
    def _mm_per_px(self) -> float:
        return 2 * self.camera.GetParallelScale() / max(1.0, self._height_px())

    def _half_thickness(self) -> float:
        assert self.volume is not None and self.frame is not None
        return max(0.5, 0.5 * float(self.volume.geometry.spacing[self.frame.axis]))

    def _draw_annotations(self) -> None:
        ann = self.state.annotations
        if self.frame is None or (not ann.set.items and self._preview is None):
            for actor in self.annotation_overlay.actors.values():
                actor.SetVisibility(False)
            for t in self.annotation_overlay.labels:
                t.SetVisibility(False)
            self.annotation_overlay.shown_ids = []
            return
        layers = self.state.layers()
        self.annotation_overlay.update(
            ann.items, ann.selected, self._preview, self.cursor, self.frame.look,
            self.frame.right, self.frame.up, self._half_thickness(), self._mm_per_px(),
            lambda a: label_text(a, ann.stats(a, layers)))

    def _frame(self) -> Frame:
        assert self.frame is not None
        return Frame(self.frame.right, self.frame.up, self.frame.look)

    @property
    def drafting(self) -> bool:
        """Whether a shape is half drawn or being dragged in this view."""
        return self._preview is not None or bool(self._draft is not None and self._draft.points)

    def cancel_draft(self) -> None:
        """Drop a half-drawn shape (Esc, or another tool chosen)."""
        self._draft = None
        self._preview = None
        self.render()

    def _commit(self, annotation: Annotation | None) -> None:
        self._preview = None
        if annotation is None:
            self.render()
            return
        if annotation.kind is Kind.NOTE and not annotation.text:
            self._draft = None
            self.render()
            self.note_requested.emit(annotation)
            return
        self._draft = None
        self.state.annotations.add(annotation)  # views redraw on the change event

    def _pick(self, point: np.ndarray) -> Hit | None:
        ann = self.state.annotations
        visible = [a for a in ann.items if a.id in self.annotation_overlay.shown_ids]
        return pick(visible, point, self.cursor, self.frame.look, 6 * self._mm_per_px())

    def compose(self) -> None:
        """Recompose this view's pixels if anything they depend on changed."""
        if self.volume is None or self.frame is None:
            return
        st = self.state
        axis = self.frame.axis
        index = self.slice_index()
        inside = 0 <= index < self.slice_count()
        mode = st.overlay_mode
        swipe = None
        geometry = slice_geometry(self.volume, axis, index) if inside else None
        if inside and self.overlay_drawn and mode is OverlayMode.SWIPE:
            swipe = self._swipe_column(geometry)
        key = (id(self.volume), axis, index, st.window, self.overlay_drawn,
               id(st.overlay) if self.overlay_drawn else None,
               id(st.volumes.get(Role.COMPARE)),
               (mode, st.overlay_opacity, st.enhancement_threshold, swipe)
               if self.overlay_drawn else None)
        if key == self._composed_key:
            return
        self._composed_key = key
        if not inside:
            self.actor.SetVisibility(False)  # the cursor is beyond this series
            return
        base2d = extract(self.volume.array, axis, index)
        overlay2d = None
        if self.overlay_drawn:
            if mode is OverlayMode.ENHANCEMENT:
                source = self.enhancement.get(st.base, st.overlay)
            elif mode is OverlayMode.DIFFERENCE:
                # Only meaningful once the real scan sits on this grid (registered).
                source = (self.difference.get(st.volumes[Role.COMPARE], st.overlay)
                          if st.compare_on_grid else None)
            else:
                source = st.overlay.array
            overlay2d = None if source is None else extract(source, axis, index)
        rows, cols = base2d.shape
        if self.rgb.shape[:2] != (rows, cols):
            self.rgb = np.zeros((rows, cols, 3), dtype=np.uint8)
            self.image.SetDimensions(cols, rows, 1)
            self.image.GetPointData().SetScalars(numpy_to_vtk(self.rgb.reshape(-1, 3), deep=0))
        compose(base2d, st.window, self.luts, self.rgb, overlay2d, BLENDS[mode],
                st.overlay_opacity, st.enhancement_threshold, swipe)
        self.image.GetPointData().GetScalars().Modified()
        self.image.Modified()
        for r in range(4):
            for c in range(4):
                self._matrix.SetElement(r, c, float(geometry.matrix[r, c]))
        self._matrix.Modified()
        self.actor.SetVisibility(True)

    # -- camera and cursor -------------------------------------------------------------------
    @property
    def camera(self) -> vtkCamera:
        """The camera (shared with the other views of this plane)."""
        return self.renderer.GetActiveCamera()

    def reset_camera(self) -> None:
        """Look at the cursor along the view normal with the whole slice in view."""
        if self.volume is None or self.frame is None:
            return
        cursor = self.state.cursor
        camera = self.camera
        camera.ParallelProjectionOn()
        camera.SetFocalPoint(*cursor)
        camera.SetPosition(*(np.asarray(cursor) - self.frame.look * CAMERA_DISTANCE))
        camera.SetViewUp(*self.frame.up)
        ext = np.asarray(self.volume.geometry.extent_mm(self.volume.shape))
        d = self.volume.geometry.direction_matrix
        up_extent = float(np.abs(d.T @ self.frame.up) @ ext)
        right_extent = float(np.abs(d.T @ self.frame.right) @ ext)
        w, h = max(1, self.width()), max(1, self.height())
        camera.SetParallelScale(0.5 * max(up_extent, right_extent * h / w) * 1.02)
        camera.SetClippingRange(CAMERA_DISTANCE - 600, CAMERA_DISTANCE + 600)
        self._update_info()

    @property
    def cursor(self) -> np.ndarray:
        """World position the slice plane passes through (the camera focal point)."""
        return np.asarray(self.camera.GetFocalPoint())

    def slice_index(self) -> int:
        """Index of the displayed slice along this view's volume axis."""
        assert self.volume is not None and self.frame is not None
        return int(np.rint(self.volume.world_to_index(self.cursor)[self.frame.axis]))

    def slice_count(self) -> int:
        """Number of slices along this view's axis."""
        assert self.volume is not None and self.frame is not None
        return self.volume.shape[2 - self.frame.axis]

    def move_to(self, point: np.ndarray) -> None:
        """Move the slice plane to pass through ``point`` (in-plane pan unchanged)."""
        if self.frame is None:
            return
        camera = self.camera
        fp = np.asarray(camera.GetFocalPoint())
        shift = self.frame.look * float(np.dot(self.frame.look, np.asarray(point) - fp))
        if np.any(np.abs(shift) > 1e-9):
            camera.SetFocalPoint(*(fp + shift))
            camera.SetPosition(*(np.asarray(camera.GetPosition()) + shift))

    def refresh_cursor(self) -> None:
        """Follow the state's cursor: slice plane and crosshair lines."""
        if self.frame is None:
            for line in self._crosshair:
                line.SetVisibility(False)
            return
        self.move_to(self.state.cursor)
        self._place_crosshair()
        self._update_info()

    def _place_crosshair(self) -> None:
        assert self.volume is not None and self.frame is not None
        c = self.state.cursor - self.frame.look * 1.0  # just in front of the image
        half = 0.6 * float(np.linalg.norm(self.volume.geometry.extent_mm(self.volume.shape)))
        right, up = self.frame.right, self.frame.up
        for line, direction, colour in zip(self._crosshair, (right, up), self._line_colours,
                                           strict=True):
            points = line.GetMapper().GetInput().GetPoints()
            points.SetPoint(0, *(c - direction * half))
            points.SetPoint(1, *(c + direction * half))
            points.Modified()
            line.GetProperty().SetColor(*colour)
            line.SetVisibility(self.crosshair_visible)

    def _crosshair_colours(self, volume: Volume) -> tuple[tuple[float, ...], ...]:
        """Colour of the horizontal and vertical crosshair lines.

        A line along screen-right is the trace of the plane whose normal is screen-up, and is
        drawn in that plane's colour (axial red, coronal green, sagittal yellow).
        """
        assert self.frame is not None
        looks = {p: view_frame(p, volume.geometry).look for p in PLANE_COLOURS}
        colours = []
        for across in (self.frame.up, self.frame.right):
            plane = max(looks, key=lambda p: abs(float(np.dot(looks[p], across))))
            colours.append(PLANE_COLOURS[plane])
        return tuple(colours)

    def set_crosshair_visible(self, visible: bool) -> None:
        """Show or hide the crosshair lines."""
        self.crosshair_visible = visible
        if self.frame is not None:
            self._place_crosshair()

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
        point = self.world_at_display(*xy)
        tool = self.state.annotations.tool
        if button == Qt.MouseButton.LeftButton and not ctrl and point is not None and (
                tool is not None):
            if self._draft is None or self._draft.kind is not tool:
                self._draft = Draft(tool, self._frame())
            self._drag = ("draw", xy, None)
            done = self._draft.press(point)
            self._preview = self._draft.preview()
            if done is not None:
                self._commit(done)
            else:
                self.render()
            return
        if button == Qt.MouseButton.LeftButton and not ctrl and not shift and point is not None:
            hit = self._pick(point)
            if hit is not None:
                self.state.annotations.select(hit.annotation_id)
                self._drag = ("edit", xy, (hit, point))
                return
            self.state.annotations.select(None)
        if button == Qt.MouseButton.LeftButton and not ctrl:
            self._drag = ("crosshair", xy, None)
            self._set_cursor_at(*xy)
        elif button == Qt.MouseButton.RightButton or (button == Qt.MouseButton.LeftButton
                                                      and ctrl):
            self._drag = ("window", xy, self.state.window)
        elif button == Qt.MouseButton.MiddleButton:
            self._drag = ("pan", xy, None)

    def _on_drag(self, _buttons, _modifiers, xy) -> None:
        if self._drag is None:
            return
        kind, start, origin = self._drag
        if kind == "crosshair":
            self._set_cursor_at(*xy)
        elif kind == "draw" and self._draft is not None:
            point = self.world_at_display(*xy)
            if point is not None:
                self._draft.move(point)
                self._preview = self._draft.preview()
                self.render()
        elif kind == "edit":
            hit, grabbed = origin
            current = self.state.annotations.get(hit.annotation_id)
            point = self.world_at_display(*xy)
            if current is not None and point is not None:
                self._preview = edited(current, hit, grabbed, point)
                self.render()
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
        drag, self._drag = self._drag, None
        if drag is None:
            return
        if drag[0] == "draw" and self._draft is not None and self._draft.moving is not None:
            done = self._draft.release(self._draft.moving)
            if done is not None:
                self._commit(done)
            elif not self._draft.points:
                self._preview = None
                self.render()
        elif drag[0] == "edit" and self._preview is not None:
            edited_shape, self._preview = self._preview, None
            self.state.annotations.replace(edited_shape)  # one undo step per drag
            self.render()

    def _on_hover(self, xy) -> None:
        point = self.world_at_display(*xy)
        self.hovered.emit(point)
        if self._draft is not None and self._draft.points and self._drag is None and (
                point is not None):
            self._draft.move(point)
            self._preview = self._draft.preview()
            self.render()

    def _on_double_click(self) -> None:
        if self._draft is not None and self._draft.kind is Kind.POLYGON:
            # The double click's first press already added a vertex at the same place.
            if len(self._draft.points) > 3 and np.allclose(self._draft.points[-1],
                                                           self._draft.points[-2], atol=1.0):
                self._draft.points.pop()
            self._commit(self._draft.finish())
            return
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

    def _on_key(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if self._draft is not None and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._commit(self._draft.finish())
            event.accept()
            return
        if key == Qt.Key.Key_Escape and (self._draft is not None or self._preview is not None):
            self.cancel_draft()
            event.accept()
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and (
                self.state.annotations.delete_selected()):
            event.accept()
            return
        steps = {Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1, Qt.Key.Key_PageUp: 10,
                 Qt.Key.Key_PageDown: -10}.get(Qt.Key(event.key()))
        if steps is None:
            event.ignore()
            return
        self.scroll(steps)
        event.accept()

    # -- coordinates ---------------------------------------------------------------------------
    def world_at_display(self, x: float, y: float) -> np.ndarray | None:
        """World point on the slice plane under display pixel (x, y) (origin bottom-left)."""
        if self.frame is None:
            return None
        self.renderer.SetDisplayPoint(x, y, 0.0)
        self.renderer.DisplayToWorld()
        wx, wy, wz, ww = self.renderer.GetWorldPoint()
        p = np.asarray((wx, wy, wz)) / (ww or 1.0)
        return p + self.frame.look * float(np.dot(self.frame.look, self.cursor - p))

    def display_of_world(self, point: np.ndarray) -> tuple[float, float]:
        """Display pixel (x, y) of a world point (origin bottom-left)."""
        self.renderer.SetWorldPoint(*point, 1.0)
        self.renderer.WorldToDisplay()
        x, y, _ = self.renderer.GetDisplayPoint()
        return x, y

    # -- annotations -----------------------------------------------------------------------------
    def _update_info(self) -> None:
        if self.volume is None or self.frame is None:
            self.info.SetInput("")
            return
        w = self.state.window
        desc = self.volume.metadata.series_description or self.cell.role.value
        overlay = ""
        if self.state.blinded:
            desc = "Image"  # nothing that tells where the pixels came from
        if self.overlay_drawn:
            mode = self.state.overlay_mode
            pct = "" if mode is OverlayMode.SWIPE else f" {self.state.overlay_opacity:.0%}"
            name = "" if self.state.blinded else f": {mode.value}"
            overlay = f"\nOverlay{name}{pct}"
            if mode is OverlayMode.DIFFERENCE and not self.state.compare_on_grid:
                overlay += " - needs the real scan registered"
        self.info.SetInput(f"{desc}\n{self.plane.value.capitalize()} "
                           f"{self.slice_index() + 1}/{self.slice_count()}   "
                           f"W {w.width:.0f} L {w.level:.0f}{overlay}")

    def _update_scale_bar(self) -> None:
        if self.frame is None:
            self._scale_bar.SetVisibility(False)
            self.scale_text.SetVisibility(False)
            return
        w, h = self.render_window.GetSize()
        if h <= 0:
            return
        px_per_mm = h / (2 * self.camera.GetParallelScale())
        length_mm = nice_length(0.2 * w / px_per_mm)
        length_px = length_mm * px_per_mm
        x1, y = w - 20, 22
        x0 = x1 - length_px
        for n, (px, py) in enumerate(((x0, y), (x1, y), (x0, y + 6), (x1, y + 6))):
            self._scale_points.SetPoint(n, px, py, 0)
        self._scale_points.Modified()
        self._scale_bar.SetVisibility(True)
        label = f"{length_mm:.0f} mm" if length_mm >= 1 else f"{length_mm:g} mm"
        self.scale_text.SetInput(label)
        self.scale_text.SetPosition((x0 + x1) / 2 / w, (y + 16) / h)
        self.scale_text.SetVisibility(True)
