"""Headless command line: `dcreview info|demo-data ...` (also `python -m inference`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from inference import __version__
from inference.errors import DcreviewError, LoadError
from inference.progress import TerminalProgress

COMMANDS = ("info", "demo-data", "synthesize", "evaluate", "study", "annotations", "model",
            "batch", "pacs", "catalog")


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for the headless commands."""
    parser = argparse.ArgumentParser(prog="dcreview", description="dcreview headless engine")
    parser.add_argument("--version", action="version", version=f"dcreview {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="list the series in a folder/DICOMDIR/zip/file and "
                                       "their geometry")
    info.add_argument("path")
    info.add_argument("--json", action="store_true",
                      help="print every series' kind, phase and region with their evidence "
                           "as JSON")
    info.add_argument("--headers-only", action="store_true",
                      help="classify from headers alone (no pixels read: faster)")
    demo = sub.add_parser("demo-data", help="write the synthetic phantom demo case "
                                            "(non-contrast + arterial DICOM, ground truth)")
    demo.add_argument("outdir")
    demo.add_argument("--matrix", type=int, default=320, help="in-plane pixels (default 320)")
    demo.add_argument("--slices", type=int, default=112, help="number of slices (default 112)")
    demo.add_argument("--pixel-mm", type=float, default=1.2)
    demo.add_argument("--slice-mm", type=float, default=2.5)
    demo.add_argument("--seed", type=int, default=0,
                      help="0 is the fixed demo patient; other seeds vary the anatomy")
    demo.add_argument("--phases", nargs="+", default=["arterial"],
                      choices=["arterial", "portal-venous", "delayed"],
                      help="enhanced series to write besides the non-contrast one (default "
                           "arterial; the arterial series is always written)")
    syn = sub.add_parser("synthesize", help="predict digital contrast for a non-contrast CT and "
                                            "write it (NIfTI) with a run report")
    syn.add_argument("input", help="DICOM folder/file, zip, NIfTI or NRRD; "
                                   "pacs://NODE/STUDY_UID/SERIES_UID; with --pacs a study UID")
    syn.add_argument("--pacs", metavar="NAME", help="retrieve the input from this configured "
                                                    "PACS node: INPUT is the StudyInstanceUID "
                                                    "and --series the SeriesInstanceUID")
    syn.add_argument("-o", "--outdir", required=True)
    syn.add_argument("--series", help="series UID or number when the folder holds several")
    syn.add_argument("--model", help="model card (default: the installed demo model)")
    syn.add_argument("--device", default="auto", help="auto, cpu, cuda, directml, coreml")
    syn.add_argument("--report", help="report JSON path (default OUTDIR/report.json)")
    syn.add_argument("--country", help="grid carbon intensity country (UK, FR, ...)")
    syn.add_argument("--grid-intensity", type=float, help="gCO2e per kWh (overrides country)")
    syn.add_argument("--dicom", action="store_true",
                     help="also write a DICOM CT series (derived, labelled SYNTHETIC) into "
                          "OUTDIR/dicom, in the source study; needs DICOM input")
    syn.add_argument("--seed", type=int, help="diffusion and flow models: the seed of the "
                                             "starting noise (default: the card's; the one "
                                             "used is in the run report)")
    syn.add_argument("--deidentify", action="store_true",
                     help="de-identify the DICOM export (PS3.15 Basic profile)")
    from inference.annotation_exports import add_parser as add_annotations_parser

    add_annotations_parser(sub)
    from inference.pacs.cli import add_parser as add_pacs_parser

    add_pacs_parser(sub)
    from inference.catalog.cli import add_parser as add_catalog_parser

    add_catalog_parser(sub)
    from inference.batch.cli import add_parser as add_batch_parser

    add_batch_parser(sub)
    from inference.synthesis.model_cli import add_parser as add_model_parser

    add_model_parser(sub)
    from inference.readerstudy.cli import add_parser as add_study_parser

    add_study_parser(sub)
    ev = sub.add_parser("evaluate", help="compare digital contrast with a real contrast scan "
                                         "(MAE, PSNR, SSIM, identity baseline, ROI, Dice)")
    ev.add_argument("--ncct", required=True, help="non-contrast CT")
    ev.add_argument("--synthetic", required=True, help="digital contrast on the ncct grid")
    ev.add_argument("--real", required=True, help="real contrast CT")
    ev.add_argument("--register", action="store_true",
                    help="register the real scan onto the ncct grid first (rigid, Mattes MI)")
    ev.add_argument("--roi", help="label map (NIfTI) on the ncct grid for the ROI")
    ev.add_argument("--label", type=int, nargs="+", default=[9],
                    help="label value(s) forming the ROI (default 9: phantom aortic lumen)")
    ev.add_argument("--threshold", type=float, default=150.0, help="lumen threshold (HU)")
    ev.add_argument("--uncertainty", help="uncertainty volume written by synthesize (ensemble or "
                                          "flip models): correlated with the error")
    ev.add_argument("--json", help="write the figures to this JSON file")
    return parser


def configure_logging(verbose: bool) -> None:
    """Log to stderr; patient identifiers are never passed to the logger."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def run(args: argparse.Namespace) -> int:
    """Execute a parsed headless command; returns the process exit code."""
    if args.command == "study":
        from inference.readerstudy.cli import run as run_study

        return run_study(args)
    if args.command == "catalog":
        from inference.catalog.cli import run as run_catalog

        return run_catalog(args)
    if args.command == "pacs":
        from inference.pacs.cli import run as run_pacs

        return run_pacs(args)
    if args.command == "batch":
        from inference.batch.cli import run as run_batch

        return run_batch(args)
    if args.command == "model":
        from inference.synthesis.model_cli import run as run_model

        return run_model(args)
    if args.command == "annotations":
        from inference.annotation_exports import run as run_annotations

        return run_annotations(args)
    if args.command == "info":
        import json

        from inference.series.report import info_json, info_lines
        from inference.synthesis.card import default_target

        if args.json:
            print(json.dumps(info_json(args.path, pixels=not args.headers_only,
                                       target=default_target()), indent=2))
            return 0
        lines, ok = info_lines(args.path, pixels=not args.headers_only, target=default_target())
        print("\n".join(lines))
        if not ok:
            print("error: no loadable CT volume found", file=sys.stderr)
        return 0 if ok else 1
    if args.command == "demo-data":
        from inference.phantom.demo_case import DEMO_NOTICE, write_demo_case

        phases = ("arterial", *(p for p in args.phases if p != "arterial"))
        case = write_demo_case(args.outdir, matrix=args.matrix, slices=args.slices,
                               pixel_mm=args.pixel_mm, slice_mm=args.slice_mm, seed=args.seed,
                               phases=phases)
        folders = "\n  ".join(str(case.phase_dir(p)) for p in phases)
        print(f"wrote demo case to {case.root}\n  {case.noncontrast}\n  {folders}\n"
              f"  {case.labels}\n  {case.truth}\n{DEMO_NOTICE}")
        return 0
    if args.command == "synthesize":
        return _synthesize(args)
    if args.command == "evaluate":
        return _evaluate(args)
    raise AssertionError(args.command)


def _evaluate(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from inference.io.loader import open_volume
    from inference.pipeline.evaluation import evaluate

    ncct = open_volume(args.ncct).volume
    synthetic = open_volume(args.synthetic).volume
    real = open_volume(args.real).volume
    result = evaluate(ncct, synthetic, real, roi=args.roi, roi_labels=tuple(args.label),
                      threshold_hu=args.threshold, register=args.register,
                      progress=TerminalProgress() if args.register else None)
    figures = result.as_dict()
    if args.uncertainty:
        from inference.compare.metrics import uncertainty_error_correlation

        unc = open_volume(args.uncertainty).volume
        if unc.shape != ncct.shape:
            raise LoadError("the uncertainty volume is not on the non-contrast grid")
        figures["uncertainty"] = uncertainty_error_correlation(unc.array, synthetic.array,
                                                               result.real.array)
    s, b = figures["synthetic_vs_real"], figures["identity_baseline"]
    print(f"{'':<22}{'MAE HU':>9}{'PSNR dB':>9}{'SSIM':>8}")
    print(f"{'synthetic vs real':<22}{s['mae_hu']:>9.1f}{s['psnr_db']:>9.2f}{s['ssim']:>8.4f}")
    print(f"{'identity baseline':<22}{b['mae_hu']:>9.1f}{b['psnr_db']:>9.2f}{b['ssim']:>8.4f}")
    if "roi" in figures:
        r = figures["roi"]
        m = r["mean_hu"]
        print(f"ROI ({r['voxels']} voxels) mean HU: non-contrast {m['noncontrast']:.0f}, "
              f"synthetic {m['synthetic']:.0f}, real {m['real']:.0f}; bias "
              f"{r['bias_hu']:+.0f} HU; lumen Dice at {r['threshold_hu']:g} HU "
              f"{r['lumen_dice']:.3f} (identity {r['identity_lumen_dice']:.3f})")
    if "aorta" in figures:
        print(aorta_line(figures["aorta"]))
    if "uncertainty" in figures:
        u = figures["uncertainty"]
        print(f"uncertainty vs absolute error inside the body: Spearman {u['spearman']:.3f} "
              f"over {u['voxels']} voxels; error {u['error_hu_low']:.1f} HU where uncertainty is "
              f"lowest (quartile), {u['error_hu_high']:.1f} HU where highest")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def aorta_line(aorta: dict) -> str:
    """The aneurysm metrics in one line: maximum diameters (outer wall, lumen), synthetic
    against real, and the lumen area's difference along the aorta."""
    r, s = aorta["real"], aorta.get("synthetic")
    if not s:
        return (f"aorta: real max diameter {r['max_outer_diameter_mm']:.1f} mm (lumen "
                f"{r['max_lumen_diameter_mm']:.1f} mm); {aorta.get('note', '')}")
    d = aorta["difference"]
    return (f"aorta max diameter (outer wall, orthogonal to the centreline): synthetic "
            f"{s['max_outer_diameter_mm']:.1f} mm, real {r['max_outer_diameter_mm']:.1f} mm "
            f"({d['max_outer_diameter_mm']:+.1f}); lumen {s['max_lumen_diameter_mm']:.1f} vs "
            f"{r['max_lumen_diameter_mm']:.1f} mm ({d['max_lumen_diameter_mm']:+.1f}); lumen "
            f"area difference {d['lumen_area_mae_mm2']} mm2 (mean over "
            f"{d['stations_compared']} slices)")


def _synthesize(args: argparse.Namespace) -> int:
    from pathlib import Path

    from inference.pacs.nodes import SCHEME
    from inference.pipeline.case import run_case
    from inference.pipeline.settings import CaseSettings, CaseSpec
    from inference.synthesis.run_report import SYNTHETIC_LABEL
    from inference.synthesis.runtime import create_session

    settings = CaseSettings(card=args.model or "", device=args.device, dicom=args.dicom,
                            deidentify=args.dicom and args.deidentify, country=args.country,
                            grid_intensity=args.grid_intensity, seed=args.seed)
    card = settings.model_card()
    session = create_session(card, args.device)
    for note in session.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"model {card.label}; running on {session.device_label}", file=sys.stderr)
    source = args.input
    if args.pacs:
        if not args.series:
            raise LoadError("--pacs needs --series SERIES_UID (the series to retrieve)")
        source = f"{SCHEME}{args.pacs}/{args.input}/{args.series}"
    case = CaseSpec("input", source, series=None if source.startswith(SCHEME) else args.series)
    result = run_case(case, Path(args.outdir), settings, session=session,
                      report_path=Path(args.report) if args.report else None,
                      progress=TerminalProgress())
    for choice in result.choices:  # a series picked from a study: which, and why
        print(f"note: {choice}", file=sys.stderr)
    for warning in result.load_warnings:  # e.g. files skipped as unreadable: say so, always
        print(f"warning: {warning}", file=sys.stderr)
    for warning in result.domain_warnings:  # outside the model's domain: say so, always
        print(f"warning: OUTSIDE MODEL DOMAIN: {warning}", file=sys.stderr)
    if result.output.suffix == ".nrrd":
        print("note: the input is gantry-tilted; the synthetic volume is written as NRRD, "
              "which keeps its sheared grid exactly", file=sys.stderr)
    if result.domain_warnings:
        print(f"warning: the input is outside model {card.name}'s declared domain "
              f"({len(result.domain_warnings)} finding(s) above); read the output with that in "
              "mind", file=sys.stderr)
    synthesis = result.synthesis
    print(f"{SYNTHETIC_LABEL}\nwrote {result.output}\nwrote {result.report_path}\n"
          f"{synthesis.slices} slices in {synthesis.seconds:.1f} s on {synthesis.provider}; "
          f"{result.energy.summary()}")
    sampler = synthesis.volume.provenance.get("sampler")
    if sampler is not None:  # what reproduces the run, and what the spread cost
        print(f"sampler {sampler['schedule']}, {sampler['steps']} steps x {sampler['samples']} "
              f"samples, seed {sampler['seed']}; "
              f"{result.energy.joules / sampler['samples']:.1f} J per sample")
    if synthesis.trust is not None:  # one line per flagged check, the verdict last
        trust = synthesis.trust
        for finding in trust.flagged:
            print(f"{'warning' if finding.status == 'warn' else 'FAILED'}: trust check "
                  f"{finding.check}: {finding.text}")
        print(trust.headline())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m inference`."""
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    from inference.files.space import disk_full, is_disk_full

    try:
        return run(args)
    except DcreviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a full disk, wherever it stopped a writer: one line
        if not is_disk_full(exc):
            raise
        print(f"error: {disk_full(exc)}", file=sys.stderr)
        return 2
