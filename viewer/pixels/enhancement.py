"""Predicted iodine enhancement (synthetic minus non-contrast) and its colour map (no Qt)."""

from __future__ import annotations

import numpy as np

from inference.io.volume import Volume

# "Iodine" map: dark red through orange to pale yellow, like a hot-metal scale.
IODINE_STOPS = ((0.0, (0.45, 0.0, 0.0)), (0.35, (0.9, 0.15, 0.0)), (0.7, (1.0, 0.6, 0.0)),
                (1.0, (1.0, 1.0, 0.7)))
ENHANCEMENT_MAX_HU = 400.0
# Model uncertainty (SD of an ensemble's predictions, HU): same colours on a finer scale;
# spreads below a couple of HU are left uncoloured so that agreement reads as plain grey.
UNCERTAINTY_MAX_HU = 50.0
UNCERTAINTY_THRESHOLD_HU = 2.0


def enhancement(base: Volume, overlay: Volume) -> np.ndarray:
    """Synthetic minus non-contrast in HU, as int16, computed slab by slab (no float copy)."""
    if base.shape != overlay.shape or not base.geometry.same_grid(overlay.geometry):
        raise ValueError("the overlay must be on the non-contrast grid")
    out = np.empty(base.shape, dtype=np.int16)
    for k0 in range(0, base.shape[0], 32):
        k1 = min(base.shape[0], k0 + 32)
        diff = overlay.array[k0:k1].astype(np.int32) - base.array[k0:k1]
        np.clip(diff, -32768, 32767, out=diff)
        out[k0:k1] = diff
    return out


def iodine_table(threshold_hu: float, n: int = 256,
                 max_hu: float = ENHANCEMENT_MAX_HU) -> np.ndarray:
    """RGBA table (n x 4, 0..1) over [0, max_hu]; transparent below ``threshold_hu``."""
    x = np.linspace(0.0, 1.0, n)
    table = np.zeros((n, 4))
    positions = [p for p, _ in IODINE_STOPS]
    for c in range(3):
        table[:, c] = np.interp(x, positions, [rgb[c] for _, rgb in IODINE_STOPS])
    hu = x * max_hu
    table[:, 3] = np.where(hu >= threshold_hu, 1.0, 0.0)
    return table


DIFFERENCE_RANGE_HU = 300.0
DIFFERENCE_BAND_HU = 40.0  # |synthetic - real| inside this is noise: left uncoloured


def diverging_table(values: np.ndarray, range_hu: float = DIFFERENCE_RANGE_HU,
                    band_hu: float = DIFFERENCE_BAND_HU) -> np.ndarray:
    """RGBA (len x 4, 0..1) of signed differences: transparent inside the noise band
    (|v| < band), then from a clear tint at the band's edge to saturated red (synthetic
    above real) or blue (below) at ``range_hu``; never white, so speckle reads as grey."""
    v = np.asarray(values, dtype=np.float64)
    t = np.clip((np.abs(v) - band_hu) / max(range_hu - band_hu, 1.0), 0.0, 1.0)
    pale = 0.6 * (1.0 - t)
    out = np.empty((v.size, 4))
    pos = v >= 0
    out[:, 0] = np.where(pos, 1.0, pale)
    out[:, 1] = pale
    out[:, 2] = np.where(pos, pale, 1.0)
    out[:, 3] = np.where(np.abs(v) >= band_hu, 0.55 + 0.45 * t, 0.0)
    return out


class SubtractionCache:
    """``other`` minus ``base`` for the current pair of volumes, computed once per pair.

    With (non-contrast, digital) it is the iodine enhancement; with (real, digital) the
    difference map.
    """

    def __init__(self) -> None:
        self._key: tuple[int, int] | None = None
        self._array: np.ndarray | None = None
        self.computed = 0

    def get(self, base: Volume, overlay: Volume) -> np.ndarray:
        """``overlay`` minus ``base`` (recomputed only for a new pair)."""
        key = (base.token, overlay.token)
        if key != self._key or self._array is None:
            self._array = enhancement(base, overlay)
            self._key = key
            self.computed += 1
        return self._array


OUTSIDE_FOV_HU = -1020  # a registered scan is filled with air outside what it covered
MIN_THRESHOLD_HU = 20.0


def noise_threshold(base: Volume, overlay: Volume | None = None, sigmas: float = 3.0) -> float:
    """A default enhancement threshold above the noise of the subtraction it colours:
    ``sigmas`` times the noise SD of (overlay - base).

    With an overlay the noise is measured on the subtraction itself: a model that keeps the
    acquired texture (an enhancement model) subtracts to almost no noise, a noise-free image
    model to the scan's own noise, a second acquisition to sqrt(2) times it. Without one it
    assumes two independent acquisitions. The noise SD comes from differences of neighbouring
    voxels in soft tissue (a robust MAD, so edges barely count).
    """
    a = base.array
    # About a million voxel pairs estimate it well, and it runs on the GUI thread when a
    # series is shown: 8 slices, every other row (neighbours along a row stay whole).
    slices = np.unique(np.linspace(0, a.shape[0] - 1, min(8, a.shape[0])).astype(int))
    rows = slice(None, None, 2 if a.shape[1] >= 128 else 1)
    sample = a[slices, rows].astype(np.float32)
    soft = (np.abs(sample[..., 1:]) < 150) & (np.abs(sample[..., :-1]) < 150)
    if overlay is None:
        image, factor = sample, np.sqrt(2.0)
    else:
        image, factor = overlay.array[slices, rows].astype(np.float32) - sample, 1.0
    d = np.diff(image, axis=2)[soft]
    if d.size < 100:
        return 40.0
    mad = float(np.median(np.abs(d - np.median(d))))
    sigma = mad / 0.6745 / np.sqrt(2.0)  # one voxel's noise
    threshold = sigmas * factor * sigma
    return float(max(MIN_THRESHOLD_HU, 5.0 * np.ceil(threshold / 5.0)))


def smooth_in_plane(array: np.ndarray, spacing: tuple[float, float, float],
                    sigma_mm: float) -> np.ndarray:
    """An int16 map smoothed within each axial slice (Gaussian, ``sigma_mm`` but at least one
    voxel, so coarse scans are smoothed too): calms the speckle of a noisy subtraction; one
    slice at a time, so no whole float copy."""
    from scipy import ndimage

    sx, sy, _ = spacing
    sigma = (max(1.0, sigma_mm / sy), max(1.0, sigma_mm / sx))
    out = np.empty_like(array)
    for k in range(array.shape[0]):
        out[k] = np.rint(ndimage.gaussian_filter(array[k].astype(np.float32), sigma))
    return out


def mask_outside(difference: np.ndarray, real: np.ndarray) -> np.ndarray:
    """The difference with voxels outside the real scan's field of view set to 0 (clear)."""
    out = difference.copy()
    out[real <= OUTSIDE_FOV_HU] = 0
    return out
