"""Comparing digital contrast with a real contrast scan: one rule for the grid, the
registration and the ROI, whoever asks (the CLI, a batch, a study, a script)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.errors import LoadError
from inference.io.volume import Volume
from inference.progress import CancelToken, ProgressCallback


@dataclass
class Evaluation:
    """The figures of one comparison, and how the real scan was put on the grid."""

    figures: dict
    registration: dict | None = None
    warnings: list[str] = field(default_factory=list)
    real: Volume | None = field(default=None, repr=False)  # on the non-contrast grid

    def as_dict(self) -> dict:
        """The figures with the registration's, as the run report and --json hold them."""
        out = {k: v for k, v in self.figures.items() if k != "definitions"}
        if self.registration is not None:
            out["registration"] = self.registration
        return out


def on_grid(volume: Volume, grid: Volume) -> bool:
    """Whether ``volume`` lies voxel for voxel on ``grid``'s grid."""
    return volume.shape == grid.shape and volume.geometry.same_grid(grid.geometry)


def real_onto_grid(ncct: Volume, real: Volume, *, register: bool = True,
                   progress: ProgressCallback | None = None,
                   cancel: CancelToken | None = None) -> tuple[Volume, dict | None]:
    """The real scan on the non-contrast grid. Registered unless the caller says it already
    is: two acquisitions minutes apart differ by patient motion even on identical grids."""
    if not register:
        if not on_grid(real, ncct):
            raise LoadError("the real contrast scan is not on the non-contrast grid: register "
                            "it first (--register)")
        return real, None
    result = register_real(ncct, real, progress=progress, cancel=cancel)
    return result.resampled, registration_summary(result)


def register_real(ncct: Volume, real: Volume, *, progress: ProgressCallback | None = None,
                  cancel: CancelToken | None = None):
    """The registration every comparison and study uses (rigid, Mattes MI): the result, with
    its transform and the resampled scan."""
    from inference.compare.registration import register as register_volumes

    return register_volumes(ncct, real, progress=progress, cancel=cancel)


def registration_summary(result) -> dict:
    """What a report says of a registration."""
    return {**result.parameters, "metric": result.metric,
            "surface_distance_mm": result.surface_distance_mm, "warnings": result.warnings}


def roi_mask(labels: str | Path | Volume | None, ncct: Volume,
             values: tuple[int, ...]) -> np.ndarray | None:
    """The ROI of a label map on the non-contrast grid (None: no map); a map on another grid
    is refused, never silently ignored."""
    if labels is None:
        return None
    if not isinstance(labels, Volume):
        from inference.io.image_file import read_image

        labels = read_image(labels)
    if labels.shape != ncct.shape:
        raise LoadError(f"the ROI label map ({'x'.join(map(str, labels.shape))}) is not on "
                        f"the non-contrast grid ({'x'.join(map(str, ncct.shape))})")
    mask = np.isin(labels.array, list(values))
    if not mask.any():
        raise LoadError(f"the ROI label map holds no voxel labelled {', '.join(map(str, values))}")
    return mask


def evaluate(ncct: Volume, synthetic: Volume, real: Volume, *, roi=None,
             roi_labels: tuple[int, ...] = (9,), threshold_hu: float = 150.0,
             register: bool = True, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None) -> Evaluation:
    """Synthetic vs real with the identity baseline (MAE, PSNR, SSIM; ROI means and lumen
    Dice when a label map is given), after putting the real scan on the non-contrast grid."""
    from inference.compare.aorta import compare_aortas
    from inference.compare.metrics import compare

    if not on_grid(synthetic, ncct):
        raise LoadError("the synthetic volume is not on the non-contrast grid")
    real, registration = real_onto_grid(ncct, real, register=register, progress=progress,
                                        cancel=cancel)
    mask = roi_mask(roi, ncct, roi_labels)
    figures = compare(ncct.array, synthetic.array, real.array, mask, threshold_hu)
    aorta = compare_aortas(synthetic, real)
    if aorta is not None:  # the aneurysm use case's own metrics
        figures["aorta"] = aorta
    warnings = list((registration or {}).get("warnings") or [])
    return Evaluation(figures, registration, warnings, real)


def summary(evaluation: Evaluation | None) -> dict | None:
    """The figures a cohort report tabulates."""
    if evaluation is None:
        return None
    figures = evaluation.figures
    s, b = figures["synthetic_vs_real"], figures["identity_baseline"]
    out = {"mae_hu": s["mae_hu"], "psnr_db": s["psnr_db"], "ssim": s["ssim"],
           "identity_mae_hu": b["mae_hu"], "identity_psnr_db": b["psnr_db"],
           "identity_ssim": b["ssim"]}
    aorta = figures.get("aorta") or {}
    if aorta.get("synthetic"):
        out.update({"aorta_max_diameter_synthetic_mm": aorta["synthetic"]["max_outer_diameter_mm"],
                    "aorta_max_diameter_real_mm": aorta["real"]["max_outer_diameter_mm"],
                    "lumen_max_diameter_synthetic_mm":
                        aorta["synthetic"]["max_lumen_diameter_mm"],
                    "lumen_max_diameter_real_mm": aorta["real"]["max_lumen_diameter_mm"],
                    "lumen_area_mae_mm2": aorta["difference"]["lumen_area_mae_mm2"]})
    if "roi" in figures:
        r = figures["roi"]
        out.update({"roi_mean_synthetic_hu": r["mean_hu"]["synthetic"],
                    "roi_mean_real_hu": r["mean_hu"]["real"],
                    "lumen_dice": r["lumen_dice"], "identity_lumen_dice": r["identity_lumen_dice"]})
    return out
