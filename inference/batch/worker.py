"""What runs on a Dask worker for one case: load, check, synthesise, write, evaluate.

The model is loaded once per worker process (``worker_session`` caches it), never per case.
Outputs are written into a private temporary folder and renamed into place when complete, so
a worker killed mid-case leaves no half-written case behind, and a case that ran twice (a
worker thought dead came back) keeps the first complete copy.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from functools import lru_cache
from pathlib import Path

from inference.batch.manifest import CaseSpec
from inference.errors import DcreviewError, first_line
from inference.files import atomic

CASES_DIR = "cases"


@lru_cache(maxsize=2)
def worker_session(card_path: str, device: str, threads: int):
    """This worker's model session (checksum verified and probed once)."""
    from inference.synthesis.card import load_card
    from inference.synthesis.runtime import create_session

    return create_session(load_card(card_path), device, threads)


def local_path(path: str, settings: dict) -> str:
    """A manifest's path, or for pacs://NODE/STUDY/SERIES the series retrieved into the cache."""
    from inference.pacs import client
    from inference.pacs.nodes import PacsNode

    nodes = {name: PacsNode(**fields) for name, fields in settings["pacs_nodes"].items()}
    return client.resolve(path, nodes)


def one_line(exc: BaseException) -> str:
    """An exception as the one-line reason the ledger and the report give."""
    text = first_line(exc, 300)
    name = type(exc).__name__
    return name if text == name else f"{name}: {text}"[:300]


def _evaluate(ncct, synthetic, case: CaseSpec, roi_label: int, settings: dict) -> dict:
    from inference.compare.metrics import compare
    from inference.compare.registration import register
    from inference.io.image_file import read_image
    from inference.io.loader import open_volume

    real = open_volume(local_path(case.real, settings)).volume
    registration = None
    if real.shape != ncct.shape or not real.geometry.same_grid(ncct.geometry):
        reg = register(ncct, real)
        real = reg.resampled
        registration = {"surface_distance_mm": reg.surface_distance_mm,
                        "warnings": reg.warnings}
    roi = None
    if case.roi:
        labels = read_image(case.roi).array
        roi = labels == roi_label if labels.shape == ncct.shape else None
    figures = compare(ncct.array, synthetic.array, real.array, roi)
    figures.pop("definitions", None)
    if registration is not None:
        figures["registration"] = registration
    return figures


def run_case(case: CaseSpec, key: str, outdir: str, settings: dict) -> dict:
    """Process one case on this worker; returns its result (``status`` ok or failed).

    Refusals that would recur on any worker (a bad input, a model refusing the input or its
    own output) are returned as failures at once; anything else raises, so Dask retries it.
    """
    from inference.energy.meter import EnergyMeter
    from inference.io.image_file import write_image
    from inference.io.loader import open_volume
    from inference.synthesis.engine import synthesize
    from inference.synthesis.run_report import build_report, write_report

    t0 = time.perf_counter()
    final = Path(outdir) / CASES_DIR / case.case_id
    base = {"case": case.case_id, "key": key, "worker": f"{socket.gethostname()}:{os.getpid()}",
            "noncontrast": case.noncontrast, "real": case.real}
    try:
        session = worker_session(settings["card"], settings["device"], settings["threads"])
        loaded = open_volume(local_path(case.noncontrast, settings))
        source = loaded.volume
        meter = EnergyMeter(country=settings.get("country"))
        meter.start()
        result = synthesize(source, session=session)
        energy = meter.stop(result.provider)
    except DcreviewError as exc:
        return {**base, "status": "failed", "reason": one_line(exc),
                "seconds": time.perf_counter() - t0}
    tmp = atomic.partial_folder(final)
    suffix = ".nii.gz" if source.geometry.is_orthogonal else ".nrrd"
    out_path = write_image(result.volume, tmp / f"synthetic_digital_contrast{suffix}")
    report = build_report(source, result, session, energy, final / out_path.name)
    figures = None
    if case.real and settings.get("evaluate"):
        try:
            figures = _evaluate(source, result.volume, case, settings.get("roi_label", 9),
                                settings)
        except DcreviewError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            return {**base, "status": "failed", "reason": f"evaluation: {one_line(exc)}",
                    "seconds": time.perf_counter() - t0}
        report["evaluation"] = figures
    write_report(report, tmp / "report.json")
    # Atomic: the case's folder appears complete or not at all; if another attempt finished
    # first, its copy is kept.
    atomic.commit_folder(tmp, final, replace=False)
    seconds = time.perf_counter() - t0
    return {**base, "status": "ok", "reason": None, "seconds": seconds,
            "synthesis_seconds": result.seconds, "provider": result.provider,
            "slices": result.slices, "shape": list(source.shape),
            "output": str(final / out_path.name), "domain": result.domain.as_dict(),
            "energy": {"joules": energy.joules, "g_co2e": energy.grams_co2e,
                       "avoided_kg_co2e": report["energy"]["avoided"][
                           "kg_co2e_per_avoided_contrast_ct"]},
            "evaluation": _summary(figures)}


def _summary(figures: dict | None) -> dict | None:
    """The figures the cohort report tabulates."""
    if figures is None:
        return None
    s, b = figures["synthetic_vs_real"], figures["identity_baseline"]
    out = {"mae_hu": s["mae_hu"], "psnr_db": s["psnr_db"], "ssim": s["ssim"],
           "identity_mae_hu": b["mae_hu"], "identity_psnr_db": b["psnr_db"],
           "identity_ssim": b["ssim"]}
    if "roi" in figures:
        r = figures["roi"]
        out.update({"roi_mean_synthetic_hu": r["mean_hu"]["synthetic"],
                    "roi_mean_real_hu": r["mean_hu"]["real"],
                    "lumen_dice": r["lumen_dice"], "identity_lumen_dice": r["identity_lumen_dice"]})
    return out
