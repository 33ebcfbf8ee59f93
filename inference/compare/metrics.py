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


SSIM_WINDOW = 7
SSIM_K1, SSIM_K2 = 0.01, 0.03


def _ssim_map_slab(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """scikit-image's SSIM map (uniform 7-voxel window, sample covariance) for one slab."""
    size = SSIM_WINDOW
    n = size ** x.ndim
    cov_norm = n / (n - 1)
    ux = ndimage.uniform_filter(x, size)
    uy = ndimage.uniform_filter(y, size)
    uxx = ndimage.uniform_filter(x * x, size)
    uyy = ndimage.uniform_filter(y * y, size)
    uxy = ndimage.uniform_filter(x * y, size)
    vx = cov_norm * (uxx - ux * ux)
    vy = cov_norm * (uyy - uy * uy)
    vxy = cov_norm * (uxy - ux * uy)
    c1 = (SSIM_K1 * DATA_RANGE) ** 2
    c2 = (SSIM_K2 * DATA_RANGE) ** 2
    return ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))


def ssim(reference: np.ndarray, prediction: np.ndarray, mask: np.ndarray,
         slab: int = 32) -> float:
    """SSIM as defined in the shared notes, averaged inside ``mask`` minus a 3-voxel border.

    Both clipped to [-1024, 3000], voxels outside the mask set to -1024, shifted by +1024,
    then scikit-image's 3-D SSIM with its defaults; computed slab by slab (float64) so memory
    stays bounded on full-size volumes.
    """
    pad = (SSIM_WINDOW - 1) // 2
    nk = reference.shape[0]
    total, count = 0.0, 0
    inner = np.zeros(mask.shape, dtype=bool)
    inner[pad:-pad, pad:-pad, pad:-pad] = True
    keep = mask & inner
    for k0 in range(0, nk, slab):
        k1 = min(nk, k0 + slab)
        lo, hi = max(0, k0 - pad), min(nk, k1 + pad)
        prepared = []
        for a in (reference, prediction):
            v = np.clip(a[lo:hi].astype(np.float64), *CLIP)
            v[~mask[lo:hi]] = CLIP[0]
            prepared.append(v - CLIP[0])
        if hi - lo < SSIM_WINDOW:
            continue
        s = _ssim_map_slab(*prepared)[k0 - lo:k0 - lo + (k1 - k0)]
        sel = keep[k0:k1]
        total += float(s[sel].sum())
        count += int(sel.sum())
    return total / count if count else float("nan")


def roi_means(volumes: dict[str, np.ndarray], roi: np.ndarray) -> dict[str, float]:
    """Mean HU of each volume inside an ROI."""
    return {name: float(v[roi].mean()) for name, v in volumes.items()}


def compare(noncontrast: np.ndarray, synthetic: np.ndarray, real: np.ndarray,
            roi: np.ndarray | None = None, threshold_hu: float = 150.0) -> dict:
    """Synthetic vs real, with the identity baseline (non-contrast vs real), on one grid."""
    mask = body_mask(real)
    out = {
        "body_mask_voxels": int(mask.sum()),
        "synthetic_vs_real": {"mae_hu": mae(real, synthetic, mask),
                              "psnr_db": psnr(real, synthetic, mask),
                              "ssim": ssim(real, synthetic, mask)},
        "identity_baseline": {"mae_hu": mae(real, noncontrast, mask),
                              "psnr_db": psnr(real, noncontrast, mask),
                              "ssim": ssim(real, noncontrast, mask)},
        "definitions": ("body mask: real > -500 HU, largest component, holes filled; MAE no "
                        "clipping; PSNR and SSIM on [-1024, 3000] (range 4024); SSIM: "
                        "scikit-image defaults (7-voxel uniform window), 3-voxel border "
                        "dropped"),
    }
    if roi is not None and roi.any():
        means = roi_means({"noncontrast": noncontrast, "synthetic": synthetic, "real": real},
                          roi)
        out["roi"] = {"voxels": int(roi.sum()), "mean_hu": means,
                      "bias_hu": means["synthetic"] - means["real"],
                      "threshold_hu": threshold_hu,
                      "lumen_dice": lumen_dice(real, synthetic, roi, threshold_hu),
                      "identity_lumen_dice": lumen_dice(real, noncontrast, roi, threshold_hu)}
    return out


def uncertainty_error_correlation(uncertainty: np.ndarray, synthetic: np.ndarray,
                                  real: np.ndarray, max_voxels: int = 1_000_000) -> dict:
    """Does the model know where it is wrong? Spearman rank correlation of the uncertainty with
    the absolute error inside the body, and the mean error in its lowest and highest quartile."""
    from scipy.stats import spearmanr

    mask = body_mask(real)
    u = uncertainty[mask].astype(np.float64)
    err = np.abs(synthetic[mask].astype(np.float64) - real[mask])
    if u.size > max_voxels:  # an even subsample: ranks of a million voxels are plenty
        step = u.size // max_voxels + 1
        u, err = u[::step], err[::step]
    rho = float(spearmanr(u, err).statistic) if u.size > 2 and u.std() > 0 else 0.0
    lo, hi = np.quantile(u, [0.25, 0.75]) if u.size else (0.0, 0.0)
    low, high = err[u <= lo], err[u >= hi]
    return {"spearman": rho, "voxels": int(u.size),
            "error_hu_low": float(low.mean()) if low.size else 0.0,
            "error_hu_high": float(high.mean()) if high.size else 0.0}
