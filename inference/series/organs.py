"""Organ CT numbers for the phase: liver, kidneys (cortex and medulla), excreted contrast,
and the brain with its vessels; each measured relative to the spine or inside the skull."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from inference.series.landmarks import Spine, Work

LIVER_MIN_CM2 = 40.0  # a liver cross-section in the upper abdomen
KIDNEY_HU = (120.0, 450.0)  # an enhanced kidney; a plain one cannot be told from muscle
EXCRETED_HU = 450.0
BRAIN_FRACTION = 0.85


def _frames(w: Work, k: int, centre: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """mm in front of and to the left of the vertebral centre, for every pixel of slice k."""
    vr, vc = centre
    rows = np.arange(w.hu.shape[1])[:, None]
    cols = np.arange(w.hu.shape[2])[None, :]
    return ((vr - rows) * w.posterior * w.pixel_mm[0],
            (cols - vc) * w.left * w.pixel_mm[1])


@dataclass(frozen=True)
class Liver:
    """Median CT number of the large organ in the right upper quadrant."""

    hu: float
    slices: int
    where: tuple[int, int, int] | None = None  # a source voxel inside it, mid-way along it


def find_liver(w: Work, spine: Spine) -> Liver | None:
    """The largest soft-tissue organ on the patient's right, away from bone."""
    values, slices, centres = [], 0, []
    min_px = LIVER_MIN_CM2 * 100.0 / (w.pixel_mm[0] * w.pixel_mm[1])
    erode = max(1, int(np.rint(5.0 / w.pixel_mm[1])))
    for k, centre in enumerate(spine.centres):
        if centre is None:
            continue
        ahead, side = _frames(w, k, centre)
        hu = w.hu[k]
        near_bone = ndimage.binary_dilation(w.bone[k], iterations=erode)
        roi = (side < -30) & (ahead > -40) & w.body[k] & ~near_bone
        tissue = ndimage.binary_erosion(roi & (hu >= 0) & (hu <= 250), iterations=erode)
        labels, n = ndimage.label(tissue)
        if n == 0:
            continue
        sizes = ndimage.sum_labels(tissue, labels, index=np.arange(1, n + 1))
        biggest = int(np.argmax(sizes))
        if sizes[biggest] < min_px:
            continue
        organ = labels == biggest + 1
        values.append(hu[organ])
        # A pixel of the organ itself (its centroid may fall outside a curved organ).
        rows, cols = np.nonzero(ndimage.binary_erosion(organ) | organ)
        centres.append((k, rows[len(rows) // 2], cols[len(cols) // 2]))
        slices += 1
    if slices < 2:
        return None
    return Liver(float(np.median(np.concatenate(values))), slices,
                 w.voxel(*centres[len(centres) // 2]))


@dataclass(frozen=True)
class Parenchyma:
    """The largest solid organ in view, found without the spine (a crop of the liver)."""

    hu: float
    ml: float


def find_parenchyma(w: Work) -> Parenchyma | None:
    """The largest connected soft tissue away from bone and fat (its core only)."""
    erode = max(1, int(np.rint(5.0 / w.pixel_mm[1])))
    tissue = np.zeros_like(w.body)
    for k in range(w.hu.shape[0]):
        near_bone = ndimage.binary_dilation(w.bone[k], iterations=erode)
        soft = w.body[k] & ~near_bone & (w.hu[k] >= 0) & (w.hu[k] <= 250)
        tissue[k] = ndimage.binary_erosion(soft, iterations=erode)
    labels, n = ndimage.label(tissue)
    if n == 0:
        return None
    sizes = ndimage.sum_labels(tissue, labels, index=np.arange(1, n + 1))
    biggest = int(np.argmax(sizes))
    ml = float(sizes[biggest]) * w.voxel_ml
    if ml < 150.0:
        return None
    return Parenchyma(float(np.median(w.hu[labels == biggest + 1])), ml)


@dataclass(frozen=True)
class Kidneys:
    """Enhanced renal parenchyma: cortex (outer rim) and medulla (core) CT numbers."""

    cortex_hu: float
    medulla_hu: float
    ml: float
    excreted_ml: float  # contrast already in the collecting systems


def find_kidneys(w: Work, spine: Spine) -> Kidneys | None:
    """Enhanced kidneys beside the spine, and any dense (excreted) contrast inside them."""
    rim_values, core_values = [], []
    volume_px, excreted_px = 0, 0
    min_px = 500.0 / (w.pixel_mm[0] * w.pixel_mm[1])  # 5 cm2
    rim = max(1, int(np.rint(4.0 / w.pixel_mm[1])))
    for k, centre in enumerate(spine.centres):
        if centre is None:
            continue
        ahead, side = _frames(w, k, centre)
        hu = w.hu[k]
        roi = (np.abs(side) > 30) & (np.abs(side) < 125) & (ahead > -70) & (ahead < 45)
        roi &= w.body[k]
        lo, hi = KIDNEY_HU
        spine_bone = _component_at(w.bone[k], centre)
        mask = roi & (((hu >= lo) & (hu <= hi)) | (hu > EXCRETED_HU)) & ~spine_bone
        mask = ndimage.binary_opening(mask, iterations=1)
        labels, _n = ndimage.label(mask)
        for index, region in enumerate(ndimage.find_objects(labels), 1):
            comp = labels[region] == index
            if comp.sum() < min_px:
                continue
            part = hu[region]
            dense = comp & (part > EXCRETED_HU)
            if dense.sum() > 0.5 * comp.sum():
                continue  # a rib or the pelvis, not an organ
            filled = ndimage.binary_fill_holes(comp)
            core = ndimage.binary_erosion(filled, iterations=rim)
            outer = comp & ~core & (part <= hi)
            inner = core & (part >= -20) & (part <= hi)
            if outer.sum() < 4 or inner.sum() < 4:
                continue
            rim_values.append(part[outer])
            core_values.append(part[inner])
            volume_px += int(filled.sum())
            excreted_px += int((filled & (part > EXCRETED_HU)).sum())
    if not rim_values:
        return None
    ml = volume_px * w.voxel_ml
    if ml < 15.0:
        return None
    return Kidneys(float(np.median(np.concatenate(rim_values))),
                   float(np.median(np.concatenate(core_values))), ml,
                   excreted_px * w.voxel_ml)


def _component_at(mask: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    labels, _n = ndimage.label(mask)
    r, c = int(np.rint(centre[0])), int(np.rint(centre[1]))
    r = min(max(r, 0), mask.shape[0] - 1)
    c = min(max(c, 0), mask.shape[1] - 1)
    index = labels[r, c]
    if index == 0:
        return np.zeros_like(mask)
    return ndimage.binary_dilation(labels == index, iterations=2)


@dataclass(frozen=True)
class Head:
    """Inside the skull: brain CT number and the volume of enhancing vessels and sinuses."""

    brain_hu: float
    enhanced_ml: float
    slices: int


def find_head(w: Work) -> Head | None:
    """The cranial cavity (a closed ring of bone round soft tissue), where one is in view."""
    inside = np.zeros_like(w.skull)
    slices = []
    for k in range(w.hu.shape[0]):
        cavity = ndimage.binary_erosion(w.skull[k], iterations=1)
        values = w.hu[k][cavity]
        # Brain and CSF fill a cranium; a rib cage or a pelvic ring holds fat, air, bowel.
        if values.size and np.mean((values > -10) & (values < 90)) > BRAIN_FRACTION:
            inside[k] = cavity
            slices.append(k)
    if len(slices) < 3:
        return None
    values = w.hu[inside]
    brain = values[(values > 0) & (values < 80)]
    if brain.size < 100:
        return None
    enhanced = inside & (w.hu >= 110) & (w.hu <= 500)
    enhanced = ndimage.binary_opening(enhanced, iterations=1)
    return Head(float(np.median(brain)), float(enhanced.sum()) * w.voxel_ml, len(slices))
