"""Sliding-window inference with Gaussian blending (the scheme MONAI's sliding window uses).

One implementation for 2-D slices (N, C, H, W) and 3-D patches (N, C, D, H, W): inputs smaller
than the window are padded up to it (so fixed-size models run), windows overlap, and each
prediction is weighted by a Gaussian importance map before the weights are divided out.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import lru_cache

import numpy as np


def window_starts(size: int, tile: int, overlap: float) -> list[int]:
    """Tile start positions along one axis; the last tile ends flush with the image."""
    if tile >= size:
        return [0]
    step = max(1, int(tile * (1 - overlap)))
    starts = list(range(0, size - tile + 1, step))
    if starts[-1] + tile < size:
        starts.append(size - tile)
    return starts


@lru_cache(maxsize=8)
def importance_map(tile: int | tuple[int, ...], sigma_scale: float = 0.125) -> np.ndarray:
    """Gaussian weight of a window's voxels (max 1, floored at 1e-3 so edges still count)."""
    tiles = (tile, tile) if isinstance(tile, int) else tile
    w = np.ones((), dtype=np.float64)
    for t in tiles:
        x = np.arange(t) - (t - 1) / 2
        w = np.multiply.outer(w, np.exp(-0.5 * (x / (sigma_scale * t)) ** 2))
    w /= w.max()
    return np.maximum(w, 1e-3).astype(np.float32)


def predict_calls(n: int, spatial: tuple[int, ...], tile: int | tuple[int, ...],
                  overlap: float, max_tiles_per_call: int = 8) -> int:
    """How many times ``tiled_predict`` calls its model for ``n`` items of ``spatial`` size
    (a sampler's progress counts its steps against this)."""
    tiles = (tile,) * len(spatial) if isinstance(tile, int) else tuple(tile)
    spatial = tuple(max(s, t) for s, t in zip(spatial, tiles, strict=True))
    if spatial == tiles:
        return 1
    positions = 1
    for s, t in zip(spatial, tiles, strict=True):
        positions *= len(window_starts(s, t, overlap))
    return -(-n * positions // max_tiles_per_call)


def tiled_predict(batch: np.ndarray, predict: Callable[[np.ndarray], np.ndarray],
                  tile: int | tuple[int, ...], overlap: float,
                  max_tiles_per_call: int = 8) -> np.ndarray:
    """Predict (N, C, *S) -> (N, P, *S) in overlapping windows blended by importance."""
    n = batch.shape[0]
    spatial = batch.shape[2:]
    tiles = (tile,) * len(spatial) if isinstance(tile, int) else tuple(tile)
    if any(s < t for s, t in zip(spatial, tiles, strict=True)):
        # Pad with the image's own edge values up to the window (a fixed-size model needs it).
        pad = [(0, 0), (0, 0)] + [(0, max(0, t - s)) for s, t in zip(spatial, tiles, strict=True)]
        padded = np.pad(batch, pad, mode="edge")
        out = tiled_predict(padded, predict, tiles, overlap, max_tiles_per_call)
        return out[(slice(None), slice(None), *(slice(0, s) for s in spatial))]
    if spatial == tiles:
        return predict(batch)
    starts = [window_starts(s, t, overlap) for s, t in zip(spatial, tiles, strict=True)]
    weight = importance_map(tiles)
    norm = np.zeros(spatial, dtype=np.float32)
    positions = list(itertools.product(*starts))
    windows = {p: tuple(slice(a, a + t) for a, t in zip(p, tiles, strict=True))
               for p in positions}
    for p in positions:
        norm[windows[p]] += weight
    out: np.ndarray | None = None
    jobs = [(s, p) for s in range(n) for p in positions]
    for i in range(0, len(jobs), max_tiles_per_call):
        chunk = jobs[i:i + max_tiles_per_call]
        pred = predict(np.stack([batch[(s, slice(None), *windows[p])] for s, p in chunk]))
        if out is None:  # the number of predictions per window comes from the model
            out = np.zeros((n, pred.shape[1], *spatial), dtype=np.float32)
        for (s, p), q in zip(chunk, pred, strict=True):
            out[(s, slice(None), *windows[p])] += q * weight
    assert out is not None
    out /= norm
    return out
