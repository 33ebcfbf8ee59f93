"""Slice compositing without a screen: exact pixel values."""

import numpy as np
import pytest

from inference.io.geometry import Geometry
from inference.io.volume import Volume
from viewer.model.window_level import WindowLevel
from viewer.pixels.compositor import (
    Blend,
    LutCache,
    compose,
    extract,
    fade,
    lookup,
    slice_geometry,
)

W = WindowLevel(400, 40)


def test_extract_is_zero_copy_and_oriented():
    a = np.arange(2 * 3 * 4, dtype=np.int16).reshape(2, 3, 4)
    assert np.shares_memory(extract(a, 2, 1), a) and extract(a, 2, 1).shape == (3, 4)
    assert extract(a, 1, 2).shape == (2, 4) and extract(a, 1, 2)[1, 3] == a[1, 2, 3]
    assert extract(a, 0, 3).shape == (2, 3) and extract(a, 0, 3)[1, 2] == a[1, 2, 3]


def test_lookup_matches_window_formula():
    values = np.array([[-1024, -160, 40, 240, 3000, -32768, 32767]], dtype=np.int16)
    expected = np.rint(W.grey(values.astype(float))).astype(np.uint8)
    np.testing.assert_array_equal(lookup(LutCache().grey(W), values), expected)


def test_grey_blend_is_linear_in_opacity():
    base = np.full((2, 2), 40, np.int16)  # grey 128 (127.5 rounded)
    over = np.full((2, 2), 240, np.int16)  # grey 255
    out = np.empty((2, 2, 3), np.uint8)
    luts = LutCache()
    for opacity, expected in ((0.0, 128), (0.5, 192), (1.0, 255)):
        compose(base, W, luts, out, over, Blend.GREY, opacity)
        assert (out == expected).all(), opacity


def test_fixed_point_fade_within_one_grey_level_of_exact():
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (64, 64)).astype(np.uint8)
    over = rng.integers(0, 256, (64, 64)).astype(np.uint8)
    for opacity in (0.0, 0.13, 0.5, 0.77, 1.0):
        exact = grey * (1 - opacity) + over * opacity
        assert np.abs(fade(grey, over, opacity).astype(float) - exact).max() <= 1.0
    np.testing.assert_array_equal(fade(grey, over, 0.0), grey)
    np.testing.assert_array_equal(fade(grey, over, 1.0), over)


def test_colour_blend_respects_threshold():
    base = np.zeros((1, 3), np.int16)
    enhancement = np.array([[10, 100, 300]], np.int16)
    out = np.empty((1, 3, 3), np.uint8)
    compose(base, W, LutCache(), out, enhancement, Blend.COLOUR, 1.0, threshold=50)
    grey0 = round(W.grey(0.0).item())
    assert (out[0, 0] == grey0).all()  # below threshold: untouched grey
    r, g, b = out[0, 2]
    assert r > 200 and g > 100 and b < g  # strong enhancement: orange-yellow


def test_swipe_splits_at_the_column_and_fades():
    base = np.full((2, 6), -1000, np.int16)
    over = np.full((2, 6), 1000, np.int16)
    out = np.empty((2, 6, 3), np.uint8)
    compose(base, W, LutCache(), out, over, Blend.SWIPE, opacity=1.0, swipe=(2, True))
    assert (out[:, :2] == 0).all() and (out[:, 2:] == 255).all()
    compose(base, W, LutCache(), out, over, Blend.SWIPE, opacity=1.0, swipe=(2, False))
    assert (out[:, :2] == 255).all() and (out[:, 2:] == 0).all()
    full = out.copy()
    compose(base, W, LutCache(), out, over, Blend.SWIPE, opacity=0.5, swipe=(2, False))
    # A curtain: each side at full strength whatever the fade (it once showed 50 % here).
    np.testing.assert_array_equal(out, full)


def test_slice_geometry_places_pixels_in_world():
    v = Volume(np.zeros((5, 6, 7), np.int16), Geometry((10.0, 20.0, 30.0), (0.5, 0.6, 2.0)))
    g = slice_geometry(v, 1, 3)  # coronal slice j = 3: rows are k, columns are i
    col, row = 4, 2
    world = g.matrix @ np.array([col, row, 0, 1])
    np.testing.assert_allclose(world[:3], v.index_to_world((col, 3, row)))


@pytest.mark.parametrize("dtype", [np.int16, np.float32])
def test_float_volumes_compose_too(dtype):
    base = np.array([[40.4, -1000]], dtype=dtype)
    out = np.empty((1, 2, 3), np.uint8)
    compose(base, W, LutCache(), out)
    assert out[0, 0, 0] == 128 and out[0, 1, 0] == 0


def test_the_default_threshold_sits_above_the_noise_of_a_subtraction():
    from viewer.pixels.enhancement import noise_threshold

    rng = np.random.default_rng(5)
    shape = (24, 96, 96)
    geometry = Geometry((0.0, 0.0, 0.0), (1.0, 1.0, 2.0))
    base = Volume(np.rint(rng.normal(40, 20, shape)).astype(np.int16), geometry)
    same = rng.normal(40, 20, shape)  # a "synthetic" with no enhancement at all
    diff = same - base.array
    threshold = noise_threshold(base)
    assert (diff > threshold).mean() < 0.01  # almost no noise coloured
    assert (diff > 40).mean() > 0.05  # the old fixed 40 HU coloured noise everywhere
    quiet = Volume(np.rint(rng.normal(40, 3, shape)).astype(np.int16), geometry)
    assert noise_threshold(quiet) == 20.0  # never below a floor
    # Measured on the subtraction itself: a texture-keeping model adds an enhancement to
    # the acquired scan, so its subtraction has no noise and 20 HU of iodine is shown...
    enhanced = Volume(base.array + 25, geometry)
    assert noise_threshold(base, enhanced) == 20.0
    # ...while a noise-free image model subtracts to the scan's own noise (SD 20 here).
    clean = Volume(np.full(shape, 65, np.int16), geometry)
    assert 45.0 <= noise_threshold(base, clean) <= 75.0


def test_the_difference_map_is_clear_outside_the_real_fov():
    from viewer.pixels.enhancement import mask_outside

    real = np.full((2, 4, 4), 100, np.int16)
    real[:, :, 0] = -1024  # outside the registered scan's field of view
    diff = np.full((2, 4, 4), 500, np.int16)
    masked = mask_outside(diff, real)
    assert (masked[:, :, 0] == 0).all() and (masked[:, :, 1:] == 500).all()


def test_difference_map_leaves_the_noise_band_grey_and_is_never_white():
    """|synthetic - real| inside the band (noise) is not painted; outside it the colour is
    red above and blue below from the band's edge on; zero is never opaque white."""
    base = np.full((1, 7), 40, np.int16)  # grey 128 at W 400 L 40
    diff = np.array([[-300, -60, -39, 0, 39, 60, 300]], np.int16)
    out = np.empty((1, 7, 3), np.uint8)
    compose(base, W, LutCache(), out, diff, Blend.DIVERGING, 1.0, diverging=(300.0, 40.0))
    grey = out[0, 3]
    for col in (2, 3, 4):  # inside the band: the image itself
        np.testing.assert_array_equal(out[0, col], grey)
    red, blue = out[0, 5].astype(int), out[0, 1].astype(int)
    assert red[0] - red[2] > 40 and blue[2] - blue[0] > 40  # a clear tint at the band edge
    assert tuple(out[0, 6]) == (255, 0, 0) and tuple(out[0, 0]) == (0, 0, 255)
    values = np.arange(-400, 401)
    from viewer.pixels.enhancement import diverging_table

    table = diverging_table(values, 300.0, 40.0)
    painted = table[:, 3] > 0
    assert not (painted & (table[:, :3].min(axis=1) > 0.9)).any()  # no white anywhere
    assert (np.abs(values[painted]) >= 40).all()
