"""Drawing, picking and editing annotations from view input (no Qt, no VTK).

Views translate mouse input into world points on their slice plane and call these; the
result is always an ``Annotation`` in LPS mm, so the shape is the same in every view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from inference.annotations.model import Annotation, Kind, plane_axes

DRAG_KINDS = (Kind.RULER, Kind.ELLIPSE, Kind.RECTANGLE, Kind.SPHERE)
CLICKS_NEEDED = {Kind.POINT: 1, Kind.NOTE: 1, Kind.ANGLE: 3}
MIN_SIZE_MM = 0.5  # a drag shorter than this is a slip of the hand, not a shape

Vec = tuple[float, float, float]


def _t(p: np.ndarray) -> Vec:
    return (float(p[0]), float(p[1]), float(p[2]))


@dataclass
class Frame:
    """The plane a view draws on: in-plane screen axes and the viewing direction (unit)."""

    right: np.ndarray
    up: np.ndarray
    look: np.ndarray


class Draft:
    """An annotation being drawn with one tool on one view's plane."""

    close_tolerance_mm = 3.0  # a click this close to a polygon's first vertex closes it

    def __init__(self, kind: Kind, frame: Frame) -> None:
        self.kind = kind
        self.frame = frame
        self.points: list[np.ndarray] = []
        self.moving: np.ndarray | None = None  # where the pointer is now

    @property
    def normal(self) -> Vec:
        """Plane normal stored with 2-D shapes."""
        return _t(self.frame.look)

    def _shape(self, a: np.ndarray, b: np.ndarray) -> Annotation | None:
        if np.linalg.norm(b - a) < MIN_SIZE_MM:
            return None
        if self.kind is Kind.RULER:
            return Annotation(Kind.RULER, (_t(a), _t(b)), self.normal)
        if self.kind is Kind.SPHERE:
            return Annotation(Kind.SPHERE, (_t(a), _t(b)), self.normal)
        if self.kind is Kind.RECTANGLE:
            return Annotation(Kind.RECTANGLE, (_t(a), _t(b)), self.normal)
        # Ellipse inscribed in the dragged box, semi-axes along the screen axes.
        r, u = self.frame.right, self.frame.up
        centre = (a + b) / 2
        half = (b - a) / 2
        return Annotation(Kind.ELLIPSE, (_t(centre), _t(centre + r * abs(np.dot(half, r))),
                                         _t(centre + u * abs(np.dot(half, u)))), self.normal)

    def press(self, point: np.ndarray) -> Annotation | None:
        """Mouse press at ``point``; returns the finished annotation when this completes it."""
        point = np.asarray(point, dtype=float)
        self.moving = point
        if self.kind in DRAG_KINDS:
            self.points = [point]
            return None
        if self.kind is Kind.POLYGON and len(self.points) >= 3:
            first = self.points[0]
            if np.linalg.norm(point - first) < self.close_tolerance_mm:
                return self.finish()
        self.points.append(point)
        if len(self.points) == CLICKS_NEEDED.get(self.kind, -1):
            return Annotation(self.kind, tuple(_t(p) for p in self.points), self.normal)
        return None

    def move(self, point: np.ndarray) -> None:
        """Pointer moved (dragging or hovering): updates the preview."""
        self.moving = np.asarray(point, dtype=float)

    def release(self, point: np.ndarray) -> Annotation | None:
        """Mouse release: finishes drag shapes."""
        self.moving = np.asarray(point, dtype=float)
        if self.kind in DRAG_KINDS and self.points:
            shape = self._shape(self.points[0], self.moving)
            self.points = []
            return shape
        return None

    def finish(self) -> Annotation | None:
        """Close a polygon (double click, Enter, or a click on its first vertex)."""
        if self.kind is Kind.POLYGON and len(self.points) >= 3:
            shape = Annotation(Kind.POLYGON, tuple(_t(p) for p in self.points), self.normal)
            self.points = []
            return shape
        return None

    def preview(self) -> Annotation | None:
        """What would be drawn if the pointer were released/clicked now (None: nothing yet)."""
        if not self.points or self.moving is None:
            return None
        if self.kind in DRAG_KINDS:
            return self._shape(self.points[0], self.moving)
        pts = [*self.points, self.moving]
        if self.kind is Kind.ANGLE:
            kind = Kind.ANGLE if len(pts) == 3 else Kind.RULER
            return Annotation(kind, tuple(_t(p) for p in pts), self.normal)
        if self.kind is Kind.POLYGON:
            kind = Kind.POLYGON if len(pts) >= 3 else Kind.RULER
            return Annotation(kind, tuple(_t(p) for p in pts), self.normal)
        return None


# -- which annotations a slice shows, and what the pointer is over -----------------------------
def on_plane(annotation: Annotation, origin: np.ndarray, look: np.ndarray,
             half_thickness_mm: float) -> bool:
    """Whether a view through ``origin`` looking along ``look`` shows the annotation."""
    d = (annotation.array - origin) @ look
    if annotation.kind is Kind.SPHERE:
        r = float(np.linalg.norm(annotation.array[1] - annotation.array[0]))
        return abs(float(d[0])) <= r
    return bool(np.all(np.abs(d) <= half_thickness_mm))


def sphere_section(annotation: Annotation, origin: np.ndarray,
                   look: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Centre and radius of the circle where a spherical ROI cuts the slice plane."""
    c, edge = annotation.array
    r = float(np.linalg.norm(edge - c))
    d = float(np.dot(c - origin, look))
    if abs(d) > r:
        return None
    return c - look * d, float(np.sqrt(r * r - d * d))


def handles(annotation: Annotation) -> np.ndarray:
    """Points the user can grab to edit the shape (its defining points)."""
    return annotation.array


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = 0.0 if not np.any(ab) else float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1))
    return float(np.linalg.norm(p - (a + t * ab)))


def outline_for_picking(annotation: Annotation, origin: np.ndarray,
                        look: np.ndarray) -> np.ndarray:
    """Polyline (N, 3) the shape is drawn with on this plane (closed shapes repeat vertex 0)."""
    k = annotation.kind
    if k in (Kind.ELLIPSE, Kind.RECTANGLE, Kind.POLYGON):
        out = annotation.outline()
        return np.vstack([out, out[:1]])
    if k is Kind.SPHERE:
        section = sphere_section(annotation, origin, look)
        if section is None:
            return np.empty((0, 3))
        centre, radius = section
        u, v = plane_axes(look)
        t = np.linspace(0, 2 * np.pi, 65)
        return centre + radius * (np.cos(t)[:, None] * u + np.sin(t)[:, None] * v)
    return annotation.array


@dataclass(frozen=True)
class Hit:
    """What the pointer is over: an annotation, and a handle index or None (the body)."""

    annotation_id: str
    handle: int | None


def pick(annotations: list[Annotation], point: np.ndarray, origin: np.ndarray,
         look: np.ndarray, tolerance_mm: float) -> Hit | None:
    """The annotation (and handle) nearest ``point`` within ``tolerance_mm``, handles first."""
    point = np.asarray(point, dtype=float)
    best: tuple[float, Hit] | None = None
    for a in annotations:
        for n, h in enumerate(handles(a)):
            dist = float(np.linalg.norm(h - point))
            if dist <= tolerance_mm and (best is None or dist < best[0]):
                best = (dist, Hit(a.id, n))
    if best is not None:
        return best[1]
    for a in annotations:
        line = outline_for_picking(a, origin, look)
        if len(line) == 1:
            dist = float(np.linalg.norm(line[0] - point))
        elif len(line) == 0:
            continue
        else:
            dist = min(_segment_distance(point, line[n], line[n + 1])
                       for n in range(len(line) - 1))
        if dist <= tolerance_mm and (best is None or dist < best[0]):
            best = (dist, Hit(a.id, None))
    return None if best is None else best[1]


def edited(annotation: Annotation, hit: Hit, start: np.ndarray, now: np.ndarray) -> Annotation:
    """The annotation after dragging ``hit`` from ``start`` to ``now`` (move or reshape)."""
    offset = np.asarray(now, dtype=float) - np.asarray(start, dtype=float)
    if hit.handle is None:
        return annotation.moved(_t(offset))
    pts = annotation.array.copy()
    if annotation.kind in (Kind.ELLIPSE, Kind.SPHERE) and hit.handle == 0:
        pts += offset  # dragging the centre moves the whole shape
    else:
        pts[hit.handle] += offset
    return replace(annotation, points=tuple(_t(p) for p in pts))


def centre_of(annotation: Annotation) -> np.ndarray:
    """Where the views go when the annotation is chosen in the list."""
    if annotation.kind in (Kind.ELLIPSE, Kind.SPHERE):
        return annotation.array[0]
    return annotation.array.mean(axis=0)
