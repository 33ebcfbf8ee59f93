"""Shared ending of the benchmark scripts: print the floors, write the JSON."""

from __future__ import annotations

import json
from pathlib import Path


def status_mb(key: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM its peak)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")


def finish(report: dict, out: Path, width: int = 34) -> int:
    """Print each floor as OK / NOT MET, write ``report`` as JSON to ``out``."""
    for name, ok in report.get("floors", {}).items():
        print(f"{name:<{width}}{'OK' if ok else 'NOT MET':>9}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0
