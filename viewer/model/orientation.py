"""Camera conventions of the three orthogonal views (no Qt, no VTK): radiological display."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property

import numpy as np

from inference.io.geometry import Geometry, orientation_label


class Plane(Enum):
    """The three orthogonal planes."""

    AXIAL = "axial"
    CORONAL = "coronal"
    SAGITTAL = "sagittal"


# Direction the camera looks along and the screen-up direction, in LPS:
# axial seen from the feet with anterior up; coronal seen from the front with head up;
# sagittal seen from the patient's left with head up (anterior on the screen's left).
_LOOK = {Plane.AXIAL: (0, 0, 1), Plane.CORONAL: (0, 1, 0), Plane.SAGITTAL: (-1, 0, 0)}
_UP = {Plane.AXIAL: (0, -1, 0), Plane.CORONAL: (0, 0, 1), Plane.SAGITTAL: (0, 0, 1)}


@dataclass(frozen=True)
class ViewFrame:
    """Where a view's camera looks and which volume axis it scrolls through."""

    plane: Plane
    look: np.ndarray
    up: np.ndarray
    axis: int

    @cached_property
    def right(self) -> np.ndarray:
        """World direction pointing to the screen's right (asked at every scroll: kept)."""
        return np.cross(self.look, self.up)

    def edge_labels(self) -> dict[str, str]:
        """Orientation letters for the left, right, top and bottom screen edges."""
        r, u = self.right, self.up
        return {"left": orientation_label(-r), "right": orientation_label(r),
                "top": orientation_label(u), "bottom": orientation_label(-u)}


def view_frame(plane: Plane, geometry: Geometry) -> ViewFrame:
    """Camera frame for ``plane``: looks along the volume axis closest to the plane normal."""
    d = geometry.direction_matrix
    wanted = np.asarray(_LOOK[plane], dtype=float)
    axis = int(np.argmax(np.abs(d.T @ wanted)))
    normal = np.cross(d[:, (axis + 1) % 3], d[:, (axis + 2) % 3])
    normal /= np.linalg.norm(normal)
    look = normal if np.dot(normal, wanted) >= 0 else -normal
    up = np.asarray(_UP[plane], dtype=float)
    up = up - np.dot(up, look) * look
    up /= np.linalg.norm(up)
    return ViewFrame(plane, look, up, axis)


# LPS: +x is the patient's left, +y posterior, +z superior.
SIDES = (("R", "L"), ("A", "P"), ("I", "S"))


def signed_position(point: np.ndarray) -> str:
    """E.g. "12.0 L  28.0 P  105.5 S mm": each coordinate with the side it lies on."""
    parts = [f"{abs(v):.1f} {neg if v < 0 else pos}"
             for v, (neg, pos) in zip(point, SIDES, strict=True)]
    return "  ".join(parts) + " mm"
