"""`dcreview synthesize` end to end with the shipped demo model."""

import json

import jsonschema
import numpy as np
import SimpleITK as sitk

from inference.cli import main
from inference.synthesis.card import default_card, load_card
from inference.synthesis.run_report import report_schema


def test_demo_model_card_is_valid_and_honest():
    card = load_card(default_card().path)  # verifies the checksum
    assert card.synthetic_phantoms_only
    assert "not for clinical use" in card.label and "NOT for clinical use" in card.data[
        "intended_use"]
    assert card.output_kind == "enhancement" and card.domain is not None
    ev = card.data["evaluation"]["mean"]
    # Texture: the acquired noise is kept (a reader cannot tell synthetic from real by its
    # smoothness) and the kidney's cortico-medullary differentiation is not blurred away.
    assert 0.8 <= ev["liver_noise_ratio"] <= 1.25
    assert 0.7 <= ev["kidney_cm_ratio"] <= 1.3
    # The model's own error (on the enhancement, free of the noise both images carry) is at
    # most half the identity's; against the noisy real scan it beats the identity too.
    assert ev["enhancement_mae_hu"] <= 0.5 * ev["identity_enhancement_mae_hu"]
    assert ev["mae_hu"] < ev["identity_mae_hu"]
    assert ev["mae_vs_truth_hu"] < ev["identity_mae_vs_truth_hu"]
    assert ev["lumen_dice"] >= 0.85 > ev["identity_lumen_dice"]
    assert card.onnx_path.stat().st_size < 20e6


def test_synthesize_command_writes_labelled_volume_and_report(small_case, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["synthesize", str(small_case.noncontrast), "-o", str(out), "--country",
                 "UK"]) == 0
    printed = capsys.readouterr()
    assert "SYNTHETIC" in printed.out and "Synthesising digital contrast" in printed.err
    image = sitk.ReadImage(str(out / "synthetic_digital_contrast.nii.gz"))
    assert "SYNTHETIC" in image.GetMetaData("descrip")
    array = sitk.GetArrayFromImage(image)
    assert array.shape == (40, 96, 96) and array.dtype == np.int16
    report = json.loads((out / "report.json").read_text())
    jsonschema.validate(report, report_schema())
    assert report["synthetic"] and report["model"]["synthetic_phantoms_only"]
    assert report["run"]["provider"] == "CPUExecutionProvider"
    assert report["energy"]["grid_intensity"]["g_per_kwh"] == 237.6
    assert {c["status"] for c in report["energy"]["components"]} <= {"measured", "estimated"}


def test_synthesize_says_which_files_it_skipped(small_case, tmp_path, capsys):
    import shutil

    from inference.cli import main

    folder = tmp_path / "series"
    shutil.copytree(small_case.noncontrast, folder)
    (folder / "broken.dcm").write_bytes(b"DICM" * 10)  # a truncated file
    assert main(["synthesize", str(folder), "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "skipped" in err
