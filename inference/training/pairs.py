"""Phantom training pairs (no torch): aligned non-contrast / arterial scans plus lumen masks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.phantom.anatomy import Anatomy
from inference.phantom.labels import Tissue
from inference.phantom.scan import centred_geometry, simulate_scan

# The grid the demo model works on; inputs are resampled to this in-plane spacing.
MODEL_PIXEL_MM = 1.2
MODEL_SLICE_MM = 2.5


@dataclass
class Pair:
    """One synthetic patient scanned twice on one grid (no motion between scans)."""

    seed: int
    plain: np.ndarray  # int16 HU (k, j, i), with scanner noise
    enhancement: np.ndarray  # int16 HU, noise-free arterial minus noise-free plain (the target)
    labels: np.ndarray  # uint8 tissue labels

    @property
    def lumen(self) -> np.ndarray:
        """Aortic lumen voxels."""
        return self.labels == Tissue.AORTA_LUMEN


def make_pair(seed: int, matrix: int = 320, slices: int = 112,
              pixel_mm: float = MODEL_PIXEL_MM, slice_mm: float = MODEL_SLICE_MM) -> Pair:
    """A varied anatomy: a noisy non-contrast scan and its noise-free iodine enhancement."""
    rng = np.random.default_rng(10_000 + seed)
    anatomy = Anatomy.create(seed, vary=True)
    g = centred_geometry(matrix, slices, pixel_mm, slice_mm)
    shape = (slices, matrix, matrix)
    plain, labels = simulate_scan(anatomy, g, shape, phase="noncontrast",
                                  noise_sd=float(rng.uniform(9, 18)), seed=seed * 2 + 1)
    # Clean targets: the model learns the expected enhancement, not one noise pattern; the
    # acquired noise of the input is kept by adding the enhancement to it.
    arterial, _ = simulate_scan(anatomy, g, shape, phase="arterial", noise_sd=0.0)
    clean_plain, _ = simulate_scan(anatomy, g, shape, phase="noncontrast", noise_sd=0.0)
    enhancement = (arterial.astype(np.int16) - clean_plain).astype(np.int16)
    return Pair(seed, plain, enhancement, labels)
