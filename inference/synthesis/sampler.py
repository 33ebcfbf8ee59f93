"""Diffusion and flow models: the sampling loop in host code around separately exported graphs
(a denoiser; an encoder and a decoder for latent models), as Hugging Face Optimum and MONAI's
generative models run them.

The denoiser takes the noisy state concatenated with the conditioning (the normalised
non-contrast input, or its latent) on the channel axis, and the time as a float tensor of one
value per batch item; it returns the schedule's prediction for the state's channels.

A ``SamplerSession`` is a ``ModelSession`` whose ``run`` draws the card's number of samples,
each from seeded noise through every step, so the engine's slice loop, its sliding windows and
its 3-D patches run samplers unchanged: the samples' mean is the synthetic and their voxel-wise
SD the uncertainty layer. Progress and cancel act per step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import onnxruntime as ort

from inference.errors import ModelError
from inference.synthesis.card import ModelCard
from inference.synthesis.ort_errors import ort_message
from inference.synthesis.schedules import Sampler
from inference.synthesis.session import ModelSession

ROLES = ("denoiser", "encoder", "decoder")


@dataclass
class SamplerSession(ModelSession):
    """The sampler's graphs by role, the seed, and a step counter for progress and energy."""

    roles: dict[str, ort.InferenceSession] = field(default_factory=dict)
    seed: int = 0
    on_step: Callable[[int], None] | None = None  # evaluations so far (cancel raises there)
    evaluations: int = 0
    _calls: int = 0

    @property
    def sampler(self) -> Sampler:
        """The schedule and its update rule."""
        return Sampler(self.card.sampler)

    def _graph(self, role: str, feeds: dict[str, np.ndarray]) -> np.ndarray:
        sess = self.roles[role]
        dtype = np.float16 if self.card.input_dtype == "float16" else np.float32
        feeds = {k: v.astype(dtype) if v.dtype != dtype else v for k, v in feeds.items()}
        out = sess.run([sess.get_outputs()[0].name], feeds, self.run_options)[0]
        return np.asarray(out, dtype=np.float32)

    def _encode(self, batch: np.ndarray) -> np.ndarray:
        if "encoder" not in self.roles:
            return batch
        return self._graph("encoder", {self.roles["encoder"].get_inputs()[0].name: batch})

    def _decode(self, state: np.ndarray) -> np.ndarray:
        if "decoder" not in self.roles:
            return state
        return self._graph("decoder", {self.roles["decoder"].get_inputs()[0].name: state})

    def _step(self, x: np.ndarray, cond: np.ndarray, time_value: float) -> np.ndarray:
        """The denoiser's prediction for state ``x`` at one time."""
        t = np.full((cond.shape[0],), time_value, dtype=np.float32)
        return self._graph("denoiser", {self.card.input_name: np.concatenate([x, cond], axis=1),
                                        self.card.sampler["time_input"]: t})

    def step_once(self, batch: np.ndarray) -> np.ndarray:
        """Every graph once (encode, one denoiser step, decode): a warm-up, not a sample."""
        cond = self._encode(batch)
        x = np.zeros((cond.shape[0], int(self.card.sampler.get("state_channels", 1)),
                      *cond.shape[2:]), dtype=np.float32)
        return self._decode(self._step(x, cond, float(self.sampler.plan()[0].model_time)))

    def run(self, batch: np.ndarray) -> np.ndarray:
        """(N, C, *S) normalised conditioning -> (N, samples, *S): one prediction per sample."""
        spec = self.card.sampler
        sampler = self.sampler
        plan = sampler.plan()
        cond = self._encode(batch)
        state_shape = (cond.shape[0], int(spec.get("state_channels", 1)), *cond.shape[2:])
        samples = []
        for j in range(int(spec["samples"])):
            # Seeded per window call and sample: the same input, card and seed give the same
            # output (the seed is in the provenance and the run report).
            rng = np.random.default_rng([self.seed, self._calls, j])
            x = rng.standard_normal(state_shape, dtype=np.float32)
            for step in plan:
                x = sampler.update(x, self._step(x, cond, step.model_time), step, rng)
                self.evaluations += 1
                if self.on_step is not None:
                    self.on_step(self.evaluations)
            samples.append(self._decode(x)[:, 0])
        self._calls += 1
        return np.stack(samples, axis=1)


def _probe(card: ModelCard, roles: dict[str, ort.InferenceSession]) -> None:
    """One tiny pass through every graph: names, channels and shapes, one line per mismatch."""
    spec = card.sampler
    multiple = int(card.data["spatial_multiple"])
    spatial = (multiple * 2,) * card.dims
    x = np.zeros((1, card.channels, *spatial), dtype=np.float32)
    try:
        cond = x
        if "encoder" in roles:
            cond = roles["encoder"].run(None, {roles["encoder"].get_inputs()[0].name: x})[0]
        state = np.zeros((1, int(spec.get("state_channels", 1)), *cond.shape[2:]),
                         dtype=np.float32)
        names = {i.name for i in roles["denoiser"].get_inputs()}
        for name in (card.input_name, spec["time_input"]):
            if name not in names:
                raise ModelError(f"model card {card.path.name}: the denoiser has no input "
                                 f"'{name}' (its inputs: {', '.join(sorted(names))})")
        feeds = {card.input_name: np.concatenate([state, cond], axis=1),
                 spec["time_input"]: np.zeros((1,), dtype=np.float32)}
        if card.input_dtype == "float16":
            feeds = {k: v.astype(np.float16) for k, v in feeds.items()}
        pred = roles["denoiser"].run(None, feeds)[0]
        if pred.shape != state.shape:
            raise ModelError(f"model card {card.path.name}: the denoiser returned "
                             f"{'x'.join(map(str, pred.shape))} for a state of "
                             f"{'x'.join(map(str, state.shape))}")
        out = pred
        if "decoder" in roles:
            out = roles["decoder"].run(None, {roles["decoder"].get_inputs()[0].name:
                                              pred.astype(np.float32)})[0]
        if tuple(out.shape) != (1, 1, *spatial):
            raise ModelError(f"model card {card.path.name}: a {'x'.join(map(str, spatial))} "
                             f"input comes out as {'x'.join(map(str, out.shape))}; expected "
                             f"1x1x{'x'.join(map(str, spatial))}")
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"model card {card.path.name}: a probe through the sampler's graphs "
                         f"does not run ({ort_message(exc)[:160]})") from exc


def create_sampler_session(card: ModelCard, requested: list[str], options: ort.SessionOptions,
                           open_graph: Callable) -> SamplerSession:
    """Open every graph of a sampler card (one session per role) and probe them together."""
    notes: list[str] = []
    roles: dict[str, ort.InferenceSession] = {}
    for member in card.files:
        before = len(notes)
        roles[member.role] = open_graph(member, requested, notes)
        if len(notes) > before:  # it could not start: the other graphs go to the CPU too
            requested = ["CPUExecutionProvider"]
    _probe(card, roles)
    ordered = [roles[r] for r in ROLES if r in roles]
    run_options = ort.RunOptions()
    run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    ms = SamplerSession(card, ordered, requested, notes, run_options=run_options,
                        roles=roles, seed=int(card.sampler.get("seed", 0)))
    if ms.active_provider != requested[0]:
        ms.notes.append(f"{requested[0]} is not usable here; running on {ms.device_label}")
    return ms
