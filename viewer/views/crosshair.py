"""The crosshair of a slice view: two lines through the cursor in the other planes' colours."""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper, vtkRenderer

from inference.io.volume import Volume
from viewer.model.orientation import Plane, ViewFrame, view_frame
from viewer.views.lines import segments

PLANE_COLOURS = {Plane.AXIAL: (0.95, 0.3, 0.3), Plane.CORONAL: (0.3, 0.85, 0.3),
                 Plane.SAGITTAL: (0.95, 0.85, 0.2)}


def _line_actor(renderer: vtkRenderer) -> vtkActor:
    poly, _points = segments(2, [(0, 1)])
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(poly)
    actor = vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().SetLineWidth(1.0)
    # Opaque on purpose: any translucent prop adds a whole translucent render pass.
    actor.SetVisibility(False)
    renderer.AddActor(actor)
    return actor


def line_colours(frame: ViewFrame, volume: Volume) -> tuple[tuple[float, ...], ...]:
    """Colour of the horizontal and vertical crosshair lines.

    A line along screen-right is the trace of the plane whose normal is screen-up, and is
    drawn in that plane's colour (axial red, coronal green, sagittal yellow).
    """
    looks = {p: view_frame(p, volume.geometry).look for p in PLANE_COLOURS}
    colours = []
    for across in (frame.up, frame.right):
        plane = max(looks, key=lambda p: abs(float(np.dot(looks[p], across))))
        colours.append(PLANE_COLOURS[plane])
    return tuple(colours)


class Crosshair:
    """Two world-space lines through the cursor, just in front of the slice."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.lines = [_line_actor(renderer), _line_actor(renderer)]
        self.colours: tuple[tuple[float, ...], ...] = ((1, 1, 1), (1, 1, 1))
        self.visible = True
        # (centre, frame, half) the points hold; a frame is made once per series and view
        self._built: tuple | None = None

    def hide(self) -> None:
        """No series in the view: no lines."""
        for line in self.lines:
            line.SetVisibility(False)

    def place(self, cursor: np.ndarray, frame: ViewFrame, volume: Volume,
              slice_point: np.ndarray | None = None) -> None:
        """Lay the lines through ``cursor`` across the whole series, just in front of the
        slice shown (``slice_point`` lies on it): in a coarse reformat that slice is up to
        half a voxel from the cursor, and lines at the cursor fell behind it."""
        plane = cursor if slice_point is None else slice_point
        c = cursor - frame.look * (float(np.dot(frame.look, cursor - plane)) + 1.0)
        half = 0.6 * float(np.linalg.norm(volume.geometry.extent_mm(volume.shape)))
        built = self._built
        if built is not None and half == built[2] and frame is built[1]:
            shift = c - built[0]
            across = shift - frame.look * float(np.dot(shift, frame.look))
            if float(np.abs(across).max()) < 1e-6:
                # A scroll: the same lines, moved along the view's normal. Moving the actors
                # keeps their vertex buffers (rebuilding them cost a quarter of a millisecond
                # per frame under software GL).
                for line, colour in zip(self.lines, self.colours, strict=True):
                    line.SetPosition(*shift)
                    line.GetProperty().SetColor(*colour)
                    line.SetVisibility(self.visible)
                return
        self._built = (c.copy(), frame, half)
        for line, direction, colour in zip(self.lines, (frame.right, frame.up), self.colours,
                                           strict=True):
            points = line.GetMapper().GetInput().GetPoints()
            points.SetPoint(0, *(c - direction * half))
            points.SetPoint(1, *(c + direction * half))
            points.Modified()
            line.SetPosition(0.0, 0.0, 0.0)
            line.GetProperty().SetColor(*colour)
            line.SetVisibility(self.visible)
