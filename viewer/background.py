"""Run slow engine work off the GUI thread with started/progress/finished/errored signals."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from inference.progress import CancelToken, ProgressEvent

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    """Signals of a background job, delivered in the GUI thread."""

    started = Signal()
    progress = Signal(object)  # ProgressEvent
    finished = Signal(object)  # the function's return value
    errored = Signal(object)  # the exception


class Worker(QRunnable):
    """Calls ``fn(progress=..., cancel=...)`` in a pool thread."""

    def __init__(self, fn: Callable[..., object]) -> None:
        super().__init__()
        self.fn = fn
        self.cancel_token = CancelToken()
        self.signals = WorkerSignals()
        self.setAutoDelete(False)

    def cancel(self) -> None:
        """Ask the job to stop at its next progress check."""
        self.cancel_token.cancel()

    def run(self) -> None:
        """Executed by the thread pool."""
        self.signals.started.emit()
        try:
            result = self.fn(progress=self._progress, cancel=self.cancel_token)
        except Exception as exc:
            log.debug("background job failed: %s", traceback.format_exc())
            self.signals.errored.emit(exc)
        else:
            self.signals.finished.emit(result)

    def _progress(self, event: ProgressEvent) -> None:
        self.signals.progress.emit(event)


def start(worker: Worker, pool: QThreadPool | None = None) -> Worker:
    """Queue a worker on the (global) thread pool and return it."""
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker
