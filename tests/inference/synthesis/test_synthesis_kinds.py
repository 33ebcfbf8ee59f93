"""Version 2 cards through the engine: enhancement outputs, 3-D patches, fp16, ensembles with
test-time flips (and their uncertainty), IO binding, and the refusal of bad outputs."""

import numpy as np
import pytest

from inference.errors import ModelError
from inference.io.volume import Volume
from inference.synthesis.card import load_card
from inference.synthesis.domain import DomainRefused
from inference.synthesis.engine import synthesize
from inference.synthesis.runtime import create_session
from tests.support.onnx_models import conv_model, write_card_v2
from tests.support.volumes import volume


def expected(v: Volume, gain: float = 2.0, bias_hu: float = 100.0) -> np.ndarray:
    return np.clip(np.rint(gain * v.array.astype(np.float64) + bias_hu), -1024, 3071)


def test_enhancement_is_added_to_the_acquired_input(tmp_path):
    onnx = conv_model(tmp_path / "e.onnx", gain=0.0, bias=0.05, output_name="enhancement")
    card = load_card(write_card_v2(onnx, kind="enhancement", output_name="enhancement",
                                   valid_range=(-300, 1500)))
    v = volume()
    result = synthesize(v, card, device="cpu")
    # +50 HU everywhere, and the input's own voxel-to-voxel texture untouched.
    np.testing.assert_array_equal(result.volume.array, v.array + 50)
    assert result.volume.provenance["output_kind"] == "enhancement"


def test_enhancement_keeps_texture_when_resampled(tmp_path):
    onnx = conv_model(tmp_path / "e.onnx", gain=0.0, bias=0.05, output_name="enhancement")
    card = load_card(write_card_v2(onnx, kind="enhancement", output_name="enhancement",
                                   valid_range=(-300, 1500), spacing=(1.5, 1.5, 2.5)))
    v = volume(spacing=(0.7, 0.7, 2.5))  # resampled to 1.5 mm and back
    out = synthesize(v, card, device="cpu").volume.array
    np.testing.assert_array_equal(out, v.array + 50)  # the noise is not resampled away


def test_3d_patch_model(tmp_path):
    onnx = conv_model(tmp_path / "p.onnx", channels=1, dims=3)
    card = load_card(write_card_v2(onnx, dims=3, channels=1, tile=[16, 32, 32], batch=2))
    v = volume(shape=(21, 40, 56))  # several windows on every axis, padded in depth
    result = synthesize(v, card, device="cpu")
    np.testing.assert_array_equal(result.volume.array, expected(v))
    assert result.batches > 1


def test_fp16_model(tmp_path):
    onnx = conv_model(tmp_path / "h.onnx", fp16=True)
    card = load_card(write_card_v2(onnx, dtype="float16"))
    v = volume()
    out = synthesize(v, card, device="cpu").volume.array.astype(float)
    assert np.abs(out - expected(v)).max() <= 1.0  # half precision: within 1 HU


def test_ensemble_mean_and_uncertainty(tmp_path):
    a = conv_model(tmp_path / "a.onnx", gain=2.0)
    b = conv_model(tmp_path / "b.onnx", gain=4.0)
    card = load_card(write_card_v2([a, b]))
    v = volume()
    result = synthesize(v, card, device="cpu")
    np.testing.assert_array_equal(result.volume.array, expected(v, gain=3.0))
    assert result.uncertainty is not None and result.uncertainty.synthetic
    assert result.uncertainty.metadata.series_description.startswith("SYNTHETIC uncertainty")
    # Two predictions 2x and 4x (HU): their SD is half the difference, |x|.
    np.testing.assert_array_equal(result.uncertainty.array, np.abs(v.array))
    assert result.volume.provenance["ensemble_members"] == 2


def test_flips_are_mirrored_back(tmp_path):
    onnx = conv_model(tmp_path / "f.onnx")
    card = load_card(write_card_v2(onnx, flips=["left-right", "anterior-posterior",
                                                "superior-inferior"]))
    assert card.predictions_per_voxel == 4
    v = volume()
    result = synthesize(v, card, device="cpu")
    # A voxel-wise model gives the same answer on a mirrored input once it is mirrored back:
    # had any flip not been undone, the mean would differ and the spread would not be zero.
    np.testing.assert_array_equal(result.volume.array, expected(v))
    assert not result.uncertainty.array.any()


def test_io_binding_matches_plain_run(tmp_path):
    card = load_card(write_card_v2(conv_model(tmp_path / "m.onnx")))
    plain = create_session(card, "cpu", io_binding=False)
    bound = create_session(card, "cpu", io_binding=True)
    x = np.random.default_rng(0).normal(size=(3, 3, 48, 40)).astype(np.float32)
    np.testing.assert_array_equal(bound.run(x), plain.run(x))


@pytest.mark.parametrize("bias", [float("nan"), float("inf")])
def test_non_finite_output_stops_the_run(tmp_path, bias):
    card = load_card(write_card_v2(conv_model(tmp_path / "n.onnx", bias=bias)))
    with pytest.raises(ModelError, match=r"non-finite values .* nothing was written"):
        synthesize(volume(), card, device="cpu")


def test_implausible_output_stops_the_run(tmp_path):
    card = load_card(write_card_v2(conv_model(tmp_path / "g.onnx", gain=100.0)))
    with pytest.raises(ModelError, match="outside its card's plausible range"):
        synthesize(volume(), card, device="cpu")


def test_single_slice_is_refused(tmp_path):
    card = load_card(write_card_v2(conv_model(tmp_path / "m.onnx")))
    with pytest.raises(DomainRefused, match="single slice"):
        synthesize(volume(shape=(1, 40, 56), spacing=(0.43, 0.43, 1.0)), card, device="cpu")


def test_spacing_far_outside_is_refused_and_near_is_warned(tmp_path):
    card = load_card(write_card_v2(conv_model(tmp_path / "m.onnx")))
    with pytest.raises(DomainRefused, match=r"pixel spacing .* far outside"):
        synthesize(volume(spacing=(0.05, 0.05, 2.5)), card, device="cpu")
    result = synthesize(volume(spacing=(0.2, 0.2, 2.5)), card, device="cpu")
    assert any("pixel spacing 0.2 mm is outside" in w for w in result.domain.warnings)
    assert result.volume.provenance["domain"]["in_domain"] is False
