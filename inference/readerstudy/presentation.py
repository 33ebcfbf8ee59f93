"""The pixels a blinded arm shows a synthetic or a real contrast scan with: both through the
same chain, so that nothing but their content tells them apart.

The real scan is registered, hence resampled: linear interpolation at sub-voxel offsets
averages neighbouring voxels, smoothing its noise grain and rounding its edges, while the
synthetic, predicted on the non-contrast grid, keeps the native grain. Radiologists see that
at once. So the synthetic is resampled too, by the sub-voxel shift whose interpolation
smooths as much, on average, as the real scan's transform does (measured per axis over the
body), and both are shown within the same silhouette: the non-contrast scan's body, where the
real scan covers it; the table and everything outside is air in both.

``texture`` is the statistic ``study preview`` audits: the spread of the high-pass residual
(a voxel minus the mean of its 26 neighbours) in homogeneous soft tissue.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from inference.compare.metrics import body_mask
from inference.compare.registration import to_sitk
from inference.io.volume import Volume

AIR_HU = -1000
SAMPLES = 20_000  # body voxels whose sub-voxel offsets are measured
# The synthetic/real ratio of the texture statistic a blinded arm may show, the same band
# as a texture-true model's own noise ratio (0.8-1.25): beyond it, the grain is a cue.
TEXTURE_BAND = (0.8, 1.25)


def offset_variance(transform: sitk.Transform, grid: Volume, moving: Volume,
                    mask: np.ndarray, seed: int = 0) -> np.ndarray:
    """Per axis (i, j, k), the mean of (1-f)^2 + f^2 over body voxels, where f is the
    fractional index at which the transform samples the moving scan: the factor by which
    linear interpolation scales the variance of uncorrelated noise (1: no smoothing)."""
    kji = np.argwhere(mask)
    if len(kji) == 0:
        return np.ones(3)
    rng = np.random.default_rng(seed)
    kji = kji[rng.choice(len(kji), min(SAMPLES, len(kji)), replace=False)]
    world = grid.index_to_world(kji[:, ::-1].astype(float))
    mapped = np.array([transform.TransformPoint(tuple(float(v) for v in p)) for p in world])
    index = moving.world_to_index(mapped)
    f = index - np.floor(index)
    return ((1 - f) ** 2 + f ** 2).mean(axis=0)


def matching_shift(variance: np.ndarray) -> np.ndarray:
    """Per axis, the constant sub-voxel shift whose linear interpolation scales the variance
    by ``variance``: (1-f)^2 + f^2 = v, f in [0, 1/2]."""
    v = np.clip(np.asarray(variance, float), 0.5, 1.0)
    return (1 - np.sqrt(2 * v - 1)) / 2


def shifted(volume: Volume, shift_ijk: np.ndarray) -> Volume:
    """``volume`` resampled (linear) at positions shifted by ``shift_ijk`` voxels."""
    g = volume.geometry
    offset = g.direction_matrix @ (np.asarray(shift_ijk, float) * np.asarray(g.spacing))
    transform = sitk.TranslationTransform(3, tuple(float(v) for v in offset))
    out = sitk.Resample(to_sitk(volume), to_sitk(volume, np.int16), transform, sitk.sitkLinear,
                        float(AIR_HU), sitk.sitkFloat32)
    array = np.clip(np.rint(sitk.GetArrayViewFromImage(out)), -32768, 32767).astype(np.int16)
    return volume.with_array(array)


def coverage(transform: sitk.Transform, grid: Volume, moving: Volume) -> np.ndarray:
    """Voxels of ``grid`` that the transform maps inside the moving scan."""
    ones = moving.with_array(np.ones(moving.shape, np.int16))
    out = sitk.Resample(to_sitk(ones, np.int16), to_sitk(grid, np.int16), transform,
                        sitk.sitkNearestNeighbor, 0, sitk.sitkInt16)
    return sitk.GetArrayFromImage(out) > 0


def silhouette(noncontrast: Volume, covered: np.ndarray | None = None) -> np.ndarray:
    """What a blinded arm shows of any variant: the non-contrast body, where covered."""
    body = body_mask(noncontrast.array)
    return body if covered is None else body & covered


def within(volume: Volume, mask: np.ndarray) -> Volume:
    """``volume`` with everything outside ``mask`` set to air."""
    array = volume.array.copy()
    array[~mask] = AIR_HU
    return volume.with_array(array)


def tissue(noncontrast: Volume) -> np.ndarray:
    """Homogeneous soft tissue of the non-contrast scan, away from edges: where the texture
    statistic is taken (the same voxels in every variant)."""
    soft = (noncontrast.array > -100) & (noncontrast.array < 100)
    return ndimage.binary_erosion(soft & body_mask(noncontrast.array), iterations=2)


def texture(volume: Volume, where: np.ndarray) -> float:
    """Robust spread (1.4826 x median absolute value) of the high-pass residual in ``where``:
    interpolation blur shows as a lower value."""
    a = volume.array.astype(np.float32)
    mean6 = ndimage.uniform_filter(a, size=3, mode="nearest")  # 3x3x3 box, then exclude centre
    residual = a - (27 * mean6 - a) / 26
    values = residual[where]
    if values.size == 0:
        return float("nan")
    return float(1.4826 * np.median(np.abs(values - np.median(values))))
