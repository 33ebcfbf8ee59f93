"""File > Open batch results: the cases listed with their figures; double-click opens one in
the compare layout (non-contrast, digital contrast, real)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from inference.io.image_file import write_image
from tests.support.viewer import open_window
from viewer.model.layout import Layout, Role

pytestmark = pytest.mark.gui


def test_batch_results_list_cases_and_open_one(qtbot, settings, small_case, phantom_volumes,
                                               tmp_path):
    plain, arterial = phantom_volumes
    synthetic = write_image(replace(arterial, synthetic=True), tmp_path / "cases" / "p1" /
                            "synthetic_digital_contrast.nii.gz")
    ok = {"case": "p1", "status": "ok", "reason": None, "noncontrast": str(small_case.noncontrast),
          "real": str(small_case.contrast), "output": str(synthetic),
          "domain": {"warnings": ["pixel spacing 4 mm is outside the model's range"]},
          "evaluation": {"mae_hu": 21.5, "identity_mae_hu": 30.25, "psnr_db": 40.0,
                         "ssim": 0.875, "lumen_dice": 0.91}}
    failed = {"case": "p2", "status": "failed", "reason": "NoImagesError: no images"}
    totals = {"cases": 2, "ok": 1, "failed": 1, "out_of_domain": 1}
    (tmp_path / "cohort.json").write_text(json.dumps({"totals": totals, "cases": [failed, ok]}))
    w = open_window(qtbot, settings, plain)
    dialog = w.batch.show(tmp_path)
    table = dialog.table
    assert table.rowCount() == 2
    assert [table.item(0, c).text() for c in range(6)] == ["p1", "ok", "21.5 (30.2)", "40.0",
                                                           "0.875", "0.910"]
    # The reason a case is outside the domain is read in its cell, not only in a tooltip.
    assert table.item(0, 6).text() == "outside"
    assert table.item(0, 7).text() == "pixel spacing 4 mm is outside the model's range"
    assert "NoImagesError" in table.item(1, 7).text()
    # Sorting by a figure: the failed case (no PSNR) sorts after every figure; a double-click
    # still opens the case shown in that row.
    table.sortItems(3)
    assert [table.item(r, 0).text() for r in range(2)] == ["p1", "p2"]
    table.sortItems(0, Qt.SortOrder.DescendingOrder)
    assert table.item(0, 0).text() == "p2" and dialog.result_at(1)["case"] == "p1"
    table.cellDoubleClicked.emit(1, 0)
    qtbot.waitUntil(lambda: Role.COMPARE in w.state.volumes, timeout=60_000)
    QApplication.processEvents()
    assert w.state.overlay is not None and w.state.overlay.synthetic
    assert w.state.layout is Layout.COMPARE


def test_a_folder_without_a_cohort_is_refused_in_one_message(qtbot, settings, phantom_volumes,
                                                             tmp_path, monkeypatch):
    w = open_window(qtbot, settings, phantom_volumes[0])
    shown = []
    w.batch.show_error = lambda title, text: shown.append(text)
    assert w.batch.show(tmp_path) is None
    assert shown and "no cohort.json" in shown[0]


def test_numeric_columns_sort_by_value_and_summary_opens(qtbot, settings, phantom_volumes,
                                                         tmp_path):
    cases = [{"case": f"c{i}", "status": "ok", "evaluation": {"mae_hu": mae, "identity_mae_hu": 1.0,
                                                             "psnr_db": 30.0, "ssim": 0.5}}
             for i, mae in enumerate((9.5, 10.2, 101.0))]
    (tmp_path / "cohort.json").write_text(json.dumps(
        {"totals": {"cases": 3, "ok": 3, "failed": 0, "out_of_domain": 0}, "cases": cases}))
    w = open_window(qtbot, settings, phantom_volumes[0])
    opened = []
    from viewer.review.batch_results import BatchResultsDialog
    dialog = BatchResultsDialog(w, tmp_path, lambda r: None, open_url=opened.append)
    assert not dialog.summary_button.isEnabled()  # no summary.html written yet
    dialog.table.sortItems(2)
    assert [dialog.table.item(r, 2).text().split()[0] for r in range(3)] == ["9.5", "10.2",
                                                                            "101.0"]
    (tmp_path / "summary.html").write_text("<html></html>")
    dialog = BatchResultsDialog(w, tmp_path, lambda r: None, open_url=opened.append)
    assert dialog.summary_button.isEnabled()
    dialog.summary_button.click()
    assert opened and opened[0].toLocalFile() == str((tmp_path / "summary.html").resolve())
