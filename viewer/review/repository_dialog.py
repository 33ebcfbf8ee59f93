"""File > Open repository: a catalogue's counts, filters and pairs; a double-click opens a
pair in the compare layout (the plain series as base, the real one beside it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from inference.catalog import store
from inference.catalog.pairs import ENHANCED, find_pairs
from viewer.model.layout import Role

COLUMNS = ("site", "region", "real_phase", "score", "why")
ANY = "any"


def counts(folder: Path) -> tuple[str, list[str]]:
    """One line of what the catalogue holds, and the regions it names."""
    con = store.connect(folder, write=False)
    try:
        n, studies, plain, enhanced = con.execute(
            "SELECT count(*), count(DISTINCT study_uid), count(*) FILTER (phase = "
            "'non-contrast'), count(*) FILTER (phase IN ('arterial', 'portal-venous', "
            "'delayed', 'contrast')) FROM series").fetchone()
        regions = [r for (r,) in con.execute(
            "SELECT DISTINCT region FROM series WHERE coalesce(region, '') <> '' ORDER BY 1"
        ).fetchall()]
    finally:
        con.close()
    return f"{n} series in {studies} studies: {plain} non-contrast, {enhanced} enhanced", regions


class RepositoryDialog(QDialog):
    """The pairs of one catalogue, filtered by region and phase."""

    def __init__(self, folder: Path, loader, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Repository: {folder.name}")
        self.folder, self.loader = Path(folder), loader
        line, regions = counts(self.folder)
        self.summary = QLabel(line)
        self.region = QComboBox()
        self.region.addItems([ANY, *regions])
        self.phase = QComboBox()
        self.phase.addItems([ANY, *ENHANCED])
        search = QPushButton("Find pairs")
        search.clicked.connect(self.refresh)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(["Site", "Region", "Real phase", "Score", "Why"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.cellDoubleClicked.connect(lambda row, _c: self.open_pair(row))
        self.hint = QLabel("Double-click a pair to open it side by side.")
        bar = QHBoxLayout()
        for w in (QLabel("Region"), self.region, QLabel("Phase"), self.phase, search):
            bar.addWidget(w)
        layout = QVBoxLayout(self)
        for w in (self.summary,):
            layout.addWidget(w)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        layout.addWidget(self.hint)
        self.resize(900, 480)
        self.pairs: list[dict] = []
        self.refresh()

    def refresh(self) -> None:
        """Find the pairs for the filters and list them, best first."""
        region = None if self.region.currentText() == ANY else self.region.currentText()
        phase = None if self.phase.currentText() == ANY else self.phase.currentText()
        self.pairs = find_pairs(self.folder, region=region, phase=phase,
                                target=self.loader.target_phase)
        self.table.setRowCount(len(self.pairs))
        for r, p in enumerate(self.pairs):
            for c, key in enumerate(COLUMNS):
                self.table.setItem(r, c, QTableWidgetItem(str(p[key])))
        self.table.resizeColumnsToContents()
        self.hint.setText(f"{len(self.pairs)} pair(s). Double-click one to open it side by "
                          "side." if self.pairs else "No pair matches these filters.")

    def open_pair(self, row: int) -> None:
        """Open pair ``row``: its plain series as the base, its real series to compare."""
        p = self.pairs[row]
        if not p["noncontrast_location"] or not Path(p["noncontrast_location"]).exists():
            self.hint.setText("This pair has no local files (a header-table source): "
                              "retrieve it first.")
            return
        self.loader.load(p["noncontrast_location"], Role.BASE, p["noncontrast_series"])
        self.loader.queue(p["real_location"], Role.COMPARE, p["real_series"])


def open_action(window) -> QAction:
    """The File menu's 'Open repository...' action of ``window``."""
    def choose() -> None:
        folder = QFileDialog.getExistingDirectory(window, "Open repository (a catalogue "
                                                  "folder)", window.settings.last_folder)
        if folder:
            show(window, Path(folder))
    action = QAction("Open &repository (catalogue)...", window)
    action.triggered.connect(choose)
    return action


def show(window, folder: Path) -> RepositoryDialog | None:
    """Show the repository dialog for ``folder`` (an error box when it is no catalogue)."""
    try:
        dialog = RepositoryDialog(folder, window.loader, window)
    except store.CatalogError as exc:
        window.show_error("Cannot open repository", str(exc))
        return None
    window.repository_dialog = dialog
    dialog.show()
    return dialog
