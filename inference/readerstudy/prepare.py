"""Put every case's series on one grid before reading, so nothing but content differs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from inference.io.image_file import write_image
from inference.io.loader import open_volume
from inference.io.volume import SeriesMetadata, Volume
from inference.readerstudy.protocol import SHOWS_REAL, SHOWS_SYNTHETIC, Case, Protocol

LAYER_FILES = {"noncontrast": "nc.nii.gz", "synthetic": "syn.nii.gz", "real": "real.nii.gz"}


def _plain(volume: Volume) -> Volume:
    """The voxels and grid only: no descriptions, UIDs or provenance travel into a study."""
    return replace(volume, metadata=SeriesMetadata(), provenance={})


def prepare_case(case: Case, out: Path, need_synthetic: bool, need_real: bool,
                 log: Callable[[str], None] = print) -> dict:
    """Write the case's layers on the non-contrast grid; returns what was done."""
    out.mkdir(parents=True, exist_ok=True)
    done_file = out / "prepared.json"
    if done_file.exists():
        return json.loads(done_file.read_text())
    nc = open_volume(case.noncontrast).volume
    write_image(_plain(nc), out / LAYER_FILES["noncontrast"])
    info: dict = {"case": case.id}
    if need_synthetic:
        if case.synthetic is not None:
            syn = open_volume(case.synthetic).volume
            info["synthetic"] = "given"
        else:
            from inference.synthesis.engine import synthesize

            log(f"  {case.id}: synthesising digital contrast")
            result = synthesize(nc)
            syn = result.volume
            info["synthetic"] = f"synthesised with {syn.provenance.get('model', 'model')}"
        if syn.shape != nc.shape or not syn.geometry.same_grid(nc.geometry):
            import SimpleITK as sitk

            from inference.compare.registration import resample_onto

            syn = resample_onto(syn, nc, sitk.Transform())
        write_image(replace(_plain(syn), synthetic=True), out / LAYER_FILES["synthetic"])
    if need_real and case.real is not None:
        from inference.compare.registration import register

        log(f"  {case.id}: registering the real contrast scan onto the non-contrast grid")
        real = open_volume(case.real).volume
        result = register(nc, real)
        info["real_registration"] = {"surface_distance_mm": result.surface_distance_mm,
                                     "warnings": result.warnings}
        write_image(_plain(result.resampled), out / LAYER_FILES["real"])
    done_file.write_text(json.dumps(info, indent=1))
    return info


def prepare_study(protocol: Protocol, folder: Path,
                  log: Callable[[str], None] = print) -> list[dict]:
    """Prepare every case of the protocol under ``folder``/<case id>."""
    shows = {a.show for a in protocol.arms}
    need_syn = bool(shows & set(SHOWS_SYNTHETIC))
    need_real = bool(shows & set(SHOWS_REAL))
    out = []
    for n, case in enumerate(protocol.cases, 1):
        log(f"case {n}/{len(protocol.cases)}: {case.id}")
        out.append(prepare_case(case, folder / case.id, need_syn, need_real, log))
    return out


def load_layer(folder: Path, layer: str) -> Volume:
    """A prepared layer of a case (``noncontrast``, ``synthetic`` or ``real``)."""
    return open_volume(folder / LAYER_FILES[layer]).volume
