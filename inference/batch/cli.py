"""`dcreview batch MANIFEST -o OUTDIR ...`: a cohort on Dask, resumable, with a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inference.batch.runner import BatchError


def add_parser(sub) -> None:
    """The `batch` command."""
    p = sub.add_parser("batch", help="synthesise (and evaluate) a cohort on Dask: a local "
                                     "cluster by default, or --scheduler; resumable")
    p.add_argument("manifest", help="CSV/JSONL (columns case, noncontrast, real, roi) or a "
                                    "folder with one case per sub-folder")
    p.add_argument("-o", "--outdir", required=True)
    p.add_argument("--model", help="model card (default: the installed demo model)")
    p.add_argument("--real-column", default="real", help="manifest column of the real scan")
    p.add_argument("--evaluate", action="store_true",
                   help="register each real scan and compare (MAE, PSNR, SSIM, Dice)")
    p.add_argument("--roi-label", type=int, default=9, help="label of the ROI in 'roi' maps")
    p.add_argument("--scheduler", help="tcp://HOST:PORT of a running dask scheduler")
    p.add_argument("--workers", type=int, help="local workers (default: cores / threads)")
    p.add_argument("--threads-per-worker", type=int, default=1)
    p.add_argument("--gpus-per-worker", type=int, default=0,
                   help="GPUs each worker offers; each case then takes one")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda with "
                                                  "--gpus-per-worker, else cpu)")
    p.add_argument("--retries", type=int, default=2, help="retries of a crashed case")
    p.add_argument("--max-failures", type=int, help="stop after this many failed cases")
    p.add_argument("--country", help="grid carbon intensity country")


def run(args: argparse.Namespace) -> int:
    """Run the batch, write the report; exit 0 when every case is done, 1 if some failed."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise BatchError("dcreview batch needs Dask (pip install 'dask[distributed]' bokeh); "
                         "the workstation installer leaves it out: run batches from a Python "
                         "installation of dcreview, as cluster workers do") from exc
    from inference.batch.manifest import read_manifest
    from inference.batch.report import write_report
    from inference.batch.runner import BatchSettings, run_batch
    from inference.progress import TerminalProgress
    from inference.synthesis.card import default_card, load_card

    card = load_card(args.model) if args.model else default_card()
    cases = read_manifest(args.manifest, args.real_column)
    device = args.device or ("cuda" if args.gpus_per_worker else "cpu")
    settings = BatchSettings(card=str(card.path), device=device, evaluate=args.evaluate,
                             roi_label=args.roi_label, country=args.country)
    print(f"{len(cases)} case(s); model {card.label}", file=sys.stderr)
    outcome = run_batch(
        cases, args.outdir, settings, scheduler=args.scheduler, workers=args.workers,
        threads=args.threads_per_worker, gpus=args.gpus_per_worker, retries=args.retries,
        max_failures=args.max_failures, progress=TerminalProgress(),
        on_dashboard=lambda link: print(f"Dask dashboard: {link}", file=sys.stderr))
    totals = write_report(outcome.results, args.outdir)
    if outcome.skipped:
        print(f"{outcome.skipped} case(s) already done (ledger): skipped", file=sys.stderr)
    for r in outcome.results:
        if r["status"] != "ok":
            print(f"failed: {r['case']}: {r['reason']}", file=sys.stderr)
    out = Path(args.outdir)
    print(f"SYNTHETIC digital contrast for {totals['ok']} of {totals['cases']} case(s); "
          f"{totals['failed']} failed; {totals['out_of_domain']} outside the model's domain\n"
          f"wrote {out / 'cohort.csv'}\nwrote {out / 'summary.html'}")
    return 0 if totals["failed"] == 0 else 1
