"""`dcreview model import`: MONAI bundles built here (metadata.json, inference.json and a real
ONNX graph) become cards that `model check` runs; what has no card equivalent is one line."""

import json

import numpy as np
import pytest

from inference.cli import main
from inference.errors import ModelError
from inference.synthesis.bundle import import_bundle
from inference.synthesis.card import load_card
from inference.synthesis.engine import synthesize
from tests.support.onnx_models import conv_model
from tests.support.volumes import volume


def make_bundle(root, *, dims=2, onnx=True, extra_pre=(), post=True, output_format="hounsfield"):
    """A bundle in MONAI's layout whose network maps x to x + 0.1 in normalised units."""
    folder = root / "ct_contrast_synthesis"
    (folder / "configs").mkdir(parents=True)
    (folder / "models").mkdir()
    spatial = [64, 64] if dims == 2 else [16, 32, 32]
    meta = {
        "schema": "https://github.com/Project-MONAI/MONAI-extra-test-data/releases/download/"
                  "0.8.1/meta_schema_20220324.json",
        "version": "0.3.1", "monai_version": "1.3.0", "name": "CT contrast synthesis",
        "task": "Non-contrast CT to arterial-phase CT", "authors": "Test Consortium",
        "copyright": "Copyright (c) Test Consortium", "data_source": "phantoms made in tests",
        "intended_use": "unit tests only, not a medical model",
        "eval_metrics": {"mae_hu": 21.5},
        "references": ["Doe et al., Contrast synthesis, 2026"],
        "network_data_format": {
            "inputs": {"image": {"type": "image", "format": "hounsfield", "modality": "CT",
                                 "num_channels": 1, "spatial_shape": spatial,
                                 "dtype": "float32", "is_patch_data": True,
                                 "channel_def": {"0": "image"}}},
            "outputs": {"pred": {"type": "image", "format": output_format, "num_channels": 1,
                                 "spatial_shape": spatial, "dtype": "float32",
                                 "channel_def": {"0": "arterial phase"}}}},
    }
    (folder / "configs" / "metadata.json").write_text(json.dumps(meta))
    pre = [{"_target_": "LoadImaged", "keys": "image"},
           {"_target_": "EnsureChannelFirstd", "keys": "image"},
           {"_target_": "Orientationd", "keys": "image", "axcodes": "RAS"},
           {"_target_": "Spacingd", "keys": "image", "pixdim": [1.0, 1.0, 2.5]},
           {"_target_": "ScaleIntensityRanged", "keys": "image", "a_min": -1000,
            "a_max": 2000, "b_min": -1.0, "b_max": 2.0, "clip": True},
           *extra_pre, {"_target_": "EnsureTyped", "keys": "image"}]
    config = {"preprocessing": {"_target_": "Compose", "transforms": pre},
              "inferer": {"_target_": "SlidingWindowInferer", "roi_size": spatial,
                          "sw_batch_size": 2, "overlap": 0.25}}
    if post:
        config["postprocessing"] = {"_target_": "Compose", "transforms": [
            {"_target_": "ScaleIntensityRanged", "keys": "pred", "a_min": -1.0, "a_max": 2.0,
             "b_min": -1000, "b_max": 2000},
            {"_target_": "SaveImaged", "keys": "pred", "output_dir": "$@output_dir"}]}
    (folder / "configs" / "inference.json").write_text(json.dumps(config))
    (folder / "LICENSE").write_text("Apache License 2.0\n\nfull text...\n")
    if onnx:
        conv_model(folder / "models" / "model.onnx", channels=1, dims=dims, gain=1.0,
                   input_name="image", output_name="pred")
    else:
        (folder / "models" / "model.pt").write_bytes(b"not a real checkpoint")
    return folder


def test_bundle_becomes_a_card_that_runs_as_the_bundle_would(tmp_path):
    bundle = make_bundle(tmp_path)
    result = import_bundle(bundle)
    card = result.card
    norm = card["normalisation"]
    # (x + 1000) / 3000 * 3 - 1 = (x - 0) / 1000: subtract 0, divide 1000; back the same way.
    assert norm["input"] == {"clip_hu": [-1000.0, 2000.0], "subtract": 0.0, "divide": 1000.0}
    assert norm["output"]["multiply"] == 1000.0 and norm["output"]["add"] == 0.0
    assert card["expected_spacing_mm"] == [1.0, 1.0, 2.5]
    assert card["tiling"] == {"tile": 64, "overlap": 0.25, "batch": 2}
    assert card["version"] == "0.3.1" and card["task"].startswith("Non-contrast CT")
    assert card["source"]["licence"] == "Apache License 2.0"
    assert card["source"]["authors"] == "Test Consortium"
    assert card["evaluation"] == {"mae_hu": 21.5}
    assert card["inputs"][0]["name"] == "image" and card["outputs"][0]["name"] == "pred"
    assert any(line.startswith("Orientationd(axcodes=RAS)") for line in result.unmapped)
    assert not any("SaveImaged" in line or "LoadImaged" in line for line in result.unmapped)
    path = tmp_path / "cards" / "ct-contrast.card.json"
    path.parent.mkdir()
    assert main(["model", "import", str(bundle), "-o", str(path)]) == 0
    loaded = load_card(path)  # the graph was copied next to it, checksum and all
    assert loaded.files[0].path.name == "ct-contrast.onnx"
    v = volume()
    out = synthesize(v, loaded, device="cpu").volume.array
    # The bundle's network in HU: x + 100.
    np.testing.assert_array_equal(out, v.array.astype(int) + 100)


def test_import_then_model_check(tmp_path, capsys):
    bundle = make_bundle(tmp_path, dims=3,
                         extra_pre=[{"_target_": "RandGaussianNoised", "keys": "image"}])
    path = tmp_path / "b.card.json"
    assert main(["model", "import", str(bundle), "-o", str(path)]) == 0
    printed = capsys.readouterr().out
    lines = [line for line in printed.splitlines() if line.startswith("NOT MAPPED")]
    assert any("RandGaussianNoised: no card equivalent" in line for line in lines)
    assert any("Orientationd" in line for line in lines)
    assert any(line.startswith("NOT MAPPED: domain") for line in lines)
    assert "mapped    SlidingWindowInferer -> tiling" in printed
    assert load_card(path).data["tiling"]["tile"] == [16, 32, 32]
    assert main(["model", "check", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "probe passed: image NCDHW float32" in printed and "output" in printed


def test_a_bundle_without_onnx_is_one_clear_line(tmp_path, capsys):
    bundle = make_bundle(tmp_path, onnx=False)
    with pytest.raises(ModelError, match=r"no models/model.onnx \(it has model.pt\).*"
                                         r"torch.onnx.export"):
        import_bundle(bundle)
    assert main(["model", "import", str(bundle), "-o", str(tmp_path / "x.card.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dynamo=False" in err[0]
    assert not (tmp_path / "x.card.json").exists()


def test_output_without_hounsfield_or_post_scaling_is_said(tmp_path):
    bundle = make_bundle(tmp_path, post=False, output_format="magnitude")
    result = import_bundle(bundle)
    assert result.card["normalisation"]["output"]["multiply"] == 1000.0  # the inverse
    assert any("not hounsfield" in line for line in result.unmapped)


def test_not_a_bundle(tmp_path):
    with pytest.raises(ModelError, match="not a MONAI bundle"):
        import_bundle(tmp_path)


def test_model_check_case_takes_a_plain_series_or_a_demo_case(small_case, capsys):
    """--case accepts what a user has: a plain non-contrast series, or a demo case folder."""
    from inference.synthesis.card import default_card

    card = str(default_card().path)
    for case in (small_case.noncontrast, small_case.noncontrast.parent):
        assert main(["model", "check", card, "--case", str(case)]) == 0
        assert "slices in" in capsys.readouterr().out
