"""Model trust end to end: `dcreview model init|check`, refusals that write nothing, and the
out-of-domain warning for a real head CT through the abdominal demo model."""

import json

import numpy as np
import pytest

from inference.cli import main
from inference.io.image_file import write_image
from inference.io.volume import Volume
from inference.phantom.anatomy import Anatomy
from inference.phantom.scan import centred_geometry, simulate_scan
from inference.synthesis.card import default_card, load_card
from inference.synthesis.engine import synthesize
from tests.support.head_ct import head_ct
from tests.support.onnx_models import conv_model, write_card_v2
from tests.support.volumes import volume


def _nifti(tmp_path, v=None):
    return write_image(v or volume(), tmp_path / "input.nii.gz")


def test_model_init_drafts_a_valid_card_and_check_runs_it(tmp_path, capsys):
    onnx = conv_model(tmp_path / "net.onnx", gain=1.0, bias=0.02)
    card = tmp_path / "net.card.json"
    assert main(["model", "init", str(onnx), "-o", str(card)]) == 0
    data = load_card(card).data  # valid as drafted, checksum matches
    assert data["inputs"][0]["name"] == "noncontrast" and data["inputs"][0]["channels"] == 3
    assert data["outputs"][0]["name"] == "arterial" and data["intended_use"].startswith("DRAFT")
    capsys.readouterr()
    assert main(["model", "check", str(card)]) == 0
    out = capsys.readouterr().out
    assert "probe passed" in out and "checksums match" in out
    assert "inside the model's declared domain" in out and "MAE vs the phantom" in out
    assert len(out.splitlines()) <= 24  # one screen


def test_model_check_refuses_a_mismatch_in_one_line(tmp_path, capsys):
    card = write_card_v2(conv_model(tmp_path / "m.onnx", channels=5), channels=3)
    assert main(["model", "check", str(card)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "takes 5 input channels" in err


def test_mismatched_card_fails_before_the_volume_loads(tmp_path, capsys):
    card = write_card_v2(conv_model(tmp_path / "m.onnx", output_name="y"), output_name="z")
    out = tmp_path / "out"
    assert main(["synthesize", str(_nifti(tmp_path)), "-o", str(out), "--model",
                 str(card)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "output 'z' is not in the model (its outputs: y)" in err
    assert not out.exists()


@pytest.mark.parametrize("bias", [float("nan"), float("inf")])
def test_non_finite_model_exits_non_zero_writing_nothing(tmp_path, capsys, bias):
    card = write_card_v2(conv_model(tmp_path / "n.onnx", bias=bias))
    out = tmp_path / "out"
    assert main(["synthesize", str(_nifti(tmp_path)), "-o", str(out), "--model",
                 str(card), "--dicom"]) == 2
    assert "non-finite values" in capsys.readouterr().err
    assert not out.exists() or not any(out.rglob("*"))


def test_single_slice_is_refused_writing_nothing(tmp_path, capsys):
    card = write_card_v2(conv_model(tmp_path / "m.onnx"))
    out = tmp_path / "out"
    single = _nifti(tmp_path, volume(shape=(1, 64, 64), spacing=(0.43, 0.43, 1.0)))
    assert main(["synthesize", str(single), "-o", str(out), "--model", str(card)]) == 2
    assert "single slice" in capsys.readouterr().err
    assert not out.exists() or not any(out.rglob("*"))


def test_ensemble_writes_uncertainty_and_evaluate_correlates_it(tmp_path, capsys):
    a = conv_model(tmp_path / "a.onnx", gain=1.0, bias=0.0)
    b = conv_model(tmp_path / "b.onnx", gain=1.2, bias=0.0)
    card = write_card_v2([a, b])
    v = volume(shape=(6, 48, 48), spacing=(1.0, 1.0, 2.5))
    src = _nifti(tmp_path, v)
    out = tmp_path / "out"
    assert main(["synthesize", str(src), "-o", str(out), "--model", str(card)]) == 0
    report = json.loads((out / "report.json").read_text())
    unc = report["output"]["uncertainty"]
    assert unc["predictions_per_voxel"] == 2
    real = write_image(v.with_array((v.array * 1.3).astype(np.int16)), tmp_path / "real.nii.gz")
    capsys.readouterr()
    assert main(["evaluate", "--ncct", str(src), "--synthetic",
                 str(out / "synthetic_digital_contrast.nii.gz"), "--real", str(real),
                 "--uncertainty", unc["path"], "--json", str(tmp_path / "e.json")]) == 0
    figures = json.loads((tmp_path / "e.json").read_text())["uncertainty"]
    # Both the spread and the error grow with |HU| here: the correlation must see it.
    assert figures["spearman"] > 0.5 and figures["error_hu_high"] > figures["error_hu_low"]


def test_head_ct_through_the_abdominal_demo_model_is_warned_about(tmp_path, capsys):
    head = head_ct()
    src = write_image(head, tmp_path / "head.nii.gz")
    out = tmp_path / "out"
    assert main(["synthesize", str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "OUTSIDE MODEL DOMAIN" in err and "field of view 245 mm" in err
    report = json.loads((out / "report.json").read_text())
    assert report["domain"]["in_domain"] is False
    assert any("histogram" in w for w in report["domain"]["warnings"])


def test_phantom_abdomen_is_inside_the_demo_models_domain():
    g = centred_geometry(256, 24, 1.2, 2.5)
    plain, _ = simulate_scan(Anatomy.create(103, vary=True), g, (24, 256, 256), seed=5)
    result = synthesize(Volume(plain, g), default_card(), device="cpu")
    assert result.domain.in_domain, result.domain.warnings
