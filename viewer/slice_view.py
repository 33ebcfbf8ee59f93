"""One VTK slice view (axial, coronal or sagittal) embedded in Qt."""

from __future__ import annotations

import numpy as np
import vtkmodules.vtkRenderingFreeType
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (render window implementation)
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleImage
from vtkmodules.vtkRenderingCore import (
    vtkImageProperty,
    vtkImageSlice,
    vtkRenderer,
    vtkTextActor,
)
from vtkmodules.vtkRenderingImage import vtkImageResliceMapper

from inference.volume import Volume
from viewer.view_orientation import Plane, ViewFrame, view_frame
from viewer.vtk_image import volume_to_vtk
from viewer.window_level import WindowLevel

ORIENTATION_COLOUR = (1.0, 0.85, 0.3)


class SliceView(QWidget):
    """A reslice of the volume through the shared cursor, perpendicular to one plane's normal.

    Wheel scrolls, left-drag changes window/level (shared by all views through one
    vtkImageProperty), the mouse position reports HU.
    """

    slice_changed = Signal(object)  # new cursor position (LPS mm)
    window_changed = Signal(object)  # WindowLevel
    hovered = Signal(object)  # LPS position under the mouse, or None

    def __init__(self, plane: Plane, image_property: vtkImageProperty,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plane = plane
        self.volume: Volume | None = None
        self.frame: ViewFrame | None = None
        self._property = image_property
        self.vtk_widget = QVTKRenderWindowInteractor(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.vtk_widget)
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0, 0, 0)
        self.render_window.AddRenderer(self.renderer)
        self.mapper = vtkImageResliceMapper()
        self.mapper.SliceFacesCameraOn()
        self.mapper.SliceAtFocalPointOn()
        self.actor = vtkImageSlice()
        self.actor.SetMapper(self.mapper)
        self.actor.SetProperty(image_property)
        self.style = vtkInteractorStyleImage()
        self.style.SetInteractionModeToImage2D()
        interactor = self.vtk_widget.GetRenderWindow().GetInteractor()
        interactor.SetInteractorStyle(self.style)
        # Observers on the style replace its default wheel (zoom) with slice scrolling.
        self.style.AddObserver("MouseWheelForwardEvent", lambda *_: self.scroll(1))
        self.style.AddObserver("MouseWheelBackwardEvent", lambda *_: self.scroll(-1))
        self.style.AddObserver("InteractionEvent", self._on_interaction)
        interactor.AddObserver("MouseMoveEvent", self._on_mouse_move, 1.0)
        self._labels = {edge: self._text_actor() for edge in ("left", "right", "top", "bottom")}
        self.info = self._text_actor()
        self.info.GetTextProperty().SetColor(0.9, 0.9, 0.9)
        self.info.GetTextProperty().SetJustificationToLeft()
        self.info.GetTextProperty().SetVerticalJustificationToBottom()

    @property
    def render_window(self):
        """The VTK render window of this view."""
        return self.vtk_widget.GetRenderWindow()

    def _text_actor(self) -> vtkTextActor:
        actor = vtkTextActor()
        prop = actor.GetTextProperty()
        prop.SetFontSize(14)
        prop.SetBold(True)
        prop.SetColor(*ORIENTATION_COLOUR)
        prop.SetJustificationToCentered()
        prop.SetVerticalJustificationToCentered()
        actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        self.renderer.AddViewProp(actor)
        return actor

    def set_volume(self, volume: Volume, cursor: np.ndarray) -> None:
        """Show ``volume`` with the slice through ``cursor`` and fit it to the view."""
        self.volume = volume
        self.frame = view_frame(self.plane, volume.geometry)
        interactor = self.render_window.GetInteractor()
        if not interactor.GetInitialized():
            # Creating the GL context before Qt has sized the widget leaves OSMesa contexts
            # that crash on the next context switch; initialise only once there is content.
            interactor.Initialize()
        self.mapper.SetInputData(volume_to_vtk(volume))
        if not self.renderer.HasViewProp(self.actor):
            self.renderer.AddViewProp(self.actor)
        positions = {"left": (0.025, 0.5), "right": (0.975, 0.5), "top": (0.5, 0.97),
                     "bottom": (0.5, 0.15)}
        for edge, text in self.frame.edge_labels().items():
            self._labels[edge].SetInput(text)
            self._labels[edge].SetPosition(*positions[edge])
        self.info.SetPosition(0.01, 0.01)
        self.reset_camera(cursor)

    def reset_camera(self, cursor: np.ndarray) -> None:
        """Look at ``cursor`` along the view normal with the whole slice in view."""
        assert self.volume is not None and self.frame is not None
        camera = self.renderer.GetActiveCamera()
        camera.ParallelProjectionOn()
        distance = 1000.0
        camera.SetFocalPoint(*cursor)
        camera.SetPosition(*(np.asarray(cursor) - self.frame.look * distance))
        camera.SetViewUp(*self.frame.up)
        nk, nj, ni = self.volume.shape
        ext = np.asarray(self.volume.geometry.extent_mm((nk, nj, ni)))
        d = self.volume.geometry.direction_matrix
        # Half-height: the in-plane extent along screen-up, or wider if the view is wide.
        up_extent = float(np.abs(d.T @ self.frame.up) @ ext)
        right_extent = float(np.abs(d.T @ self.frame.right) @ ext)
        w, h = max(1, self.width()), max(1, self.height())
        camera.SetParallelScale(0.5 * max(up_extent, right_extent * h / w) * 1.02)
        camera.SetClippingRange(distance - 500, distance + 500)
        self._update_info()

    @property
    def cursor(self) -> np.ndarray:
        """World position the slice plane passes through (the camera focal point)."""
        return np.asarray(self.renderer.GetActiveCamera().GetFocalPoint())

    def slice_index(self) -> int:
        """Index of the displayed slice along this view's volume axis."""
        assert self.volume is not None and self.frame is not None
        return int(np.rint(self.volume.world_to_index(self.cursor)[self.frame.axis]))

    def slice_count(self) -> int:
        """Number of slices along this view's axis."""
        assert self.volume is not None and self.frame is not None
        return self.volume.shape[2 - self.frame.axis]

    def move_to(self, point: np.ndarray) -> None:
        """Move this view's slice plane to pass through ``point`` (in-plane pan unchanged)."""
        if self.frame is None:
            return
        camera = self.renderer.GetActiveCamera()
        fp = np.asarray(camera.GetFocalPoint())
        shift = self.frame.look * float(np.dot(self.frame.look, np.asarray(point) - fp))
        camera.SetFocalPoint(*(fp + shift))
        camera.SetPosition(*(np.asarray(camera.GetPosition()) + shift))
        self._update_info()

    def scroll(self, steps: int) -> None:
        """Move ``steps`` slices along the view normal (clamped to the volume)."""
        if self.volume is None or self.frame is None:
            return
        axis = self.frame.axis
        ijk = self.volume.world_to_index(self.cursor)
        target = int(np.clip(np.rint(ijk[axis]) + steps, 0, self.slice_count() - 1))
        ijk[axis] = target
        point = self.volume.index_to_world(ijk)
        self.move_to(point)
        self.render()
        self.slice_changed.emit(self.cursor)

    def set_window(self, window: WindowLevel) -> None:
        """Apply a window (shared property: every view sharing it changes)."""
        self._property.SetColorWindow(window.width)
        self._property.SetColorLevel(window.level)
        self._update_info()

    def window(self) -> WindowLevel:
        """Current window."""
        return WindowLevel(self._property.GetColorWindow(), self._property.GetColorLevel())

    def _update_info(self) -> None:
        if self.volume is None:
            return
        w = self.window()
        desc = self.volume.metadata.series_description or "volume"
        self.info.SetInput(f"{desc}\n{self.plane.value.capitalize()} "
                           f"{self.slice_index() + 1}/{self.slice_count()}\n"
                           f"W {w.width:.0f} L {w.level:.0f}")

    def _on_interaction(self, *_: object) -> None:
        self._update_info()
        self.window_changed.emit(self.window())

    def world_at_display(self, x: float, y: float) -> np.ndarray | None:
        """World point on the slice plane under display pixel (x, y) (VTK origin bottom-left)."""
        if self.frame is None:
            return None
        self.renderer.SetDisplayPoint(x, y, 0.0)
        self.renderer.DisplayToWorld()
        wx, wy, wz, ww = self.renderer.GetWorldPoint()
        p = np.asarray((wx, wy, wz)) / (ww or 1.0)
        # Parallel projection: slide along the view direction onto the slice plane.
        return p + self.frame.look * float(np.dot(self.frame.look, self.cursor - p))

    def display_of_world(self, point: np.ndarray) -> tuple[float, float]:
        """Display pixel (x, y) of a world point (VTK origin bottom-left)."""
        self.renderer.SetWorldPoint(*point, 1.0)
        self.renderer.WorldToDisplay()
        x, y, _ = self.renderer.GetDisplayPoint()
        return x, y

    def _on_mouse_move(self, interactor: object, _event: str) -> None:
        x, y = interactor.GetEventPosition()  # type: ignore[attr-defined]
        self.hovered.emit(self.world_at_display(x, y))

    def render(self) -> None:
        """Redraw now."""
        self.render_window.Render()

    def closeEvent(self, event) -> None:
        """Release the OpenGL context before Qt destroys the native window."""
        self.render_window.Finalize()
        super().closeEvent(event)
