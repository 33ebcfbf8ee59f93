"""A synthetic series opened again (from DICOM, as an overlay from NIfTI, from a batch's
results) carries the red SYNTHETIC banner and its warnings like a fresh result does."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtGui import QImage

from inference.cli import main
from inference.io.loader import open_volume
from tests.support.viewer import open_window
from viewer.model.layout import Role
from viewer.model.orientation import Plane
from viewer.views.screenshot import capture

pytestmark = pytest.mark.gui


def red_pixels(pixels: np.ndarray, rows: int = 90) -> int:
    top = pixels[:rows].astype(int)
    return int(((top[..., 0] > 200) & (top[..., 1] < 110) & (top[..., 2] < 110)).sum())


@pytest.fixture(scope="module")
def result(small_case, tmp_path_factory):
    out = tmp_path_factory.mktemp("travels")
    assert main(["synthesize", str(small_case.noncontrast), "-o", str(out), "--dicom"]) == 0
    return out


def test_the_written_dicom_series_opens_with_the_banner(result, tmp_path):
    """`dcreview view OUT/dicom --screenshot`: the red banner on every view."""
    shot = tmp_path / "s.png"
    proc = subprocess.run([sys.executable, "-m", "viewer", "view", str(result / "dicom"),
                           "--screenshot", str(shot), "--size", "1500x620"],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(shot)).convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine())[:, : image.width() * 3].reshape(
        image.height(), image.width(), 3)
    thirds = np.array_split(pixels[60:], 3, axis=1)  # below the toolbar: axial, coronal, sagittal
    assert all(red_pixels(third) > 40 for third in thirds)


@pytest.mark.parametrize("how", ["dicom as the base", "nifti as the overlay"])
def test_the_banner_keeps_the_phantom_and_domain_lines(qtbot, settings, small_case, result,
                                                       how):
    if how == "dicom as the base":
        w = open_window(qtbot, settings, open_volume(result / "dicom").volume)
    else:
        w = open_window(qtbot, settings, open_volume(small_case.noncontrast).volume,
                        overlay=open_volume(result / "synthetic_digital_contrast.nii.gz").volume)
    axial = w.views[Plane.AXIAL]
    banner = " ".join(axial.synthetic_label.GetInput().split())
    assert banner.startswith("SYNTHETIC") and "not for clinical use" in banner
    assert axial.texts.warning_line.split("\n")[0] == (
        "OUTSIDE MODEL DOMAIN: pixel spacing, slice spacing")
    assert red_pixels(capture(axial.render_window)) > 40


def test_a_case_opened_from_batch_results_carries_its_warning(qtbot, settings, small_case,
                                                              tmp_path):
    from inference.batch.manifest import read_manifest
    from inference.batch.report import write_report
    from inference.batch.runner import run_cohort
    from inference.pipeline.settings import CaseSettings

    manifest = tmp_path / "m.csv"
    manifest.write_text(f"case,noncontrast\nc1,{small_case.noncontrast}\n")
    outcome = run_cohort(read_manifest(manifest), tmp_path / "out", CaseSettings())
    write_report(outcome.results, tmp_path / "out")
    w = open_window(qtbot, settings, open_volume(small_case.noncontrast).volume)
    w.batch.open_case(outcome.results[0])
    qtbot.waitUntil(lambda: Role.OVERLAY in w.state.volumes, timeout=60_000)
    axial = w.views[Plane.AXIAL]
    banner = " ".join(axial.synthetic_label.GetInput().split())
    assert "OUTSIDE MODEL DOMAIN" in axial.texts.warning_line
    assert "not for clinical use" in banner
