"""Metric functions against hand-computed values and an independent implementation."""

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from inference.compare.metrics import body_mask, compare, dice, lumen_dice, mae, psnr, ssim


def test_mae_and_psnr_by_hand():
    ref = np.array([[[0, 10, 20, 30]]], dtype=np.int16)
    pred = np.array([[[1, 8, 20, 90]]], dtype=np.int16)
    mask = np.array([[[True, True, True, False]]])
    assert mae(ref, pred, mask) == pytest.approx((1 + 2 + 0) / 3)
    mse = (1 + 4 + 0) / 3
    assert psnr(ref, pred, mask) == pytest.approx(10 * np.log10(4024**2 / mse))
    # Clipping to [-1024, 3000] applies to PSNR but not MAE.
    ref2 = np.array([[[5000]]], np.int16)
    pred2 = np.array([[[3000]]], np.int16)
    one = np.ones((1, 1, 1), bool)
    assert mae(ref2, pred2, one) == 2000 and psnr(ref2, pred2, one) == float("inf")


def test_dice_by_hand():
    a = np.array([1, 1, 1, 0, 0], bool)
    b = np.array([0, 1, 1, 1, 0], bool)
    assert dice(a, b) == pytest.approx(2 * 2 / 6)
    assert dice(np.zeros(3, bool), np.zeros(3, bool)) == 1.0
    ref = np.array([100, 200, 300, 50])
    pred = np.array([160, 140, 300, 200])
    roi = np.array([True, True, True, False])
    assert lumen_dice(ref, pred, roi, 150) == pytest.approx(2 * 1 / (2 + 2))


def test_body_mask_keeps_largest_component_and_fills_holes():
    a = np.full((1, 9, 9), -1000, np.int16)
    a[0, 1:8, 1:8] = 40
    a[0, 4, 4] = -1000  # bowel gas inside the body: a hole
    a[0, 0, 8] = 40  # a speck outside: another component
    m = body_mask(a)
    assert m[0, 4, 4] and not m[0, 0, 8] and m.sum() == 49


def test_ssim_matches_scikit_image():
    rng = np.random.default_rng(3)
    ref = rng.integers(-200, 600, size=(20, 24, 28)).astype(np.int16)
    pred = (ref + rng.normal(0, 60, size=ref.shape)).astype(np.int16)
    mask = np.ones(ref.shape, bool)
    ours = ssim(ref, pred, mask, slab=6)  # slabs smaller than the volume: halo handling
    x = ref.astype(np.float64) + 1024
    y = pred.astype(np.float64) + 1024
    _, full = structural_similarity(x, y, data_range=4024, full=True)
    expected = full[3:-3, 3:-3, 3:-3].mean()
    assert ours == pytest.approx(expected, abs=1e-9)


def test_identity_baseline_is_worse_than_perfect():
    rng = np.random.default_rng(0)
    real = np.full((12, 20, 20), -1000, np.int16)
    real[:, 3:17, 3:17] = 40
    real[:, 8:12, 8:12] = 300  # an enhancing vessel
    plain = real.copy()
    plain[:, 8:12, 8:12] = 40
    plain = (plain + rng.integers(-5, 6, size=plain.shape)).astype(np.int16)
    roi = np.zeros(real.shape, bool)
    roi[:, 7:13, 7:13] = True
    figures = compare(plain, real, real, roi)
    assert figures["synthetic_vs_real"]["mae_hu"] == 0
    assert figures["synthetic_vs_real"]["ssim"] == pytest.approx(1.0)
    assert figures["identity_baseline"]["mae_hu"] > 10
    assert figures["roi"]["lumen_dice"] == 1.0 and figures["roi"]["identity_lumen_dice"] == 0.0
    assert figures["roi"]["bias_hu"] == 0
