"""Annotation shapes in patient space and what each one measures."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np

ELLIPSE_VERTICES = 64


class Kind(Enum):
    """The annotation tools."""

    POINT = "point"
    RULER = "ruler"
    ANGLE = "angle"
    ELLIPSE = "ellipse"  # points: centre, end of first semi-axis, end of second semi-axis
    RECTANGLE = "rectangle"  # points: two opposite corners (in-plane)
    POLYGON = "polygon"
    SPHERE = "sphere"  # points: centre, a point on the surface
    NOTE = "note"  # free text at a location


ROI_KINDS = (Kind.ELLIPSE, Kind.RECTANGLE, Kind.POLYGON)


@dataclass(frozen=True)
class Annotation:
    """One annotation: points in LPS mm; ``normal`` is the plane of a 2-D shape."""

    kind: Kind
    points: tuple[tuple[float, float, float], ...]
    normal: tuple[float, float, float] = (0.0, 0.0, 1.0)
    text: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def array(self) -> np.ndarray:
        """Points as an (N, 3) array."""
        return np.asarray(self.points, dtype=float)

    def moved(self, offset: tuple[float, float, float]) -> Annotation:
        """The same annotation translated by ``offset`` mm."""
        return replace(self, points=tuple(tuple(p) for p in self.array + np.asarray(offset)))

    def outline(self) -> np.ndarray:
        """Polygon vertices (N, 3) of an in-plane ROI."""
        p = self.array
        if self.kind is Kind.POLYGON:
            return p
        if self.kind is Kind.RECTANGLE:
            u, v = plane_axes(np.asarray(self.normal))
            a, b = p[0], p[1]
            du, dv = np.dot(b - a, u), np.dot(b - a, v)
            return np.array([a, a + du * u, a + du * u + dv * v, a + dv * v])
        if self.kind is Kind.ELLIPSE:
            c, a1, a2 = p[0], p[1] - p[0], p[2] - p[0]
            t = np.linspace(0, 2 * np.pi, ELLIPSE_VERTICES, endpoint=False)
            return c + np.cos(t)[:, None] * a1 + np.sin(t)[:, None] * a2
        raise ValueError(f"{self.kind.value} has no outline")

    def measurement(self) -> dict:
        """The geometric measurement of the shape (lengths in mm, areas in mm², degrees)."""
        p = self.array
        if self.kind is Kind.RULER:
            return {"length_mm": float(np.linalg.norm(p[1] - p[0]))}
        if self.kind is Kind.ANGLE:
            a, b = p[0] - p[1], p[2] - p[1]
            lengths = float(np.linalg.norm(a) * np.linalg.norm(b))
            if lengths < 1e-12:  # an arm of no length (mid-draw): no angle yet
                return {}
            cos = float(np.dot(a, b) / lengths)
            return {"angle_deg": math.degrees(math.acos(max(-1.0, min(1.0, cos))))}
        if self.kind in ROI_KINDS:
            if self.kind is Kind.ELLIPSE:
                r1, r2 = np.linalg.norm(p[1] - p[0]), np.linalg.norm(p[2] - p[0])
                return {"area_mm2": float(math.pi * r1 * r2)}
            return {"area_mm2": polygon_area(self.outline(), np.asarray(self.normal))}
        if self.kind is Kind.SPHERE:
            r = float(np.linalg.norm(p[1] - p[0]))
            return {"radius_mm": r, "volume_ml": 4 / 3 * math.pi * r**3 / 1000}
        return {}


def plane_axes(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors spanning the plane with this normal."""
    n = normal / np.linalg.norm(normal)
    helper = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(n, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(n, u)


def polygon_area(vertices: np.ndarray, normal: np.ndarray) -> float:
    """Area (mm²) of a planar polygon (shoelace formula in the plane's coordinates)."""
    u, v = plane_axes(normal)
    x, y = vertices @ u, vertices @ v
    return float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
