"""ONNX Runtime sessions: explicit provider order, and the truth about what actually loaded."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field

import onnxruntime as ort

from inference.errors import ModelError
from inference.synthesis.card import ModelCard, verify_checksum

log = logging.getLogger(__name__)

PROVIDERS_ENV = "DCREVIEW_PROVIDERS"  # e.g. "cpu" or "cuda,cpu"
ALIASES = {"cuda": "CUDAExecutionProvider", "directml": "DmlExecutionProvider",
           "dml": "DmlExecutionProvider", "coreml": "CoreMLExecutionProvider",
           "cpu": "CPUExecutionProvider"}
CPU = "CPUExecutionProvider"


def preferred_providers(device: str = "auto") -> list[str]:
    """Provider order for ``device`` (auto, cpu, cuda, ...), overridable by DCREVIEW_PROVIDERS."""
    override = os.environ.get(PROVIDERS_ENV)
    if override:
        device = override
    if device != "auto":
        names = [ALIASES.get(d.strip().lower(), d.strip()) for d in device.split(",")]
        return names + ([CPU] if CPU not in names else [])
    if sys.platform == "win32":
        order = ["CUDAExecutionProvider", "DmlExecutionProvider", CPU]
    elif sys.platform == "darwin":
        order = ["CoreMLExecutionProvider", CPU]
    else:
        order = ["CUDAExecutionProvider", CPU]
    available = set(ort.get_available_providers())
    return [p for p in order if p in available] or [CPU]


@dataclass
class ModelSession:
    """A loaded model: the ORT session, its card, and which providers really run it."""

    card: ModelCard
    session: ort.InferenceSession
    requested: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def providers(self) -> list[str]:
        """Providers the session actually uses (``get_available_providers`` can lie)."""
        return list(self.session.get_providers())

    @property
    def active_provider(self) -> str:
        """The provider doing the work, e.g. 'CUDAExecutionProvider'."""
        return self.providers[0]

    @property
    def device_label(self) -> str:
        """Short name for the status bar: 'CPU', 'CUDA', ..."""
        return self.active_provider.replace("ExecutionProvider", "")

    def run(self, batch):
        """One inference call on a (N, C, H, W) float32 batch."""
        return self.session.run([self.card.output_name], {self.card.input_name: batch})[0]


def create_session(card: ModelCard, device: str = "auto", threads: int | None = None,
                   verify: bool = True) -> ModelSession:
    """Load the card's model with the preferred providers, falling back to CPU quietly."""
    if verify:
        verify_checksum(card)
    requested = preferred_providers(device)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # a failed CUDA load must not spray the user's terminal
    if threads:
        options.intra_op_num_threads = threads
    notes = []
    try:
        session = ort.InferenceSession(str(card.onnx_path), sess_options=options,
                                       providers=requested)
    except Exception as exc:
        if requested == [CPU]:
            raise ModelError(f"model {card.name} could not be loaded: {exc}") from exc
        notes.append(f"{requested[0]} could not start ({type(exc).__name__}); using the CPU")
        session = ort.InferenceSession(str(card.onnx_path), sess_options=options,
                                       providers=[CPU])
    ms = ModelSession(card, session, requested, notes)
    if ms.active_provider != requested[0]:
        ms.notes.append(f"{requested[0]} is not usable here; running on {ms.device_label}")
    log.info("model %s %s on %s", card.name, card.version, ms.active_provider)
    return ms


def cpu_fallback(ms: ModelSession, threads: int | None = None) -> ModelSession:
    """A CPU session for the same model (after a GPU failure mid-run)."""
    fallback = create_session(ms.card, "cpu", threads, verify=False)
    fallback.notes = [*ms.notes, f"{ms.device_label} failed during the run; finished on the CPU"]
    return fallback
