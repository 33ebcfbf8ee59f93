"""Image-similarity metrics for synthetic vs real contrast CT, as defined in the shared notes."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

BODY_THRESHOLD_HU = -500.0
CLIP = (-1024.0, 3000.0)
DATA_RANGE = CLIP[1] - CLIP[0]


def body_mask(reference: np.ndarray, threshold: float = BODY_THRESHOLD_HU) -> np.ndarray:
    """Voxels inside the patient: above threshold, largest component, holes filled per slice."""
    mask = reference > threshold
    labels, n = ndimage.label(mask)
    if n == 0:
        return mask
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
    mask = labels == (int(np.argmax(sizes)) + 1)
    for k in range(mask.shape[0]):
        mask[k] = ndimage.binary_fill_holes(mask[k])
    return mask


def mae(reference: np.ndarray, prediction: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute HU difference inside ``mask`` (no clipping)."""
    diff = np.abs(reference[mask].astype(np.float64) - prediction[mask])
    return float(diff.mean())


def psnr(reference: np.ndarray, prediction: np.ndarray, mask: np.ndarray) -> float:
    """PSNR (dB) over ``mask`` after clipping both to [-1024, 3000], range 4024."""
    r = np.clip(reference[mask].astype(np.float64), *CLIP)
    p = np.clip(prediction[mask].astype(np.float64), *CLIP)
    mse = float(np.mean((r - p) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(DATA_RANGE**2 / mse)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice overlap of two boolean masks (1.0 when both are empty)."""
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def lumen_dice(reference: np.ndarray, prediction: np.ndarray, roi: np.ndarray,
               threshold_hu: float = 150.0) -> float:
    """Dice of the lumens found by thresholding both scans at ``threshold_hu`` inside ``roi``."""
    return dice((reference >= threshold_hu) & roi, (prediction >= threshold_hu) & roi)
