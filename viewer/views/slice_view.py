"""One slice view: a series (plus, optionally, the digital-contrast overlay) through the cursor."""

from __future__ import annotations

import numpy as np
import vtkmodules.vtkRenderingFreeType
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (render window implementation)
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget
from vtkmodules.vtkRenderingCore import vtkCamera, vtkRenderer

from inference.io.volume import Volume
from viewer.annotations.draft import Frame
from viewer.annotations.drawing import AnnotationDrawing
from viewer.annotations.interaction import AnnotationInput
from viewer.model import provenance
from viewer.model.layout import Cell, Role
from viewer.model.orientation import SIDES, Plane, ViewFrame, view_frame
from viewer.model.state import OverlayMode, ViewerState
from viewer.pixels.compositor import colour_table, extract, slice_geometry
from viewer.pixels.enhancement import DIFFERENCE_RANGE_HU
from viewer.pixels.layers import OverlayPixels
from viewer.views import active_frame
from viewer.views.canvas import SliceCanvas
from viewer.views.crosshair import Crosshair, line_colours
from viewer.views.slice_image import SliceImage
from viewer.views.slice_input import SliceInput
from viewer.views.slice_texts import SliceTexts
from viewer.views.vtk_panel import VtkPanel

CAMERA_DISTANCE = 1000.0


class SliceView(SliceInput, VtkPanel):
    """Shows ``cell.role``'s series resliced through the shared cursor, perpendicular to a plane.

    Cameras are shared between views of the same plane, so zoom, pan and slice position are
    linked across series. The raw slices go to the GPU as textures placed in patient space;
    window/level and the overlay's blend are drawn there (viewer.views.slice_image).
    """

    hovered = Signal(object)  # world point under the mouse, or None
    resized = Signal()  # the view's size changed (a dock, the window): the grid refits
    maximise_requested = Signal()
    note_requested = Signal(object)  # a NOTE annotation still without text
    activated = Signal()  # pressed: this is the active viewport now
    details_requested = Signal()  # the domain warning was clicked

    def __init__(self, cell: Cell, state: ViewerState, camera: vtkCamera, pixels: OverlayPixels,
                 parent: QWidget | None = None) -> None:
        """Build the view's VTK scene. Long on purpose: one line per part of the scene."""
        super().__init__(parent)
        assert cell.plane is not None
        self.cell = cell
        self.plane: Plane = cell.plane
        self.state = state
        self.frame: ViewFrame | None = None
        self.volume: Volume | None = None
        self._drag: tuple[str, tuple[float, float], object] | None = None
        self.pixels = pixels
        self._hover_xy: tuple[float, float] | None = None
        self.overlay_drawn = False
        self._composed_key: tuple | None = None
        self._index: tuple = (None, None, None, 0)  # (focal point, volume, frame, index)

        self.canvas = SliceCanvas(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(*[active_frame.FRAME_PX] * 4)
        layout.addWidget(self.canvas)
        active_frame.frame(self)
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0, 0, 0)
        self.renderer.SetActiveCamera(camera)
        self.render_window.AddRenderer(self.renderer)
        # Multisampling doubles the cost of every frame under software GL and buys nothing
        # for images; lines stay crisp at one pixel.
        self.render_window.SetMultiSamples(0)

        self.slice_image = SliceImage(self.renderer)
        self.actor = self.slice_image.actor
        self.crosshair = Crosshair(self.renderer)
        self.texts = SliceTexts(self.renderer)
        # Names the rest of the viewer (and its tests) use for the texts.
        self.scale_bar, self.scale_text = self.texts.scale_bar, self.texts.scale_bar.text
        self._labels, self.info = self.texts.edges, self.texts.info
        self.synthetic_label, self.colour_bar = self.texts.banner, self.texts.colour_bar
        self.hint, self.swipe_labels = self.texts.hint, self.texts.swipe_labels
        self.annotation_drawing = AnnotationDrawing(self.renderer)
        self.annotations = AnnotationInput(state, self, self.annotation_drawing,
                                           self.note_requested.emit)
        self.renderer.AddObserver("StartEvent", lambda *_: self._place_texts())

        self.canvas.pressed.connect(self._on_press)
        self.canvas.pressed.connect(lambda *_: self.activated.emit())
        self.canvas.dragged.connect(self._on_drag)
        self.canvas.released.connect(self._on_release)
        self.canvas.hovered.connect(self._on_hover)
        self.canvas.wheeled.connect(self._on_wheel)
        self.canvas.double_clicked.connect(self._on_double_click)
        self.canvas.key_pressed.connect(self._on_key)

    def _place_texts(self) -> None:
        self.texts.place(self.render_window, self.camera.GetParallelScale(),
                         self.frame is not None, self.state, self.overlay_drawn)

    def resizeEvent(self, event) -> None:
        """Tell the grid, which keeps every plane fitted (one rule for all size changes)."""
        super().resizeEvent(event)
        self.resized.emit()

    # -- content -------------------------------------------------------------------------------
    def _explain_single_slice(self, volume: Volume | None) -> None:
        # One slice has no coronal or sagittal reformat: say so instead of a blank view.
        if volume is not None and volume.shape[0] == 1:
            frame = view_frame(self.plane, volume.geometry)
            if frame.axis != 2:
                self.texts.show_hint("One slice only:\nno coronal or sagittal\nreformat to "
                                     "show", True)

    def show_hint(self, text: str) -> None:
        """What to do, drawn in the middle while the view has nothing to show."""
        self.texts.show_hint(text, self.volume is None)

    def refresh_content(self) -> None:
        """Re-read the series for this view's role and the overlay from the state."""
        volume = self.state.volumes.get(self.cell.role)
        self.hint.SetVisibility(volume is None and bool(self.hint.GetInput()))
        self._explain_single_slice(volume)
        if volume is not self.volume:
            self.volume = volume
            self._composed_key = None
            if volume is None:
                self.frame = None
                self.slice_image.hide()
            else:
                self.frame = view_frame(self.plane, volume.geometry)
                self.crosshair.colours = line_colours(self.frame, volume)
                self.texts.set_frame(self.frame)
        self.refresh_overlay()
        self.refresh_cursor()

    def refresh_overlay(self) -> None:
        """Overlay visibility and the SYNTHETIC label; pixels are recomposed at the next render."""
        st = self.state
        self.overlay_drawn = (self.cell.overlay and self.cell.role is Role.BASE
                              and st.overlay is not None and st.base is not None
                              and st.overlay_visible)
        self.texts.set_banner(provenance.slice_banner(st, self.cell.role, self.overlay_drawn))
        self.update_info()

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
        self.texts.update_legend(self.state, self.overlay_drawn)
        if self.texts.colour_bar.reserve(self.render_window.GetSize()[0],
                                         self.devicePixelRatioF()):
            self.resized.emit()  # the image's part of the view changed: the grid refits
        self.annotations.draw()

    # -- what the annotation interaction needs of this view ------------------------------------
    def plane_frame(self) -> Frame | None:
        """Right, up and look directions of this view (None while it shows nothing)."""
        if self.frame is None:
            return None
        return Frame(self.frame.right, self.frame.up, self.frame.look)

    def text_boxes(self) -> list[tuple[float, float, float, float]]:
        """Where the view's own texts are (display boxes), for labels to keep off."""
        return self.texts.boxes()

    def plane_origin(self) -> np.ndarray:
        """A world point on the displayed slice plane."""
        return self.cursor

    def mm_per_px(self) -> float:
        """Size of one device pixel in mm at the current zoom."""
        return 2 * self.camera.GetParallelScale() / max(1.0, self._height_px())

    def half_thickness(self) -> float:
        """Half the slice spacing along the view normal (at least 0.5 mm)."""
        if self.volume is None or self.frame is None:
            return 0.5
        return max(0.5, 0.5 * float(self.volume.geometry.spacing[self.frame.axis]))

    @property
    def drafting(self) -> bool:
        """Whether a shape is half drawn or being dragged in this view."""
        return self.annotations.drafting

    def cancel_draft(self) -> None:
        """Drop a half-drawn shape (Esc, or another tool chosen)."""
        self.annotations.cancel()

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
               id(st.volumes.get(Role.COMPARE)), id(st.uncertainty),
               (mode, st.overlay_opacity, st.enhancement_threshold, swipe,
                st.map_smoothing_mm, st.difference_threshold)
               if self.overlay_drawn else None)
        if key == self._composed_key:
            return
        self._composed_key = key
        image = self.slice_image
        if not inside:
            image.hide()  # the cursor is beyond this series
            return
        image.set_window(st.window)
        image.set_slice((id(self.volume.array), axis, index),
                        extract(self.volume.array, axis, index), geometry.matrix)
        source = self.pixels.source(st) if self.overlay_drawn else None
        blend = self.pixels.blend(mode)
        image.set_overlay(
            (id(source), axis, index), None if source is None else extract(source, axis, index),
            blend, st.overlay_opacity, swipe,
            colour_table(self.pixels.luts, blend, st.enhancement_threshold,
                         (DIFFERENCE_RANGE_HU, st.difference_threshold)))

    # -- camera and cursor -------------------------------------------------------------------
    @property
    def camera(self) -> vtkCamera:
        """The camera (shared with the other views of this plane)."""
        return self.renderer.GetActiveCamera()

    def fit_scale(self) -> float:
        """The camera scale (half the view height in mm) that shows the whole slice here."""
        if self.volume is None or self.frame is None:
            return 0.0
        ext = np.asarray(self.volume.geometry.extent_mm(self.volume.shape))
        d = self.volume.geometry.direction_matrix
        up_extent = float(np.abs(d.T @ self.frame.up) @ ext)
        right_extent = float(np.abs(d.T @ self.frame.right) @ ext)
        w = max(1.0, self.canvas.width() * (1.0 - self.texts.colour_bar.fraction))
        h = max(1, self.canvas.height())
        return 0.5 * max(up_extent, right_extent * h / w) * 1.02

    def reset_camera(self, scale: float | None = None) -> None:
        """Centre the volume in view, slice through the cursor, the whole slice visible.

        The fit ignores where the cursor is in-plane (an off-centre cursor would push part of
        the slice out of view); panning away from the centre is the user's.
        """
        if self.volume is None or self.frame is None:
            return
        look = self.frame.look
        centre = self.volume.geometry.center(self.volume.shape)
        focal = centre + look * float(np.dot(look, self.state.cursor - centre))
        camera = self.camera
        camera.ParallelProjectionOn()
        camera.SetFocalPoint(*focal)
        camera.SetPosition(*(focal - look * CAMERA_DISTANCE))
        camera.SetViewUp(*self.frame.up)
        camera.SetParallelScale(scale if scale is not None else self.fit_scale())
        camera.SetClippingRange(CAMERA_DISTANCE - 600, CAMERA_DISTANCE + 600)
        self.update_info()

    @property
    def cursor(self) -> np.ndarray:
        """World position the slice plane passes through (the camera focal point)."""
        return np.asarray(self.camera.GetFocalPoint())

    def slice_index(self) -> int:
        """Index of the displayed slice along this view's volume axis."""
        assert self.volume is not None and self.frame is not None
        # Asked several times per scroll (texts, crosshair, pixels): once per position.
        focal, (seen, volume, frame, index) = self.camera.GetFocalPoint(), self._index
        if focal != seen or volume is not self.volume or frame is not self.frame:
            index = int(np.rint(self.volume.world_to_index(np.asarray(focal))[self.frame.axis]))
            self._index = (focal, self.volume, self.frame, index)
        return index

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
            self.crosshair.hide()
            return
        self.move_to(self.state.cursor)
        self._place_crosshair()
        self.update_info()

    def _place_crosshair(self) -> None:
        assert self.volume is not None and self.frame is not None
        index = self.slice_index()
        ijk = [0.0, 0.0, 0.0]
        ijk[self.frame.axis] = float(index)
        self.crosshair.place(self.state.cursor, self.frame, self.volume,
                             self.volume.geometry.index_to_world(ijk))

    def set_crosshair_visible(self, visible: bool) -> None:
        """Show or hide the crosshair lines."""
        self.crosshair.visible = visible
        if self.frame is not None:
            self._place_crosshair()

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

    # -- corner texts ----------------------------------------------------------------------------
    def _position_line(self) -> tuple[str, str]:
        """Where the slice is along the view normal, with its side letter, and how thick."""
        assert self.volume is not None and self.frame is not None
        axis = int(np.argmax(np.abs(self.frame.look)))
        value = float(self.cursor[axis])
        letter = SIDES[axis][value >= 0]
        thick = float(self.volume.geometry.spacing[self.frame.axis])
        return (f"Pos {letter} {abs(value):.1f} mm   Thk {thick:g} mm",
                f"{letter}{abs(value):.0f}  {thick:g} mm")

    def update_info(self) -> None:
        """The corner texts: identification top right; series, slice, position, window and
        overlay bottom left."""
        if self.volume is None or self.frame is None:
            self.texts.set_info([])
            self.texts.set_identity([])
            return
        self.texts.set_identity(provenance.identification(self.state, self.volume))
        w = self.state.window
        desc = provenance.series_name(self.state, self.volume, self.cell.role.value)
        # Each line with a shorter form for narrow views: (full, short).
        title = "" if self.cell.overlay else provenance.compare_title(
            self.state, self.cell.role, self.state.compare_registered)
        lines = [(title, title)] if title else []
        lines += [(desc, desc), (f"{self.plane.value.capitalize()} {self.slice_index() + 1}/"
                               f"{self.slice_count()}   W {w.width:.0f} L {w.level:.0f}",
                               f"{self.slice_index() + 1}/{self.slice_count()}  "
                               f"W {w.width:.0f} L {w.level:.0f}"), self._position_line()]
        if self.overlay_drawn:
            mode = self.state.overlay_mode
            pct = "" if mode is OverlayMode.SWIPE else f" {self.state.overlay_opacity:.0%}"
            name = provenance.mode_name(self.state, mode)
            full = f"Overlay{': ' + name if name else ''}{pct}"
            short = f"{name.split()[0].capitalize() if name else 'Overlay'}{pct}"
            lines.append((full, short))
        self.texts.set_info(lines)
