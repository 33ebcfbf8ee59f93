"""Tiled 2-D inference with Gaussian blending (the scheme MONAI's sliding window uses)."""

from __future__ import annotations

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
def importance_map(tile: int, sigma_scale: float = 0.125) -> np.ndarray:
    """Gaussian weight of a tile's pixels (max 1, floored at 1e-3 so edges still count)."""
    x = np.arange(tile) - (tile - 1) / 2
    g = np.exp(-0.5 * (x / (sigma_scale * tile)) ** 2)
    w = np.outer(g, g)
    w /= w.max()
    return np.maximum(w, 1e-3).astype(np.float32)


def tiled_predict(batch: np.ndarray, predict: Callable[[np.ndarray], np.ndarray], tile: int,
                  overlap: float, max_tiles_per_call: int = 8) -> np.ndarray:
    """Predict (N, C, H, W) -> (N, 1, H, W) in overlapping tiles, blended by importance."""
    n, _c, h, w = batch.shape
    if h <= tile and w <= tile:
        return predict(batch)
    ys, xs = window_starts(h, tile, overlap), window_starts(w, tile, overlap)
    weight = importance_map(tile)
    out = np.zeros((n, 1, h, w), dtype=np.float32)
    norm = np.zeros((h, w), dtype=np.float32)
    positions = [(y, x) for y in ys for x in xs]
    for y, x in positions:
        norm[y:y + tile, x:x + tile] += weight
    jobs = [(s, y, x) for s in range(n) for y, x in positions]
    for i in range(0, len(jobs), max_tiles_per_call):
        chunk = jobs[i:i + max_tiles_per_call]
        tiles = np.stack([batch[s, :, y:y + tile, x:x + tile] for s, y, x in chunk])
        pred = predict(tiles)
        for (s, y, x), p in zip(chunk, pred, strict=True):
            out[s, :, y:y + tile, x:x + tile] += p * weight
    out /= norm
    return out
