"""Digital contrast: run a synthesis model over a CT volume, slice batch by slice batch."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

import numpy as np
from scipy import ndimage

from inference.errors import ModelError
from inference.io.volume import Volume
from inference.progress import CancelToken, ProgressCallback, ProgressReporter
from inference.synthesis.card import ModelCard, default_card
from inference.synthesis.runtime import CPU, ModelSession, cpu_fallback, create_session
from inference.synthesis.tiling import tiled_predict

log = logging.getLogger(__name__)

SPACING_TOLERANCE = 0.05  # relative: closer than this, no resampling
AIR_HU = -1000.0


@dataclass
class SynthesisResult:
    """The synthetic volume plus what the run report needs."""

    volume: Volume
    provider: str
    seconds: float
    run_seconds: float  # time inside session.run only (pipeline overhead = seconds / this)
    slices: int
    batches: int
    notes: list[str] = field(default_factory=list)

    @property
    def slices_per_second(self) -> float:
        """Throughput."""
        return self.slices / self.seconds if self.seconds else 0.0


class _Pipeline:
    """Per-run state: geometry of the model grid and the normalisation from the card."""

    def __init__(self, card: ModelCard, volume: Volume) -> None:
        d = card.data
        self.channels = card.channels
        self.multiple = int(d["spatial_multiple"])
        self.tile = int(d["tiling"]["tile"])
        self.overlap = float(d["tiling"]["overlap"])
        norm = d["normalisation"]
        self.in_lo, self.in_hi = norm["input"]["clip_hu"]
        self.in_sub, self.in_div = norm["input"]["subtract"], norm["input"]["divide"]
        self.out_mul, self.out_add = norm["output"]["multiply"], norm["output"]["add"]
        self.out_lo, self.out_hi = norm["output"]["clip_hu"]
        sx, sy, _ = volume.geometry.spacing
        mx, my, _ = d["expected_spacing_mm"]
        _nk, nj, ni = volume.shape
        self.zoom = (sy / my, sx / mx)
        if all(abs(z - 1) < SPACING_TOLERANCE for z in self.zoom):
            self.zoom = (1.0, 1.0)
        self.src_shape = (nj, ni)
        self.model_shape = (max(1, round(nj * self.zoom[0])), max(1, round(ni * self.zoom[1])))
        m = self.multiple
        self.padded = tuple(-(-s // m) * m for s in self.model_shape)
        self._cache: dict[int, np.ndarray] = {}

    def _model_slice(self, volume: Volume, k: int) -> np.ndarray:
        """Slice k resampled to the model grid and normalised (each slice is made once)."""
        cached = self._cache.get(k)
        if cached is not None:
            return cached
        src = volume.array[k].astype(np.float32)
        if self.zoom != (1.0, 1.0):
            mh, mw = self.model_shape
            src = ndimage.zoom(src, self.zoom, order=1, output=np.float32, grid_mode=True,
                               mode="nearest")[:mh, :mw]
        np.clip(src, self.in_lo, self.in_hi, out=src)
        src -= self.in_sub
        src /= self.in_div
        self._cache[k] = src
        return src

    def prepare(self, volume: Volume, ks: list[int]) -> np.ndarray:
        """(B, C, H, W) normalised model input for slices ``ks`` (neighbours clamped at ends)."""
        nk = volume.shape[0]
        half = self.channels // 2
        h, w = self.padded
        fill = (AIR_HU - self.in_sub) / self.in_div
        batch = np.full((len(ks), self.channels, h, w), fill, dtype=np.float32)
        for b, k in enumerate(ks):
            for c in range(self.channels):
                src = self._model_slice(volume, int(np.clip(k - half + c, 0, nk - 1)))
                batch[b, c, : src.shape[0], : src.shape[1]] = src
        # Batches advance through the volume: slices behind the window are never needed again.
        for old in [j for j in self._cache if j < ks[0] - half]:
            del self._cache[old]
        return batch

    def restore(self, pred: np.ndarray, out: np.ndarray) -> None:
        """Write (B, 1, H, W) predictions as HU on the input grid into ``out`` (B, nj, ni)."""
        mh, mw = self.model_shape
        for b in range(pred.shape[0]):
            hu = pred[b, 0, :mh, :mw] * self.out_mul + self.out_add
            if self.zoom != (1.0, 1.0):
                nj, ni = self.src_shape
                hu = ndimage.zoom(hu, (nj / mh, ni / mw), order=1, output=np.float32,
                                  grid_mode=True, mode="nearest")[:nj, :ni]
            np.clip(hu, self.out_lo, self.out_hi, out=hu)
            out[b] = np.rint(hu)


def synthesize(volume: Volume, card: ModelCard | None = None, *,
               session: ModelSession | None = None, device: str = "auto",
               batch_size: int | None = None, threads: int | None = None,
               progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> SynthesisResult:
    """Predict the contrast-enhanced volume; the result is marked synthetic, with provenance."""
    if session is None:
        session = create_session(card or default_card(), device, threads)
    card = session.card
    pipe = _Pipeline(card, volume)
    nk = volume.shape[0]
    batch_size = batch_size or int(card.data["tiling"]["batch"])
    out = np.empty(volume.shape, dtype=np.int16)  # pre-allocated once; nothing else is whole
    # Every batch is real work: report each one (no rate limit), so cancel acts within one.
    reporter = ProgressReporter("Synthesising digital contrast", nk, progress, cancel,
                                min_interval_s=0.0)
    t0 = time.perf_counter()
    run_seconds = 0.0
    batches = 0
    k = 0
    reporter.step(0)
    while k < nk:
        ks = list(range(k, min(nk, k + batch_size)))
        x = pipe.prepare(volume, ks)
        try:
            t1 = time.perf_counter()
            pred = tiled_predict(x, session.run, pipe.tile, pipe.overlap)
            run_seconds += time.perf_counter() - t1
        except Exception as exc:
            session, batch_size = _recover(session, batch_size, exc, threads)
            continue
        pipe.restore(pred, out[k:k + len(ks)])
        batches += 1
        k += len(ks)
        reporter.step(k)
    seconds = time.perf_counter() - t0
    meta = volume.metadata
    synthetic = replace(
        volume, array=out, synthetic=True,
        metadata=replace(meta, series_description=(
            f"SYNTHETIC digital contrast ({card.name} {card.version}) of "
            f"{meta.series_description or 'input'}"), window_center=40.0, window_width=400.0),
        provenance={**card.provenance(), "provider": session.active_provider,
                    "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "input_series_uid": meta.series_uid, "notes": list(session.notes)})
    log.info("synthesised %d slices in %.1f s on %s", nk, seconds, session.active_provider)
    return SynthesisResult(synthetic, session.active_provider, seconds, run_seconds, nk, batches,
                           list(session.notes))


def _recover(session: ModelSession, batch_size: int, exc: Exception,
             threads: int | None) -> tuple[ModelSession, int]:
    """After a failed run: smaller batches first, then the CPU; a CPU failure is final."""
    if batch_size > 1:
        session.notes.append(f"inference failed with {batch_size} slices per call "
                             f"({type(exc).__name__}); retrying with {batch_size // 2}")
        return session, batch_size // 2
    if session.active_provider != CPU:
        return cpu_fallback(session, threads), 1
    raise ModelError(f"synthesis failed on the CPU: {exc}") from exc
