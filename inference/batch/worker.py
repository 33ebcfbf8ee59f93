"""What runs for one case of a cohort, on a Dask worker or here: the case pipeline, into a
private folder renamed into place when complete.

The model is loaded once per worker process (``pipeline.case.model_session`` caches it), never
per case. A worker killed mid-case leaves no half-written case behind, and a case that ran
twice (a worker thought dead came back) keeps the first complete copy.
"""

from __future__ import annotations

import time
from pathlib import Path

from inference.errors import Cancelled, DcreviewError, first_line
from inference.files import atomic
from inference.pipeline.case import run_case, worker_name
from inference.pipeline.settings import CaseSettings, CaseSpec

CASES_DIR = "cases"


def one_line(exc: BaseException) -> str:
    """An exception as the one-line reason the ledger and the report give."""
    text = first_line(exc, 300)
    name = type(exc).__name__
    return name if text == name else f"{name}: {text}"[:300]


def case_job(case: CaseSpec, key: str, outdir: str, settings: CaseSettings,
             nodes: dict | None = None) -> dict:
    """One case of a cohort; returns its result row (``status`` ok or failed).

    Refusals that would recur anywhere (a bad input, a model refusing the input or its own
    output) are returned as failures at once; anything else raises, so it is retried.
    """
    from inference.pacs.nodes import PacsNode

    t0 = time.perf_counter()
    final = Path(outdir) / CASES_DIR / case.case_id
    base = {"case": case.case_id, "key": key, "worker": worker_name(),
            "noncontrast": case.noncontrast, "real": case.real}
    known = None if nodes is None else {n: PacsNode(**f) for n, f in nodes.items()}
    partial = atomic.partial_folder(final)
    try:
        result = run_case(case, partial, settings, nodes=known, final_dir=final)
    except Cancelled:
        atomic.discard(partial)
        raise
    except DcreviewError as exc:
        atomic.discard(partial)
        return {**base, "status": "failed", "reason": one_line(exc),
                "seconds": time.perf_counter() - t0}
    except BaseException:
        atomic.discard(partial)
        raise
    atomic.commit_folder(partial, final, replace=False)
    return {**result.as_dict(), **base, "output": str(final / result.output.name)}
