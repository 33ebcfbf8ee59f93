"""The Synthesis menu's actions: start a run, show its result, say why one failed, show the
model check and the energy report. The window only creates this and connects its menu."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from inference.errors import Cancelled, DcreviewError
from viewer.model.layout import Role
from viewer.model.state import ViewerState
from viewer.review.energy_dialog import show_energy_report
from viewer.review.synthesis import (
    SynthesisController,
    SynthesisOutcome,
    ready_message,
    show_model_check,
)

log = logging.getLogger(__name__)


class SynthesisActions(QObject):
    """Runs the controller for the window's non-contrast series and shows the outcome."""

    def __init__(self, window: QWidget, state: ViewerState, controller: SynthesisController,
                 show_volume: Callable, show_error: Callable[[str, str], object],
                 show_status: Callable[..., None]) -> None:
        super().__init__(window)
        self.window, self.state, self.controller = window, state, controller
        self.show_volume, self.show_error, self.show_status = show_volume, show_error, show_status
        self.start_action = None  # the menu entry, disabled while a run is going
        controller.finished.connect(self._on_finished)
        controller.failed.connect(self._on_failed)

    def _enable(self, enabled: bool) -> None:
        if self.start_action is not None:
            self.start_action.setEnabled(enabled)

    def start(self) -> None:
        """Predict digital contrast for the non-contrast series, in the background."""
        if self.state.base is None:
            self.show_error("Nothing to synthesise", "Open a non-contrast CT first.")
            return
        if self.controller.card is None:
            self.show_error("No model installed",
                            "No synthesis model (ONNX file with its model card) is installed.")
            return
        if self.controller.running:
            return
        self._enable(False)
        self.controller.start(self.state.base)
        self.show_status(f"Synthesising with {self.controller.card.label}...")

    def _on_finished(self, outcome: SynthesisOutcome) -> None:
        self._enable(True)
        result = outcome.result
        try:
            self.show_volume(result.volume, role=Role.OVERLAY)
        except DcreviewError as exc:
            self.show_error("Cannot show the synthetic series", str(exc))
            return
        self.state.set_uncertainty(result.uncertainty)
        self.state.set_overlay_visible(True)
        self.show_status(ready_message(outcome), 30000)

    def _on_failed(self, exc: Exception) -> None:
        self._enable(True)
        if isinstance(exc, Cancelled):
            self.show_status("Synthesis cancelled", 5000)
        elif isinstance(exc, DcreviewError):
            self.show_error("Synthesis failed", str(exc))
        else:
            log.error("unexpected synthesis error: %s", type(exc).__name__)
            self.show_error("Synthesis failed", f"{type(exc).__name__}: {exc}")

    def model_check(self) -> QMessageBox:
        """The model's card and the last input check, every domain warning in full."""
        return show_model_check(self.window, self.controller.card, self.controller.last)

    def energy_report(self) -> QMessageBox | None:
        """Energy, carbon and avoided footprint of the last run (non-blocking)."""
        if self.controller.last is None:
            self.show_status("No synthesis has run yet", 3000)
            return None
        return show_energy_report(self.window, self.controller.last.energy)
