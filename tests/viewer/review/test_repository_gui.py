"""File > Open repository: counts, filters and pairs of a real catalogue; a double-click
opens the pair side by side, from local files or retrieved from a real PACS."""

from __future__ import annotations

from inference.catalog.ingest import add_folder
from inference.catalog.pacs_source import add_pacs
from inference.catalog.pairs import read_pairs
from inference.pacs.nodes import PacsNode, save_nodes
from viewer.model.layout import Layout, Role
from viewer.review import repository_dialog
from viewer.review.main_window import MainWindow


def test_a_pair_opens_side_by_side(qtbot, settings, small_case, tmp_path):
    cat = tmp_path / "catalog"
    add_folder(cat, small_case.root)
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    assert any("repository" in a.text() for a in w.menuBar().actions()[0].menu().actions())
    dialog = repository_dialog.show(w, cat)
    assert dialog.summary.text() == ("2 series in 1 studies of 1 patients: 1 non-contrast, "
                                     "1 enhanced")
    assert dialog.busy  # the pairs are found in the background: the window stays live
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert dialog.width() >= 900 and dialog.table.rowCount() == 1
    why = dialog.table.item(0, repository_dialog.WHY)
    assert "non-contrast #2" in why.text() and why.toolTip() == why.text()
    assert dialog.table.item(0, 4).text() == "0"  # days apart: the same study
    dialog.phase.setCurrentText("delayed")  # filters apply as they change
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert dialog.table.rowCount() == 0 and "No pair" in dialog.hint.text()
    assert not dialog.save.isEnabled()
    dialog.phase.setCurrentText("arterial")
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert dialog.table.rowCount() == 1
    # Save pairs as CSV writes what catalog export reads.
    dialog.save_pairs(tmp_path / "p.csv")
    assert "Saved 1 pair(s)" in dialog.hint.text()
    assert read_pairs(tmp_path / "p.csv")[0]["real_phase"] == "arterial"
    dialog.table.cellDoubleClicked.emit(0, 0)
    qtbot.waitUntil(lambda: w.state.volumes.get(Role.COMPARE) is not None, timeout=60000)
    assert "non-contrast" in w.state.base.metadata.series_description
    assert "arterial" in w.state.volumes[Role.COMPARE].metadata.series_description
    assert w.state.layout is Layout.COMPARE


def test_a_pair_found_on_a_pacs_is_retrieved_and_opened(qtbot, settings, tmp_path, monkeypatch,
                                                        fresh_orthanc):
    monkeypatch.setenv("DCREVIEW_PACS_NODES", str(tmp_path / "nodes.json"))
    monkeypatch.setenv("DCREVIEW_PACS_CACHE", str(tmp_path / "cache"))
    node = PacsNode("hospital", ae_title="ORTHANC", port=fresh_orthanc.dicom_port)
    save_nodes({"hospital": node})
    cat = tmp_path / "catalog"
    add_pacs(cat, node)
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    dialog = repository_dialog.show(w, cat)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert dialog.table.rowCount() == 1 and "on a PACS: retrieved when opened" in \
        dialog.hint.text()
    dialog.table.cellDoubleClicked.emit(0, 0)
    qtbot.waitUntil(lambda: w.state.volumes.get(Role.COMPARE) is not None, timeout=90000)
    assert "non-contrast" in w.state.base.metadata.series_description
    assert "arterial" in w.state.volumes[Role.COMPARE].metadata.series_description
    assert w.state.layout is Layout.COMPARE
    assert len(list((tmp_path / "cache").iterdir())) == 2  # both series, in the cache


def test_a_folder_that_is_no_catalogue_says_so(qtbot, settings, tmp_path):
    w = MainWindow(settings)
    qtbot.addWidget(w)
    assert repository_dialog.show(w, tmp_path) is None
    assert "is not a catalogue" in w.last_error
