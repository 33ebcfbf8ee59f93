"""Data behind the comparison plots (no plotting here): line profiles and difference histograms."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from inference.io.volume import Volume


def line_profile(volume: Volume, start: np.ndarray, end: np.ndarray,
                 samples: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """HU sampled (linear) along a straight line in world mm; returns (distance mm, HU)."""
    t = np.linspace(0.0, 1.0, samples)
    points = np.asarray(start, float)[None] + t[:, None] * (np.asarray(end) - np.asarray(start))
    ijk = volume.world_to_index(points)
    coords = ijk[:, ::-1].T  # (k, j, i) order for the (k, j, i) array
    values = ndimage.map_coordinates(volume.array, coords, order=1, mode="constant",
                                     cval=np.nan)
    return t * float(np.linalg.norm(np.asarray(end) - np.asarray(start))), values


def difference_histogram(a: np.ndarray, b: np.ndarray, mask: np.ndarray, bins: int = 101,
                         limit: float = 300.0) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of ``a - b`` inside ``mask`` over a symmetric range; returns (centres, counts)."""
    diff = a[mask].astype(np.float32) - b[mask]
    counts, edges = np.histogram(np.clip(diff, -limit, limit), bins=bins, range=(-limit, limit))
    return (edges[:-1] + edges[1:]) / 2, counts


def bland_altman(a: np.ndarray, b: np.ndarray) -> dict:
    """Bland-Altman statistics of paired measurements (e.g. ROI means): bias and 95% limits."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    diff, mean = a - b, (a + b) / 2
    bias = float(diff.mean())
    sd = float(diff.std(ddof=1)) if len(diff) > 1 else 0.0
    return {"mean": mean, "difference": diff, "bias": bias,
            "limits": (bias - 1.96 * sd, bias + 1.96 * sd)}
