"""File > Open from PACS against a real Orthanc: search, pick a series, retrieve, open."""

from __future__ import annotations

import numpy as np
import pytest

from inference.io.loader import open_volume
from inference.pacs import dimse
from inference.pacs.nodes import PacsNode, save_nodes
from tests.inference.orthanc import start_orthanc
from tests.viewer.conftest import open_window

pytestmark = pytest.mark.gui


def test_open_a_series_from_pacs(qtbot, settings, small_case, phantom_volumes, tmp_path,
                                 monkeypatch):
    server = start_orthanc(tmp_path / "orthanc")
    try:
        node = PacsNode("hospital", ae_title="ORTHANC", port=server.dicom_port)
        dimse.store(node, sorted(small_case.noncontrast.glob("*.dcm"))
                    + sorted(small_case.contrast.glob("*.dcm")))
        monkeypatch.setenv("DCREVIEW_PACS_NODES", str(tmp_path / "nodes.json"))
        monkeypatch.setenv("DCREVIEW_PACS_CACHE", str(tmp_path / "cache"))
        save_nodes({"hospital": node})
        w = open_window(qtbot, settings, phantom_volumes[1])
        dialog = w.show_pacs_dialog()
        assert dialog.node_combo.count() == 1
        dialog.test_button.click()
        assert dialog.hint.text() == "hospital answers."
        dialog.fields["PatientID"].setText("PHANTOM-0000")
        dialog.search_button.click()
        assert dialog.study_table.rowCount() == 1 and "1 study found" in dialog.hint.text()
        dialog.study_table.selectRow(0)
        assert dialog.series_table.rowCount() == 2
        row = next(r for r in range(2)
                   if "non-contrast" in dialog.series_table.item(r, 1).text())
        dialog.series_table.selectRow(row)
        dialog.open_button.click()
        original = open_volume(small_case.noncontrast).volume
        qtbot.waitUntil(lambda: w.state.base is not None and w.state.base.array.shape ==
                        original.array.shape and "non-contrast" in
                        w.state.base.metadata.series_description, timeout=60_000)
        np.testing.assert_array_equal(w.state.base.array, original.array)
        assert not list((tmp_path / "cache").glob(".*.partial"))
        # Synthesise and send the result back into the study, after a named confirmation.
        w.start_synthesis()
        qtbot.waitUntil(lambda: not w.synthesis.running, timeout=120_000)
        asked = []
        w.pacs_send.confirm = lambda text: asked.append(text) or True
        assert w.pacs_send.choose("hospital") == 40
        assert "SYNTHETIC" in asked[0] and "ORTHANC@127.0.0.1" in asked[0]
        study = dimse.find(node, "STUDY", PatientID="PHANTOM-0000")[0]["StudyInstanceUID"]
        descriptions = [s["SeriesDescription"] for s in
                        dimse.find(node, "SERIES", StudyInstanceUID=study)]
        assert any(d.startswith("SYNTHETIC") for d in descriptions), descriptions
    finally:
        server.process.kill()
        server.process.wait(timeout=30)
