"""The trust verdict in the viewer: a line under the SYNTHETIC banner and a findings panel whose
rows take the views to where each check was measured; nothing of it in a blinded arm."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from inference.synthesis.engine import synthesize
from inference.synthesis.runtime import load_model
from tests.support.onnx_models import demo_like_card, enhance_above_model
from tests.support.viewer import open_window, red_text_pixels
from viewer.model import provenance
from viewer.model.layout import Role
from viewer.model.orientation import Plane
from viewer.views.screenshot import capture, save_png

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def flagged(phantom_volumes, tmp_path_factory):
    """The enhance-everything model's output on the phantom."""
    root = tmp_path_factory.mktemp("flagged")
    card = demo_like_card(enhance_above_model(root / "all.onnx"), "enhance-everything")
    return synthesize(phantom_volumes[0], session=load_model(card)).volume


def test_verdict_line_and_findings_panel(qtbot, settings, phantom_volumes, flagged, tmp_path):
    w = open_window(qtbot, settings, phantom_volumes[0], overlay=flagged, size=(1366, 768))
    axial = w.views[Plane.AXIAL]
    banner = " ".join(axial.synthetic_label.GetInput().split())
    assert banner.startswith("SYNTHETIC")
    # The verdict is a caution line of its own, apart from the red label.
    assert "Trust verdict: real contrast recommended" in axial.texts.warning_line
    assert axial.texts.warning.GetVisibility()
    assert w.trust.isVisible()
    rows = w.trust.rows()
    assert rows[0][1] == "fail"  # failures first
    assert "Trust verdict: real contrast recommended" in w.trust.verdict.text()
    checks = {r[0]: r[1] for r in rows}
    assert checks["unchanged: fat"] == "fail" and checks["unchanged: cortical bone"] == "fail"
    # A click on the fat finding takes every view to fat that 'enhanced'.
    row = [r[0] for r in rows].index("unchanged: fat")
    w.trust.table.cellClicked.emit(row, 0)
    QApplication.processEvents()
    k, j, i = w.trust._where[row]
    expected = flagged.geometry.index_to_world(np.array([i, j, k], float))
    assert np.allclose(w.state.cursor, expected)
    assert -160 < phantom_volumes[0].array[k, j, i] < -40  # the input is fat there
    assert flagged.array[k, j, i] - phantom_volumes[0].array[k, j, i] == pytest.approx(260, abs=1)
    w.grid.render_all()
    image = capture(axial.render_window)
    assert red_text_pixels(image) > 40
    save_png(image, tmp_path / "trust_verdict.png")


def test_blinded_arm_shows_no_verdict(qtbot, settings, phantom_volumes, flagged):
    w = open_window(qtbot, settings, phantom_volumes[0])
    w.state.blinded = True
    w.show_volume(flagged, role=Role.OVERLAY)
    QApplication.processEvents()
    assert provenance.trust_findings(w.state) is None
    assert provenance.slice_banner(w.state, Role.BASE, True) is None
    assert not w.trust.isVisible() and not w.trust.rows()
    w.trust.toggle()  # asking for it changes nothing
    assert not w.trust.isVisible()
