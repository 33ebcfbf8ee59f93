"""Draws annotations into one slice view's renderer: outlines, handles and labels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper, vtkRenderer, vtkTextActor

from inference.annotations.model import Annotation, Kind
from viewer.annotations.draft import on_plane, outline_for_picking, sphere_section

COLOURS = {"normal": (1.0, 0.8, 0.15), "selected": (0.25, 0.9, 1.0), "preview": (0.35, 1.0, 0.35)}
MARK_PX = 6.0  # half size of point crosses and ruler end ticks
HANDLE_PX = 3.5


class AnnotationDrawing:
    """Opaque line actors (one per colour) and a pool of text labels placed in world space."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.renderer = renderer
        self.actors = {name: self._actor(colour) for name, colour in COLOURS.items()}
        self.labels: list[vtkTextActor] = []
        self.shown_ids: list[str] = []

    def _actor(self, colour: tuple[float, float, float]) -> vtkActor:
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(vtkPolyData())
        actor = vtkActor()
        actor.SetMapper(mapper)
        prop = actor.GetProperty()
        prop.SetColor(*colour)
        prop.SetLineWidth(2.0)
        # Opaque: a translucent prop would add a render pass to every frame.
        actor.SetVisibility(False)
        self.renderer.AddActor(actor)
        return actor

    def _label(self, n: int) -> vtkTextActor:
        while len(self.labels) <= n:
            t = vtkTextActor()
            p = t.GetTextProperty()
            p.SetFontSize(13)
            p.SetBold(True)
            p.SetShadow(False)
            # A dark band behind the text: readable over bone and contrast, and the anatomy
            # still shows through it.
            p.SetBackgroundColor(0.0, 0.0, 0.0)
            p.SetBackgroundOpacity(0.55)
            p.SetJustificationToLeft()
            p.SetVerticalJustificationToBottom()
            t.GetPositionCoordinate().SetCoordinateSystemToWorld()
            self.renderer.AddViewProp(t)
            self.labels.append(t)
        return self.labels[n]

    def hide(self) -> None:
        """Draw nothing (no annotations, or no series in the view)."""
        for actor in self.actors.values():
            actor.SetVisibility(False)
        for label in self.labels:
            label.SetVisibility(False)
        self.shown_ids = []

    def update(self, items: list[Annotation], selected: str | None,
               preview: Annotation | None, origin: np.ndarray, look: np.ndarray,
               right: np.ndarray, up: np.ndarray, half_thickness: float, mm_per_px: float,
               label: Callable[[Annotation], str],
               reserved: list[tuple[float, float, float, float]] | None = None) -> None:
        """Redraw everything on the plane through ``origin`` (projected onto it).

        Long on purpose: outlines, handles, labels and leader lines are placed in one pass,
        because each label's place depends on every shape and label placed before it.
        ``reserved`` are display boxes labels keep off (the corner texts). A label with no
        free place inside the view is left out: its shape is drawn, its figures are in the
        list.
        """
        lines: dict[str, list[np.ndarray]] = {name: [] for name in COLOURS}
        n_labels = 0
        placed: list[tuple[float, float, float, float]] = list(reserved or [])
        self.shown_ids = []
        drawn = [(a, "selected" if a.id == selected else "normal") for a in items
                 if (preview is None or a.id != preview.id)
                 and on_plane(a, origin, look, half_thickness)]
        if preview is not None:
            drawn.append((preview, "preview"))
        front = -look * 0.5  # just in front of the image, towards the camera
        # Labels keep off every shape, not only off each other: a label must not hide what
        # is measured.
        outlines = [self._shape_lines(a, origin, look, right, up, mm_per_px)
                    for a, _style in drawn]
        for polys in outlines:
            pts = np.vstack([self._project(p, origin, look) for p in polys])
            xy = np.array([self._display(p) for p in pts])
            placed.append((*xy.min(axis=0), *xy.max(axis=0)))
        for (a, style), shape in zip(drawn, outlines, strict=True):
            if style != "preview":
                self.shown_ids.append(a.id)
            polys = list(shape)
            if style in ("selected", "preview"):
                polys += self._handles(a, origin, look, right, up, mm_per_px)
            lines[style] += [self._project(p, origin, look) + front for p in polys]
            text = label(a)
            if text:
                t = self._label(n_labels)
                anchor = self._anchor(a, origin, look, right, up) + front
                # Labels of shapes in the right half go to their left so they stay on screen.
                self.renderer.SetWorldPoint(*anchor, 1.0)
                self.renderer.WorldToDisplay()
                x = self.renderer.GetDisplayPoint()[0]
                on_right = x > 0.55 * max(1, self.renderer.GetSize()[0])
                side = -right if on_right else right
                if on_right:
                    anchor = self._anchor(a, origin, look, -right, up) + front
                    t.GetTextProperty().SetJustificationToRight()
                else:
                    t.GetTextProperty().SetJustificationToLeft()
                shape_point = anchor
                anchor = anchor + (side + up) * MARK_PX * mm_per_px
                t.SetInput(text)  # measured as drawn, not estimated from its characters
                moved = self._clear_of(placed, anchor, t, on_right, right, up, mm_per_px)
                if moved is None:
                    continue  # no room left in the view: the shape alone, figures in the list
                if np.linalg.norm(moved - anchor) > 2 * mm_per_px:
                    lines[style].append(np.array([shape_point, moved]))  # leader line
                anchor = moved
                t.GetPositionCoordinate().SetValue(*anchor)
                t.GetTextProperty().SetColor(*COLOURS[style])
                t.SetVisibility(True)
                n_labels += 1
        for t in self.labels[n_labels:]:
            t.SetVisibility(False)
        for name, polylines in lines.items():
            actor = self.actors[name]
            actor.GetMapper().SetInputData(_polydata(polylines))
            actor.SetVisibility(bool(polylines))

    def _clear_of(self, placed: list, anchor: np.ndarray, label: vtkTextActor, on_right: bool,
                  right: np.ndarray, up: np.ndarray, mm_per_px: float) -> np.ndarray | None:
        """Keep a label inside the view, then move it down until it covers no earlier one;
        None when that would take it out of the view."""
        vw, vh = self.renderer.GetSize()
        if self.renderer.GetRenderWindow() is None or vw <= 0 or vh <= 0:
            return anchor  # not on a screen (yet): nothing to keep clear of, nothing to measure
        box = [0.0] * 4
        label.GetBoundingBox(self.renderer, box)
        w, h = box[1] - box[0] + 2, box[3] - box[2] + 2
        self.renderer.SetWorldPoint(*anchor, 1.0)
        self.renderer.WorldToDisplay()
        x, y, _ = self.renderer.GetDisplayPoint()
        x0 = x - w if on_right else x
        # Narrow views (1x3) would cut long labels at the edge: slide them back in.
        dx = max(0.0, 2 - x0) or min(0.0, vw - 2 - (x0 + w))
        x0 += dx
        y = min(y, vh - 2 - h)  # not above the view's top either
        for _ in range(len(placed) + 1):
            hit = next((b for b in placed if x0 < b[2] and b[0] < x0 + w and y < b[3]
                        and b[1] < y + h), None)
            if hit is None:
                break
            y = hit[1] - h - 2  # just below the label in the way (text grows upwards)
        else:
            return None
        if y < 2:
            return None
        shift = (self.renderer.GetDisplayPoint()[1] - y) * mm_per_px
        placed.append((x0, y, x0 + w, y + h))
        return anchor - up * shift + right * dx * mm_per_px

    def _display(self, point: np.ndarray) -> tuple[float, float]:
        self.renderer.SetWorldPoint(*point, 1.0)
        self.renderer.WorldToDisplay()
        x, y, _ = self.renderer.GetDisplayPoint()
        return x, y

    @staticmethod
    def _project(points: np.ndarray, origin: np.ndarray, look: np.ndarray) -> np.ndarray:
        return points - np.outer((points - origin) @ look, look)

    @staticmethod
    def _shape_lines(a: Annotation, origin, look, right, up, mm_per_px) -> list[np.ndarray]:
        mark = MARK_PX * mm_per_px
        p = a.array
        if a.kind is Kind.POINT:
            # A ring with a centre tick: a mark must not read as part of the crosshair.
            c = p[0]
            t = np.linspace(0, 2 * np.pi, 25)[:, None]
            ring = c + (np.cos(t) * right + np.sin(t) * up) * mark * 1.4
            tick = mark * 0.35
            return [ring, np.array([c - right * tick, c + right * tick]),
                    np.array([c - up * tick, c + up * tick])]
        if a.kind is Kind.NOTE:
            c = p[0]
            return [np.array([c - right * mark, c + right * mark]),
                    np.array([c - up * mark, c + up * mark])]
        if a.kind is Kind.RULER:
            d = p[1] - p[0]
            n = np.cross(look, d)
            n = n / (np.linalg.norm(n) or 1.0) * mark
            return [p.copy(), np.array([p[0] - n, p[0] + n]), np.array([p[1] - n, p[1] + n])]
        outline = outline_for_picking(a, origin, look)
        out = [outline] if len(outline) > 1 else []
        if a.kind is Kind.SPHERE:
            section = sphere_section(a, origin, look)
            if section is not None:
                c = section[0]
                out += [np.array([c - right * mark / 2, c + right * mark / 2]),
                        np.array([c - up * mark / 2, c + up * mark / 2])]
        return out

    @staticmethod
    def _handles(a: Annotation, origin, look, right, up, mm_per_px) -> list[np.ndarray]:
        h = HANDLE_PX * mm_per_px
        corners = np.array([-right - up, right - up, right + up, -right + up, -right - up]) * h
        return [c + corners for c in a.array]

    @staticmethod
    def _anchor(a: Annotation, origin, look, right, up) -> np.ndarray:
        pts = outline_for_picking(a, origin, look)
        if len(pts) == 0:
            pts = a.array
        pts = pts - np.outer((pts - origin) @ look, look)
        return pts[int(np.argmax(pts @ (right + up)))]


def _polydata(polylines: list[np.ndarray]) -> vtkPolyData:
    poly = vtkPolyData()
    if not polylines:
        return poly
    pts = np.vstack(polylines).astype(np.float64)
    points = vtkPoints()
    points.SetData(numpy_to_vtk(pts, deep=1))
    offsets, conn, start = [0], [], 0
    for line in polylines:
        conn.extend(range(start, start + len(line)))
        start += len(line)
        offsets.append(start)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtkIdTypeArray(np.asarray(offsets, dtype=np.int64), deep=1),
                  numpy_to_vtkIdTypeArray(np.asarray(conn, dtype=np.int64), deep=1))
    poly.SetPoints(points)
    poly.SetLines(cells)
    return poly
