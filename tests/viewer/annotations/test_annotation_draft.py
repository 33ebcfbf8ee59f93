"""Drawing, picking and editing logic without a screen."""

from __future__ import annotations

import numpy as np
import pytest

from inference.annotations.model import Annotation, Kind
from viewer.annotations.draft import Draft, Frame, Hit, edited, on_plane, pick, sphere_section
from viewer.annotations.text import label_text, measurement_text

AXIAL = Frame(right=np.array([-1.0, 0, 0]), up=np.array([0, -1.0, 0]), look=np.array([0, 0, 1.0]))


def test_drag_ruler_and_slip_of_the_hand():
    d = Draft(Kind.RULER, AXIAL)
    assert d.press(np.array([0, 0, 5.0])) is None
    d.move(np.array([30, 40, 5.0]))
    assert d.preview().measurement()["length_mm"] == pytest.approx(50)
    ruler = d.release(np.array([30, 40, 5.0]))
    assert ruler.kind is Kind.RULER and ruler.measurement()["length_mm"] == pytest.approx(50)
    d.press(np.array([0, 0, 5.0]))
    assert d.release(np.array([0.2, 0, 5.0])) is None  # too short to be meant


def test_ellipse_is_inscribed_in_the_dragged_box():
    d = Draft(Kind.ELLIPSE, AXIAL)
    d.press(np.array([10, 20, 0.0]))
    e = d.release(np.array([-10, 10, 0.0]))
    assert e.points[0] == (0.0, 15.0, 0.0)
    assert e.measurement()["area_mm2"] == pytest.approx(np.pi * 10 * 5)
    assert e.normal == (0.0, 0.0, 1.0)


def test_angle_takes_three_clicks_and_polygon_closes_on_first_vertex():
    d = Draft(Kind.ANGLE, AXIAL)
    assert d.press(np.array([10, 0, 0.0])) is None
    assert d.press(np.array([0, 0, 0.0])) is None
    angle = d.press(np.array([0, 10, 0.0]))
    assert angle.measurement()["angle_deg"] == pytest.approx(90)
    poly = Draft(Kind.POLYGON, AXIAL)
    for p in ((0, 0), (20, 0), (20, 10)):
        assert poly.press(np.array([*p, 0.0])) is None
    closed = poly.press(np.array([1, 1, 0.0]))  # within 3 mm of the first vertex
    assert closed.kind is Kind.POLYGON and len(closed.points) == 3
    assert closed.measurement()["area_mm2"] == pytest.approx(100)


def test_pick_prefers_handles_and_edit_moves_or_reshapes():
    ruler = Annotation(Kind.RULER, ((0, 0, 0), (40, 0, 0)))
    origin, look = np.zeros(3), AXIAL.look
    assert pick([ruler], np.array([39, 1, 0.0]), origin, look, 2) == Hit(ruler.id, 1)
    assert pick([ruler], np.array([20, 1, 0.0]), origin, look, 2) == Hit(ruler.id, None)
    assert pick([ruler], np.array([20, 5, 0.0]), origin, look, 2) is None
    moved = edited(ruler, Hit(ruler.id, None), np.array([20, 0, 0.0]), np.array([25, 3, 0.0]))
    assert moved.points == ((5, 3, 0), (45, 3, 0)) and moved.id == ruler.id
    longer = edited(ruler, Hit(ruler.id, 1), np.array([40, 0, 0.0]), np.array([50, 0, 0.0]))
    assert longer.measurement()["length_mm"] == pytest.approx(50)


def test_which_slices_show_an_annotation():
    ruler = Annotation(Kind.RULER, ((0, 0, 10), (40, 0, 10)))
    look = AXIAL.look
    assert on_plane(ruler, np.array([0, 0, 11.0]), look, 1.25)
    assert not on_plane(ruler, np.array([0, 0, 12.0]), look, 1.25)
    sphere = Annotation(Kind.SPHERE, ((0, 0, 0), (10, 0, 0)))
    assert on_plane(sphere, np.array([0, 0, 8.0]), look, 1.25)
    centre, radius = sphere_section(sphere, np.array([5, 5, 6.0]), look)
    assert np.allclose(centre, (0, 0, 6)) and radius == pytest.approx(8)
    assert sphere_section(sphere, np.array([0, 0, 11.0]), look) is None


def test_labels_read_like_a_radiologist_writes_them():
    ruler = Annotation(Kind.RULER, ((0, 0, 0), (42.25, 0, 0)))
    assert measurement_text(ruler) == "42.2 mm" or measurement_text(ruler) == "42.3 mm"
    roi = Annotation(Kind.RECTANGLE, ((0, 0, 0), (10, 10, 0)))
    text = label_text(roi, {"non_contrast": {"voxels": 9, "mean": 41.2, "sd": 8.9, "min": 0,
                                             "max": 90},
                            "synthetic": {"voxels": 9, "mean": 250.0, "sd": 12.0, "min": 200,
                                          "max": 300}})
    assert text.splitlines() == ["100 mm²", "NC 41 ± 9 HU [0, 90]",
                                 "SYN (synthetic) 250 ± 12 HU [200, 300]"]


def test_point_reads_with_sides_and_a_half_drawn_angle_is_quiet():
    import warnings

    point = Annotation(Kind.POINT, ((-48.0, -12.0, 60.0),))
    assert measurement_text(point) == "48.0 R  12.0 A  60.0 S mm"  # as the status bar says
    drafting = Annotation(Kind.ANGLE, ((10, 0, 0), (10, 0, 0), (10, 0, 0)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's NaN RuntimeWarning was printed here
        assert drafting.measurement() == {} and measurement_text(drafting) == ""
    right = Annotation(Kind.ANGLE, ((10, 0, 0), (0, 0, 0), (0, 10, 0)))
    assert measurement_text(right) == "90.0°"
