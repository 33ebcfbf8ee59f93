"""File > Open repository: a catalogue's counts, filters and pairs; a double-click opens a
pair in the compare layout (the plain series as base, the real one beside it), retrieving it
first when the catalogue found it on a PACS."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from inference.catalog import store
from inference.catalog.pairs import ENHANCED, find_pairs, write_pairs
from inference.pacs.nodes import SCHEME
from viewer.model.layout import Role
from viewer.review.jobs import BackgroundJob

COLUMNS = (("Patient", "patient"), ("Site", "site"), ("Region", "region"),
           ("Real phase", "real_phase"), ("Days apart", "days_apart"), ("Score", "score"),
           ("Why", "why"))
WHY = len(COLUMNS) - 1
ANY = "any"
# Rows filled (and fitted to their text) per event-loop turn: a repository of a million cases
# lists thousands of pairs, and filling them at once froze the window.
ROWS_PER_TURN = 200


def counts(folder: Path) -> tuple[str, list[str]]:
    """One line of what the catalogue holds, and the regions it names."""
    con = store.connect(folder, write=False)
    try:
        n, studies, patients, plain, enhanced = con.execute(
            "SELECT count(*), count(DISTINCT study_uid), count(DISTINCT patient), "
            "count(*) FILTER (phase = 'non-contrast'), count(*) FILTER (phase IN ('arterial', "
            "'portal-venous', 'delayed', 'contrast')) FROM series").fetchone()
        regions = [r for (r,) in con.execute(
            "SELECT DISTINCT region FROM series WHERE coalesce(region, '') <> '' ORDER BY 1"
        ).fetchall()]
    finally:
        con.close()
    return (f"{n} series in {studies} studies of {patients} patients: {plain} non-contrast, "
            f"{enhanced} enhanced"), regions


class _HintStatus:
    """The pairs query in progress, said in the hint line (no bar: it takes a moment)."""

    def __init__(self, hint: QLabel) -> None:
        self.hint = hint

    def attach(self, cancel, title: str) -> None:
        """The query started."""
        self.hint.setText(f"{title}...")

    def update(self, event) -> None:
        """Queries report no progress."""

    def detach(self) -> None:
        """The query answered (the dialog says what it found)."""


def openable(location: str) -> bool:
    """Whether a pair's series can be opened here: local files, or a PACS series."""
    return location.startswith(SCHEME) or (bool(location) and Path(location).exists())


class RepositoryDialog(QDialog):
    """The pairs of one catalogue, filtered by region, phase and time window."""

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
        self.within = QSpinBox()
        self.within.setRange(0, 3650)
        self.within.setSpecialValueText("same study")
        self.within.setSuffix(" days")
        self.within.setToolTip("Also pair a patient's studies up to this many days apart")
        for box in (self.region, self.phase):
            box.currentTextChanged.connect(self.refresh)
        self.within.valueChanged.connect(self.refresh)
        self.save = QPushButton("Save pairs as CSV...")
        self.save.clicked.connect(self.ask_save)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([c for c, _ in COLUMNS])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        # Columns are sized to their contents once a listing is in: sized on every new cell
        # (ResizeToContents) each one measured every row again, 27 s for 741 pairs.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(WHY, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(lambda row, _c: self.open_pair(row))
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        bar = QHBoxLayout()
        for label, w in (("Region", self.region), ("Real phase", self.phase),
                         ("Studies", self.within)):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)
        screen = parent.size() if parent is not None else None
        self.resize(max(900, int(screen.width() * 0.8)) if screen else 1100,
                    max(480, int(screen.height() * 0.6)) if screen else 560)
        self.pairs: list[dict] = []
        self._generation = 0  # the listing being filled; an older one stops
        self._filled = 0
        self.query = BackgroundJob(_HintStatus(self.hint), self)
        self.query.finished.connect(self._list)
        self.query.failed.connect(lambda exc: self.hint.setText(str(exc)))
        self.refresh()

    def resizeEvent(self, event) -> None:
        """Wrapped reasons take the rows' height they need at the width the column gets,
        once the layout has given it (hence after this event)."""
        super().resizeEvent(event)
        generation = self._generation
        QTimer.singleShot(0, lambda: self._fit_rows(generation, 0))

    @property
    def busy(self) -> bool:
        """Whether the pairs are still being found or listed."""
        return self.query.running or self._filled < len(self.pairs)

    def refresh(self) -> None:
        """Find the pairs for the filters in the background (the catalogue of a whole
        programme takes a moment), then list them, best first."""
        region = None if self.region.currentText() == ANY else self.region.currentText()
        phase = None if self.phase.currentText() == ANY else self.phase.currentText()
        folder, target = self.folder, self.loader.target_phase
        within = self.within.value() or None
        self.save.setEnabled(False)
        self._generation += 1
        self.query.start(lambda progress, cancel: find_pairs(
            folder, region=region, phase=phase, target=target, within_days=within),
            "Finding pairs")

    def _list(self, pairs: list[dict]) -> None:
        self.pairs = pairs
        self._generation += 1
        self._filled = 0
        self.table.setRowCount(len(pairs))
        self._fill(self._generation)
        self.save.setEnabled(bool(self.pairs))
        remote = sum(p["noncontrast_location"].startswith(SCHEME) for p in self.pairs)
        self.hint.setText(
            (f"{len(self.pairs)} pair(s), best first. Double-click one to open it side by side"
             + (f" ({remote} on a PACS: retrieved when opened)" if remote else "") + ".")
            if self.pairs else "No pair matches these filters.")

    def _fill(self, generation: int) -> None:
        """The next rows of the listing, then the rest on the next turn of the event loop."""
        if generation != self._generation:
            return  # a newer listing replaced this one
        start, end = self._filled, min(len(self.pairs), self._filled + ROWS_PER_TURN)
        for r in range(start, end):
            p = self.pairs[r]
            for c, (_title, key) in enumerate(COLUMNS):
                text = str(p[key])[:8] if key == "patient" else str(p[key])
                item = QTableWidgetItem(text)
                if c == WHY:
                    item.setToolTip(p["why"])
                elif key in ("days_apart", "score"):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
            self.table.resizeRowToContents(r)
        self._filled = end
        if end < len(self.pairs):
            QTimer.singleShot(0, lambda: self._fill(generation))
        else:  # all in: size the columns once
            for c in range(len(COLUMNS)):
                if c != WHY:
                    self.table.resizeColumnToContents(c)

    def _fit_rows(self, generation: int, start: int) -> None:
        if generation != self._generation:
            return
        end = min(self._filled, start + ROWS_PER_TURN)
        for r in range(start, end):
            self.table.resizeRowToContents(r)
        if end < self._filled:
            QTimer.singleShot(0, lambda: self._fit_rows(generation, end))

    def open_pair(self, row: int) -> None:
        """Open pair ``row``: its plain series as the base, its real series to compare."""
        p = self.pairs[row]
        if not openable(p["noncontrast_location"]) or not openable(p["real_location"]):
            self.hint.setText("This pair has no files here (a header-table source, or files "
                              "moved since the scan): retrieve it, or scan again.")
            return
        self.loader.load(p["noncontrast_location"], Role.BASE, p["noncontrast_series"])
        self.loader.queue(p["real_location"], Role.COMPARE, p["real_series"])

    def save_pairs(self, path: str | Path) -> Path:
        """Write the listed pairs as the CSV `catalog export` takes."""
        written = write_pairs(self.pairs, path)
        self.hint.setText(f"Saved {len(self.pairs)} pair(s) to {path}.")
        return written

    def ask_save(self) -> None:
        """Ask where to save the listed pairs, then save them."""
        path, _ = QFileDialog.getSaveFileName(self, "Save pairs", str(self.folder /
                                              "pairs.csv"), "CSV (*.csv)")
        if path:
            self.save_pairs(path)


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
