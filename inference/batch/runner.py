"""The one job runner of cohorts and study preparation: the ledger, retries, the failure limit,
progress; on a Dask client (an embedded LocalCluster or a scheduler), or here, in-process,
with the same rules.

The client alone writes the ledger: workers only return results. Cases already recorded as
done for the same key are skipped, so re-running the command after a crash resumes it. A
job's refusal (a DcreviewError, returned as a failed result) is final; anything else (a
crash, a killed worker) is retried up to ``retries`` times, and the ledger says how many
attempts it took. At the failure limit the run stops with what it has (``CohortStopped``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from inference.batch.ledger import DONE, FAILED, Ledger, case_key, content_hash
from inference.batch.worker import CASES_DIR, case_job, one_line
from inference.errors import DcreviewError
from inference.files import atomic
from inference.files.owned import make_owned, remove_owned
from inference.pacs.nodes import SCHEME
from inference.pipeline.settings import CaseSettings, CaseSpec
from inference.progress import ProgressEvent

log = logging.getLogger(__name__)


class BatchError(DcreviewError):
    """The batch could not run."""


class CohortStopped(BatchError):
    """The failure limit was reached; ``outcome`` holds every result so far."""

    def __init__(self, message: str, outcome: CohortOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome

    def __reduce__(self):
        return (type(self), (str(self), self.outcome))


@dataclass(frozen=True)
class CaseOutcome:
    """One case of a cohort as the ledger records it."""

    row: dict
    attempts: int = 1

    @property
    def case_id(self) -> str:
        """The manifest's identifier."""
        return str(self.row.get("case"))

    @property
    def ok(self) -> bool:
        """Whether the case was processed."""
        return self.row.get("status") == "ok"

    @property
    def reason(self) -> str | None:
        """Why it failed (None: it did not)."""
        return self.row.get("reason")

    @property
    def output(self) -> Path | None:
        """The synthetic volume written (None: failed)."""
        return Path(self.row["output"]) if self.row.get("output") else None

    @property
    def domain_warnings(self) -> list[str]:
        """Why the input lies outside the model's domain (empty: inside)."""
        return list((self.row.get("domain") or {}).get("warnings") or [])

    @property
    def evaluation(self) -> dict | None:
        """The comparison's figures (None: not evaluated)."""
        return self.row.get("evaluation")


@dataclass
class CohortOutcome:
    """What a run did: every case (this run's and earlier ones), skipped and failed counts."""

    cases: list[CaseOutcome] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0
    dashboard: str | None = None

    @property
    def results(self) -> list[dict]:
        """Every case's row, as the cohort report tabulates them."""
        return [c.row for c in self.cases]


@dataclass(frozen=True)
class Job:
    """One case's work: its ledger key and the call a worker makes."""

    case_id: str
    key: str
    fn: Callable[..., dict]
    args: tuple


def _failure(job: Job, exc: BaseException) -> dict:
    """The result of a job that raised on its last attempt."""
    return {"case": job.case_id, "key": job.key, "status": "failed", "reason": one_line(exc)}


def _record(job: Job, result: dict, attempts: int, ledger: Ledger,
            outcome: CohortOutcome) -> None:
    ok = result["status"] == "ok"
    ledger.record(job.key, job.case_id, DONE if ok else FAILED, result,
                  None if ok else result["reason"], attempts)
    outcome.cases.append(CaseOutcome(result, attempts))
    if not ok:
        outcome.failed += 1
        log.warning("case %s failed: %s", job.case_id, result["reason"])


@contextmanager
def local_cluster(workers: int | None = None, threads: int = 1,
                  gpus: int = 0) -> Iterator[object]:
    """A Dask client of an embedded LocalCluster on this machine (closed on leaving)."""
    # Dask's INFO lines (every worker start and stop) would bury the progress bar; the
    # variable reaches spawned workers too. -v (logging at INFO) keeps them.
    if not log.isEnabledFor(logging.INFO):
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    # The workers' statistical profiler samples their stacks every 10 ms: it cost a catalogue
    # scan's workers about 15% of their CPU (the dashboard's profile page stays empty).
    os.environ.setdefault("DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED", "False")
    from dask.distributed import Client, LocalCluster

    workers = workers or max(1, (os.cpu_count() or 2) // max(1, threads))
    cluster = LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                           resources={"GPU": gpus} if gpus else None, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0")
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@contextmanager
def scheduler(address: str) -> Iterator[object]:
    """A Dask client of a running scheduler (tcp://HOST:PORT)."""
    from dask.distributed import Client

    client = Client(address, timeout="30s")
    try:
        yield client
    finally:
        client.close()


def _run_here(jobs: list[Job], ledger: Ledger, outcome: CohortOutcome, retries: int,
              max_failures: int | None, stage: str, done: int, total: int,
              progress: Callable[[ProgressEvent], None] | None) -> None:
    for job in jobs:
        for attempt in range(1, retries + 2):
            try:
                result = job.fn(*job.args)
                break
            except DcreviewError as exc:  # a refusal is final, as a worker's would be
                result = _failure(job, exc)
                break
            except Exception as exc:  # a crash: retried, as Dask retries a lost worker
                log.warning("case %s crashed (attempt %d): %s", job.case_id, attempt,
                            one_line(exc))
                result = _failure(job, exc)
        _record(job, result, attempt, ledger, outcome)
        done += 1
        if progress:
            progress(ProgressEvent(stage, done, total))
        _check_limit(outcome, max_failures, job, result)


def _check_limit(outcome: CohortOutcome, max_failures: int | None, job: Job,
                 result: dict) -> None:
    if max_failures is not None and outcome.failed >= max_failures:
        raise CohortStopped(f"stopped after {outcome.failed} failed case(s) (--max-failures "
                            f"{max_failures}); the last: {job.case_id}: {result['reason']}",
                            outcome)


def _run_on(client, jobs: list[Job], ledger: Ledger, outcome: CohortOutcome, retries: int,
            max_failures: int | None, stage: str, done: int, total: int,
            progress: Callable[[ProgressEvent], None] | None,
            resources: dict | None) -> None:
    from dask.distributed import as_completed

    outcome.dashboard = getattr(client, "dashboard_link", None)
    attempts: dict[str, int] = {}

    def submit(job: Job):
        attempts[job.case_id] = attempts.get(job.case_id, 0) + 1
        return client.submit(job.fn, *job.args, pure=False, resources=resources,
                             key=f"{stage.lower()}-{job.case_id}-{job.key[:12]}-"
                                 f"{attempts[job.case_id]}")

    futures = {submit(j): j for j in jobs}
    queue = as_completed(list(futures))
    t0, started = time.perf_counter(), done
    for fut in queue:
        job = futures.pop(fut)
        try:
            result = fut.result()
        except DcreviewError as exc:  # a refusal is final, here as in-process
            result = _failure(job, exc)
        except Exception as exc:  # a crash or a killed worker
            if attempts[job.case_id] <= retries:
                log.warning("case %s crashed (attempt %d): %s; retrying", job.case_id,
                            attempts[job.case_id], one_line(exc))
                retry = submit(job)
                futures[retry] = job
                queue.add(retry)
                continue
            result = _failure(job, exc)
        _record(job, result, attempts[job.case_id], ledger, outcome)
        done += 1
        if progress:
            run = done - started
            eta = (time.perf_counter() - t0) / run * (total - done) if run else None
            progress(ProgressEvent(stage, done, total, eta_s=eta))
        try:
            _check_limit(outcome, max_failures, job, result)
        except CohortStopped:
            for other in futures:
                other.cancel()
            raise


def run_jobs(jobs: list[Job], ledger: Ledger, client=None, *, retries: int = 2,
             max_failures: int | None = None, stage: str = "Batch", already_done: int = 0,
             outcome: CohortOutcome | None = None,
             progress: Callable[[ProgressEvent], None] | None = None,
             resources: dict | None = None) -> CohortOutcome:
    """Run ``jobs`` on ``client`` (a Dask client) or, with None, here one after another,
    recording each result in the ledger as it completes; a job returns a row with
    ``status`` ('ok' or 'failed') and ``reason``."""
    outcome = outcome or CohortOutcome()
    total = already_done + len(jobs)
    if progress:
        progress(ProgressEvent(stage, already_done, total))
    if not jobs:
        return outcome
    if client is None:
        _run_here(jobs, ledger, outcome, retries, max_failures, stage, already_done, total,
                  progress)
    else:
        _run_on(client, jobs, ledger, outcome, retries, max_failures, stage, already_done,
                total, progress, resources)
    return outcome


def _nodes_for(cases: list[CaseSpec]) -> dict | None:
    """The PACS nodes pacs:// cases name, for workers (they need no settings of their own)."""
    named = {p[len(SCHEME):].split("/")[0] for c in cases for p in (c.noncontrast, c.real or "")
             if p.startswith(SCHEME)}
    if not named:
        return None
    from dataclasses import asdict

    from inference.pacs.nodes import get_node

    return {n: asdict(get_node(n)) for n in named}


def run_cohort(cases: list[CaseSpec], outdir: str | Path, settings: CaseSettings,
               client=None, *, retries: int = 2, max_failures: int | None = None,
               progress: Callable[[ProgressEvent], None] | None = None,
               resources: dict | None = None) -> CohortOutcome:
    """Every case not already done, through the case pipeline: on ``client`` (a Dask
    client), or here, in this process, with the same retries, isolation and ledger. Raises
    CohortStopped, holding the outcome so far, at ``max_failures``."""
    outdir = Path(outdir)
    make_owned(outdir / CASES_DIR)
    atomic.sweep_partials(outdir / CASES_DIR, everyone=True)  # no other run writes here now
    card = settings.model_card()  # refuse a bad card before any case starts
    if not settings.card:
        from dataclasses import replace

        settings = replace(settings, card=str(card.path))  # workers load this very card
    ledger = Ledger(outdir)
    outcome = CohortOutcome()
    nodes = _nodes_for(cases)
    jobs = []
    for c in cases:
        key = case_key(content_hash(c), card.identity, settings.key_fields())
        done = ledger.done(c.case_id, key)
        if done is not None and (outdir / CASES_DIR / c.case_id).exists():
            outcome.cases.append(CaseOutcome(done))
            outcome.skipped += 1
        else:
            # A redo replaces an older output of the same case (only one dcreview made).
            remove_owned(outdir / CASES_DIR / c.case_id, outdir / CASES_DIR)
            jobs.append(Job(c.case_id, key, case_job, (c, key, str(outdir), settings, nodes)))
    order = {c.case_id: n for n, c in enumerate(cases)}
    try:
        run_jobs(jobs, ledger, client, retries=retries, max_failures=max_failures,
                 already_done=outcome.skipped, outcome=outcome, progress=progress,
                 resources=resources)
    finally:
        ledger.close()
        atomic.sweep_partials(outdir / CASES_DIR, everyone=True)
        outcome.cases.sort(key=lambda c: order.get(c.case_id, len(order)))  # manifest order
    return outcome
