"""Voxel grid geometry in patient LPS coordinates (millimetres)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

# Array layout convention used everywhere in dcreview: a volume array has shape
# (nk, nj, ni) -- slices, rows, columns -- so one slice is contiguous in memory.
# Index vectors are written (i, j, k) = (column, row, slice), like DICOM and ITK.


@dataclass(frozen=True)
class Geometry:
    """Where each voxel of a (k, j, i) array sits in patient space (LPS, mm).

    ``direction`` columns are the unit vectors of the i, j and k index axes.
    For a gantry-tilted series the k column is not orthogonal to i and j.
    """

    origin: tuple[float, float, float]
    spacing: tuple[float, float, float]
    direction: tuple[tuple[float, float, float], ...] = ((1, 0, 0), (0, 1, 0), (0, 0, 1))

    def __post_init__(self) -> None:
        d = np.asarray(self.direction, dtype=float)
        if d.shape != (3, 3):
            raise ValueError("direction must be 3x3")
        if any(s <= 0 for s in self.spacing):
            raise ValueError(f"spacing must be positive, got {self.spacing}")
        object.__setattr__(self, "origin", tuple(float(v) for v in self.origin))
        object.__setattr__(self, "spacing", tuple(float(v) for v in self.spacing))
        object.__setattr__(self, "direction", tuple(tuple(float(v) for v in row) for row in d))

    @property
    def direction_matrix(self) -> np.ndarray:
        """3x3 direction matrix (columns = i, j, k axis unit vectors)."""
        return np.asarray(self.direction, dtype=float)

    @property
    def affine(self) -> np.ndarray:
        """4x4 matrix mapping homogeneous (i, j, k, 1) to LPS millimetres."""
        a = np.eye(4)
        a[:3, :3] = self.direction_matrix * np.asarray(self.spacing)
        a[:3, 3] = self.origin
        return a

    @property
    def is_orthogonal(self) -> bool:
        """True when the index axes are mutually perpendicular (no gantry tilt shear)."""
        d = self.direction_matrix
        return bool(np.allclose(d.T @ d, np.eye(3), atol=1e-4))

    def index_to_world(self, ijk: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """Map (..., 3) continuous indices (i, j, k) to LPS millimetres."""
        ijk = np.asarray(ijk, dtype=float)
        return ijk * np.asarray(self.spacing) @ self.direction_matrix.T + np.asarray(self.origin)

    def world_to_index(self, xyz: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """Map (..., 3) LPS millimetres to continuous indices (i, j, k)."""
        xyz = np.asarray(xyz, dtype=float) - np.asarray(self.origin)
        return xyz @ self._world_to_index_matrix.T

    @cached_property
    def _world_to_index_matrix(self) -> np.ndarray:
        # Inverted once per geometry: the viewer maps the cursor to an index several times
        # per scroll step, and a solve each time was most of a step's Python time.
        return np.linalg.inv(self.direction_matrix) / np.asarray(self.spacing)[:, None]

    def extent_mm(self, shape_kji: tuple[int, int, int]) -> tuple[float, float, float]:
        """Physical size (i, j, k) in mm covered by an array of the given (k, j, i) shape."""
        nk, nj, ni = shape_kji
        return (ni * self.spacing[0], nj * self.spacing[1], nk * self.spacing[2])

    def center(self, shape_kji: tuple[int, int, int]) -> np.ndarray:
        """World position of the centre of the grid."""
        nk, nj, ni = shape_kji
        return self.index_to_world(((ni - 1) / 2, (nj - 1) / 2, (nk - 1) / 2))

    def same_grid(self, other: Geometry, tol: float = 1e-3) -> bool:
        """True when both geometries place voxels at the same world positions."""
        return bool(
            np.allclose(self.origin, other.origin, atol=tol)
            and np.allclose(self.spacing, other.spacing, atol=tol)
            and np.allclose(self.direction, other.direction, atol=1e-5)
        )


def orientation_label(vector: np.ndarray) -> str:
    """Patient-direction letters (e.g. 'L', 'PS') a unit vector points toward, strongest first."""
    letters = (("R", "L"), ("A", "P"), ("I", "S"))
    v = np.asarray(vector, dtype=float)
    order = np.argsort(-np.abs(v))
    out = ""
    for axis in order:
        if abs(v[axis]) > 0.3:
            out += letters[axis][1] if v[axis] > 0 else letters[axis][0]
    return out
