"""A loaded model as the engine runs it: one ONNX Runtime session per ensemble member, the
providers really used, and the call that turns a batch into every prediction per voxel.
(``runtime`` opens and probes it; a sampler's session is a kind of it.)"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnxruntime as ort

from inference.synthesis.card import ModelCard

# ONNX Runtime's provider names, as a person reads them (status bar, energy dialog, CLI).
PLAIN_NAMES = {"CPUExecutionProvider": "CPU", "CUDAExecutionProvider": "NVIDIA GPU (CUDA)",
               "TensorrtExecutionProvider": "NVIDIA GPU (TensorRT)",
               "DmlExecutionProvider": "GPU (DirectML)",
               "CoreMLExecutionProvider": "Apple GPU / Neural Engine (Core ML)",
               "ROCMExecutionProvider": "AMD GPU (ROCm)",
               "OpenVINOExecutionProvider": "Intel CPU/GPU (OpenVINO)"}
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"
# Test-time flips: the array axis each one mirrors, for NCHW and NCDHW inputs. In a 2.5-D
# input the slice neighbours are the channels, so superior-inferior reverses their order.
FLIP_AXES = {2: {"left-right": -1, "anterior-posterior": -2, "superior-inferior": 1},
             3: {"left-right": -1, "anterior-posterior": -2, "superior-inferior": -3}}


def provider_name(provider: str) -> str:
    """An ONNX Runtime provider in plain words ('CUDAExecutionProvider': 'NVIDIA GPU (CUDA)')."""
    return PLAIN_NAMES.get(provider, provider.replace("ExecutionProvider", ""))


@dataclass
class ModelSession:
    """A loaded model: one ORT session per ensemble member, and the providers really used."""

    card: ModelCard
    sessions: list[ort.InferenceSession]
    requested: list[str]
    notes: list[str] = field(default_factory=list)
    io_binding: bool = False  # inputs/outputs bound to the device (on by default on a GPU)
    fixed_batch: int | None = None  # a graph with a fixed batch axis takes exactly this many
    run_options: ort.RunOptions | None = None

    @property
    def session(self) -> ort.InferenceSession:
        """The first member's session."""
        return self.sessions[0]

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
        """What runs the model, in plain words: 'CPU', 'NVIDIA GPU (CUDA)', ..."""
        return provider_name(self.active_provider)

    def _run_one(self, sess: ort.InferenceSession, x: np.ndarray) -> np.ndarray:
        """One member on one batch, in the card's dtype; float32 back."""
        if self.card.input_dtype == "float16":
            x = x.astype(np.float16)
        if not self.io_binding:
            y = sess.run([self.card.output_name], {self.card.input_name: x}, self.run_options)[0]
            return np.asarray(y, dtype=np.float32)
        # IO binding: the input is copied to the device once and the output stays there until
        # the single copy back, instead of ORT staging both through extra host buffers.
        device = "cuda" if self.active_provider in (CUDA, TENSORRT) else "cpu"
        binding = sess.io_binding()
        binding.bind_ortvalue_input(self.card.input_name,
                                    ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(x),
                                                                     device, 0))
        binding.bind_output(self.card.output_name, device, 0)
        sess.run_with_iobinding(binding, self.run_options)
        return np.asarray(binding.copy_outputs_to_cpu()[0], dtype=np.float32)

    def _run_member(self, sess: ort.InferenceSession, x: np.ndarray) -> np.ndarray:
        """A member over a batch, split or padded to a fixed batch axis where the graph has one."""
        b = self.fixed_batch
        if b is None or x.shape[0] == b:
            return self._run_one(sess, x)
        parts = []
        for i in range(0, x.shape[0], b):
            chunk = x[i:i + b]
            n = chunk.shape[0]
            if n < b:
                chunk = np.concatenate([chunk, np.repeat(chunk[-1:], b - n, axis=0)])
            parts.append(self._run_one(sess, chunk)[:n])
        return np.concatenate(parts)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """All predictions for a normalised batch: (N, P, *S), P = members x (1 + flips)."""
        preds = []
        axes = FLIP_AXES[self.card.dims]
        for sess in self.sessions:
            preds.append(self._run_member(sess, batch)[:, 0])
            for flip in self.card.flips:
                axis = axes[flip]
                y = self._run_member(sess, np.flip(batch, axis=axis).copy())[:, 0]
                if axis != 1:  # a reversed neighbour order predicts the same centre slice
                    y = np.flip(y, axis=axis if axis < 0 else axis - 1)
                preds.append(y)
        return np.stack(preds, axis=1)
