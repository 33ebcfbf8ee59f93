"""The client side of a batch: a Dask cluster (embedded LocalCluster, or a scheduler address),
the ledger, submission, retries, the failure limit, progress.

The client alone writes the ledger: workers only return results. Cases already recorded as
done for the same key are skipped, so re-running the command after a crash resumes it.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from inference.batch.ledger import DONE, FAILED, Ledger, case_key, content_hash
from inference.batch.manifest import CaseSpec
from inference.batch.worker import CASES_DIR, one_line, run_case
from inference.errors import DcreviewError
from inference.progress import ProgressEvent

log = logging.getLogger(__name__)


class BatchError(DcreviewError):
    """The batch could not run, or stopped at its failure limit."""


@dataclass
class BatchSettings:
    """What changes a case's output (hashed into its ledger key) and how to run it."""

    card: str
    device: str = "cpu"
    threads: int = 1
    evaluate: bool = False
    roi_label: int = 9
    country: str | None = None

    def key_fields(self) -> dict:
        """The settings that change an output (the device and threads do not)."""
        return {"evaluate": self.evaluate, "roi_label": self.roi_label}


@dataclass
class BatchOutcome:
    """What a run did: per-case results (this run's and earlier ones) and counts."""

    results: list[dict] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0
    dashboard: str | None = None


def _cluster(scheduler: str | None, workers: int, threads: int, gpus: int):
    """A Dask client: to ``scheduler``, or to an embedded LocalCluster on this machine."""
    # Dask's INFO lines (every worker start and stop) would bury the progress bar; the
    # variable reaches spawned workers too. -v (logging at INFO) keeps them.
    if not log.isEnabledFor(logging.INFO):
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="30s"), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                           resources={"GPU": gpus} if gpus else None,
                           host="127.0.0.1", dashboard_address="127.0.0.1:0")
    return Client(cluster), cluster


def _clean_partials(outdir: Path) -> None:
    """Temporary folders of cases whose worker died mid-write."""
    for p in (outdir / CASES_DIR).glob(".*.partial"):
        shutil.rmtree(p, ignore_errors=True)


def run_batch(cases: list[CaseSpec], outdir: str | Path, settings: BatchSettings, *,
              scheduler: str | None = None, workers: int | None = None, threads: int = 1,
              gpus: int = 0, retries: int = 2, max_failures: int | None = None,
              progress: Callable[[ProgressEvent], None] | None = None,
              on_dashboard: Callable[[str], None] | None = None) -> BatchOutcome:
    """Run every case not already done; returns the outcome. Raises BatchError at the limit."""
    from dask.distributed import as_completed

    from inference.synthesis.card import load_card

    outdir = Path(outdir)
    (outdir / CASES_DIR).mkdir(parents=True, exist_ok=True)
    _clean_partials(outdir)
    card = load_card(settings.card)  # refuse a bad card before any cluster starts
    ledger = Ledger(outdir)
    outcome = BatchOutcome()
    keys = {c.case_id: case_key(content_hash(c), card.sha256, settings.key_fields())
            for c in cases}
    pending = []
    for c in cases:
        done = ledger.done(keys[c.case_id])
        if done is not None and (outdir / CASES_DIR / c.case_id).exists():
            outcome.results.append(done)
            outcome.skipped += 1
        else:
            pending.append(c)
    total = len(cases)
    finished = outcome.skipped
    if progress:
        progress(ProgressEvent("Batch", finished, total))
    if not pending:
        ledger.close()
        return outcome
    for c in pending:  # a redo replaces an older output of the same case
        shutil.rmtree(outdir / CASES_DIR / c.case_id, ignore_errors=True)
    workers = workers or max(1, (os.cpu_count() or 2) // max(1, threads))
    settings.threads = threads
    client, cluster = _cluster(scheduler, workers, threads, gpus)
    try:
        outcome.dashboard = client.dashboard_link
        if on_dashboard:
            on_dashboard(outcome.dashboard)
        resources = {"GPU": 1} if gpus else None
        futures = {}
        for c in pending:
            fut = client.submit(run_case, c, keys[c.case_id], str(outdir), vars(settings),
                                key=f"case-{c.case_id}-{keys[c.case_id][:12]}", pure=False,
                                retries=retries, resources=resources)
            futures[fut] = c
        t0 = time.perf_counter()
        for fut in as_completed(list(futures)):
            c = futures[fut]
            try:
                result = fut.result()
            except Exception as exc:  # a crash retried to its limit, or a killed worker
                result = {"case": c.case_id, "key": keys[c.case_id], "status": "failed",
                          "reason": one_line(exc)}
            ok = result["status"] == "ok"
            ledger.record(keys[c.case_id], c.case_id, DONE if ok else FAILED, result,
                          None if ok else result["reason"], 1)
            outcome.results.append(result)
            finished += 1
            if not ok:
                outcome.failed += 1
                log.warning("case %s failed: %s", c.case_id, result["reason"])
            if progress:
                elapsed = time.perf_counter() - t0
                run = finished - outcome.skipped
                eta = elapsed / run * (total - finished) if run else None
                progress(ProgressEvent("Batch", finished, total, eta_s=eta))
            if max_failures is not None and outcome.failed >= max_failures:
                for other in futures:
                    other.cancel()
                raise BatchError(f"stopped after {outcome.failed} failed case(s) "
                                 f"(--max-failures {max_failures}); the last: "
                                 f"{c.case_id}: {result['reason']}")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        ledger.close()
        _clean_partials(outdir)
    return outcome
