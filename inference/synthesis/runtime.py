"""ONNX Runtime sessions: explicit provider order, the truth about what loaded, and a probe
that checks the graph against its card before any volume is touched."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import onnxruntime as ort

from inference.errors import ModelError
from inference.synthesis.card import ModelCard, verify_checksum
from inference.synthesis.ort_errors import ort_message
from inference.synthesis.probe import probe_member
from inference.synthesis.session import CPU, CUDA, TENSORRT, ModelSession

log = logging.getLogger(__name__)

PROVIDERS_ENV = "DCREVIEW_PROVIDERS"  # e.g. "cpu" or "cuda,cpu"
TRT_CACHE_ENV = "DCREVIEW_TRT_CACHE"  # where TensorRT keeps its built engines
ALIASES = {"cuda": "CUDAExecutionProvider", "directml": "DmlExecutionProvider",
           "dml": "DmlExecutionProvider", "coreml": "CoreMLExecutionProvider",
           "tensorrt": "TensorrtExecutionProvider", "trt": "TensorrtExecutionProvider",
           "cpu": "CPUExecutionProvider"}

def preferred_providers(device: str = "auto") -> list[str]:
    """Provider order for ``device`` (auto, cpu, cuda, tensorrt, ...), or DCREVIEW_PROVIDERS."""
    override = os.environ.get(PROVIDERS_ENV)
    if override:
        device = override
    if device != "auto":
        names = [ALIASES.get(d.strip().lower(), d.strip()) for d in device.split(",")]
        if names[0] == TENSORRT and CUDA not in names:
            names.insert(1, CUDA)  # TensorRT hands unsupported nodes to CUDA
        return names + ([CPU] if CPU not in names else [])
    if sys.platform == "win32":
        order = [CUDA, "DmlExecutionProvider", CPU]
    elif sys.platform == "darwin":
        order = ["CoreMLExecutionProvider", CPU]
    else:
        order = [CUDA, CPU]
    available = set(ort.get_available_providers())
    return [p for p in order if p in available] or [CPU]


def trt_cache_dir() -> Path:
    """TensorRT engine cache: building an engine takes minutes, so it is kept per user."""
    env = os.environ.get(TRT_CACHE_ENV)
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME",
                                                     Path.home() / ".cache")) / "dcreview"
    return base / "tensorrt"


def _provider_entries(names: list[str], card: ModelCard) -> list:
    """Provider names with their options (TensorRT: engine cache, fp16 when the card allows)."""
    entries: list = []
    for name in names:
        if name == TENSORRT:
            cache = trt_cache_dir()
            cache.mkdir(parents=True, exist_ok=True)
            entries.append((name, {"trt_engine_cache_enable": True,
                                   "trt_engine_cache_path": str(cache),
                                   "trt_fp16_enable": bool(card.data.get("allow_fp16"))}))
        else:
            entries.append(name)
    return entries


def _open(path: Path, options: ort.SessionOptions, providers: list) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), sess_options=options, providers=providers)


def create_session(card: ModelCard, device: str = "auto", threads: int | None = None,
                   verify: bool = True, io_binding: bool | None = None) -> ModelSession:
    """Load and probe the card's model(s) with the preferred providers (CPU as fallback)."""
    if verify:
        verify_checksum(card)
    requested = preferred_providers(device)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # a failed CUDA load must not spray the user's terminal
    if threads:
        options.intra_op_num_threads = threads

    def open_graph(member, wanted: list[str], notes: list[str]) -> ort.InferenceSession:
        try:
            return _open(member.path, options, _provider_entries(wanted, card))
        except Exception as exc:
            if wanted == [CPU]:
                raise ModelError(f"model {card.name} could not be loaded from "
                                 f"{member.path.name}: {ort_message(exc)}") from exc
            notes.append(f"{wanted[0]} could not start ({type(exc).__name__}); using the CPU")
            return _open(member.path, options, [CPU])

    if card.kind != "regression":
        from inference.synthesis.sampler import create_sampler_session

        ms = create_sampler_session(card, requested, options, open_graph)
        log.info("%s model %s %s on %s", card.kind, card.name, card.version, ms.active_provider)
        return ms
    notes: list[str] = []
    sessions = []
    for member in card.files:
        before = len(notes)
        sess = open_graph(member, requested, notes)
        if len(notes) > before:  # it could not start: the other members go to the CPU too
            requested = [CPU]
        sessions.append(sess)
    fixed_batch = None
    for member, sess in zip(card.files, sessions, strict=True):
        fixed_batch = probe_member(card, member.path.name, sess) or fixed_batch
    on_gpu = sessions[0].get_providers()[0] in (CUDA, TENSORRT)
    # The arena keeps a call fast (its many activations reuse one block) but would keep that
    # block for good: shrinking it after each call returns the model's working memory before
    # the next batch and before the output is written (benchmarks/synthesis.py measures it).
    run_options = ort.RunOptions()
    run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage",
                                     "cpu:0")  # a GPU arena stays: cudaMalloc is slow
    ms = ModelSession(card, sessions, requested, notes,
                      io_binding=on_gpu if io_binding is None else io_binding,
                      fixed_batch=fixed_batch, run_options=run_options)
    if ms.active_provider != requested[0]:
        ms.notes.append(f"{requested[0]} is not usable here; running on {ms.device_label}")
    log.info("model %s %s on %s", card.name, card.version, ms.active_provider)
    return ms


def after_device_failure(ms: ModelSession, exc: Exception,
                         threads: int | None = None) -> ModelSession:
    """A run failed on the device: a CPU session to finish with; a CPU failure is final."""
    if ms.active_provider != CPU:
        return cpu_fallback(ms, threads)
    raise ModelError(f"synthesis failed on the CPU: {ort_message(exc)}") from exc


def cpu_fallback(ms: ModelSession, threads: int | None = None) -> ModelSession:
    """A CPU session for the same model (after a GPU failure mid-run)."""
    fallback = create_session(ms.card, "cpu", threads, verify=False)
    for attr in ("seed", "on_step", "evaluations"):  # a sampler goes on where it was
        if hasattr(ms, attr):
            setattr(fallback, attr, getattr(ms, attr))
    fallback.notes = [*ms.notes, f"{ms.device_label} failed during the run; finished on the CPU"]
    return fallback


def load_model(card: str | Path | ModelCard | None = None, device: str = "auto",
               threads: int | None = None) -> ModelSession:
    """A model ready to run: its card (the installed demo model's when none is given) read
    and checked, every model file's checksum verified, the graph probed."""
    from inference.synthesis.card import default_card, load_card

    if card is None:
        card = default_card()
    elif not isinstance(card, ModelCard):
        card = load_card(card)
    return create_session(card, device, threads)
