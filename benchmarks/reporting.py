"""Shared pieces of the benchmark scripts: the event-loop probe, and the ending (print the
floors, write the JSON)."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path


class GapProbe:
    """Event-loop gaps: a timer due every ``every_ms`` records how long each turn really
    took, from ``start()`` to ``stop()`` (the GUI's longest busy spell is the largest)."""

    def __init__(self, every_ms: int = 10) -> None:
        from PySide6.QtCore import QTimer

        self.every_ms = every_ms
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.timeout.connect(self._probe)

    def _probe(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        """Begin probing (call right before the work under test starts)."""
        self._last = time.perf_counter()
        self._timer.start(self.every_ms)

    def stop(self) -> dict:
        """Stop probing; the gaps' count, median, p95 and maximum in ms."""
        self._timer.stop()
        s = sorted(self.gaps)
        return {"probes": len(s), "median_gap_ms": statistics.median(s),
                "p95_gap_ms": s[int(0.95 * (len(s) - 1))], "max_gap_ms": s[-1]}


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
