"""The checks behind a trust verdict, each measured on the synthetic against the input it came
from: the phase the classifier reads, landmark CT numbers for that phase, tissues iodine does
not reach (air, fat, cortical bone, muscle), the model's own uncertainty and, for models that
see a few slices at a time, flicker between neighbouring slices."""

from __future__ import annotations

import time

import numpy as np
from scipy import ndimage

from inference.io.volume import Volume
from inference.series import landmarks
from inference.series.model import ENHANCED, Phase
from inference.series.pixels import read_pixels
from inference.trust.findings import FAIL, NOT_MEASURED, PASS, WARN, Finding, TrustReport
from inference.trust.limits import FAR_OUTSIDE_HU, Limits, limits_for

MIN_VOXELS = 200  # fewer voxels of a tissue than this: not measured
FAT_HU = (-140.0, -70.0)
AIR_HU = (-1024.0, -900.0)  # below -1024 lies padding outside the reconstruction circle
CORTICAL_HU = 700.0
MUSCLE_HU = (20.0, 90.0)
# Paraspinal muscle relative to the spine's centre as the landmarks find it (the vertebral
# body with its arch): behind it and to each side, away from bone. Behind it, not beside it:
# the kidneys lie in front of that line and enhance.
PARASPINAL_BEHIND_MM = (0.0, 70.0)
PARASPINAL_SIDE_MM = (15.0, 60.0)


def check_synthetic(source: Volume, synthetic: Volume, card,
                    uncertainty: Volume | None = None) -> TrustReport:
    """Every trust check of one synthetic (on the input's grid) and the verdict."""
    start = time.perf_counter()
    limits = limits_for(card)
    reading = read_pixels(synthetic)
    findings = [_phase(reading, card.target_phase)]
    findings += _landmarks(reading, limits)
    findings += _unchanged(source, synthetic, limits)
    if uncertainty is not None:
        findings.append(_uncertainty(uncertainty, limits))
    if card.dims == 2 and source.shape[0] >= 5:
        findings.append(_flicker(source, synthetic, limits))
    return TrustReport(findings, card.target_phase, time.perf_counter() - start)


def _phase(reading, target: str) -> Finding:
    got = reading.phase
    said = f"the synthetic reads as {got.value}, the model promises {target}"
    where = reading.where.get("aorta") or reading.where.get("liver")
    if got == Phase.UNKNOWN:
        return Finding("phase", NOT_MEASURED, got.value, target, "",
                       "the synthetic's phase could not be read (landmarks not in view)")
    if got == Phase.NON_CONTRAST:
        status = FAIL
    elif got.value == target or (target == "contrast" and got in ENHANCED):
        status = PASS
    else:  # another enhanced phase, or enhanced without a clear phase
        status = WARN
    return Finding("phase", status, got.value, target, "", said, where)


def _landmarks(reading, limits: Limits) -> list[Finding]:
    out = []
    for name, (lo, hi) in limits.landmarks_hu.items():
        value = reading.measurements.get(f"{name}_hu")
        label = name.replace("_", " ")
        bounds = f"{lo:.0f} to {hi:.0f} HU"
        if value is None:
            out.append(Finding(f"hu: {label}", NOT_MEASURED, None, bounds, "HU",
                               f"{label} not found in the synthetic"))
            continue
        value = float(value)
        off = max(lo - value, value - hi, 0.0)
        status = PASS if off == 0 else (
            FAIL if name == "aorta" or off > FAR_OUTSIDE_HU else WARN)
        out.append(Finding(f"hu: {label}", status, round(value, 1), bounds, "HU",
                           f"{label} {value:.0f} HU, expected {bounds}",
                           reading.where.get(name)))
    return out


def _masks(source: Volume) -> tuple[list[int], dict[str, np.ndarray]]:
    """Tissue masks on a sample of the input's slices (those the landmarks read)."""
    w = landmarks.prepare(source)
    spine = landmarks.find_spine(w)
    ks = list(w.ks)
    x = source.array[ks].astype(np.float32)
    # Noise out of the tissue masks, slice by slice: one call over the whole stack held the
    # interpreter for a tenth of a second, which a viewer's event loop feels.
    smooth = np.empty_like(x)
    for n in range(len(ks)):
        ndimage.uniform_filter(x[n], size=3, output=smooth[n])
    masks = {"air": np.zeros(x.shape, bool), "fat": np.zeros(x.shape, bool),
             "cortical_bone": np.zeros(x.shape, bool), "muscle": np.zeros(x.shape, bool)}
    sx, sy, _sz = source.geometry.spacing
    for n in range(len(ks)):
        body = ndimage.binary_fill_holes(smooth[n] > -500)
        masks["air"][n] = (x[n] >= AIR_HU[0]) & (smooth[n] <= AIR_HU[1])
        masks["fat"][n] = ndimage.binary_erosion(
            body & (smooth[n] >= FAT_HU[0]) & (smooth[n] <= FAT_HU[1]), iterations=2)
        # Unsmoothed: a cortex is a few pixels thick, and 700 HU is far above any noise.
        bone = x[n] > CORTICAL_HU
        masks["cortical_bone"][n] = bone
        centre = spine.centres[n]
        if centre is not None:
            vr, vc = w.voxel(n, *centre)[1:]
            rows = np.arange(x.shape[1])[:, None]
            cols = np.arange(x.shape[2])[None, :]
            behind = (rows - vr) * w.posterior * sy
            side = np.abs(cols - vc) * sx
            roi = ((behind >= PARASPINAL_BEHIND_MM[0]) & (behind <= PARASPINAL_BEHIND_MM[1])
                   & (side >= PARASPINAL_SIDE_MM[0]) & (side <= PARASPINAL_SIDE_MM[1]))
            near_bone = ndimage.binary_dilation(bone, iterations=3)
            masks["muscle"][n] = ndimage.binary_erosion(
                roi & body & ~near_bone & (smooth[n] >= MUSCLE_HU[0])
                & (smooth[n] <= MUSCLE_HU[1]), iterations=2)
    return ks, masks


def _unchanged(source: Volume, synthetic: Volume, limits: Limits) -> list[Finding]:
    ks, masks = _masks(source)
    change = synthetic.array[ks].astype(np.float32) - source.array[ks].astype(np.float32)
    out = []
    for name, mask in masks.items():
        limit = limits.unchanged_max_hu.get(name)
        if limit is None:
            continue
        label = name.replace("_", " ")
        bound = f"|median change| <= {limit:.0f} HU"
        if mask.sum() < MIN_VOXELS:
            out.append(Finding(f"unchanged: {label}", NOT_MEASURED, None, bound, "HU",
                               f"too little {label} in view to measure"))
            continue
        value = float(np.median(change[mask]))
        status = PASS if abs(value) <= limit else (FAIL if abs(value) > 2 * limit else WARN)
        out.append(Finding(f"unchanged: {label}", status, round(value, 1), bound, "HU",
                           f"{label} changed by {value:+.0f} HU (median), allowed "
                           f"{limit:.0f}", _worst_voxel(change, mask, ks)))
    return out


def _worst_voxel(change: np.ndarray, mask: np.ndarray,
                 ks: list[int]) -> tuple[int, int, int] | None:
    """A voxel of the mask in the sampled slice whose median change is largest."""
    best, where = -1.0, None
    for n in range(mask.shape[0]):
        if mask[n].sum() < 20:
            continue
        value = abs(float(np.median(change[n][mask[n]])))
        if value > best:
            rows, cols = np.nonzero(mask[n])
            best, where = value, (ks[n], int(rows[len(rows) // 2]), int(cols[len(cols) // 2]))
    return where


def _uncertainty(uncertainty: Volume, limits: Limits) -> Finding:
    sx, sy, sz = uncertainty.geometry.spacing
    above = uncertainty.array > limits.uncertainty_sd_hu
    ml = float(above.sum()) * sx * sy * sz / 1000.0
    bound = (f"<= {limits.uncertainty_max_ml:g} ml above {limits.uncertainty_sd_hu:.0f} HU "
             "SD")
    where = tuple(int(v) for v in np.unravel_index(int(np.argmax(uncertainty.array)),
                                                     uncertainty.shape)) if ml > 0 else None
    status = PASS if ml <= limits.uncertainty_max_ml else WARN
    return Finding("uncertainty", status, round(ml, 2), bound, "ml",
                   f"{ml:.1f} ml where the predictions disagree by more than "
                   f"{limits.uncertainty_sd_hu:.0f} HU (SD)", where)


def slice_enhancement(source: Volume, synthetic: Volume) -> np.ndarray:
    """Each slice's mean synthetic-minus-input inside the body (HU)."""
    out = np.zeros(source.shape[0])
    for k in range(source.shape[0]):
        x = source.array[k]
        body = x > -500
        if body.any():
            out[k] = float((synthetic.array[k][body].astype(np.float32)
                            - x[body].astype(np.float32)).mean())
    return out


def _flicker(source: Volume, synthetic: Volume, limits: Limits) -> Finding:
    m = slice_enhancement(source, synthetic)
    jump = m[1:-1] - (m[:-2] + m[2:]) / 2.0
    value = float(np.sqrt(np.mean(jump ** 2)))
    k = int(np.argmax(np.abs(jump))) + 1
    limit = limits.flicker_max_hu
    status = PASS if value <= limit else (FAIL if value > 2 * limit else WARN)
    centre = (k, source.shape[1] // 2, source.shape[2] // 2)
    return Finding("flicker", status, round(value, 2), f"<= {limit:g} HU RMS", "HU",
                   f"mean enhancement jumps by {value:.1f} HU (RMS) between neighbouring "
                   f"slices, most at slice {k + 1}", centre)
