import numpy as np
import pytest

from inference.io.geometry import Geometry, orientation_label
from inference.io.volume import Volume, hu_dtype


def oblique() -> Geometry:
    angle = np.radians(20)
    d = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]])
    return Geometry((10.0, -20.0, 30.0), (0.7, 0.8, 2.5), d)


def test_index_world_round_trip_oblique():
    g = oblique()
    ijk = np.array([[0, 0, 0], [3, 4, 5], [10.5, -2, 7.25]])
    world = g.index_to_world(ijk)
    np.testing.assert_allclose(world[0], (10, -20, 30))
    # Moving one step along i moves 0.7 mm along the first direction column.
    np.testing.assert_allclose(g.index_to_world((1, 0, 0)) - world[0],
                               0.7 * g.direction_matrix[:, 0])
    np.testing.assert_allclose(g.world_to_index(world), ijk, atol=1e-9)


def test_affine_matches_index_to_world():
    g = oblique()
    p = np.array([2.0, 3.0, 4.0, 1.0])
    np.testing.assert_allclose((g.affine @ p)[:3], g.index_to_world(p[:3]))


def test_sheared_geometry_is_not_orthogonal():
    tilted = Geometry((0, 0, 0), (1, 1, 1), np.column_stack([(1, 0, 0), (0, 1, 0),
                                                             (0, np.sin(0.2), np.cos(0.2))]))
    assert not tilted.is_orthogonal
    assert oblique().is_orthogonal


def test_bad_spacing_rejected():
    with pytest.raises(ValueError):
        Geometry((0, 0, 0), (1, 0, 1))


def test_orientation_labels():
    assert orientation_label(np.array([1, 0, 0])) == "L"
    assert orientation_label(np.array([0, -1, 0])) == "A"
    assert orientation_label(np.array([0, 0.6, 0.8])) == "SP"


def test_volume_lookup_and_zero_copy():
    a = np.arange(2 * 3 * 4, dtype=np.int16).reshape(2, 3, 4)
    v = Volume(a, Geometry((0, 0, 0), (1, 2, 3)))
    assert v.value_at_world((3, 4, 3)) == a[1, 2, 3]
    assert v.value_at_world((100, 0, 0)) is None
    assert np.shares_memory(v.axial(1), a)
    w = v.with_array(a[::-1].copy())
    assert w.geometry is v.geometry and w.array[0, 0, 0] == a[1, 0, 0]


def test_hu_dtype():
    assert hu_dtype(-1024, 3071, True) == np.int16
    assert hu_dtype(-1024, 40000, True) == np.float32
    assert hu_dtype(-1, 1, False) == np.float32
