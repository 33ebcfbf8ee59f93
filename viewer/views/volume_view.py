"""The optional 3-D view: volume rendering of the vessels and bone (CTA-style)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget
from scipy import ndimage
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor
from vtkmodules.vtkCommonDataModel import vtkPiecewiseFunction
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleTrackballCamera
from vtkmodules.vtkRenderingCore import (
    vtkColorTransferFunction,
    vtkRenderer,
    vtkVolume,
    vtkVolumeProperty,
)
from vtkmodules.vtkRenderingVolumeOpenGL2 import vtkSmartVolumeMapper

from inference.io.geometry import Geometry
from inference.io.volume import Volume
from viewer.views.slice_texts import BANNER_CHAR_PX, INFO_CHAR_PX
from viewer.views.text import INFO_COLOUR, banner_text, corner_text, fit_lines, wrap_words
from viewer.views.vtk_image import volume_to_vtk
from viewer.views.vtk_panel import VtkPanel

# Software rendering is the common case here: cap the rendered grid size.
MAX_VOXELS = 192**3
# A ray-cast frame takes about a second under software OpenGL: requests within this many ms
# (a layout's show, resize, paint and fit) make one frame, after the slice views are drawn.
SETTLE_MS = 60
MARKER_MAX_PX = 140  # the orientation marker's square corner, at most
MARKER_MIDDLE = 0.45  # the axes run 0..1 (labels beyond): the camera aims at their middle
MARKER_DISTANCE = 4.6  # arrows and letters inside the corner at any turn (30 degree view)


class _Canvas(QVTKRenderWindowInteractor):
    """Paint requests go through the view's coalesced render, not one frame each."""

    def __init__(self, view: VolumeView) -> None:
        super().__init__(view)
        self._view = view

    def paintEvent(self, event) -> None:
        """Ask for a frame; the view draws one when the layout has settled."""
        self._view.render()


def decimated(volume: Volume) -> Volume:
    """A block-averaged copy small enough to render interactively.

    Averaging (not striding) also quietens the scanner noise: strided voxels of noisy soft
    tissue reached the opacity ramp and drew a faint speckled box around the body. Where no
    reduction is needed a light Gaussian does the same.
    """
    step = max(1, int(np.ceil((volume.array.size / MAX_VOXELS) ** (1 / 3))))
    g = volume.geometry
    if step == 1:
        smooth = ndimage.gaussian_filter(volume.array.astype(np.float32), 0.8)
        return Volume(np.rint(smooth).astype(np.int16), g, volume.modality, volume.metadata,
                      volume.synthetic)
    nk, nj, ni = (n // step for n in volume.shape)
    out = np.empty((nk, nj, ni), dtype=np.int16)
    for k in range(nk):  # one slab of ``step`` slices at a time: no whole float copy
        slab = volume.array[k * step:(k + 1) * step, : nj * step, : ni * step]
        blocks = slab.reshape(step, nj, step, ni, step).astype(np.float32)
        out[k] = np.rint(blocks.mean(axis=(0, 2, 4)))
    # Block centres sit half a block in from the first voxel.
    origin = np.asarray(g.origin) + g.direction_matrix @ (np.asarray(g.spacing) * (step - 1) / 2)
    geometry = Geometry(tuple(origin), tuple(s * step for s in g.spacing), g.direction_matrix)
    return Volume(out, geometry, volume.modality, volume.metadata, volume.synthetic)


class VolumeView(VtkPanel):
    """Volume rendering with an angio transfer function; drag rotates, wheel zooms."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = _Canvas(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0.05, 0.05, 0.08)
        self.render_window.AddRenderer(self.renderer)
        self.render_window.GetInteractor().SetInteractorStyle(vtkInteractorStyleTrackballCamera())
        self.mapper = vtkSmartVolumeMapper()
        self.actor = vtkVolume()
        self.actor.SetMapper(self.mapper)
        self.actor.SetProperty(self._property())
        self.shown: Volume | None = None
        self.marker = self._orientation_marker()
        self.synthetic_label = banner_text(self.renderer)
        self.title = corner_text(self.renderer, 13, INFO_COLOUR, False, 0.01, 0.01)
        self._banner = ""
        self._title = ""
        self.frames = 0  # ray-cast frames drawn (each is slow in software)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self.render_now)
        # Whoever renders (a frame, a screenshot's capture) gets the marker and texts fitted.
        self.renderer.AddObserver("StartEvent", lambda *_: self.before_render())

    def render(self) -> None:
        """A frame soon: the 2x2 switch returns at once with its slice views drawn, and the
        many requests a layout change makes become one frame."""
        self._settle.start()

    def render_now(self) -> None:
        """Draw the frame now."""
        self._settle.stop()
        if self.ensure_interactor():
            self.render_window.Render()
            self.frames += 1

    def _orientation_marker(self) -> vtkRenderer:
        """Patient axes (L, P, S) in the bottom-right corner, turning with the volume."""
        from vtkmodules.vtkRenderingAnnotation import vtkAxesActor

        corner = vtkRenderer()
        corner.SetViewport(0.8, 0.0, 1.0, 0.2)  # made square at each render
        corner.SetLayer(1)
        corner.InteractiveOff()
        axes = vtkAxesActor()
        for axis, text in zip("XYZ", ("L", "P", "S"), strict=True):
            getattr(axes, f"Set{axis}AxisLabelText")(text)
        axes.SetShaftTypeToCylinder()
        corner.AddActor(axes)
        self.render_window.SetNumberOfLayers(2)
        self.render_window.AddRenderer(corner)
        self.marker_axes = axes
        return corner

    def before_render(self) -> None:
        """Turn the orientation marker with the main camera."""
        main = self.renderer.GetActiveCamera()
        cam = self.marker.GetActiveCamera()
        direction = np.asarray(main.GetDirectionOfProjection())
        # Aimed at the axes' middle from far enough that every arrow and letter (S too) fits
        # the square corner, which way round the volume turns.
        middle = np.full(3, MARKER_MIDDLE)
        cam.SetFocalPoint(*middle)
        cam.SetPosition(*(middle - direction * MARKER_DISTANCE))
        cam.SetViewUp(*main.GetViewUp())
        self.marker.ResetCameraClippingRange()
        width, height = self.render_window.GetSize()
        side = min(MARKER_MAX_PX, 0.3 * min(width, height))  # square: axes are not stretched
        self.marker.SetViewport(1.0 - side / max(width, 1), 0.0, 1.0, side / max(height, 1))
        # Texts fitted to the current width: the banner wraps (it must be read whole), the
        # title is cut short of the orientation marker.
        w = max(1, self.render_window.GetSize()[0])
        self.synthetic_label.SetInput(wrap_words(self._banner, int((w - 12) / BANNER_CHAR_PX)))
        self.title.SetInput(fit_lines(self._title, int((0.78 * w - 12) / INFO_CHAR_PX)))

    @staticmethod
    def _property() -> vtkVolumeProperty:
        colour = vtkColorTransferFunction()
        for hu, rgb in ((-100, (0.3, 0.1, 0.05)), (150, (0.75, 0.2, 0.15)),
                        (300, (1.0, 0.55, 0.4)), (700, (1.0, 0.95, 0.85)),
                        (1500, (1.0, 1.0, 1.0))):
            colour.AddRGBPoint(hu, *rgb)
        opacity = vtkPiecewiseFunction()
        for hu, a in ((-1024, 0.0), (140, 0.0), (220, 0.25), (400, 0.45), (1000, 0.7),
                      (3071, 0.8)):
            opacity.AddPoint(hu, a)
        prop = vtkVolumeProperty()
        prop.SetColor(colour)
        prop.SetScalarOpacity(opacity)
        prop.SetInterpolationTypeToLinear()
        prop.ShadeOn()
        prop.SetAmbient(0.3)
        prop.SetDiffuse(0.7)
        prop.SetSpecular(0.2)
        return prop

    def show_volume(self, volume: Volume | None, banner: str | None = None,
                    title: str = "volume") -> None:
        """Render ``volume`` (decimated for speed) under ``banner`` (the provenance rule's, or
        None for no label) and ``title``; None clears the view."""
        self._banner = banner or ""
        self._title = f"3D: {title}" if volume is not None else ""
        self.synthetic_label.SetInput(self._banner)
        self.synthetic_label.SetVisibility(banner is not None and volume is not None)
        self.title.SetInput(self._title)
        if volume is self.shown:
            return
        self.shown = volume
        if volume is None:
            self.renderer.RemoveVolume(self.actor)
            return
        small = decimated(volume)
        self.mapper.SetInputData(volume_to_vtk(small))
        if not self.renderer.HasViewProp(self.actor):
            self.renderer.AddVolume(self.actor)
        self.renderer.ResetCamera()
        camera = self.renderer.GetActiveCamera()
        # Anterior view, head up (like a coronal MIP).
        focal = np.asarray(camera.GetFocalPoint())
        distance = camera.GetDistance()
        camera.SetPosition(*(focal + np.array([0.0, -distance, 0.0])))
        camera.SetViewUp(0, 0, 1)
        self.renderer.ResetCamera()
