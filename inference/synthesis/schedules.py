"""Sampler schedules and their update rules (numpy only): DDPM, DDIM and Euler (rectified flow).

The formulas are the published ones, written in the form Hugging Face diffusers and MONAI's
generative schedulers use, so a model trained with either runs with the same numbers:

- DDPM (Ho et al. 2020): ancestral steps; with fewer steps than training steps the schedule is
  respaced (Nichol & Dhariwal 2021): each kept step's beta is 1 - abar_t / abar_prev.
- DDIM (Song et al. 2021), eta = 0: deterministic given the starting noise.
- Euler for rectified flow (Liu et al. 2023): x_t = (1 - t) noise + t data, the model predicts
  the velocity data - noise, t runs from 0 to 1.

A diffusion denoiser may predict the noise (``epsilon``), the clean sample (``sample``) or
``v`` (Salimans & Ho 2022); every rule first turns its prediction into a clean-sample estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DIFFUSION_SCHEDULES = ("ddpm", "ddim")
FLOW_SCHEDULES = ("euler",)


def betas(kind: str, train_steps: int, start: float, end: float) -> np.ndarray:
    """The training noise schedule: 'linear', 'scaled_linear' (Stable Diffusion's) or
    'cosine' (Nichol & Dhariwal)."""
    if kind == "linear":
        return np.linspace(start, end, train_steps, dtype=np.float64)
    if kind == "scaled_linear":
        return np.linspace(start ** 0.5, end ** 0.5, train_steps, dtype=np.float64) ** 2
    if kind == "cosine":
        s = 0.008
        t = np.arange(train_steps + 1, dtype=np.float64) / train_steps
        f = np.cos((t + s) / (1 + s) * math.pi / 2) ** 2
        return np.clip(1 - f[1:] / f[:-1], 0, 0.999)
    raise ValueError(f"unknown beta schedule {kind!r}")


@dataclass(frozen=True)
class Step:
    """One denoiser call: the time fed to the model and what the update needs."""

    model_time: float  # diffusion: the training timestep; flow: t in [0, 1)
    index: int  # 0 for the first (noisiest) step


class Sampler:
    """The steps of one schedule and the update from one state to the next."""

    def __init__(self, sampler: dict) -> None:
        self.schedule = sampler["schedule"]
        self.steps = int(sampler["steps"])
        self.prediction = sampler["prediction"]
        if self.schedule in FLOW_SCHEDULES:
            self.times = np.arange(self.steps, dtype=np.float64) / self.steps
            return
        noise = sampler["noise_schedule"]
        self.train_steps = int(noise["train_steps"])
        b = betas(noise.get("beta_schedule", "linear"), self.train_steps,
                  float(noise.get("beta_start", 1e-4)), float(noise.get("beta_end", 0.02)))
        self.abar = np.cumprod(1.0 - b)
        # Evenly spaced training timesteps, noisiest first, ending at 0 (the "leading"
        # spacing of diffusers with its offset at the clean end).
        ratio = self.train_steps / self.steps
        self.times = np.round(np.arange(self.steps - 1, -1, -1) * ratio).astype(np.int64)

    def plan(self) -> list[Step]:
        """The denoiser calls, in order."""
        return [Step(float(t), i) for i, t in enumerate(self.times)]

    def _abar(self, t: int) -> float:
        return 1.0 if t < 0 else float(self.abar[t])

    def _clean(self, x: np.ndarray, pred: np.ndarray, abar: float) -> tuple[np.ndarray,
                                                                             np.ndarray]:
        """(clean-sample estimate, noise estimate) from a diffusion prediction."""
        a, s = math.sqrt(abar), math.sqrt(1.0 - abar)
        if self.prediction == "epsilon":
            eps = pred
            x0 = (x - s * eps) / a
        elif self.prediction == "sample":
            x0 = pred
            eps = (x - a * x0) / max(s, 1e-12)
        else:  # "v"
            x0 = a * x - s * pred
            eps = s * x + a * pred
        return x0, eps

    def update(self, x: np.ndarray, pred: np.ndarray, step: Step,
               rng: np.random.Generator) -> np.ndarray:
        """The state after ``step`` given the model's prediction at it."""
        i = step.index
        if self.schedule == "euler":
            t_next = (i + 1) / self.steps
            return x + np.float32(t_next - self.times[i]) * pred
        t = int(self.times[i])
        prev = int(self.times[i + 1]) if i + 1 < self.steps else -1
        abar_t, abar_prev = self._abar(t), self._abar(prev)
        x0, eps = self._clean(x, pred, abar_t)
        if self.schedule == "ddim":
            return (math.sqrt(abar_prev) * x0 + math.sqrt(1.0 - abar_prev) * eps).astype(
                np.float32)
        # DDPM on the (possibly respaced) steps: the posterior q(x_prev | x_t, x0).
        beta = 1.0 - abar_t / abar_prev
        mean = (math.sqrt(abar_prev) * beta / (1.0 - abar_t) * x0
                + math.sqrt(1.0 - beta) * (1.0 - abar_prev) / (1.0 - abar_t) * x)
        if prev < 0:
            return mean.astype(np.float32)
        variance = beta * (1.0 - abar_prev) / (1.0 - abar_t)
        noise = rng.standard_normal(x.shape, dtype=np.float32)
        return (mean + math.sqrt(variance) * noise).astype(np.float32)
