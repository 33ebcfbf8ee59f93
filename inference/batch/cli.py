"""`dcreview batch MANIFEST -o OUTDIR ...`: a cohort on Dask, resumable, with a report."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
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
    p.add_argument("--roi-label", type=int, nargs="+", default=[9],
                   help="label(s) of the ROI in 'roi' maps")
    p.add_argument("--scheduler", help="tcp://HOST:PORT of a running dask scheduler")
    p.add_argument("--workers", type=int, help="local workers (default: cores / threads)")
    p.add_argument("--in-process", action="store_true",
                   help="run the cases here, one after another, without Dask")
    p.add_argument("--threads-per-worker", type=int, default=1)
    p.add_argument("--gpus-per-worker", type=int, default=0,
                   help="GPUs each worker offers; each case then takes one")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda with "
                                                  "--gpus-per-worker, else cpu)")
    p.add_argument("--retries", type=int, default=2, help="retries of a crashed case")
    p.add_argument("--max-failures", type=int, help="stop after this many failed cases")
    p.add_argument("--country", help="grid carbon intensity country")


def _client(args: argparse.Namespace):
    from inference.batch.runner import local_cluster, scheduler

    if args.in_process:
        return nullcontext(None)
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise BatchError("dcreview batch needs Dask (pip install 'dask[distributed]' bokeh), "
                         "or --in-process") from exc
    if args.scheduler:
        return scheduler(args.scheduler)
    return local_cluster(args.workers, args.threads_per_worker, args.gpus_per_worker)


def run(args: argparse.Namespace) -> int:
    """Run the batch, write the report; exit 0 when every case is done, 1 if some failed."""
    from inference.batch.manifest import read_manifest
    from inference.batch.report import write_report
    from inference.batch.runner import CohortStopped, run_cohort
    from inference.pipeline.settings import CaseSettings
    from inference.progress import TerminalProgress

    device = args.device or ("cuda" if args.gpus_per_worker else "cpu")
    settings = CaseSettings(card=args.model or "", device=device,
                            threads=args.threads_per_worker, evaluate=args.evaluate,
                            roi_labels=tuple(args.roi_label), country=args.country)
    card = settings.model_card()
    cases = read_manifest(args.manifest, args.real_column)
    print(f"{len(cases)} case(s); model {card.label}", file=sys.stderr)
    stopped = None
    with _client(args) as client:
        if client is not None and getattr(client, "dashboard_link", None):
            print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        try:
            outcome = run_cohort(cases, args.outdir, settings, client, retries=args.retries,
                                 max_failures=args.max_failures, progress=TerminalProgress(),
                                 resources={"GPU": 1} if args.gpus_per_worker else None)
        except CohortStopped as exc:
            stopped, outcome = exc, exc.outcome
    totals = write_report(outcome.results, args.outdir)
    if outcome.skipped:
        print(f"{outcome.skipped} case(s) already done (ledger): skipped", file=sys.stderr)
    for c in outcome.cases:
        if not c.ok:
            print(f"failed: {c.case_id}: {c.reason}", file=sys.stderr)
    out = Path(args.outdir)
    print(f"SYNTHETIC digital contrast for {totals['ok']} of {totals['cases']} case(s); "
          f"{totals['failed']} failed; {totals['out_of_domain']} outside the model's domain\n"
          f"wrote {out / 'cohort.csv'}\nwrote {out / 'summary.html'}")
    if stopped is not None:
        print(f"error: {stopped} (the report holds the cases done so far)", file=sys.stderr)
        return 2
    return 0 if totals["failed"] == 0 else 1
