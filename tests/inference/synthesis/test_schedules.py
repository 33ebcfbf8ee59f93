"""The sampler update rules against their closed forms: with an exact model, every
intermediate state is known, not only the last one."""

import math

import numpy as np
import pytest

from inference.synthesis.schedules import Sampler, betas

NOISE = {"train_steps": 1000, "beta_schedule": "linear", "beta_start": 1e-4, "beta_end": 0.02}


def _eps(x, target, abar):
    return (x - math.sqrt(abar) * target) / math.sqrt(1 - abar)


def test_linear_and_cosine_betas_match_their_definitions():
    b = betas("linear", 1000, 1e-4, 0.02)
    assert b[0] == pytest.approx(1e-4) and b[-1] == pytest.approx(0.02) and len(b) == 1000
    s = betas("scaled_linear", 1000, 0.00085, 0.012)
    assert s[0] == pytest.approx(0.00085) and s[-1] == pytest.approx(0.012)
    abar = np.cumprod(1 - betas("cosine", 1000, 0, 0))
    # Nichol & Dhariwal: abar(t) = f(t) / f(0), f(t) = cos(((t/T + s) / (1 + s)) pi / 2)^2
    f = lambda t: math.cos((t / 1000 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    assert abar[499] == pytest.approx(f(500) / f(0), rel=1e-6)


def test_ddim_with_the_exact_noise_stays_on_the_straight_path():
    """DDIM (eta 0) with the true epsilon keeps x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) e0
    at every step, with the starting noise e0."""
    sampler = Sampler({"schedule": "ddim", "steps": 10, "prediction": "epsilon",
                       "noise_schedule": NOISE})
    rng = np.random.default_rng(0)
    target = rng.normal(size=(1, 1, 4, 4)).astype(np.float32)
    e0 = rng.normal(size=target.shape).astype(np.float32)
    plan = sampler.plan()
    assert [s.model_time for s in plan] == [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]
    abar0 = sampler.abar[int(plan[0].model_time)]
    x = math.sqrt(abar0) * target + math.sqrt(1 - abar0) * e0
    for step in plan:
        abar = sampler.abar[int(step.model_time)]
        x = sampler.update(x, _eps(x, target, abar), step, rng)
        nxt = step.index + 1
        abar_next = sampler.abar[int(plan[nxt].model_time)] if nxt < len(plan) else 1.0
        expected = math.sqrt(abar_next) * target + math.sqrt(1 - abar_next) * e0
        np.testing.assert_allclose(x, expected, atol=2e-5)


@pytest.mark.parametrize("prediction", ["sample", "v"])
def test_sample_and_v_predictions_give_the_same_ddim_path_as_epsilon(prediction):
    spec = {"schedule": "ddim", "steps": 8, "prediction": "epsilon", "noise_schedule": NOISE}
    rng = np.random.default_rng(1)
    target = rng.normal(size=(2, 1, 3, 3)).astype(np.float32)
    x_eps = x_other = rng.normal(size=target.shape).astype(np.float32)
    ref, other = Sampler(spec), Sampler({**spec, "prediction": prediction})
    for step in ref.plan():
        abar = ref.abar[int(step.model_time)]
        x_eps = ref.update(x_eps, _eps(x_eps, target, abar), step, rng)
        eps = _eps(x_other, target, abar)
        pred = target if prediction == "sample" else (
            math.sqrt(abar) * eps - math.sqrt(1 - abar) * target)
        x_other = other.update(x_other, pred, step, rng)
    np.testing.assert_allclose(x_other, x_eps, atol=1e-4)
    np.testing.assert_allclose(x_eps, target, atol=1e-4)


def test_ddpm_steps_have_the_posterior_spread():
    """With the true clean sample, a DDPM step from the forward marginal lands on the forward
    marginal of the step before: mean sqrt(abar_prev) x0, variance 1 - abar_prev."""
    sampler = Sampler({"schedule": "ddpm", "steps": 50, "prediction": "sample",
                       "noise_schedule": NOISE})
    rng = np.random.default_rng(2)
    plan = sampler.plan()
    step = plan[25]
    abar_t = sampler.abar[int(step.model_time)]
    abar_prev = sampler.abar[int(plan[26].model_time)]
    target = np.full((200_000,), 0.5, dtype=np.float32)
    x = (math.sqrt(abar_t) * target
         + math.sqrt(1 - abar_t) * rng.standard_normal(target.shape, dtype=np.float32))
    prev = sampler.update(x, target, step, rng)
    assert prev.mean() == pytest.approx(math.sqrt(abar_prev) * 0.5, abs=0.01)
    assert prev.var() == pytest.approx(1 - abar_prev, rel=0.02)
    last = sampler.update(x, target, plan[-1], rng)  # the last step returns x0, no noise
    np.testing.assert_allclose(last, target, atol=1e-5)


def test_euler_flow_follows_the_straight_line():
    """Rectified flow with the exact velocity: after step i, x = (1 - t) noise + t target."""
    sampler = Sampler({"schedule": "euler", "steps": 20, "prediction": "velocity"})
    rng = np.random.default_rng(3)
    target = rng.normal(size=(1, 1, 5, 5)).astype(np.float32)
    noise = rng.normal(size=target.shape).astype(np.float32)
    x = noise
    for step in sampler.plan():
        t = step.model_time
        x = sampler.update(x, (target - x) / np.float32(1 - t), step, rng)
        t_next = (step.index + 1) / 20
        np.testing.assert_allclose(x, (1 - t_next) * noise + t_next * target, atol=1e-5)
