"""Python's cyclic garbage collector, run from the GUI thread's event loop.

Left automatic, the collector runs in whichever thread happens to allocate when a threshold
trips: often a background job's worker. Garbage cycles often hold Qt objects (a closed
dialog's lambdas and signals), and destroying those outside the GUI thread crashes the
process (seen in CI: SIGSEGV inside a PACS query's worker). So the automatic collector is
switched off and a GUI-thread timer applies the same generation thresholds instead.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 200

_installed: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    """Collects garbage cycles on a timer in the thread it was created in (the GUI thread)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> int:
        """Collect the oldest generation whose threshold is passed; the number freed."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                return gc.collect(generation)
        return 0


def install(app: QObject) -> GuiThreadCollector:
    """Move garbage collection onto the GUI thread for the rest of the process (idempotent)."""
    global _installed
    if _installed is None:
        _installed = GuiThreadCollector(app)
    return _installed
