"""File > Open repository: counts, filters and pairs of a real catalogue; a double-click
opens the pair side by side."""

from __future__ import annotations

from inference.catalog.ingest import add_folder
from viewer.model.layout import Layout, Role
from viewer.review import repository_dialog
from viewer.review.main_window import MainWindow


def test_a_pair_opens_side_by_side(qtbot, settings, small_case, tmp_path):
    cat = tmp_path / "catalog"
    add_folder(cat, small_case.root)
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    assert any("repository" in a.text() for a in w.menuBar().actions()[0].menu().actions())
    dialog = repository_dialog.show(w, cat)
    assert dialog.summary.text() == "2 series in 1 studies: 1 non-contrast, 1 enhanced"
    assert dialog.table.rowCount() == 1
    assert "non-contrast #2" in dialog.table.item(0, 4).text()
    dialog.phase.setCurrentText("delayed")
    dialog.refresh()
    assert dialog.table.rowCount() == 0 and "No pair" in dialog.hint.text()
    dialog.phase.setCurrentText("arterial")
    dialog.refresh()
    dialog.table.cellDoubleClicked.emit(0, 0)
    qtbot.waitUntil(lambda: w.state.volumes.get(Role.COMPARE) is not None, timeout=60000)
    assert "non-contrast" in w.state.base.metadata.series_description
    assert "arterial" in w.state.volumes[Role.COMPARE].metadata.series_description
    assert w.state.layout is Layout.COMPARE


def test_a_folder_that_is_no_catalogue_says_so(qtbot, settings, tmp_path):
    w = MainWindow(settings)
    qtbot.addWidget(w)
    assert repository_dialog.show(w, tmp_path) is None
    assert "is not a catalogue" in w.last_error
