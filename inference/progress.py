"""Progress reporting and cooperative cancellation for slow engine work."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from inference.errors import Cancelled


@dataclass(frozen=True)
class ProgressEvent:
    """How far a task is: ``done`` of ``total`` units, with a short stage name."""

    stage: str
    done: int
    total: int
    eta_s: float | None = None

    @property
    def fraction(self) -> float:
        """Completed fraction in [0, 1]."""
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)


ProgressCallback = Callable[[ProgressEvent], None]


class CancelToken:
    """Thread-safe flag a UI sets and a worker polls between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether cancellation was requested."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise Cancelled when cancellation was requested."""
        if self._event.is_set():
            raise Cancelled()


class ProgressReporter:
    """Rate-limited progress with an ETA, checking cancellation at each step."""

    def __init__(self, stage: str, total: int, callback: ProgressCallback | None,
                 cancel: CancelToken | None, min_interval_s: float = 0.05) -> None:
        self.stage = stage
        self.total = total
        self._callback = callback
        self._cancel = cancel
        self._min_interval = min_interval_s
        self._start = time.perf_counter()
        self._last = 0.0

    def step(self, done: int) -> None:
        """Report ``done`` units finished; raises Cancelled if the user cancelled."""
        if self._cancel is not None:
            self._cancel.raise_if_cancelled()
        if self._callback is None:
            return
        now = time.perf_counter()
        if done < self.total and now - self._last < self._min_interval:
            return
        self._last = now
        elapsed = now - self._start
        eta = elapsed / done * (self.total - done) if done else None
        self._callback(ProgressEvent(self.stage, done, self.total, eta))


class TerminalProgress:
    """A one-line progress bar on a terminal; plain lines (every 10 %) in a log file."""

    def __init__(self, width: int = 30, stream=None) -> None:
        self.width = width
        self.stream = stream
        self._last_decile: tuple[str, int] | None = None

    def __call__(self, event) -> None:
        stream = self.stream or sys.stderr
        if not stream.isatty():
            # Carriage returns garble logs: one plain line per stage and tenth of the work.
            decile = (event.stage, int(event.fraction * 10))
            if decile != self._last_decile or event.done >= event.total:
                if decile != self._last_decile:
                    print(f"{event.stage}: {event.done}/{event.total}", file=stream,
                          flush=True)
                self._last_decile = decile
            return
        filled = int(event.fraction * self.width)
        eta = f" ETA {event.eta_s:4.0f} s" if event.eta_s is not None else ""
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if event.done >= event.total else ""
        print(f"\r{event.stage[:34]:<34} [{bar}] {event.done}/{event.total}{eta}", end=end,
              file=stream, flush=True)
