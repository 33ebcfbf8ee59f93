"""The client side of a batch: a Dask cluster (embedded LocalCluster, or a scheduler address),
the ledger, submission, retries, the failure limit, progress.

The client alone writes the ledger: workers only return results. Cases already recorded as
done for the same key are skipped, so re-running the command after a crash resumes it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from inference.batch.ledger import DONE, FAILED, Ledger, case_key, content_hash
from inference.batch.manifest import CaseSpec
from inference.batch.worker import CASES_DIR, one_line, run_case
from inference.errors import DcreviewError
from inference.files import atomic
from inference.files.owned import make_owned, remove_owned
from inference.pacs.nodes import SCHEME
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
    pacs_nodes: dict = field(default_factory=dict)  # nodes named by pacs:// cases, for workers

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
    """Temporary folders of cases whose worker died mid-write (workers may run on other
    machines, but only while this client runs: before and after, none is being written)."""
    atomic.sweep_partials(outdir / CASES_DIR, everyone=True)


@dataclass
class Cluster:
    """Where jobs run: a scheduler address, or a LocalCluster of this shape."""

    scheduler: str | None = None
    workers: int | None = None
    threads: int = 1
    gpus: int = 0
    retries: int = 2
    max_failures: int | None = None


@dataclass(frozen=True)
class Job:
    """One case's work: its ledger key and the call a worker makes."""

    case_id: str
    key: str
    fn: Callable[..., dict]
    args: tuple


def _failure(job: Job, exc: BaseException) -> dict:
    """The result of a job that raised instead of returning."""
    return {"case": job.case_id, "key": job.key, "status": "failed", "reason": one_line(exc)}


def _record(job: Job, result: dict, ledger: Ledger, outcome: BatchOutcome) -> bool:
    """Put a job's result in the ledger and the outcome; returns whether it succeeded."""
    ok = result["status"] == "ok"
    ledger.record(job.key, job.case_id, DONE if ok else FAILED, result,
                  None if ok else result["reason"], 1)
    outcome.results.append(result)
    if not ok:
        outcome.failed += 1
        log.warning("case %s failed: %s", job.case_id, result["reason"])
    return ok


def _run_here(jobs: list[Job], ledger: Ledger, outcome: BatchOutcome, stage: str,
              already_done: int,
              progress: Callable[[ProgressEvent], None] | None) -> BatchOutcome:
    """The same jobs and ledger, one after another in this process (no cluster needed)."""
    total = already_done + len(jobs)
    for n, job in enumerate(jobs, 1):
        try:
            result = job.fn(*job.args)
        except DcreviewError as exc:
            result = _failure(job, exc)
        _record(job, result, ledger, outcome)
        if progress:
            progress(ProgressEvent(stage, already_done + n, total))
    return outcome


def run_jobs(jobs: list[Job], ledger: Ledger, cluster: Cluster | None, *,
             stage: str = "Batch",
             already_done: int = 0, outcome: BatchOutcome | None = None,
             progress: Callable[[ProgressEvent], None] | None = None,
             on_dashboard: Callable[[str], None] | None = None) -> BatchOutcome:
    """Run ``jobs`` on Dask, recording each result in the ledger as it completes.

    The one job runner of batches and study preparation: retries, the failure limit, the
    progress with ETA; a job's result dict carries ``status`` ('ok' or 'failed') and
    ``reason``. With no cluster the jobs run here, one after another, with the same ledger.
    """
    from dask.distributed import as_completed

    outcome = outcome or BatchOutcome()
    if cluster is None:
        return _run_here(jobs, ledger, outcome, stage, already_done, progress)
    total = already_done + len(jobs)
    finished = already_done
    if progress:
        progress(ProgressEvent(stage, finished, total))
    if not jobs:
        return outcome
    workers = cluster.workers or max(1, (os.cpu_count() or 2) // max(1, cluster.threads))
    client, local = _cluster(cluster.scheduler, workers, cluster.threads, cluster.gpus)
    try:
        outcome.dashboard = client.dashboard_link
        if on_dashboard:
            on_dashboard(outcome.dashboard)
        resources = {"GPU": 1} if cluster.gpus else None
        futures = {client.submit(j.fn, *j.args, key=f"{stage.lower()}-{j.case_id}-{j.key[:12]}",
                                 pure=False, retries=cluster.retries, resources=resources): j
                   for j in jobs}
        t0 = time.perf_counter()
        for fut in as_completed(list(futures)):
            job = futures[fut]
            try:
                result = fut.result()
            except Exception as exc:  # a crash retried to its limit, or a killed worker
                result = _failure(job, exc)
            _record(job, result, ledger, outcome)
            finished += 1
            if progress:
                run = finished - already_done
                eta = (time.perf_counter() - t0) / run * (total - finished) if run else None
                progress(ProgressEvent(stage, finished, total, eta_s=eta))
            if cluster.max_failures is not None and outcome.failed >= cluster.max_failures:
                for other in futures:
                    other.cancel()
                raise BatchError(f"stopped after {outcome.failed} failed case(s) "
                                 f"(--max-failures {cluster.max_failures}); the last: "
                                 f"{job.case_id}: {result['reason']}")
    finally:
        client.close()
        if local is not None:
            local.close()
    return outcome


def run_batch(cases: list[CaseSpec], outdir: str | Path, settings: BatchSettings, *,
              scheduler: str | None = None, workers: int | None = None, threads: int = 1,
              gpus: int = 0, retries: int = 2, max_failures: int | None = None,
              progress: Callable[[ProgressEvent], None] | None = None,
              on_dashboard: Callable[[str], None] | None = None) -> BatchOutcome:
    """Run every case not already done; returns the outcome. Raises BatchError at the limit."""
    from inference.synthesis.card import load_card

    outdir = Path(outdir)
    make_owned(outdir / CASES_DIR)
    _clean_partials(outdir)
    card = load_card(settings.card)  # refuse a bad card before any cluster starts
    ledger = Ledger(outdir)
    outcome = BatchOutcome()
    settings.threads = threads
    named = {p[len(SCHEME):].split("/")[0] for c in cases for p in (c.noncontrast, c.real or "")
             if p.startswith(SCHEME)}
    if named:
        from dataclasses import asdict

        from inference.pacs.nodes import get_node

        # Workers get the nodes with the job: they need no settings file of their own.
        settings.pacs_nodes = {n: asdict(get_node(n)) for n in named}
    jobs = []
    for c in cases:
        key = case_key(content_hash(c), card.identity, settings.key_fields())
        done = ledger.done(c.case_id, key)
        if done is not None and (outdir / CASES_DIR / c.case_id).exists():
            outcome.results.append(done)
            outcome.skipped += 1
        else:
            # A redo replaces an older output of the same case (only one dcreview made).
            remove_owned(outdir / CASES_DIR / c.case_id, outdir / CASES_DIR)
            jobs.append(Job(c.case_id, key, run_case, (c, key, str(outdir), vars(settings))))
    try:
        return run_jobs(jobs, ledger, Cluster(scheduler, workers, threads, gpus, retries,
                                              max_failures),
                        already_done=outcome.skipped, outcome=outcome, progress=progress,
                        on_dashboard=on_dashboard)
    finally:
        ledger.close()
        _clean_partials(outdir)
