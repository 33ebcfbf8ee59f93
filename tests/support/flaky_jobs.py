"""Job functions for the job runner's own tests (importable by Dask worker processes)."""

from __future__ import annotations

from pathlib import Path

from inference.errors import LoadError


def crash_then_succeed(case_id: str, counter: str, crashes: int) -> dict:
    """Crash (as a lost worker or a bug would) ``crashes`` times, then return a result."""
    path = Path(counter)
    n = int(path.read_text()) if path.exists() else 0
    path.write_text(str(n + 1))
    if n < crashes:
        raise RuntimeError(f"crash {n + 1}")
    return {"case": case_id, "status": "ok", "reason": None}


def refuse(case_id: str, counter: str) -> dict:
    """Refuse the input (a DcreviewError): never worth a retry."""
    path = Path(counter)
    path.write_text(str(int(path.read_text()) + 1 if path.exists() else 1))
    raise LoadError("not a CT series")
