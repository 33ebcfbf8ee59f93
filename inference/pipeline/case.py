"""One case, start to finish: open the input (a PACS series retrieved first), check it against
the model's domain and synthesise, write the labelled outputs, the run report, and, with a real
scan, the comparison. Every caller gets the same files, labels, warnings and figures."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from inference.energy.meter import EnergyMeter, EnergyReport
from inference.errors import Cancelled, DcreviewError, EvaluationError, LoadError, first_line
from inference.files import atomic, space
from inference.files.owned import make_owned
from inference.io.dicom.ct_loader import LoadResult
from inference.io.volume import Volume
from inference.pipeline.evaluation import Evaluation, evaluate, summary
from inference.pipeline.settings import CaseSettings, CaseSpec
from inference.progress import CancelToken, ProgressCallback
from inference.synthesis.engine import SynthesisResult, synthesize
from inference.synthesis.runtime import ModelSession

OUTPUT_STEM = "synthetic_digital_contrast"
UNCERTAINTY_STEM = "synthetic_uncertainty"
REPORT = "report.json"
DICOM_DIR = "dicom"


@dataclass
class CaseResult:
    """What a case produced, and what its user must be told."""

    case_id: str
    output: Path
    report_path: Path
    report: dict
    synthesis: SynthesisResult
    energy: EnergyReport
    load_warnings: list[str] = field(default_factory=list)
    evaluation: Evaluation | None = None
    uncertainty_output: Path | None = None
    dicom_files: int = 0
    seconds: float = 0.0
    choices: list[str] = field(default_factory=list)  # which series of a study, and why

    @property
    def domain_warnings(self) -> list[str]:
        """Why the input lies outside the model's declared domain (empty: it does not)."""
        return list(self.synthesis.domain.warnings)

    def as_dict(self) -> dict:
        """The row a ledger, a cohort report and a Dask result carry (plain JSON values)."""
        return {"case": self.case_id, "status": "ok", "reason": None,
                "seconds": self.seconds, "synthesis_seconds": self.synthesis.seconds,
                "provider": self.synthesis.provider, "slices": self.synthesis.slices,
                "shape": list(self.synthesis.volume.shape), "output": str(self.output),
                "domain": self.synthesis.domain.as_dict(),
                "trust": trust_row(self.synthesis.trust),
                "energy": {"joules": self.energy.joules, "g_co2e": self.energy.grams_co2e,
                           "avoided_kg_co2e": self.report["energy"]["avoided"][
                               "kg_co2e_per_avoided_contrast_ct"]},
                "evaluation": summary(self.evaluation)}


def trust_row(trust) -> dict | None:
    """What a ledger and a cohort report keep of a trust report: the verdict and each
    check's status and value (the texts are in the case's run report)."""
    if trust is None:
        return None
    return {"verdict": trust.verdict,
            "checks": {f.check: {"status": f.status, "value": f.value} for f in trust.findings}}


@lru_cache(maxsize=2)
def _cached_session(card_path: str, device: str, threads: int | None) -> ModelSession:
    from inference.synthesis.card import load_card
    from inference.synthesis.runtime import create_session

    return create_session(load_card(card_path), device, threads)


def model_session(settings: CaseSettings) -> ModelSession:
    """The run's model session, loaded (checksum verified, probed) once per process."""
    return _cached_session(str(settings.model_card().path), settings.device, settings.threads)


def open_input(path: str, *, series: str | None = None, nodes: dict | None = None,
               progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
               role: str = "input", target: str = "contrast") -> LoadResult:
    """A case's scan: a file or folder, or a pacs:// series retrieved into the cache first
    (``nodes``: the configured ones when not given). Where a study holds several series and
    none is named, the one fit for ``role`` is picked ('input': the plain volume; 'real':
    the real contrast series, ``target`` phase first), and why is in the result's choice."""
    from inference.io.loader import open_volume
    from inference.pacs.nodes import SCHEME
    from inference.series.pairing import comparison_chooser, input_chooser

    if path.startswith(SCHEME):
        from inference.pacs import client
        from inference.pacs.nodes import load_nodes

        path = client.resolve(path, load_nodes() if nodes is None else nodes, progress=progress,
                              cancel=cancel)
        series = None
    choose = input_chooser() if role == "input" else comparison_chooser(target)
    return open_volume(path, series=series, progress=progress, cancel=cancel, choose=choose)


def synthesize_volume(volume: Volume, session: ModelSession, *, country: str | None = None,
                      grid_intensity: float | None = None,
                      progress: ProgressCallback | None = None,
                      cancel: CancelToken | None = None,
                      seed: int | None = None) -> tuple[SynthesisResult, EnergyReport]:
    """Domain check, synthesis and its energy (what the viewer runs on a loaded volume)."""
    meter = EnergyMeter(country=country, intensity_override=grid_intensity)
    meter.start()
    result = synthesize(volume, session=session, progress=progress, cancel=cancel, seed=seed)
    return result, meter.stop(result.provider)


def output_bytes(result: SynthesisResult, settings: CaseSettings) -> int:
    """About how much a case writes: compressed volumes (CT noise compresses to about 70 %),
    a DICOM series at full size, and a margin for the reports."""
    n = result.volume.nbytes
    return int(n * (0.7 + (1.1 if settings.dicom else 0.0)
                    + (0.7 if result.uncertainty is not None else 0.0))) + (1 << 20)


def output_name(volume: Volume) -> str:
    """The synthetic volume's file name: NIfTI, or NRRD for a gantry-tilted (sheared) grid,
    which NIfTI cannot hold."""
    return f"{OUTPUT_STEM}{_suffix(volume)}"


def _suffix(volume: Volume) -> str:
    return ".nii.gz" if volume.geometry.is_orthogonal else ".nrrd"


def start_report(source: Volume, result: SynthesisResult, session: ModelSession,
                 energy: EnergyReport, final_dir: Path) -> dict:
    """The run report before anything is written (paths as they will finally be)."""
    from inference.synthesis.run_report import build_report

    return build_report(source, result, session, energy, final_dir / output_name(source))


def write_outputs(result: SynthesisResult, session: ModelSession, outdir: Path,
                  settings: CaseSettings, report: dict, series=None,
                  final_dir: Path | None = None) -> tuple[dict, dict[str, Path | int]]:
    """The labelled synthetic volume, its uncertainty, the DICOM series if asked (from
    ``series``, the source's SeriesInfo: no second scan), and the report completed (paths as
    they will finally be: ``final_dir``, where a batch renames its private folder to)."""
    from inference.io.image_file import write_image

    final_dir = final_dir or outdir
    deid = None
    if settings.dicom and settings.deidentify:
        from inference.dicom.deidentify import Deidentifier

        # One de-identifier for everything this export writes: volume, series, report.
        deid = Deidentifier(keep_own_descriptions=True)
    if settings.dicom and series is None:
        raise LoadError("a DICOM export needs DICOM input (the series the synthesis started "
                        "from)")
    written: dict[str, Path | int] = {"output": write_image(
        _shown(result.volume, deid), outdir / output_name(result.volume))}
    if result.uncertainty is not None:
        unc = write_image(_shown(result.uncertainty, deid),
                          outdir / f"{UNCERTAINTY_STEM}{_suffix(result.volume)}")
        written["uncertainty"] = unc
        report["output"]["uncertainty"] = {
            "path": str(final_dir / unc.name), "unit": "HU (SD)",
            "predictions_per_voxel": session.card.predictions_per_voxel}
    if settings.dicom:
        from inference.dicom.synthetic_series import write_synthetic_series

        # Made by dcreview, so that a later run into the same folder may replace it.
        files = write_synthetic_series(result.volume, series, make_owned(outdir / DICOM_DIR),
                                       deidentify=deid or False)
        written["dicom_files"] = len(files)
        report["output"]["dicom"] = {"folder": str(final_dir / DICOM_DIR), "files": len(files),
                                     "deidentified": settings.deidentify}
    if deid is not None:
        from inference.dicom.deidentify import deidentify_report

        report = deidentify_report(report, deid)
    return report, written


def _shown(volume: Volume, deid) -> Volume:
    if deid is None:
        return volume
    from inference.dicom.deidentify import deidentify_volume

    return deidentify_volume(volume, deid)


def run_case(case: CaseSpec, outdir: str | Path, settings: CaseSettings, *,
             session: ModelSession | None = None, nodes: dict | None = None,
             final_dir: Path | None = None, report_path: Path | None = None,
             progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None) -> CaseResult:
    """Process one case into ``outdir``; raises a DcreviewError naming what stopped it (a bad
    input, a model refusing it or its own output, a failed comparison) before anything is
    written, so a case is written whole or not at all."""
    from inference.synthesis.run_report import write_report

    t0 = time.perf_counter()
    outdir = Path(outdir)
    session = session or model_session(settings)
    loaded = open_input(case.noncontrast, series=case.series, nodes=nodes, progress=progress,
                        cancel=cancel)
    source, series, warnings = loaded.volume, loaded.series, list(loaded.warnings)
    choices = [loaded.choice] if loaded.choice else []
    del loaded
    result, energy = synthesize_volume(source, session, country=settings.country,
                                       grid_intensity=settings.grid_intensity,
                                       progress=progress, cancel=cancel, seed=settings.seed)
    evaluation = None
    if case.real and settings.evaluate:
        opened = open_input(case.real, nodes=nodes, progress=progress, cancel=cancel,
                            role="real", target=session.card.target_phase)
        real = opened.volume
        choices += [opened.choice] if opened.choice else []
        del opened
        try:
            evaluation = evaluate(source, result.volume, real, roi=case.roi,
                                  roi_labels=settings.roi_labels,
                                  threshold_hu=settings.threshold_hu, progress=progress,
                                  cancel=cancel)
        except Cancelled:
            raise
        except DcreviewError as exc:
            raise EvaluationError(f"evaluation: {first_line(exc)}") from exc
        del real
        evaluation.real = None  # compared: its pixels are not needed any more
    report = start_report(source, result, session, energy, final_dir or outdir)
    if choices:
        report["series_choice"] = choices
    # The input's pixels are not needed any more: releasing them before the writer makes its
    # own copy keeps the peak at about three volumes (benchmarks/synthesis.py measures it).
    del source
    # Everything is written into a private folder, then moved into place (the report last):
    # a run killed or stopped by a full disk leaves no output that looks whole.
    outdir.mkdir(parents=True, exist_ok=True)
    atomic.sweep_partials(outdir)
    space.require(outdir, output_bytes(result, settings), "the synthetic volume and its files")
    partial = atomic.partial_folder(outdir / "synthesis")
    try:
        report, written = write_outputs(result, session, partial, settings, report, series,
                                        final_dir or outdir)
        if evaluation is not None:
            report["evaluation"] = evaluation.as_dict()
        if report_path is None:
            write_report(report, partial / REPORT)
        atomic.move_into(partial, outdir, last=(REPORT,))
    finally:
        atomic.discard(partial)
    report_file = report_path or outdir / REPORT
    if report_path is not None:
        write_report(report, report_path)
    where = {k: outdir / Path(v).name for k, v in written.items() if isinstance(v, Path)}
    return CaseResult(case.case_id, where["output"], report_file, report, result, energy,
                      warnings, evaluation, where.get("uncertainty"),
                      int(written.get("dicom_files", 0)), time.perf_counter() - t0, choices)


def worker_name() -> str:
    """Which process ran a case (host:pid), for a cohort report."""
    return f"{socket.gethostname()}:{os.getpid()}"
