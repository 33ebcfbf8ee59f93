"""Diffusion and flow cards through the engine with real ONNX denoisers whose exact answer is
known: the loop converges to the target, in pixel space, 2.5-D, 3-D patches and latent space;
samples are seeded and reproducible, their SD is the uncertainty layer; progress and cancel act
per step; the run report says the seed and what a step and a sample cost."""

import json

import numpy as np
import pytest

from inference.cli import main
from inference.errors import Cancelled, ModelError
from inference.progress import CancelToken
from inference.synthesis.card import load_card
from inference.synthesis.engine import synthesize
from tests.support.sampler_models import (
    diffusion_denoiser,
    flow_velocity,
    pool_encoder,
    sampler_card,
    upsample_decoder,
)
from tests.support.volumes import volume

KNOWN = [("diffusion", "ddim", "epsilon"), ("diffusion", "ddpm", "epsilon"),
         ("diffusion", "ddim", "v"), ("diffusion", "ddpm", "sample"),
         ("flow", "euler", "velocity")]


def _card(tmp_path, kind, schedule, prediction, **kw):
    dims, channels = kw.pop("dims", 2), kw.pop("channels", 1)
    graph = (flow_velocity(tmp_path / "v.onnx", channels=channels, dims=dims) if kind == "flow"
             else diffusion_denoiser(tmp_path / "d.onnx", prediction=prediction,
                                     channels=channels, dims=dims))
    return load_card(sampler_card({"denoiser": graph}, kind=kind, schedule=schedule,
                                  prediction=prediction, dims=dims, channels=channels, **kw))


@pytest.mark.parametrize(("kind", "schedule", "prediction"), KNOWN)
def test_20_steps_converge_to_the_known_target(tmp_path, kind, schedule, prediction):
    v = volume()
    result = synthesize(v, _card(tmp_path, kind, schedule, prediction), device="cpu")
    # The target is the input + 100 HU; every sample ends on it, so the spread is nil.
    np.testing.assert_array_equal(result.volume.array, v.array + 100)
    assert result.uncertainty is not None and int(result.uncertainty.array.max()) == 0
    sampler = result.volume.provenance["sampler"]
    assert sampler["schedule"] == schedule and sampler["steps"] == 20
    assert sampler["seed"] == 7 and sampler["denoiser_evaluations"] > 0
    assert result.volume.provenance["model_kind"] == kind


def test_1000_step_ddpm_converges(tmp_path):
    v = volume(shape=(2, 16, 16))
    card = _card(tmp_path, "diffusion", "ddpm", "epsilon", steps=1000, samples=1, tile=16)
    np.testing.assert_array_equal(synthesize(v, card, device="cpu").volume.array, v.array + 100)


def test_2_5d_conditioning_and_3d_patches(tmp_path):
    v = volume(shape=(11, 40, 48))
    flat = _card(tmp_path, "flow", "euler", "velocity", channels=3)
    np.testing.assert_array_equal(synthesize(v, flat, device="cpu").volume.array, v.array + 100)
    (tmp_path / "3d").mkdir()
    patches = _card(tmp_path / "3d", "diffusion", "ddim", "epsilon", dims=3, tile=[8, 32, 32])
    result = synthesize(v, patches, device="cpu")
    np.testing.assert_array_equal(result.volume.array, v.array + 100)
    assert result.batches > 1  # several 3-D windows, through the one sliding window


def test_latent_model_encodes_samples_and_decodes(tmp_path):
    v = volume(shape=(5, 40, 48))
    graphs = {"denoiser": diffusion_denoiser(tmp_path / "latent.onnx"),
              "encoder": pool_encoder(tmp_path / "enc.onnx"),
              "decoder": upsample_decoder(tmp_path / "dec.onnx")}
    card = load_card(sampler_card(graphs, name="latent"))
    out = synthesize(v, card, device="cpu").volume.array
    a = v.array.astype(np.float64)
    # Target in latent space: the 2x2 mean + 100 HU, decoded by nearest upsampling.
    expected = a.reshape(5, 20, 2, 24, 2).mean(axis=(2, 4)).repeat(2, 1).repeat(2, 2) + 100
    assert np.abs(out - expected).max() <= 0.5  # rounding to whole HU only


def test_samples_are_seeded_and_their_sd_is_the_uncertainty(tmp_path):
    v = volume()
    graph = diffusion_denoiser(tmp_path / "leaky.onnx", prediction="sample", leak=0.2)
    card = load_card(sampler_card({"denoiser": graph}, prediction="sample", samples=4))
    first = synthesize(v, card, device="cpu")
    again = synthesize(v, card, device="cpu")
    other = synthesize(v, card, device="cpu", seed=8)
    np.testing.assert_array_equal(first.volume.array, again.volume.array)
    assert not np.array_equal(first.volume.array, other.volume.array)
    assert other.volume.provenance["sampler"]["seed"] == 8
    unc = first.uncertainty
    assert unc is not None and unc.synthetic and float(unc.array.mean()) > 2.0
    assert "SD over 4 samples" in unc.metadata.series_description


def test_progress_counts_steps_and_cancel_stops_within_one(tmp_path):
    v = volume()
    card = _card(tmp_path, "diffusion", "ddim", "epsilon", samples=3)
    events = []
    synthesize(v, card, device="cpu", progress=events.append)
    steps = [e for e in events if e.stage.startswith("Sampling")]
    assert steps[-1].done == steps[-1].total  # the count ends where the plan said
    # steps x samples x window calls: 9 slices in batches of 4, 4, 1, each 40x56 slice in
    # 2 x 2 windows of 32, two windows per call: 8 + 8 + 2 calls.
    assert steps[-1].total == 20 * 3 * 18
    assert "20 steps x 3 samples" in steps[-1].stage
    token, seen = CancelToken(), []

    def cancel_at_first_step(event):
        # The first sampling event always arrives (later ones are rate-limited to one per
        # 50 ms, so on a fast machine the next one may be the last): cancel there.
        seen.append(event)
        if event.stage.startswith("Sampling") and event.done >= 1:
            token.cancel()

    session_card = _card(tmp_path, "diffusion", "ddim", "epsilon", samples=3)
    from inference.synthesis.runtime import create_session

    session = create_session(session_card, "cpu")
    with pytest.raises(Cancelled):
        synthesize(v, session=session, progress=cancel_at_first_step, cancel=token)
    asked = next(e.done for e in seen if e.stage.startswith("Sampling") and e.done >= 1)
    assert asked < 20 * 3 * 18
    assert session.evaluations == asked + 1  # the step after the request was the last


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "flow"}, "a flow card samples with euler"),
    ({"sampler": {"schedule": "euler", "steps": 20, "samples": 2,
                  "prediction": "velocity", "time_input": "t"}}, "a flow card samples"),
    ({"sampler": {"schedule": "ddim", "steps": 20, "samples": 2, "prediction": "epsilon",
                  "time_input": "t"}}, "noise_schedule"),
    ({"sampler": {"schedule": "ddim", "steps": 50, "samples": 2, "prediction": "epsilon",
                  "time_input": "t", "noise_schedule": {"train_steps": 20}}},
     "50 steps of a 20-step schedule"),
    ({"kind": "regression"}, "need kind diffusion or flow"),
    ({"test_time_augmentation": {"flips": ["left-right"]}}, "mix two spreads"),
])
def test_inconsistent_sampler_cards_are_refused_in_one_line(tmp_path, change, message):
    path = sampler_card({"denoiser": diffusion_denoiser(tmp_path / "d.onnx")})
    data = json.loads(path.read_text())
    data.update(change)
    path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match=message):
        load_card(path)


def test_a_latent_card_without_its_decoder_is_refused(tmp_path):
    path = sampler_card({"denoiser": diffusion_denoiser(tmp_path / "d.onnx"),
                         "encoder": pool_encoder(tmp_path / "e.onnx")})
    with pytest.raises(ModelError, match="one encoder and one decoder"):
        load_card(path)


def test_a_denoiser_without_the_time_input_is_refused_at_load(tmp_path):
    from inference.synthesis.runtime import create_session

    path = sampler_card({"denoiser": diffusion_denoiser(tmp_path / "d.onnx")},
                        time_input="timestep")
    with pytest.raises(ModelError, match="no input 'timestep'"):
        create_session(load_card(path), "cpu")


def test_cli_run_report_has_seed_and_energy_per_step_and_sample(tmp_path, small_case, capsys):
    graph = diffusion_denoiser(tmp_path / "leaky.onnx", prediction="sample", leak=0.2)
    card = sampler_card({"denoiser": graph}, prediction="sample", samples=2, steps=10,
                        tile=64)
    out = tmp_path / "out"
    assert main(["synthesize", str(small_case.noncontrast), "-o", str(out), "--model",
                 str(card), "--device", "cpu", "--seed", "11"]) == 0
    printed = capsys.readouterr().out
    assert "sampler ddim, 10 steps x 2 samples, seed 11" in printed
    report = json.loads((out / "report.json").read_text())
    sampler = report["sampler"]
    assert sampler["seed"] == 11 and sampler["samples"] == 2 and sampler["steps"] == 10
    joules = report["energy"]["total_joules"]
    assert sampler["joules_per_sample"] == pytest.approx(joules / 2, rel=1e-3)
    assert sampler["joules_per_step"] == pytest.approx(joules / 20, rel=1e-3)
    assert report["model"]["sampler"]["schedule"] == "ddim"


def test_model_check_runs_a_sampler_card(tmp_path, capsys):
    card = sampler_card({"denoiser": flow_velocity(tmp_path / "v.onnx")}, kind="flow",
                        schedule="euler", prediction="velocity", samples=2, steps=5, tile=64)
    assert main(["model", "check", str(card)]) == 0
    printed = capsys.readouterr().out
    assert "sampler   flow: euler, 5 steps x 2 samples (velocity prediction), seed 7" in printed
    assert "graphs: denoiser" in printed and "uncertainty  mean SD 0.0 HU" in printed


def test_warmup_runs_every_graph_once_and_says_what_it_built(tmp_path, capsys):
    graphs = {"denoiser": diffusion_denoiser(tmp_path / "latent.onnx"),
              "encoder": pool_encoder(tmp_path / "enc.onnx"),
              "decoder": upsample_decoder(tmp_path / "dec.onnx")}
    card = sampler_card(graphs, name="latent", steps=1000,
                        noise_schedule={"train_steps": 1000})
    assert main(["model", "warmup", str(card), "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "a 4x1x32x32 tile: first run" in printed  # one step, not a 1000-step sample
    assert "no GPU provider here: nothing to build or cache" in printed
