"""Digital contrast: run a synthesis model over a CT volume, slice batch by slice batch (2-D and
2.5-D models) or patch by patch (3-D models), refusing inputs far outside the model's domain
and outputs that are not finite or not plausible, so that nothing bad is ever written."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
from scipy import ndimage

from inference import provenance as labels
from inference.errors import DcreviewError, ModelError
from inference.io.volume import Volume
from inference.progress import CancelToken, ProgressCallback, ProgressReporter
from inference.synthesis.card import MAX_MODEL_PIXELS, ModelCard, default_card, model_grid_pixels
from inference.synthesis.domain import DomainReport, check_domain
from inference.synthesis.runtime import ModelSession, after_device_failure, create_session
from inference.synthesis.sampler import SamplerSession
from inference.synthesis.tiling import predict_calls, tiled_predict
from inference.trust.findings import TrustReport

log = logging.getLogger(__name__)

SPACING_TOLERANCE = 0.05  # relative: closer than this, no resampling
AIR_HU = -1000.0
# Windows per session.run: the model's working memory grows with it, its speed hardly does
# (measured in benchmarks/synthesis.py: peak memory and slices/s).
TILES_PER_CALL = 2


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
    domain: DomainReport = field(default_factory=DomainReport)
    uncertainty: Volume | None = None  # voxel-wise SD (HU) over ensemble members and flips
    trust: TrustReport | None = None  # the checks of the output against the model's promises

    @property
    def slices_per_second(self) -> float:
        """Throughput."""
        return self.slices / self.seconds if self.seconds else 0.0


class _Grid:
    """The model's in-plane grid and the card's normalisation, both ways."""

    def __init__(self, card: ModelCard, volume: Volume) -> None:
        d = card.data
        self.card = card
        self.multiple = int(d["spatial_multiple"])
        norm = d["normalisation"]
        self.in_lo, self.in_hi = norm["input"]["clip_hu"]
        self.in_sub, self.in_div = norm["input"]["subtract"], norm["input"]["divide"]
        self.out_mul, self.out_add = norm["output"]["multiply"], norm["output"]["add"]
        self.out_lo, self.out_hi = norm["output"]["clip_hu"]
        self.valid_lo, self.valid_hi = card.valid_range_hu
        self.enhancement = card.output_kind == "enhancement"
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
        self.fill = (AIR_HU - self.in_sub) / self.in_div

    def to_model(self, hu: np.ndarray) -> np.ndarray:
        """One slice resampled to the model grid and normalised (float32, unpadded)."""
        src = hu.astype(np.float32)
        if self.zoom != (1.0, 1.0):
            mh, mw = self.model_shape
            src = ndimage.zoom(src, self.zoom, order=1, output=np.float32, grid_mode=True,
                               mode="nearest")[:mh, :mw]
        np.clip(src, self.in_lo, self.in_hi, out=src)
        src -= self.in_sub
        src /= self.in_div
        return src

    def _to_source(self, model: np.ndarray) -> np.ndarray:
        if self.zoom == (1.0, 1.0):
            return model
        (nj, ni), (mh, mw) = self.src_shape, self.model_shape
        return ndimage.zoom(model, (nj / mh, ni / mw), order=1, output=np.float32,
                            grid_mode=True, mode="nearest")[:nj, :ni]

    def restore(self, preds: np.ndarray, source: np.ndarray, out: np.ndarray,
                unc: np.ndarray | None) -> None:
        """Write one slice: (P, H, W) predictions -> HU on the input grid, checked first."""
        mh, mw = self.model_shape
        p = preds[:, :mh, :mw]
        if not np.isfinite(p).all():
            bad = int(np.size(p) - np.count_nonzero(np.isfinite(p)))
            raise ModelError(f"model {self.card.name} produced {bad} non-finite values (NaN or "
                             "inf); the run was stopped and nothing was written")
        hu = p * np.float32(self.out_mul) + np.float32(self.out_add)
        lo, hi = float(hu.min()), float(hu.max())
        if lo < self.valid_lo or hi > self.valid_hi:
            what = "enhancement" if self.enhancement else "output"
            raise ModelError(f"model {self.card.name} produced an {what} of {lo:.0f} to "
                             f"{hi:.0f} HU, outside its card's plausible range "
                             f"{self.valid_lo:g} to {self.valid_hi:g} HU; the run was stopped "
                             "and nothing was written")
        mean = self._to_source(hu.mean(axis=0) if hu.shape[0] > 1 else hu[0])
        if self.enhancement:
            # The enhancement is added to the acquired slice at its own resolution: the scan's
            # noise texture stays, as it would in a real contrast acquisition.
            mean = mean + source.astype(np.float32)
        np.clip(mean, self.out_lo, self.out_hi, out=mean)
        out[:] = np.rint(mean)
        if unc is not None:
            unc[:] = np.rint(np.clip(self._to_source(hu.std(axis=0)), 0, 32767))


class _Slices:
    """2-D and 2.5-D models: batches of slices with their neighbours as channels."""

    def __init__(self, grid: _Grid, volume: Volume) -> None:
        self.grid = grid
        self.volume = volume
        self.channels = grid.card.channels
        self._cache: dict[int, np.ndarray] = {}

    def _model_slice(self, k: int) -> np.ndarray:
        cached = self._cache.get(k)
        if cached is None:
            cached = self._cache[k] = self.grid.to_model(self.volume.array[k])
        return cached

    def prepare(self, ks: list[int]) -> np.ndarray:
        """(B, C, H, W) normalised model input for slices ``ks`` (neighbours clamped at ends)."""
        nk = self.volume.shape[0]
        half = self.channels // 2
        h, w = self.grid.padded
        batch = np.full((len(ks), self.channels, h, w), self.grid.fill, dtype=np.float32)
        for b, k in enumerate(ks):
            for c in range(self.channels):
                src = self._model_slice(int(np.clip(k - half + c, 0, nk - 1)))
                batch[b, c, : src.shape[0], : src.shape[1]] = src
        # Batches advance through the volume: slices behind the window are never needed again.
        for old in [j for j in self._cache if j < ks[0] - half]:
            del self._cache[old]
        return batch


def return_free_heap() -> None:
    """Hand freed heap back to the system (glibc keeps it otherwise, tens of MB after a run),
    so that writing the output does not stack on top of it. A no-op elsewhere."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _bound_sizes(card: ModelCard, volume: Volume) -> None:
    """Refuse, before allocating, a model grid no memory could hold."""
    pixels = model_grid_pixels(card, volume.shape, volume.geometry.spacing)
    if pixels > MAX_MODEL_PIXELS:
        raise ModelError(f"model {card.name}: its expected spacing "
                         f"{card.data['expected_spacing_mm'][:2]} mm would resample each slice "
                         f"to {pixels:,} pixels; the card's spacing is implausible")


def synthesize(volume: Volume, card: ModelCard | None = None, *,
               session: ModelSession | None = None, device: str = "auto",
               batch_size: int | None = None, threads: int | None = None,
               progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None, seed: int | None = None) -> SynthesisResult:
    """Predict the contrast-enhanced volume; the result is marked synthetic, with provenance.

    ``seed`` replaces a diffusion or flow card's own seed (the one used is recorded)."""
    if session is None:
        session = create_session(card or default_card(), device, threads)
    card = session.card
    domain = check_domain(volume, card)  # refuses hard limits before any inference
    _bound_sizes(card, volume)
    grid = _Grid(card, volume)
    nk = volume.shape[0]
    out = np.empty(volume.shape, dtype=np.int16)  # pre-allocated once; nothing else is whole
    unc = np.zeros(volume.shape, dtype=np.int16) if card.predictions_per_voxel > 1 else None
    # Every batch is real work: report each one (no rate limit), so cancel acts within one.
    # A sampler reports its steps instead (one bar, not two counts taking turns).
    sampling = isinstance(session, SamplerSession)
    reporter = ProgressReporter("Synthesising digital contrast", nk,
                                None if sampling else progress, cancel, min_interval_s=0.0)
    t0 = time.perf_counter()
    reporter.step(0)
    if sampling:
        _bind_sampler(session, grid, volume, batch_size, progress, cancel, seed)
    if card.dims == 3:
        from inference.synthesis.patches3d import run_patches

        session, run_seconds, batches = run_patches(session, grid, volume, out, unc, reporter,
                                                    threads)
    else:
        session, run_seconds, batches = _run_slices(session, grid, volume, out, unc, reporter,
                                                    batch_size, threads)
    seconds = time.perf_counter() - t0
    return_free_heap()
    meta = volume.metadata
    created = datetime.now(UTC).isoformat(timespec="seconds")
    provenance = {**card.provenance(), "provider": session.active_provider, "created": created,
                  "input_series_uid": meta.series_uid, "notes": list(session.notes),
                  "domain": domain.as_dict()}
    if isinstance(session, SamplerSession):
        provenance["sampler"] = {**provenance["sampler"], "seed": session.seed,
                                 "denoiser_evaluations": session.evaluations}
    synthetic = replace(
        volume, array=out, synthetic=True,
        metadata=replace(meta, series_description=labels.volume_description(
            f"{card.name} {card.version}", meta.series_description), window_center=40.0,
            window_width=400.0, contrast_agent=""),
        provenance=provenance)
    uncertainty = None
    if unc is not None:
        uncertainty = replace(
            volume, array=unc, synthetic=True,
            metadata=replace(meta, series_description=labels.volume_description(
                f"SD over {card.predictions_per_voxel} "
                f"{'predictions' if card.kind == 'regression' else 'samples'}, {card.name} "
                f"{card.version}", meta.series_description, "uncertainty"),
                window_center=25.0, window_width=50.0),
            provenance={**provenance, "layer": "uncertainty"})
    trust = _check(volume, synthetic, card, uncertainty, progress)
    for made in (synthetic, uncertainty):
        if made is not None:  # travels with the pixels: a reopened file says it too
            made.provenance["trust"] = trust.as_dict()
    log.info("synthesised %d slices in %.1f s on %s; trust verdict: %s", nk, seconds,
             session.active_provider, trust.verdict)
    return SynthesisResult(synthetic, session.active_provider, seconds, run_seconds, nk, batches,
                           list(session.notes), domain, uncertainty, trust)


def _bind_sampler(session: SamplerSession, grid: _Grid, volume: Volume,
                  batch_size: int | None, progress: ProgressCallback | None,
                  cancel: CancelToken | None, seed: int | None) -> None:
    """Per-step progress and cancel for a sampler, counted against every denoiser call the
    run will make (windows x samples x steps)."""
    card = session.card
    spec = card.sampler
    tile, overlap = card.tile, float(card.data["tiling"]["overlap"])
    nk = volume.shape[0]
    if card.dims == 3:
        m = grid.multiple
        calls = predict_calls(1, (-(-nk // m) * m, *grid.padded), tile, overlap,
                              int(card.data["tiling"]["batch"]))
    else:
        per_batch = batch_size or int(card.data["tiling"]["batch"])
        calls = sum(predict_calls(min(per_batch, nk - k), grid.padded, tile, overlap,
                                  TILES_PER_CALL) for k in range(0, nk, per_batch))
    total = calls * int(spec["samples"]) * int(spec["steps"])
    reporter = ProgressReporter(f"Sampling digital contrast ({spec['steps']} steps x "
                                f"{spec['samples']} samples)", total, progress, cancel)
    session.on_step = reporter.step
    session.evaluations = 0
    if seed is not None:
        session.seed = int(seed)


def _check(volume: Volume, synthetic: Volume, card: ModelCard, uncertainty: Volume | None,
           progress: ProgressCallback | None) -> TrustReport:
    """The trust checks of every synthesis (inference.trust), with a progress stage."""
    from inference.progress import ProgressEvent
    from inference.trust.checks import check_synthetic

    if progress is not None:
        progress(ProgressEvent("Checking the synthetic against the model's promises", 0, 1))
    return check_synthetic(volume, synthetic, card, uncertainty)


def _run_slices(session: ModelSession, grid: _Grid, volume: Volume, out: np.ndarray,
                unc: np.ndarray | None, reporter: ProgressReporter, batch_size: int | None,
                threads: int | None) -> tuple[ModelSession, float, int]:
    """The 2-D / 2.5-D loop; returns the (possibly fallen-back) session, run time, batches."""
    card = session.card
    slices = _Slices(grid, volume)
    nk = volume.shape[0]
    batch_size = batch_size or int(card.data["tiling"]["batch"])
    tile = card.tile
    overlap = float(card.data["tiling"]["overlap"])
    run_seconds = 0.0
    batches = 0
    k = 0
    while k < nk:
        ks = list(range(k, min(nk, k + batch_size)))
        x = slices.prepare(ks)
        try:
            t1 = time.perf_counter()
            pred = tiled_predict(x, session.run, tile, overlap, TILES_PER_CALL)
            run_seconds += time.perf_counter() - t1
        except DcreviewError:  # a cancel or a refused output is final, not a device failure
            raise
        except Exception as exc:
            session, batch_size = _recover(session, batch_size, exc, threads)
            continue
        for b, kk in enumerate(ks):  # checks run outside the retry: a bad output is final
            grid.restore(pred[b], volume.array[kk], out[kk],
                         None if unc is None else unc[kk])
        batches += 1
        k += len(ks)
        reporter.step(k)
    return session, run_seconds, batches


def _recover(session: ModelSession, batch_size: int, exc: Exception,
             threads: int | None) -> tuple[ModelSession, int]:
    """After a failed run: smaller batches first, then the CPU; a CPU failure is final."""
    if batch_size > 1:
        session.notes.append(f"inference failed with {batch_size} slices per call "
                             f"({type(exc).__name__}); retrying with {batch_size // 2}")
        return session, batch_size // 2
    return after_device_failure(session, exc, threads), 1
