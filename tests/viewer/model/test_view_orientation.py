import numpy as np
import pytest

from inference.io.geometry import Geometry
from viewer.model.orientation import Plane, view_frame

AXIAL_GRID = Geometry((0, 0, 0), (1, 1, 1))


@pytest.mark.parametrize("plane, labels, axis", [
    # Radiological convention: patient's right on the viewer's left.
    (Plane.AXIAL, {"left": "R", "right": "L", "top": "A", "bottom": "P"}, 2),
    (Plane.CORONAL, {"left": "R", "right": "L", "top": "S", "bottom": "I"}, 1),
    (Plane.SAGITTAL, {"left": "A", "right": "P", "top": "S", "bottom": "I"}, 0),
])
def test_standard_views(plane, labels, axis):
    frame = view_frame(plane, AXIAL_GRID)
    assert frame.edge_labels() == labels
    assert frame.axis == axis


def test_feet_first_stack_still_displays_radiologically():
    # Slices ordered head to feet (k runs toward I) and rows toward patient right.
    g = Geometry((0, 0, 0), (1, 1, 1), np.column_stack([(-1, 0, 0), (0, 1, 0), (0, 0, -1)]))
    frame = view_frame(Plane.AXIAL, g)
    assert frame.edge_labels()["left"] == "R"
    np.testing.assert_allclose(frame.look, (0, 0, 1))
