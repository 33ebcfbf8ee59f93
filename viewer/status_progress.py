"""A progress bar with a Cancel button in the status bar, for long background jobs."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QPushButton, QStatusBar

from inference.progress import ProgressEvent
from viewer.background import Worker


class StatusProgress:
    """Shows a worker's progress (with ETA) without blocking the window."""

    def __init__(self, status_bar: QStatusBar, title: str) -> None:
        self.title = title
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(240)
        self.cancel_button = QPushButton("Cancel")
        for w in (self.bar, self.cancel_button):
            status_bar.addPermanentWidget(w)
            w.hide()
        self.worker: Worker | None = None
        self.cancel_button.clicked.connect(self.cancel)

    def attach(self, worker: Worker) -> None:
        """Follow ``worker`` until ``detach``."""
        self.worker = worker
        worker.signals.progress.connect(self.update)
        self.bar.setValue(0)
        self.bar.setFormat(f"{self.title} %p%")
        self.bar.show()
        self.cancel_button.show()

    def update(self, event: ProgressEvent) -> None:
        """Show one progress event."""
        eta = f", {event.eta_s:.0f} s left" if event.eta_s else ""
        self.bar.setValue(int(event.fraction * 100))
        self.bar.setFormat(f"{self.title} {event.done}/{event.total}{eta}")

    def cancel(self) -> None:
        """Ask the job to stop."""
        if self.worker is not None:
            self.worker.cancel()

    def detach(self) -> None:
        """Hide (the job is over)."""
        self.worker = None
        self.bar.hide()
        self.cancel_button.hide()
