"""Put every case's series on one grid before reading, so nothing but content differs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from inference.files import atomic, space
from inference.files.names import safe_name
from inference.files.owned import make_owned, remove_owned
from inference.io.image_file import write_image
from inference.io.loader import open_volume
from inference.io.volume import SeriesMetadata, Volume
from inference.pipeline.case import model_session, open_input, synthesize_volume
from inference.pipeline.evaluation import register_real
from inference.pipeline.settings import CaseSettings
from inference.readerstudy import presentation
from inference.readerstudy.protocol import SHOWS_REAL, SHOWS_SYNTHETIC, Case, Protocol
from inference.readerstudy.trust_gate import admit, trust_of

LAYER_FILES = {"noncontrast": "nc.nii.gz", "synthetic": "syn.nii.gz", "real": "real.nii.gz",
               "synthetic_shown": "syn_shown.nii.gz"}
# What a blinded arm shows alone (the overlay arms show the synthetic as predicted).
SHOWN_ALONE = {"synthetic": "synthetic_shown", "real": "real"}
FORMAT = 2  # prepared layers' format: the real and synthetic through one chain


def _plain(volume: Volume) -> Volume:
    """The voxels and grid only: no descriptions, UIDs or provenance travel into a study."""
    return replace(volume, metadata=SeriesMetadata(), provenance={}, identity=None)


def prepare_case(case: Case, out: Path, need_synthetic: bool, need_real: bool,
                 log: Callable[[str], None] = print, key: str = "",
                 override: str | None = None) -> dict:
    """Write the case's layers on the non-contrast grid; returns what was done. A synthetic
    that fails a trust check is refused unless ``override`` gives the coordinator's reason."""
    make_owned(out)
    done_file = out / "prepared.json"
    if done_file.exists():
        return json.loads(done_file.read_text())
    loaded = open_input(str(case.noncontrast))
    nc = loaded.volume
    # Up to four compressed layers (CT noise compresses to about 70 %).
    space.require(out, int(nc.nbytes * 0.7 * 4) + (1 << 20), f"case {case.id}'s prepared images")
    write_image(_plain(nc), out / LAYER_FILES["noncontrast"])
    info: dict = {"case": case.id, "key": key}  # the inputs + model it was prepared from
    if loaded.choice:
        info["noncontrast_choice"] = loaded.choice
    del loaded
    if need_synthetic:
        checked = None
        if case.synthetic is not None:
            syn = open_input(str(case.synthetic)).volume
            info["synthetic"] = "given"
        else:
            log(f"  {case.id}: synthesising digital contrast")
            result, _energy = synthesize_volume(nc, model_session(CaseSettings()))
            syn, checked = result.volume, result.trust
            info["synthetic"] = f"synthesised with {syn.provenance.get('model', 'model')}"
        if syn.shape != nc.shape or not syn.geometry.same_grid(nc.geometry):
            import SimpleITK as sitk

            from inference.compare.registration import resample_onto

            syn = resample_onto(syn, nc, sitk.Transform())
        # Checked on the input's grid before the synthetic is written into the study.
        info["trust"] = admit(case.id, trust_of(nc, syn, checked), override)
        write_image(replace(_plain(syn), synthetic=True), out / LAYER_FILES["synthetic"])
    shift, mask = np.zeros(3), presentation.silhouette(nc)
    if need_real and case.real is not None:
        log(f"  {case.id}: registering the real contrast scan onto the non-contrast grid")
        # The same study folder may be named for both: each role picks its own series.
        opened = open_input(str(case.real), role="real")
        real_scan = opened.volume
        if opened.choice:
            info["real_choice"] = opened.choice
        result = register_real(nc, real_scan)
        info["real_registration"] = {"surface_distance_mm": result.surface_distance_mm,
                                     "warnings": result.warnings}
        # One chain for what blinded arms show alone: the same silhouette (no table, the real
        # scan's field of view) and the synthetic smoothed as the real scan's resampling is.
        mask = presentation.silhouette(nc, presentation.coverage(result.transform, nc,
                                                                 real_scan))
        variance = presentation.offset_variance(result.transform, nc, real_scan, mask)
        shift = presentation.matching_shift(variance)
        info["presentation"] = {"interpolation_variance": variance.round(4).tolist(),
                                "synthetic_shift_voxels": shift.round(4).tolist()}
        write_image(_plain(presentation.within(result.resampled, mask)),
                    out / LAYER_FILES["real"])
    if need_synthetic:
        shown = presentation.within(presentation.shifted(syn, shift), mask)
        write_image(replace(_plain(shown), synthetic=True), out / LAYER_FILES["synthetic_shown"])
    atomic.write_json(done_file, info)
    return info


def prepare_job(case: Case, out: str, need_synthetic: bool, need_real: bool,
                key: str = "", override: str | None = None) -> dict:
    """A case's preparation as a batch job (on a Dask worker or here): a result dict."""
    from inference.errors import DcreviewError

    try:
        info = prepare_case(case, Path(out), need_synthetic, need_real, log=lambda _m: None,
                            key=key, override=override)
    except DcreviewError as exc:
        from inference.batch.worker import one_line

        return {"case": case.id, "status": "failed", "reason": one_line(exc)}
    return {"case": case.id, "status": "ok", "reason": None, "info": info}


def prepare_study(protocol: Protocol, folder: Path, log: Callable[[str], None] = print,
                  client=None) -> list[dict]:
    """Prepare every case under ``folder``/<case id> through the batch job runner: a ledger
    in ``folder`` skips what was prepared (same inputs and model), and with a Dask
    ``client`` the cases are prepared on its workers."""
    from inference.batch.ledger import Ledger, case_key, content_hash
    from inference.batch.runner import BatchError, Job, run_jobs
    from inference.synthesis.card import default_card

    shows = {a.show for a in protocol.arms}
    need_syn = bool(shows & set(SHOWS_SYNTHETIC))
    need_real = bool(shows & set(SHOWS_REAL))
    model = default_card().identity if need_syn else ""
    settings = {"need_synthetic": need_syn, "need_real": need_real, "format": FORMAT}
    make_owned(folder)
    ledger = Ledger(folder)
    done, jobs = [], []
    for case in protocol.cases:
        out = folder / safe_name(case.id, "case id")
        paths = {"noncontrast": str(case.noncontrast),
                 "real": str(case.real) if case.real and need_real else None,
                 "synthetic": str(case.synthetic) if case.synthetic else None}
        key = case_key(content_hash(paths), model if case.synthetic is None else "", settings)
        marker = out / "prepared.json"
        info = json.loads(marker.read_text()) if marker.exists() else None
        previous = ledger.done(case.id, key)
        if info is not None and (previous is not None or info.get("key") == key):
            # Prepared from these very inputs and model (recorded, or a copied folder).
            done.append(previous or {"case": case.id, "status": "ok", "reason": None,
                                     "info": info})
            log(f"case {case.id}: already prepared")
            continue
        # Inputs or model changed: only a folder dcreview made inside ``folder`` is removed.
        remove_owned(out, folder)
        jobs.append(Job(case.id, key, prepare_job, (case, str(out), need_syn, need_real, key,
                                                    protocol.trust_overrides.get(case.id))))

    def progress(event) -> None:
        if event.done > len(done):
            log(f"prepared {event.done}/{event.total}")

    try:
        outcome = run_jobs(jobs, ledger, client, stage="Prepare", already_done=len(done),
                           progress=progress)
    finally:
        ledger.close()
    failed = [r for r in outcome.results if r["status"] != "ok"]
    if failed:
        raise BatchError(f"{len(failed)} case(s) could not be prepared; the first: "
                         f"{failed[0]['case']}: {failed[0]['reason']}")
    return done + outcome.results


def load_layer(folder: Path, layer: str) -> Volume:
    """A prepared layer of a case (``noncontrast``, ``synthetic``, ``synthetic_shown`` or
    ``real``); a case prepared before the shown synthetic existed shows its synthetic."""
    path = folder / LAYER_FILES[layer]
    if layer == "synthetic_shown" and not path.exists():
        path = folder / LAYER_FILES["synthetic"]
    return open_volume(path).volume
