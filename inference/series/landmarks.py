"""Find a few landmarks in an axial CT without a trained model: body, bone, spine, aorta,
the liver's quadrant, kidneys, the skull and brain.

Everything runs on a coarse copy (about 2.5 mm pixels, a few dozen slices), so a whole study
is read in seconds on a laptop CPU. Each finder returns what it measured, or None when the
structure is not in view: a missing landmark is never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from inference.io.volume import Volume

WORK_PIXEL_MM = 2.5
WORK_SLICES = 40
BODY_HU = -400.0
CORTEX_HU = 600.0  # cortical bone; cancellous bone is filled in from its shell
SKULL_HOLE_CM2 = 40.0  # a vertebra or a femoral head holds less; a cranium far more


@dataclass
class Work:
    """The coarse copy and its masks, with patient directions in array terms."""

    hu: np.ndarray  # (k, j, i) float32
    pixel_mm: tuple[float, float]  # (row, column)
    slice_mm: float
    left: int  # +1 when the column index runs toward the patient's left
    posterior: int  # +1 when the row index runs toward the patient's back
    body: np.ndarray
    bone: np.ndarray  # cortical shells with the cancellous bone inside them
    skull: np.ndarray  # what a closed ring of bone holds: the cranial cavity
    ks: tuple[int, ...] = ()  # the source slice of each coarse slice
    step: int = 1  # source pixels per coarse pixel

    def voxel(self, k: int, row: float, col: float) -> tuple[int, int, int]:
        """The source volume's voxel (k, j, i) at the centre of a coarse pixel."""
        ks = self.ks or tuple(range(self.hu.shape[0]))
        half = (self.step - 1) / 2.0
        return (int(ks[k]), int(np.rint(row * self.step + half)),
                int(np.rint(col * self.step + half)))

    @property
    def voxel_ml(self) -> float:
        """Volume of one coarse voxel in ml."""
        return self.pixel_mm[0] * self.pixel_mm[1] * self.slice_mm / 1000.0


def axial(volume: Volume) -> bool:
    """True when slices are (near) axial: the only layout the landmarks read."""
    d = volume.geometry.direction_matrix
    return abs(d[2, 2]) > 0.9 and abs(d[0, 0]) > 0.9 and abs(d[1, 1]) > 0.9


def prepare(volume: Volume) -> Work:
    """Resample to the coarse grid and find body and bone."""
    nk = volume.shape[0]
    sx, sy, sz = volume.geometry.spacing
    step = max(1, int(np.rint(WORK_PIXEL_MM / max(min(sx, sy), 1e-3))))
    ks = np.unique(np.linspace(0, nk - 1, min(WORK_SLICES, nk)).round().astype(int))
    nj, ni = volume.shape[1] // step * step, volume.shape[2] // step * step
    blocks = volume.array[ks][:, :nj, :ni].reshape(len(ks), nj // step, step, ni // step, step)
    # Block means for CT numbers (less noise); block maxima for bone, whose thin shells
    # (a skull, a vertebral cortex) a plain subsample would break.
    hu = blocks.mean(axis=(2, 4), dtype=np.float32)
    dense = blocks.max(axis=(2, 4)) > CORTEX_HU
    slice_mm = float(sz * (nk - 1) / max(len(ks) - 1, 1)) if len(ks) > 1 else float(sz)
    d = volume.geometry.direction_matrix
    pixel_mm = (sy * step, sx * step)
    body = np.zeros(hu.shape, dtype=bool)
    bone = np.zeros(hu.shape, dtype=bool)
    skull = np.zeros(hu.shape, dtype=bool)
    big_hole = SKULL_HOLE_CM2 * 100.0 / (pixel_mm[0] * pixel_mm[1])
    for k in range(hu.shape[0]):
        body[k] = ndimage.binary_fill_holes(_largest(hu[k] > BODY_HU))
        shell = ndimage.binary_closing(dense[k], iterations=1) & body[k]
        labels, _n = ndimage.label(shell)
        bone[k] = shell
        for index, region in enumerate(ndimage.find_objects(labels), 1):
            comp = labels[region] == index
            filled = ndimage.binary_fill_holes(comp)
            if (filled & ~comp).sum() <= big_hole:  # cancellous bone inside its cortex
                bone[k][region] |= filled
        # A skull's thin plates leave gaps a short closing does not bridge.
        ring = ndimage.binary_closing(dense[k], iterations=3) & body[k]
        hole = ndimage.binary_fill_holes(ring) & ~ring
        labels, _n = ndimage.label(hole)
        for index, region in enumerate(ndimage.find_objects(labels), 1):
            comp = labels[region] == index
            if comp.sum() > big_hole:
                skull[k][region] |= comp
    return Work(hu, pixel_mm, slice_mm, 1 if d[0, 0] > 0 else -1,
                1 if d[1, 1] > 0 else -1, body, bone, skull, tuple(int(k) for k in ks), step)


def _largest(mask: np.ndarray) -> np.ndarray:
    labels, n = ndimage.label(mask)
    if n == 0:
        return mask
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
    return labels == (int(np.argmax(sizes)) + 1)


@dataclass(frozen=True)
class Spine:
    """Vertebral body centre per slice (row, column), None where not found."""

    centres: list[tuple[float, float] | None]

    @property
    def found(self) -> int:
        """Number of slices with a vertebral body."""
        return sum(c is not None for c in self.centres)


def find_spine(w: Work) -> Spine:
    """The vertebral body: the largest filled bone near the body's midline, in its back half."""
    centres: list[tuple[float, float] | None] = []
    min_area = 300.0 / (w.pixel_mm[0] * w.pixel_mm[1])  # 3 cm2
    for k in range(w.hu.shape[0]):
        if not w.body[k].any():
            centres.append(None)
            continue
        rows, cols = np.nonzero(w.body[k])
        r0, r1, c0, c1 = rows.min(), rows.max(), cols.min(), cols.max()
        labels, _n = ndimage.label(w.bone[k])
        best, best_area = None, min_area
        for index, region in enumerate(ndimage.find_objects(labels), 1):
            comp = labels[region] == index
            area = float(comp.sum())
            cr, cc = ndimage.center_of_mass(comp)
            cr, cc = cr + region[0].start, cc + region[1].start
            back = (cr - r0) / max(r1 - r0, 1)
            if w.posterior < 0:
                back = 1 - back
            middle = abs(cc - (c0 + c1) / 2) / max(c1 - c0, 1)
            if back > 0.45 and middle < 0.2 and area > best_area:
                best, best_area = (cr, cc), area
        centres.append(best)
    return Spine(centres)


@dataclass(frozen=True)
class Aorta:
    """Median CT number of the aortic lumen over the slices where it was found."""

    hu: float
    slices: int
    radius_mm: float
    where: tuple[int, int, int] | None = None  # a source voxel at its centre, mid-way along it


def find_aorta(w: Work, spine: Spine) -> Aorta | None:
    """A round vessel 5-90 mm in front of the vertebral body, within 60 mm of the midline,
    separate from bone; tracked for consistency over the slices."""
    mm_r, mm_c = w.pixel_mm
    found = []
    for k, centre in enumerate(spine.centres):
        if centre is None:
            continue
        best = _aorta_in_slice(w, k, centre)
        if best is not None:
            found.append((*best, k, centre))
    if len(found) < max(3, 0.3 * spine.found):
        return None
    offsets = np.array([(f[0], f[1]) for f in found])
    median = np.median(offsets, axis=0)
    keep = [f for f in found
            if np.hypot((f[0] - median[0]) * mm_r, (f[1] - median[1]) * mm_c) < 15.0]
    if len(keep) < max(3, 0.3 * spine.found):
        return None
    mid = keep[len(keep) // 2]
    where = w.voxel(mid[4], mid[5][0] + mid[0], mid[5][1] + mid[1])
    return Aorta(float(np.median([f[2] for f in keep])), len(keep),
                 float(np.median([f[3] for f in keep])), where)


def _aorta_in_slice(w: Work, k: int, centre: tuple[float, float]):
    """(row offset, column offset, HU, radius) of the best aorta candidate in slice k."""
    mm_r, mm_c = w.pixel_mm
    hu, bone = w.hu[k], w.bone[k]
    vr, vc = centre
    rows = np.arange(hu.shape[0])[:, None]
    cols = np.arange(hu.shape[1])[None, :]
    ahead = (vr - rows) * w.posterior * mm_r  # mm in front of the vertebral centre
    side = (cols - vc) * w.left * mm_c  # mm toward the patient's left
    roi = (ahead > 12) & (ahead < 110) & (side > -45) & (side < 60) & w.body[k]
    near_bone = ndimage.binary_dilation(bone, iterations=max(1, int(np.rint(3 / mm_c))))
    # From bright to plain: the first level at which a round vessel stands out is the
    # aorta's (arterial 300 HU and more, portal 150-200, delayed 100-130, plain 30-55).
    for lo, hi in ((250.0, 700.0), (180.0, 700.0), (130.0, 700.0), (95.0, 700.0),
                   (10.0, 95.0)):
        mask = roi & (hu >= lo) & (hu <= hi) & ~near_bone
        mask = ndimage.binary_fill_holes(ndimage.binary_opening(mask, iterations=1))
        best = _round_vessel(w, hu, mask, near_bone, ahead, side)
        if best is not None:
            cr, cc, value, radius = best
            return cr - vr, cc - vc, value, radius
    return None


def _round_vessel(w: Work, hu: np.ndarray, mask: np.ndarray, near_bone: np.ndarray,
                  ahead: np.ndarray, side: np.ndarray):
    """The round component nearest the aorta's usual place: (row, col, HU, radius mm)."""
    mm_r, mm_c = w.pixel_mm
    labels, _n = ndimage.label(mask)
    best = None
    for index, region in enumerate(ndimage.find_objects(labels), 1):
        comp = labels[region] == index
        area_mm2 = float(comp.sum()) * mm_r * mm_c
        radius = float(np.sqrt(area_mm2 / np.pi))
        if not 6.0 <= radius <= 30.0:
            continue
        dist = ndimage.distance_transform_edt(np.pad(comp, 1), sampling=(mm_r, mm_c))[1:-1, 1:-1]
        if dist.max() < 0.7 * radius:  # not round: a muscle, a loop of bowel
            continue
        grown = ndimage.binary_dilation(np.pad(comp, 1))[1:-1, 1:-1]
        if (grown & near_bone[region]).any():
            continue
        cr, cc = ndimage.center_of_mass(comp)
        cr, cc = cr + region[0].start, cc + region[1].start
        inner = dist > 0.4 * radius
        value = float(np.median(hu[region][comp & inner]))
        # In front of the spine, slightly to the left: where the aorta lies.
        cost = abs(float(ahead[int(cr), 0]) - 35.0) + abs(float(side[0, int(cc)]) - 10.0)
        if best is None or cost < best[0]:
            best = (cost, (cr, cc, value, radius))
    return None if best is None else best[1]


def _touches(comp: np.ndarray, other: np.ndarray) -> bool:
    return bool((ndimage.binary_dilation(comp) & other).any())


def enhanced_ml(w: Work) -> tuple[float, float]:
    """The largest connected volume (ml) at iodine-like CT numbers away from bone, and its
    mean HU: a contrast-filled vessel or organ, or oral contrast; never plain blood."""
    grow = max(1, int(np.rint(3.0 / w.pixel_mm[1])))
    mask = np.zeros_like(w.body)
    for k in range(w.hu.shape[0]):
        mask[k] = w.body[k] & (w.hu[k] >= 170) & (w.hu[k] <= 600)
        mask[k] = ndimage.binary_opening(mask[k], iterations=1)
    # Cancellous bone where a cortex is open (an end plate) lies next to cortex in this
    # slice or the next: whatever touches bone in 3-D is left out.
    near_bone = ndimage.binary_dilation(w.bone, structure=np.ones((3, 3, 3), bool),
                                        iterations=grow)
    labels, _n = ndimage.label(mask)
    best = (0.0, 0.0)
    for index, region in enumerate(ndimage.find_objects(labels), 1):
        if region[0].stop - region[0].start < 2:
            continue  # within one slice: a clip, a calcification
        comp = labels[region] == index
        if (comp & near_bone[region]).any():
            continue
        ml = float(comp.sum()) * w.voxel_ml
        mean = float(w.hu[region][comp].mean())
        if ml > best[0] and mean >= 200.0:
            best = (ml, mean)
    return best
