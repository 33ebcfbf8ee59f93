"""3-D patch models (NCDHW): sliding windows over the whole resampled volume, Gaussian-blended.

The model grid is resampled in-plane only (slices stay as acquired; the domain check warns
about a slice spacing the model was not made for). Unlike the slice loop this holds the
normalised volume and one float32 accumulator per prediction: 3-D models cost that memory.
"""

from __future__ import annotations

import time

import numpy as np

from inference.errors import DcreviewError
from inference.io.volume import Volume
from inference.progress import ProgressReporter
from inference.synthesis.runtime import ModelSession, after_device_failure
from inference.synthesis.tiling import tiled_predict, window_starts


def run_patches(session: ModelSession, grid, volume: Volume, out: np.ndarray,
                unc: np.ndarray | None, reporter: ProgressReporter,
                threads: int | None) -> tuple[ModelSession, float, int]:
    """Predict the whole volume in 3-D windows; returns session, run time and calls made."""
    card = session.card
    nk = volume.shape[0]
    m = grid.multiple
    depth = -(-nk // m) * m
    h, w = grid.padded
    x = np.full((1, 1, depth, h, w), grid.fill, dtype=np.float32)
    for k in range(nk):
        src = grid.to_model(volume.array[k])
        x[0, 0, k, : src.shape[0], : src.shape[1]] = src
    x[0, 0, nk:] = x[0, 0, nk - 1]  # pad beyond the last slice with its copy, not with air
    calls = 0
    tile = card.tile
    overlap = float(card.data["tiling"]["overlap"])
    expected = int(np.prod([len(window_starts(max(s, t), t, overlap))
                            for s, t in zip((depth, h, w), tile, strict=True)]))

    def predict(batch: np.ndarray) -> np.ndarray:
        nonlocal calls
        calls += 1
        # Progress by windows done; cancel acts between two calls.
        reporter.step(min(nk - 1, int(nk * calls / max(1, expected))))
        return session.run(batch)

    t1 = time.perf_counter()
    while True:
        try:
            pred = tiled_predict(x, predict, tile, overlap,
                                 max_tiles_per_call=int(card.data["tiling"]["batch"]))
            break
        except DcreviewError:  # a cancel or a refused output is final, not a device failure
            raise
        except Exception as exc:
            session = after_device_failure(session, exc, threads)
            calls = 0
    run_seconds = time.perf_counter() - t1
    for k in range(nk):
        grid.restore(pred[0, :, k], volume.array[k], out[k], None if unc is None else unc[k])
    reporter.step(nk)
    return session, run_seconds, calls
