"""Python's cyclic garbage collector, run from the GUI thread's event loop.

Left automatic, the collector runs in whichever thread happens to allocate when a threshold
trips: often a background job's worker. Garbage cycles often hold Qt objects (a closed
dialog's lambdas and signals), and destroying those outside the GUI thread crashes the
process (seen in CI: SIGSEGV inside a PACS query's worker). So the automatic collector is
switched off and a GUI-thread timer applies the same generation thresholds instead.

A full collection walks every object (about 0.2 s with a CT open), so, as CPython's own
collector avoids frequent full passes, it runs at most once per ``FULL_MIN_INTERVAL_S`` and
takes at most ``FULL_SHARE`` of the GUI thread's time; the younger generations are
collected in between.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 200
FULL_SHARE = 0.01
FULL_MIN_INTERVAL_S = 5.0

_installed: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    """Collects garbage cycles on a timer in the thread it was created in (the GUI thread)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.next_full = 0.0  # time.monotonic() before which no full collection runs
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> int:
        """Collect the oldest generation past its threshold (a full pass only when spaced out)."""
        counts = gc.get_count()
        if counts[2] > self.thresholds[2] and time.monotonic() >= self.next_full:
            start = time.monotonic()
            freed = gc.collect(2)
            took = time.monotonic() - start
            self.next_full = start + took + max(FULL_MIN_INTERVAL_S, took / FULL_SHARE)
            return freed
        for generation in (1, 0):
            if counts[generation] > self.thresholds[generation]:
                return gc.collect(generation)
        return 0


def install(app: QObject) -> GuiThreadCollector:
    """Move garbage collection onto the GUI thread for the rest of the process (idempotent)."""
    global _installed
    if _installed is None:
        _installed = GuiThreadCollector(app)
    return _installed
