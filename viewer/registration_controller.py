"""Register the real contrast scan onto the non-contrast grid from the viewer."""

from __future__ import annotations

import SimpleITK as sitk
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStatusBar

from inference.registration import RegistrationResult, nudge, register, resample_onto
from inference.volume import Volume
from viewer.background import Worker, start
from viewer.status_progress import StatusProgress

TRANSLATE_MM = 1.0
ROTATE_DEG = 0.5


class RegistrationController(QObject):
    """Runs registration in the background and keeps what manual adjustment needs."""

    finished = Signal(object)  # RegistrationResult
    failed = Signal(object)

    def __init__(self, status_bar: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status = StatusProgress(status_bar, "Registration")
        self.worker: Worker | None = None
        self.original: Volume | None = None  # the real scan as acquired (before resampling)
        self.result: RegistrationResult | None = None
        self.transform: sitk.Transform | None = None
        self.affine = False  # add an affine stage after the rigid one
        self.used_affine = False

    @property
    def running(self) -> bool:
        """True while registering."""
        return self.worker is not None

    def start(self, fixed: Volume, moving: Volume) -> Worker:
        """Register ``moving`` (real contrast) onto ``fixed`` (non-contrast) in a pool thread."""
        self.original = moving
        affine = self.used_affine = self.affine

        def job(progress, cancel):
            return register(fixed, moving, affine=affine, progress=progress, cancel=cancel)

        worker = Worker(job)
        worker.signals.finished.connect(self._on_finished)
        worker.signals.errored.connect(self._on_failed)
        self.worker = worker
        self.status.attach(worker)
        return start(worker)

    def _on_finished(self, result: RegistrationResult) -> None:
        self.worker = None
        self.status.detach()
        self.result = result
        self.transform = result.transform
        self.finished.emit(result)

    def _on_failed(self, exc: Exception) -> None:
        self.worker = None
        self.status.detach()
        self.failed.emit(exc)

    def adjust(self, fixed: Volume, rotation_deg=(0.0, 0.0, 0.0),
               translation_mm=(0.0, 0.0, 0.0)) -> Volume:
        """Compose a manual nudge and resample the original scan again."""
        if self.original is None or self.transform is None:
            raise RuntimeError("register the real scan first")
        self.transform = nudge(self.transform, rotation_deg, translation_mm)
        return resample_onto(self.original, fixed, self.transform)
