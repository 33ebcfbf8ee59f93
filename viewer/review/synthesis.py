"""Run digital-contrast synthesis in the background while the views stay usable."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QStatusBar, QWidget

from inference.energy.meter import EnergyReport
from inference.io.volume import Volume
from inference.pipeline.case import synthesize_volume
from inference.progress import ProgressEvent
from inference.synthesis.card import ModelCard, installed_cards
from inference.synthesis.engine import SynthesisResult
from inference.synthesis.runtime import ModelSession, create_session
from inference.synthesis.session import provider_name
from viewer.model.provenance import MODEL_CHECK_ACTION
from viewer.review.jobs import BackgroundJob, StatusProgress, Worker

log = logging.getLogger(__name__)


@dataclass
class SynthesisOutcome:
    """What a finished run hands to the window."""

    result: SynthesisResult
    energy: EnergyReport


class SynthesisController(QObject):
    """Owns the model choice, the cached session, the worker and the status-bar widgets."""

    started = Signal()
    finished = Signal(object)  # SynthesisOutcome
    failed = Signal(object)  # exception
    provider_changed = Signal(str)

    def __init__(self, status_bar: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cards: list[ModelCard] = installed_cards()
        self.card: ModelCard | None = self.cards[0] if self.cards else None
        self._session: ModelSession | None = None
        self.last: SynthesisOutcome | None = None
        self.status = StatusProgress(status_bar, "Synthesis")
        self.progress_bar, self.cancel_button = self.status.bar, self.status.cancel_button
        self.job = BackgroundJob(self.status, self)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self.failed.emit)
        self.provider_label = QLabel("")
        status_bar.addPermanentWidget(self.provider_label)
        # Emitted from the worker thread; the queued connection updates the label in the GUI.
        self.provider_changed.connect(lambda name: self.provider_label.setText(f"Model on {name}"))

    @property
    def running(self) -> bool:
        """True while a run is in progress."""
        return self.job.running

    def choose(self, card: ModelCard) -> None:
        """Select the model for the next run."""
        if card is not self.card:
            self.card = card
            self._session = None

    def session(self) -> ModelSession:
        """The loaded model (checksum verified on first load), one core left for the UI."""
        if self._session is None:
            assert self.card is not None
            threads = max(1, (os.cpu_count() or 2) - 1)
            self._session = create_session(self.card, "auto", threads)
            self.provider_changed.emit(self._session.device_label)
        return self._session

    def start(self, volume: Volume) -> Worker:
        """Synthesise ``volume`` in a pool thread; progress shows in the status bar."""
        if self.card is None:
            raise RuntimeError("no synthesis model is installed")

        def job(progress, cancel):
            # The case pipeline's own step: the same domain check, synthesis and energy.
            result, energy = synthesize_volume(volume, self.session(), progress=progress,
                                               cancel=cancel)
            return SynthesisOutcome(result, energy)

        worker = self.job.start(job, "Synthesis")
        worker.signals.progress.connect(self._on_progress)
        self.started.emit()
        return worker

    def cancel(self) -> None:
        """Stop after the current batch."""
        self.job.cancel()

    def _on_progress(self, _event: ProgressEvent) -> None:
        if self._session is not None:
            self.provider_label.setText(f"Model on {self._session.device_label}")

    def _on_finished(self, outcome: SynthesisOutcome) -> None:
        self.last = outcome
        self.finished.emit(outcome)


def model_check_text(card: ModelCard | None, outcome: SynthesisOutcome | None) -> str:
    """The model's card in brief and what the input check found in the last run."""
    if card is None:
        return "No synthesis model is installed."
    d = card.data
    lines = [card.label, "", f"Intended use: {d['intended_use']}", "", "Limits:",
             *[f"  - {limit}" for limit in d["limits"]], "",
             f"Output: {card.output_kind}; {len(card.files)} file(s) x "
             f"{1 + len(card.flips)} prediction(s) per voxel"]
    if outcome is None:
        lines += ["", "No run yet: the input is checked against the model's domain when "
                      "digital contrast is synthesised."]
        return "\n".join(lines)
    domain = outcome.result.domain
    lines += ["", "Last run's input check:"]
    if domain.in_domain:
        lines.append("  inside the model's declared domain")
    else:
        lines += [f"  OUTSIDE MODEL DOMAIN: {w}" for w in domain.warnings]
        lines.append("  Read the digital contrast with this in mind.")
    trust = outcome.result.trust
    if trust is not None:
        lines += ["", f"Last run's output check: {trust.verdict}"]
        lines += [f"  {f.status.upper()}: {f.check}: {f.text}" for f in trust.flagged]
    return "\n".join(lines)


def show_model_check(parent: QWidget, card: ModelCard | None,
                     outcome: SynthesisOutcome | None) -> QMessageBox:
    """Open Synthesis > Model and input check (non-blocking) and return the dialog."""
    box = QMessageBox(QMessageBox.Icon.Information, MODEL_CHECK_ACTION,
                      model_check_text(card, outcome), QMessageBox.StandardButton.Close, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def ready_message(outcome: SynthesisOutcome) -> str:
    """The status bar's line when a run finishes: size, time, device, energy, notes."""
    result = outcome.result
    notes = ("; " + "; ".join(result.notes)) if result.notes else ""
    if not result.domain.in_domain:
        notes += f"; OUTSIDE MODEL DOMAIN ({len(result.domain.warnings)} finding(s))"
    if result.trust is not None:
        notes += f"; trust verdict: {result.trust.verdict}"
    # The run's time is the energy meter's (what the energy dialog shows): the whole run the
    # reader waited for, domain and trust checks included.
    return (f"Digital contrast ready: {result.slices} slices in {outcome.energy.seconds:.1f} s "
            f"on {provider_name(result.provider)}; {outcome.energy.summary()}{notes}")
