"""Order a series' images into a regular 3-D stack and check its geometry."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from inference.errors import (
    InconsistentSeriesError,
    IrregularSpacingError,
    MissingSlicesError,
)
from inference.io.dicom.header import FileHeader
from inference.io.geometry import Geometry

# Relative tolerance on slice steps: scanners round positions to 0.01 mm or so.
STEP_TOLERANCE = 0.05
TILT_TOLERANCE_DEG = 0.05


@dataclass
class SliceStack:
    """Images in grid order: ``slots[k]`` is the image for slice k, or None where one is missing."""

    slots: list[FileHeader | None]
    geometry: Geometry
    warnings: list[str] = field(default_factory=list)
    tilt_deg: float = 0.0

    @property
    def missing(self) -> list[int]:
        """Grid indices with no image (only when gaps were allowed)."""
        return [k for k, h in enumerate(self.slots) if h is None]


@lru_cache(maxsize=4096)
def _rounded(values: tuple[float, ...] | None, digits: int) -> tuple[float, ...] | None:
    """Values rounded for comparison (cached: a series repeats the same few tuples)."""
    return tuple(round(v, digits) for v in values) if values else None


def _key(h: FileHeader) -> tuple:
    return (_rounded(h.orientation, 3), h.rows, h.columns, _rounded(h.pixel_spacing, 4))


def _describe_split(groups: Counter, kept: tuple) -> str:
    dropped = sum(n for key, n in groups.items() if key != kept)
    kinds = set()
    for key in groups:
        if key == kept:
            continue
        if key[0] != kept[0]:
            kinds.add("orientation")
        if key[1:3] != kept[1:3]:
            kinds.add("image size")
        if key[3] != kept[3]:
            kinds.add("pixel spacing")
    what = " and ".join(sorted(kinds)) or "geometry"
    return (f"{dropped} image(s) with a different {what} were excluded; "
            f"kept the largest consistent stack of {groups[kept]}")


def build_stack(headers: list[FileHeader], allow_gaps: bool = False) -> SliceStack:
    """Sort images along the slice normal, drop duplicates, and check spacing and tilt.

    Long on purpose: the checks run in one pass over the sorted positions and each reports
    with the slice numbers it found; split up they would re-sort and re-measure.
    """
    warnings: list[str] = []
    usable = [h for h in headers if h.position and h.orientation]
    if not usable:
        raise InconsistentSeriesError(
            "the images carry no position/orientation, so they cannot form a 3-D volume")
    if len(usable) < len(headers):
        warnings.append(f"{len(headers) - len(usable)} image(s) without position were excluded")

    groups = Counter(_key(h) for h in usable)
    kept = groups.most_common(1)[0][0]
    if len(groups) > 1:
        warnings.append(_describe_split(groups, kept))
        usable = [h for h in usable if _key(h) == kept]

    # Identical instances (same SOP UID), e.g. a study copied twice into one folder.
    seen: dict[str, FileHeader] = {}
    for h in usable:
        uid = h.sop_instance_uid + (f"#{h.frame_index}" if h.frame_index is not None else "")
        seen.setdefault(uid or h.path, h)
    if len(seen) < len(usable):
        warnings.append(f"{len(usable) - len(seen)} duplicate image(s) (same SOP instance) ignored")
    usable = list(seen.values())

    o = np.asarray(usable[0].orientation, dtype=float)
    row_dir, col_dir = o[:3], o[3:]
    normal = np.cross(row_dir, col_dir)
    normal /= np.linalg.norm(normal)
    along = np.asarray([h.position for h in usable], dtype=float) @ normal
    order = sorted(range(len(usable)),
                   key=lambda n: (float(along[n]), usable[n].instance_number or 0))
    usable = [usable[n] for n in order]
    dist = along[order]

    # Different images at the same position (e.g. a repeated acquisition): keep the first.
    unique = [0]
    for n in range(1, len(usable)):
        if dist[n] - dist[unique[-1]] > 1e-3:
            unique.append(n)
    if len(unique) < len(usable):
        warnings.append(f"{len(usable) - len(unique)} image(s) at an already-occupied "
                        "position were ignored (repeated acquisition?)")
    usable = [usable[n] for n in unique]
    dist = dist[unique]

    ps = usable[0].pixel_spacing
    if ps is None:
        warnings.append("pixel spacing missing; assuming 1 mm")
        ps = (1.0, 1.0)

    if len(usable) == 1:
        thickness = usable[0].slice_thickness or 1.0
        geom = Geometry(usable[0].position, (ps[1], ps[0], thickness),
                        np.column_stack([row_dir, col_dir, normal]))
        return SliceStack([usable[0]], geom, warnings)

    steps = np.diff(dist)
    change = _spacing_change(steps)
    if change is not None and not allow_gaps:
        at, before, after = change
        raise IrregularSpacingError(
            f"slice spacing changes from {before:.2f} mm to {after:.2f} mm at slice {at} of "
            f"{len(usable)} (two reconstructions in one series?); open each part on its own")
    expected = float(np.median(steps))
    ratios = steps / expected
    slots_index = np.concatenate([[0], np.cumsum(np.rint(ratios))]).astype(int)
    gap_steps = np.nonzero(np.rint(ratios) >= 2)[0]
    irregular = np.abs(ratios - np.rint(ratios)) > STEP_TOLERANCE
    irregular |= np.rint(ratios) < 1

    total = int(slots_index[-1]) + 1
    if gap_steps.size:
        n_missing = int(total - len(usable))
        first_missing = int(slots_index[gap_steps[0]]) + 2  # 1-based slice number
        err = MissingSlicesError(first_missing, total, float(steps[gap_steps[0]]), expected,
                                 n_missing)
        if not allow_gaps:
            raise err
        warnings.append(f"{err}; missing slices are left blank")
    if irregular.any():
        bad = int(np.argmax(irregular))
        msg = (f"slice spacing is irregular: {steps[bad]:.2f} mm between slices {bad + 1} "
               f"and {bad + 2} where {expected:.2f} mm is typical")
        if not allow_gaps:
            raise IrregularSpacingError(msg)
        warnings.append(msg + "; slices placed at the nearest regular position")

    first = np.asarray(usable[0].position, dtype=float)
    last = np.asarray(usable[-1].position, dtype=float)
    step_vec = (last - first) / (total - 1)
    step_len = float(np.linalg.norm(step_vec))
    k_dir = step_vec / step_len
    tilt = math.degrees(math.acos(min(1.0, abs(float(np.dot(k_dir, normal))))))
    if tilt > TILT_TOLERANCE_DEG:
        warnings.append(f"gantry tilt of {tilt:.1f} degrees: the volume grid is sheared to match")
    else:
        # Straight stack: keep an exactly orthonormal frame and the spacing along the normal.
        k_dir = normal
        step_len = float((dist[-1] - dist[0]) / (total - 1))
        tilt = 0.0

    slots: list[FileHeader | None] = [None] * total
    for h, k in zip(usable, slots_index, strict=True):
        slots[int(k)] = h
    geom = Geometry(tuple(first), (ps[1], ps[0], step_len),
                    np.column_stack([row_dir, col_dir, k_dir]))
    return SliceStack(slots, geom, warnings, tilt_deg=tilt)


def _spacing_change(steps: np.ndarray) -> tuple[int, float, float] | None:
    """(1-based slice, spacing before, after) when the spacing is constant in two parts."""
    if len(steps) < 6:
        return None
    # Every split point is judged at once from running minima, maxima and sums (a split
    # at a time cost a series of n slices n^2 operations); the few that pass, with a margin
    # for rounding, are then judged one by one exactly as before, first one first.
    n = len(steps)
    counts = np.arange(1, n + 1)
    head_mean = np.cumsum(steps) / counts
    head_ptp = np.maximum.accumulate(steps) - np.minimum.accumulate(steps)
    tail_mean = (np.cumsum(steps[::-1]) / counts)[::-1]
    tail_ptp = (np.maximum.accumulate(steps[::-1]) - np.minimum.accumulate(steps[::-1]))[::-1]
    splits = np.arange(3, n - 2)
    a_mean, a_ptp = head_mean[splits - 1], head_ptp[splits - 1]
    b_mean, b_ptp = tail_mean[splits], tail_ptp[splits]
    slack = 1.0 + 1e-9
    maybe = ((a_ptp < STEP_TOLERANCE * a_mean * slack) & (b_ptp < STEP_TOLERANCE * b_mean * slack)
             & (np.abs(a_mean - b_mean) * slack > STEP_TOLERANCE * a_mean))
    for i in splits[maybe]:
        a, b = steps[:i], steps[i:]
        if (np.ptp(a) < STEP_TOLERANCE * a.mean() and np.ptp(b) < STEP_TOLERANCE * b.mean()
                and abs(a.mean() - b.mean()) > STEP_TOLERANCE * a.mean()):
            return int(i) + 1, float(a.mean()), float(b.mean())
    return None
