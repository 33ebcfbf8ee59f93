"""File > Open from PACS against a real Orthanc: search, pick a series, retrieve, open."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QDate

from inference.annotations.model import Annotation, Kind
from inference.io.loader import open_volume
from inference.pacs import dimse
from inference.pacs.nodes import PacsNode, save_nodes
from tests.support.viewer import AORTA, open_window
from viewer.model.layout import Role

pytestmark = pytest.mark.gui


def test_open_a_series_from_pacs(qtbot, settings, small_case, phantom_volumes, tmp_path,
                                 monkeypatch, fresh_orthanc):
    server = fresh_orthanc
    node = PacsNode("hospital", ae_title="ORTHANC", port=server.dicom_port)
    monkeypatch.setenv("DCREVIEW_PACS_NODES", str(tmp_path / "nodes.json"))
    monkeypatch.setenv("DCREVIEW_PACS_CACHE", str(tmp_path / "cache"))
    save_nodes({"hospital": node})
    w = open_window(qtbot, settings, phantom_volumes[1])
    dialog = w.show_pacs_dialog()
    assert dialog.node_combo.count() == 1
    dialog.test_button.click()  # queries run in the background: the dialog stays live
    qtbot.waitUntil(lambda: dialog.hint.text() == "hospital answers.", timeout=30_000)
    # A search as a person types it: no carets, dates from a calendar; the PACS gets DICOM.
    dialog.date_choice.setCurrentText("Today")  # the phantom's study is of 2026-01-01
    dialog.fields["PatientName"].setText("phantom, abdomen")
    dialog.search_button.click()
    qtbot.waitUntil(lambda: "0 studies found" in dialog.hint.text(), timeout=30_000)
    dialog.date_choice.setCurrentText("Between...")
    assert dialog.date_from.isEnabled() and dialog.date_from.calendarPopup()
    dialog.date_from.setDate(QDate(2025, 12, 31))
    dialog.date_to.setDate(QDate(2026, 1, 2))
    dialog.fields["PatientID"].setText("PHANTOM-0000")
    assert dialog.filters()["StudyDate"] == "20251231-20260102"
    assert dialog.filters()["PatientName"] == "phantom^abdomen*"
    dialog.search_button.click()
    assert not dialog.search_button.isEnabled()  # until the PACS answers
    qtbot.waitUntil(lambda: "1 study found" in dialog.hint.text(), timeout=30_000)
    assert dialog.study_table.rowCount() == 1 and dialog.search_button.isEnabled()
    assert dialog.study_table.item(0, 0).text() == "PHANTOM, ABDOMEN"
    assert dialog.study_table.item(0, 2).text() == "2026-01-01"
    assert "^" not in dialog.fields["PatientName"].placeholderText()
    dialog.study_table.selectRow(0)
    qtbot.waitUntil(lambda: dialog.series_table.rowCount() == 2, timeout=30_000)
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
    # Synthesise, annotate, and send both back into the study after a named
    # confirmation; the sending runs in the background.
    w.start_synthesis()
    qtbot.waitUntil(lambda: not w.synthesis.running, timeout=120_000)
    end = AORTA + np.array([30.0, 0.0, 0.0])
    w.state.annotations.set.add(Annotation(Kind.RULER, (tuple(AORTA), tuple(end))))
    asked, sent = [], []
    w.pacs_send.confirm = lambda text, sr: (asked.append((text, sr)) is None, True)
    w.pacs_send.sent.connect(sent.append)
    assert w.pacs_send.choose("hospital")
    qtbot.waitUntil(lambda: bool(sent), timeout=60_000)
    assert sent == [41]  # 40 SYNTHETIC images and one SR
    text, offered_sr = asked[0]
    assert "SYNTHETIC" in text and "ORTHANC@127.0.0.1" in text and offered_sr
    assert "Sent 41 object(s) to hospital" in w.statusBar().currentMessage()
    study = dimse.find(node, "STUDY", PatientID="PHANTOM-0000")[0]["StudyInstanceUID"]
    found = dimse.find(node, "SERIES", StudyInstanceUID=study)
    assert any(s["SeriesDescription"].startswith("SYNTHETIC") for s in found), found
    assert [s["Modality"] for s in found].count("SR") == 1
    # the dialog comes back as it was left: the search stays listed
    assert w.show_pacs_dialog() is dialog and dialog.study_table.rowCount() == 1


def test_pacs_nodes_are_edited_in_the_viewer(qtbot, settings, phantom_volumes, small_case,
                                             tmp_path, monkeypatch, fresh_orthanc):
    """No node yet: Nodes... adds one (a bad port or AE title is refused under the form),
    Test connection answers, and the PACS dialog lists it; Retrieve whole study caches every
    series and opens the chosen one."""
    from inference.pacs.nodes import load_nodes

    server = fresh_orthanc
    monkeypatch.setenv("DCREVIEW_PACS_NODES", str(tmp_path / "nodes.json"))
    monkeypatch.setenv("DCREVIEW_PACS_CACHE", str(tmp_path / "cache"))
    w = open_window(qtbot, settings, phantom_volumes[0])
    dialog = w.show_pacs_dialog()
    assert dialog.node_combo.count() == 0 and "Nodes..." in dialog.hint.text()
    assert not dialog.search_button.isEnabled()
    editor = dialog.edit_nodes()
    editor.name.setText("hospital")
    editor.ae_title.setText("ORTHANC")
    editor.port.setValue(0)
    assert not editor.save() and "not a TCP port" in editor.hint.text()
    editor.port.setValue(server.dicom_port)
    editor.own_ae_title.setText("A\\B")
    assert not editor.save() and "own AE title" in editor.hint.text()
    editor.own_ae_title.setText("DCREVIEW")
    editor.test_button.click()
    qtbot.waitUntil(lambda: editor.hint.text() == "hospital answers.", timeout=30_000)
    editor.password.setText("never shown")
    assert editor.password.echoMode() == editor.password.EchoMode.Password
    assert editor.save()
    assert load_nodes()["hospital"].port == server.dicom_port
    editor.close()
    assert dialog.node_combo.count() == 1 and dialog.search_button.isEnabled()
    dialog.search_button.click()
    qtbot.waitUntil(lambda: dialog.study_table.rowCount() == 1, timeout=30_000)
    dialog.study_table.selectRow(0)
    qtbot.waitUntil(lambda: dialog.study_button.isEnabled(), timeout=30_000)
    row = next(r for r in range(2) if "non-contrast" in dialog.series_table.item(r, 1).text())
    dialog.series_table.selectRow(row)
    dialog.study_button.click()
    # The window opened on the phantom's own plain volume: wait for the retrieved one.
    qtbot.waitUntil(lambda: str(tmp_path / "cache") in str(w.base_source), timeout=60_000)
    assert "non-contrast" in w.state.base.metadata.series_description
    assert len([p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
               ) == 2
    # The study's real contrast series is offered, and opens from the cache.
    qtbot.waitUntil(w.loader.act_offer.isEnabled, timeout=10_000)
    assert "compare with: #3 'Abdomen arterial phase (PHANTOM)'" in w.loader.offer[2]
    w.loader.act_offer.trigger()
    qtbot.waitUntil(lambda: w.state.volumes.get(Role.COMPARE) is not None, timeout=60_000)
    assert "arterial" in w.state.volumes[Role.COMPARE].metadata.series_description
    # A retrieval reports in the status bar with Cancel, the window stays usable; a
    # cancelled one changes nothing on screen.
    other = next(r for r in dialog.series if "arterial" in r["SeriesDescription"])
    w.loader.load_from_pacs(load_nodes()["hospital"], dialog.studies[0]["StudyInstanceUID"],
                            other["SeriesInstanceUID"], None)
    status = w.loader.pacs_job.display
    assert status.bar.isVisible() and status.cancel_button.isVisible()
    assert w.isEnabled() and not w.loader.job.running
    status.cancel_button.click()
    qtbot.waitUntil(lambda: not w.loader.pacs_job.running, timeout=30_000)
    assert "non-contrast" in w.state.base.metadata.series_description
    assert not status.bar.isVisible()
