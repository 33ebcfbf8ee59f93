import numpy as np
import pytest

from inference.io.geometry import Geometry
from inference.io.volume import SeriesMetadata, Volume
from viewer.model.window_level import WindowLevel, default_window, preset, presets, resolve


def test_presets_in_number_key_order():
    keys = [p.key for p in presets()]
    assert keys[:5] == ["abdomen", "soft_tissue", "angio", "bone", "lung"]
    assert preset("angio").window == WindowLevel(600, 170)
    assert preset("lung").window == WindowLevel(1500, -600)
    with pytest.raises(KeyError):
        preset("brain-ish")


def test_grey_mapping_is_linear_and_clamped():
    w = WindowLevel(400, 40)
    np.testing.assert_allclose(w.grey([-160, 40, 240, -1000, 3000]), [0, 127.5, 255, 0, 255])


def test_drag_and_minimum_width():
    w = WindowLevel(400, 40).dragged(dx=-1000, dy=10, scale=1.0)
    assert w.width == 1.0 and w.level == 50


def test_dicom_window_used_when_present():
    v = Volume(np.zeros((1, 1, 1), np.int16), Geometry((0, 0, 0), (1, 1, 1)),
               metadata=SeriesMetadata(window_center=50, window_width=350))
    assert default_window(v) == WindowLevel(350, 50)
    assert resolve(preset("dicom"), v) == WindowLevel(350, 50)
    bare = Volume(np.zeros((1, 1, 1), np.int16), Geometry((0, 0, 0), (1, 1, 1)))
    assert default_window(bare) == preset("abdomen").window
