"""Background jobs: engine work off the GUI thread, with progress, cancel and one outcome.

``Worker`` runs one function in the thread pool (superqt-style started/progress/finished/
errored signals). ``BackgroundJob`` is the one wiring every long action uses (loading,
synthesis, registration): it owns the worker, shows its progress in a status-bar bar or a
dialog, and re-emits the outcome once the display is tidied up.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressBar, QProgressDialog, QPushButton, QStatusBar, QWidget

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


class ProgressDisplay(Protocol):
    """Where a job's progress shows; Cancel calls the callback given to ``attach``."""

    def attach(self, cancel: Callable[[], None], title: str) -> None:
        """The job started."""

    def update(self, event: ProgressEvent) -> None:
        """One progress event."""

    def detach(self) -> None:
        """The job is over."""


def _eta(event: ProgressEvent) -> str:
    return f", {event.eta_s:.0f} s left" if event.eta_s and event.eta_s > 1 else ""


class StatusProgress:
    """A progress bar (with ETA) and a Cancel button in the status bar: the window stays usable."""

    def __init__(self, status_bar: QStatusBar, title: str) -> None:
        self.title = title
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(240)
        self.cancel_button = QPushButton("Cancel")
        for w in (self.bar, self.cancel_button):
            status_bar.addPermanentWidget(w)
            w.hide()
        self._cancel: Callable[[], None] | None = None
        self.cancel_button.clicked.connect(self.cancel)

    def attach(self, cancel: Callable[[], None], title: str) -> None:
        """Show the bar until ``detach``."""
        self._cancel = cancel
        self.bar.setValue(0)
        self.bar.setFormat(f"{self.title} %p%")
        self.bar.show()
        self.cancel_button.show()

    def update(self, event: ProgressEvent) -> None:
        """Show one progress event."""
        self.bar.setValue(int(event.fraction * 100))
        self.bar.setFormat(f"{self.title} {event.done}/{event.total}{_eta(event)}")

    def cancel(self) -> None:
        """Ask the job to stop."""
        if self._cancel is not None:
            self._cancel()

    def detach(self) -> None:
        """Hide (the job is over)."""
        self._cancel = None
        self.bar.hide()
        self.cancel_button.hide()


class DialogProgress:
    """A window-modal progress dialog that appears only if the job takes a moment."""

    def __init__(self, parent: QWidget, caption: str = "Loading") -> None:
        self.parent = parent
        self.caption = caption
        self.dialog: QProgressDialog | None = None

    def attach(self, cancel: Callable[[], None], title: str) -> None:
        """Prepare the dialog (shown after 300 ms)."""
        dialog = QProgressDialog(title, "Cancel", 0, 100, self.parent)
        dialog.setWindowTitle(self.caption)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(cancel)
        self.dialog = dialog

    def update(self, event: ProgressEvent) -> None:
        """Show one progress event."""
        if self.dialog is not None:
            self.dialog.setLabelText(f"{event.stage}: {event.done}/{event.total}{_eta(event)}")
            self.dialog.setValue(int(event.fraction * 100))

    def detach(self) -> None:
        """Close the dialog."""
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.deleteLater()
        self.dialog = None


class BackgroundJob(QObject):
    """One job at a time: start, progress on a display, cancel, then finished or failed."""

    finished = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception (Cancelled when the user cancelled)

    def __init__(self, display: ProgressDisplay, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.display = display
        self.worker: Worker | None = None

    @property
    def running(self) -> bool:
        """True while a job is in progress."""
        return self.worker is not None

    def start(self, fn: Callable[..., object], title: str = "") -> Worker:
        """Run ``fn(progress=..., cancel=...)`` in the pool; a running job is cancelled first."""
        self.cancel()
        worker = Worker(fn)
        worker.signals.progress.connect(self._on_progress)
        worker.signals.finished.connect(lambda result, w=worker: self._done(w, result, None))
        worker.signals.errored.connect(lambda exc, w=worker: self._done(w, None, exc))
        self.worker = worker
        self.display.attach(worker.cancel, title)
        return start(worker)

    def cancel(self) -> None:
        """Ask the running job (if any) to stop at its next progress check."""
        if self.worker is not None:
            self.worker.cancel()

    def _on_progress(self, event: ProgressEvent) -> None:
        if self.worker is not None:
            self.display.update(event)

    def _done(self, worker: Worker, result: object, exc: Exception | None) -> None:
        if worker is not self.worker:
            return  # a job replaced by a newer one: its outcome no longer matters
        self.worker = None
        self.display.detach()
        if exc is None:
            self.finished.emit(result)
        else:
            self.failed.emit(exc)
