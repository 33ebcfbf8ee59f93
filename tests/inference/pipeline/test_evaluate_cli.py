"""`dcreview evaluate` on the phantom pair, with registration and an ROI."""

import json

import numpy as np
import pytest

from inference.cli import main
from inference.compare.metrics import compare
from inference.compare.registration import register
from inference.io.image_file import read_image
from inference.io.loader import open_volume


def test_evaluate_registers_and_reports(small_case, tmp_path, capsys):
    synth_dir = tmp_path / "synth"
    assert main(["synthesize", str(small_case.noncontrast), "-o", str(synth_dir)]) == 0
    synthetic = synth_dir / "synthetic_digital_contrast.nii.gz"
    out = tmp_path / "figures.json"
    assert main(["evaluate", "--ncct", str(small_case.noncontrast), "--synthetic",
                 str(synthetic), "--real", str(small_case.contrast), "--register", "--roi",
                 str(small_case.labels), "--label", "9", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "identity baseline" in printed and "lumen Dice at 150 HU" in printed
    figures = json.loads(out.read_text())
    assert figures["registration"]["surface_distance_mm"] < 5
    # The identity baseline equals an independent recomputation from the same inputs.
    ncct = open_volume(small_case.noncontrast).volume
    real = register(ncct, open_volume(small_case.contrast).volume).resampled
    again = compare(ncct.array, read_image(synthetic).array, real.array,
                    read_image(small_case.labels).array == 9)
    assert figures["identity_baseline"]["mae_hu"] == pytest.approx(
        again["identity_baseline"]["mae_hu"], rel=1e-6)
    roi = figures["roi"]
    assert roi["mean_hu"]["real"] > roi["mean_hu"]["noncontrast"] + 100
    assert roi["identity_lumen_dice"] < 0.2 < roi["lumen_dice"]
    assert np.isfinite(figures["synthetic_vs_real"]["ssim"])
    # The aneurysm's own metrics, synthetic against the registered real scan.
    assert "aorta max diameter (outer wall, orthogonal to the centreline)" in printed
    aorta = figures["aorta"]
    assert 48 < aorta["real"]["max_outer_diameter_mm"] < 56  # the generator's 52 mm sac
    assert abs(aorta["difference"]["max_outer_diameter_mm"]) < 3
    assert aorta["difference"]["stations_compared"] > 10


def test_evaluate_refuses_unregistered_grid_mismatch(small_case, tmp_path, capsys):
    from inference.io.geometry import Geometry
    from inference.io.image_file import write_image
    from inference.io.volume import Volume

    v = open_volume(small_case.noncontrast).volume
    moved = tmp_path / "moved.nii.gz"
    write_image(Volume(v.array, Geometry((1.0, 2.0, 3.0), v.geometry.spacing)), moved)
    assert main(["evaluate", "--ncct", str(small_case.noncontrast), "--synthetic", str(moved),
                 "--real", str(small_case.contrast)]) == 2
    assert "synthetic volume is not on the non-contrast grid" in capsys.readouterr().err
