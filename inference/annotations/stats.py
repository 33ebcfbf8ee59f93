"""HU statistics of ROIs for every loaded layer."""

from __future__ import annotations

import numpy as np
from matplotlib.path import Path as PolygonPath

from inference.annotations.model import ROI_KINDS, Annotation, Kind, plane_axes
from inference.io.volume import Volume

Region = tuple[tuple[slice, slice, slice], np.ndarray]
EMPTY: Region = ((slice(0, 0),) * 3, np.zeros((0, 0, 0), dtype=bool))  # type: ignore[assignment]


def roi_mask(annotation: Annotation, volume: Volume) -> np.ndarray:
    """Voxels of ``volume`` inside the ROI (2-D shapes: the slice they were drawn on)."""
    box, local = roi_region(annotation, volume)
    mask = np.zeros(volume.shape, dtype=bool)
    mask[box] = local
    return mask


def roi_region(annotation: Annotation, volume: Volume) -> Region:
    """The ROI as a box of the array and the mask inside that box (no full-size mask)."""
    nk, nj, ni = volume.shape
    if annotation.kind is Kind.SPHERE:
        c, edge = annotation.array
        r = float(np.linalg.norm(edge - c))
        lo = np.floor(volume.world_to_index(c) - r / np.asarray(volume.geometry.spacing)) - 1
        hi = np.ceil(volume.world_to_index(c) + r / np.asarray(volume.geometry.spacing)) + 1
        i0, j0, k0 = np.maximum(lo, 0).astype(int)
        i1, j1, k1 = np.minimum(hi + 1, (ni, nj, nk)).astype(int)
        if min(k1 - k0, j1 - j0, i1 - i0) <= 0:
            return EMPTY
        k, j, i = np.meshgrid(np.arange(k0, k1), np.arange(j0, j1), np.arange(i0, i1),
                              indexing="ij")
        world = volume.index_to_world(np.stack([i, j, k], axis=-1).astype(float))
        return ((slice(k0, k1), slice(j0, j1), slice(i0, i1)),
                np.linalg.norm(world - c, axis=-1) <= r)
    if annotation.kind not in ROI_KINDS:
        raise ValueError(f"{annotation.kind.value} is not a region")
    outline = annotation.outline()
    ijk = volume.world_to_index(outline)
    normal = np.asarray(annotation.normal)
    d = volume.geometry.direction_matrix
    axis = int(np.argmax(np.abs(d.T @ normal)))
    index = int(np.rint(ijk[:, axis].mean()))
    if not 0 <= index < volume.shape[2 - axis]:
        return EMPTY
    u, v = plane_axes(normal)
    poly = PolygonPath(np.column_stack([outline @ u, outline @ v]))
    other = [a for a in (0, 1, 2) if a != axis]
    sizes = {0: ni, 1: nj, 2: nk}
    # Only the outline's bounding box is tested: small ROIs on big slices stay cheap enough
    # to update while the user drags.
    ranges = []
    for a in other:
        lo = max(0, int(np.floor(ijk[:, a].min())) - 1)
        hi = min(sizes[a], int(np.ceil(ijk[:, a].max())) + 2)
        if hi <= lo:
            return EMPTY
        ranges.append(np.arange(lo, hi))
    g0, g1 = np.meshgrid(ranges[0], ranges[1], indexing="ij")
    grid = np.zeros((*g0.shape, 3))
    grid[..., other[0]], grid[..., other[1]], grid[..., axis] = g0, g1, index
    world = volume.index_to_world(grid)
    inside = poly.contains_points(np.column_stack([(world @ u).ravel(),
                                                   (world @ v).ravel()])).reshape(g0.shape)
    # Array axes are (k, j, i): index axis a is array axis 2 - a.
    sel: list = [slice(None)] * 3
    sel[2 - axis] = slice(index, index + 1)
    sel[2 - other[0]] = slice(ranges[0][0], ranges[0][-1] + 1)
    sel[2 - other[1]] = slice(ranges[1][0], ranges[1][-1] + 1)
    # ``inside`` is indexed (other[0], other[1]); in the array other[1] comes first.
    return tuple(sel), np.expand_dims(inside.T, axis=2 - axis)


def roi_stats(annotation: Annotation, layers: dict[str, Volume]) -> dict[str, dict]:
    """Mean, SD, min, max HU and voxel count of the ROI in every layer (same grid or not)."""
    out = {}
    for name, volume in layers.items():
        box, local = roi_region(annotation, volume)
        values = volume.array[box][local].astype(np.float64)
        if values.size == 0:
            out[name] = {"voxels": 0}
            continue
        out[name] = {"voxels": int(values.size), "mean": float(values.mean()),
                     "sd": float(values.std(ddof=1)) if values.size > 1 else 0.0,
                     "min": float(values.min()), "max": float(values.max())}
    return out
