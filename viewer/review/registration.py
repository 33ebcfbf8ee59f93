"""Register the real contrast scan onto the non-contrast grid from the viewer."""

from __future__ import annotations

import SimpleITK as sitk
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStatusBar

from inference.compare.registration import RegistrationResult, nudge, register, resample_onto
from inference.io.volume import Volume
from viewer.review.jobs import BackgroundJob, StatusProgress, Worker

TRANSLATE_MM = 1.0
ROTATE_DEG = 0.5


class RegistrationController(QObject):
    """Runs registration in the background and keeps what manual adjustment needs."""

    finished = Signal(object)  # RegistrationResult
    failed = Signal(object)

    def __init__(self, status_bar: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status = StatusProgress(status_bar, "Registration")
        self.job = BackgroundJob(self.status, self)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self.failed.emit)
        self.original: Volume | None = None  # the real scan as acquired (before resampling)
        self.result: RegistrationResult | None = None
        self.transform: sitk.Transform | None = None
        self.affine = False  # add an affine stage after the rigid one
        self.used_affine = False

    @property
    def running(self) -> bool:
        """True while registering."""
        return self.job.running

    def start(self, fixed: Volume, moving: Volume) -> Worker:
        """Register ``moving`` (real contrast) onto ``fixed`` (non-contrast) in a pool thread."""
        self.original = moving
        affine = self.used_affine = self.affine

        def job(progress, cancel):
            return register(fixed, moving, affine=affine, progress=progress, cancel=cancel)

        return self.job.start(job, "Registration")

    def _on_finished(self, result: RegistrationResult) -> None:
        self.result = result
        self.transform = result.transform
        self.finished.emit(result)

    def forget(self) -> None:
        """A new scan was opened: an earlier registration belonged to another one."""
        self.original = None
        self.result = None
        self.transform = None

    def revert(self) -> Volume | None:
        """Drop the registration; returns the scan as acquired (None if never registered)."""
        original = self.original
        self.result = None
        self.transform = None
        return original

    def adjust(self, fixed: Volume, rotation_deg=(0.0, 0.0, 0.0),
               translation_mm=(0.0, 0.0, 0.0)) -> Volume:
        """Compose a manual nudge and resample the original scan again."""
        if self.original is None or self.transform is None:
            raise RuntimeError("register the real scan first")
        self.transform = nudge(self.transform, rotation_deg, translation_mm)
        return resample_onto(self.original, fixed, self.transform)
