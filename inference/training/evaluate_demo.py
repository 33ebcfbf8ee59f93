"""Evaluate the demo model on held-out phantoms through the full engine; update its card.

    python -m inference.training.evaluate_demo inference/data/models/dcreview-demo-phantom.card.json

Needs no torch: runs the exported ONNX with ONNX Runtime exactly as the application does.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import ndimage

from inference.compare.metrics import body_mask, lumen_dice, mae, psnr
from inference.io.geometry import Geometry
from inference.io.volume import Volume
from inference.phantom.anatomy import Anatomy
from inference.phantom.labels import Tissue
from inference.phantom.scan import centred_geometry, simulate_scan
from inference.synthesis.card import load_card
from inference.synthesis.engine import synthesize
from inference.synthesis.runtime import create_session

HELD_OUT_SEEDS = (101, 102, 103, 104)
# Held-out phantoms on the demo case's grid, so resampling is part of what is evaluated.
GRID = dict(matrix=320, slices=112, pixel_mm=1.2, slice_mm=2.5)
LUMEN_THRESHOLD_HU = 150.0


def evaluate_case(session, seed: int) -> dict:
    """Metrics of one held-out phantom: model vs real, and the identity baseline."""
    g: Geometry = centred_geometry(GRID["matrix"], GRID["slices"], GRID["pixel_mm"],
                                   GRID["slice_mm"])
    shape = (GRID["slices"], GRID["matrix"], GRID["matrix"])
    anatomy = Anatomy.create(seed, vary=True)
    plain, labels = simulate_scan(anatomy, g, shape, phase="noncontrast", noise_sd=14.0,
                                  seed=seed * 2 + 1)
    real, _ = simulate_scan(anatomy, g, shape, phase="arterial", noise_sd=12.0,
                            seed=seed * 2 + 2)
    # The phantom's noise-free arterial image: what a perfect model would predict.
    truth, _ = simulate_scan(anatomy, g, shape, phase="arterial", noise_sd=0.0)
    clean_plain, _ = simulate_scan(anatomy, g, shape, phase="noncontrast", noise_sd=0.0)
    result = synthesize(Volume(plain, g), session=session)
    pred = result.volume.array
    mask = body_mask(real)
    aorta = np.isin(labels, (Tissue.AORTA_LUMEN, Tissue.THROMBUS))
    roi = ndimage.binary_dilation(aorta, iterations=3)
    lumen = labels == Tissue.AORTA_LUMEN
    # The model's own error, free of the acquisition noise both images carry: its predicted
    # enhancement (synthetic - input) against the true one (arterial - non-contrast truth).
    predicted_enh = pred[mask].astype(np.float64) - plain[mask]
    true_enh = truth[mask].astype(np.float64) - clean_plain[mask]
    noise = {"synthetic": liver_noise_sd(pred, labels), "real": liver_noise_sd(real, labels),
             "noncontrast": liver_noise_sd(plain, labels)}
    cm = {"synthetic": cortex_medulla_hu(pred, labels), "real": cortex_medulla_hu(real, labels)}
    return {
        "seed": seed,
        "mae_hu": mae(real, pred, mask), "identity_mae_hu": mae(real, plain, mask),
        "mae_vs_truth_hu": mae(truth, pred, mask),
        "identity_mae_vs_truth_hu": mae(truth, plain, mask),
        "psnr_db": psnr(real, pred, mask), "identity_psnr_db": psnr(real, plain, mask),
        "lumen_dice": lumen_dice(real, pred, roi, LUMEN_THRESHOLD_HU),
        "identity_lumen_dice": lumen_dice(real, plain, roi, LUMEN_THRESHOLD_HU),
        "enhancement_mae_hu": float(np.abs(predicted_enh - true_enh).mean()),
        "identity_enhancement_mae_hu": float(np.abs(true_enh).mean()),
        "liver_noise_sd_hu": noise,
        "liver_noise_ratio": noise["synthetic"] / noise["real"],
        "kidney_cortex_minus_medulla_hu": cm,
        "kidney_cm_ratio": cm["synthetic"] / cm["real"],
        "lumen_mean_hu": {"synthetic": float(pred[lumen].mean()),
                          "real": float(real[lumen].mean()),
                          "noncontrast": float(plain[lumen].mean())},
        "seconds": result.seconds,
    }


def liver_noise_sd(image: np.ndarray, labels: np.ndarray) -> float:
    """Noise SD (HU) in homogeneous liver: per-slice SD inside the liver eroded by 3 voxels,
    averaged over slices (so that slow changes along the body do not count as noise)."""
    liver = ndimage.binary_erosion(labels == Tissue.LIVER, iterations=3)
    sds = [float(image[k][liver[k]].std()) for k in range(image.shape[0])
           if liver[k].sum() > 200]
    return float(np.mean(sds))


def cortex_medulla_hu(image: np.ndarray, labels: np.ndarray) -> float:
    """Kidney cortex minus medulla (HU), each eroded by one voxel: the cortico-medullary
    differentiation a reader looks for in the arterial phase."""
    cortex = ndimage.binary_erosion(labels == Tissue.KIDNEY_CORTEX)
    medulla = ndimage.binary_erosion(labels == Tissue.KIDNEY_MEDULLA)
    return float(image[cortex].mean() - image[medulla].mean())


def evaluate(card_path: Path) -> dict:
    """Evaluate on every held-out seed and summarise."""
    session = create_session(load_card(card_path), "cpu")
    cases = [evaluate_case(session, s) for s in HELD_OUT_SEEDS]
    keys = ("mae_hu", "identity_mae_hu", "mae_vs_truth_hu", "identity_mae_vs_truth_hu",
            "psnr_db", "identity_psnr_db", "lumen_dice", "identity_lumen_dice",
            "enhancement_mae_hu", "identity_enhancement_mae_hu", "liver_noise_ratio",
            "kidney_cm_ratio")
    summary = {k: float(np.mean([c[k] for c in cases])) for k in keys}
    summary["mae_ratio_to_identity"] = summary["mae_hu"] / summary["identity_mae_hu"]
    summary["mae_ratio_to_identity_vs_truth"] = (summary["mae_vs_truth_hu"]
                                                 / summary["identity_mae_vs_truth_hu"])
    summary["enhancement_mae_ratio_to_identity"] = (summary["enhancement_mae_hu"]
                                                    / summary["identity_enhancement_mae_hu"])
    return {
        "data": (f"{len(cases)} held-out phantoms (seeds {HELD_OUT_SEEDS[0]}-"
                 f"{HELD_OUT_SEEDS[-1]}, never used in training) on a "
                 f"{GRID['matrix']}x{GRID['matrix']}x{GRID['slices']} grid, "
                 f"{GRID['pixel_mm']} x {GRID['pixel_mm']} x {GRID['slice_mm']} mm, "
                 "non-contrast noise SD 14 HU, arterial noise SD 12 HU"),
        "metric_definitions": ("MAE and PSNR inside the body mask of the real scan (> -500 HU, "
                               "largest component, holes filled); PSNR on [-1024, 3000], "
                               "range 4024; lumen Dice: both scans thresholded at "
                               f"{LUMEN_THRESHOLD_HU:g} HU inside the aorta (lumen + thrombus) "
                               "dilated by 3 voxels. Two references: the simulated real arterial "
                               "scan (noise SD 12 HU, which no prediction can reproduce: even a "
                               "perfect model scores about 9.6 HU MAE there), and the phantom's "
                               "noise-free arterial truth, which measures the model's own error. "
                               "The model keeps the acquired noise texture (it predicts the "
                               "enhancement and adds it to the input), so its output carries the "
                               "input's noise (SD 14 HU, about 11 HU MAE against a noise-free "
                               "truth) by design; the model's own error is therefore measured on "
                               "the enhancement: |(synthetic - input) - (arterial truth - "
                               "non-contrast truth)| inside the body, against the identity's "
                               "|true enhancement|, and the acceptance check 'at most half the "
                               "identity' is applied there. Texture: noise SD in homogeneous "
                               "liver (per-slice SD inside the liver eroded by 3 voxels) of the "
                               "synthetic over the real scan's (accepted 0.8-1.25); kidney "
                               "cortex minus medulla (each eroded by one voxel), synthetic over "
                               "real (accepted 0.7-1.3)."),
        "mean": summary,
        "cases": cases,
    }


def main(argv: list[str] | None = None) -> int:
    """Evaluate and write the figures into the card's 'evaluation' field."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("card", type=Path)
    args = parser.parse_args(argv)
    result = evaluate(args.card)
    data = json.loads(args.card.read_text())
    data["evaluation"] = result
    args.card.write_text(json.dumps(data, indent=2) + "\n")
    m = result["mean"]
    print(f"enhancement MAE {m['enhancement_mae_hu']:.1f} HU (identity "
          f"{m['identity_enhancement_mae_hu']:.1f}, ratio "
          f"{m['enhancement_mae_ratio_to_identity']:.2f}); liver noise SD ratio "
          f"{m['liver_noise_ratio']:.2f}; kidney cortex-medulla ratio {m['kidney_cm_ratio']:.2f}")
    print(f"MAE vs noise-free truth {m['mae_vs_truth_hu']:.1f} HU (identity "
          f"{m['identity_mae_vs_truth_hu']:.1f}, ratio {m['mae_ratio_to_identity_vs_truth']:.2f}); "
          f"MAE vs noisy real {m['mae_hu']:.1f} HU (identity {m['identity_mae_hu']:.1f}, ratio "
          f"{m['mae_ratio_to_identity']:.2f}); PSNR {m['psnr_db']:.1f} dB (identity "
          f"{m['identity_psnr_db']:.1f}); lumen Dice {m['lumen_dice']:.3f} (identity "
          f"{m['identity_lumen_dice']:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
