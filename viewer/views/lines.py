"""Line geometry for VTK views: points joined by segments, built in one place."""

from __future__ import annotations

from collections.abc import Iterable

from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData


def segments(n_points: int, pairs: Iterable[tuple[int, int]]) -> tuple[vtkPolyData, vtkPoints]:
    """Poly data with ``n_points`` movable points and a line for each (a, b) pair."""
    poly = vtkPolyData()
    points = vtkPoints()
    points.SetNumberOfPoints(n_points)
    poly.SetPoints(points)
    lines = vtkCellArray()
    for a, b in pairs:
        lines.InsertNextCell(2)
        lines.InsertCellPoint(a)
        lines.InsertCellPoint(b)
    poly.SetLines(lines)
    return poly, points
