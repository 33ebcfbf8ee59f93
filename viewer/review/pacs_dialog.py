"""File > Open from PACS: choose a node, search studies, pick a series, retrieve and open it.

Patient names appear on this screen only (never in a log). The retrieval runs in the
background through the loader (progress and Cancel), into the local cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inference.errors import DcreviewError
from inference.io.identity import display_date, display_name
from inference.pacs.nodes import PacsNode, load_nodes
from inference.pacs.query_terms import DATE_CHOICES, name_pattern, study_date_range
from viewer.review.jobs import BackgroundJob

STUDY_COLUMNS = (("PatientName", "Patient"), ("PatientID", "ID"), ("StudyDate", "Date"),
                 ("StudyDescription", "Study"), ("ModalitiesInStudy", "Modality"),
                 ("NumberOfStudyRelatedSeries", "Series"))
SERIES_COLUMNS = (("SeriesNumber", "No."), ("SeriesDescription", "Series"),
                  ("Modality", "Modality"), ("NumberOfSeriesRelatedInstances", "Images"),
                  ("ContrastBolusAgent", "Contrast"))


def _table(parent: QWidget, columns) -> QTableWidget:
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels([title for _key, title in columns])
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.horizontalHeader().setStretchLastSection(True)
    return table


# Cells read as people read them: names "DOE, JANE", dates "2026-01-01" (never DICOM syntax).
SHOWN_AS = {"PatientName": display_name, "StudyDate": display_date}


def _fill(table: QTableWidget, rows: list[dict], columns) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, (key, _title) in enumerate(columns):
            text = SHOWN_AS.get(key, str)(str(row.get(key, "")))
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()


def _py_date(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


class _QueryStatus:
    """A query in progress: said in the hint line, the query buttons off until it answers."""

    def __init__(self, dialog: PacsDialog) -> None:
        self.dialog = dialog

    def attach(self, cancel: Callable[[], None], title: str) -> None:
        """The query started."""
        self.dialog.hint.setText(f"{title}...")
        for button in (self.dialog.test_button, self.dialog.search_button,
                       self.dialog.open_button, self.dialog.study_button):
            button.setEnabled(False)

    def update(self, event) -> None:
        """Queries report no progress."""

    def detach(self) -> None:
        """The query answered or failed (the dialog re-enables what applies)."""


class PacsDialog(QDialog):
    """Search and pick; ``open_series(node, study_uid, series_uid, expected)`` retrieves one
    series, ``open_study(node, study_uid, series_uid)`` the whole study."""

    def __init__(self, parent: QWidget,
                 open_series: Callable[[PacsNode, str, str, int | None], None],
                 open_study: Callable[[PacsNode, str, str], None],
                 show_error: Callable[[str, str], object]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open from PACS")
        self.open_series, self.open_study = open_series, open_study
        self.show_error = show_error
        self.nodes = load_nodes()
        self.studies: list[dict] = []
        self.series: list[dict] = []
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.node_combo = QComboBox(self)
        self.nodes_button = QPushButton("Nodes...", self)
        self.nodes_button.setToolTip("Add, edit, remove or test PACS nodes")
        self.nodes_button.clicked.connect(self.edit_nodes)
        node_row = QHBoxLayout()
        node_row.addWidget(self.node_combo, 1)
        node_row.addWidget(self.nodes_button)
        form.addRow("PACS", node_row)
        labels = (("PatientID", "Patient ID"), ("PatientName", "Name"),
                  ("ModalitiesInStudy", "Modality"), ("AccessionNumber", "Accession"))
        self.fields = {key: QLineEdit(self) for key, _label in labels}
        self.fields["PatientName"].setPlaceholderText("Family name, given name  (* and ? "
                                                      "match any letters)")
        self.fields["ModalitiesInStudy"].setPlaceholderText("CT")
        for key, label in labels[:2]:
            form.addRow(label, self.fields[key])
        form.addRow("Study date", self._date_row())
        for key, label in labels[2:]:
            form.addRow(label, self.fields[key])
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.test_button = QPushButton("Test connection", self)
        self.test_button.clicked.connect(self.test_connection)
        buttons.addWidget(self.test_button)
        self.search_button = QPushButton("Search", self)
        self.search_button.clicked.connect(self.search)
        buttons.addWidget(self.search_button)
        self.open_button = QPushButton("Retrieve and open series", self)
        self.open_button.clicked.connect(self.open_selected)
        buttons.addWidget(self.open_button)
        self.study_button = QPushButton("Retrieve whole study", self)
        self.study_button.setToolTip("Every series into the local cache; the selected one "
                                     "(or the first) opens")
        self.study_button.clicked.connect(self.open_whole_study)
        buttons.addWidget(self.study_button)
        layout.addLayout(buttons)
        self.hint = QLabel("", self)
        layout.addWidget(self.hint)
        self.study_table = _table(self, STUDY_COLUMNS)
        self.study_table.itemSelectionChanged.connect(self.list_series)
        layout.addWidget(self.study_table)
        self.series_table = _table(self, SERIES_COLUMNS)
        self.series_table.cellDoubleClicked.connect(lambda _r, _c: self.open_selected())
        layout.addWidget(self.series_table)
        self._answer: Callable[[object], None] = lambda _result: None
        self._refusal: Callable[[DcreviewError], None] | None = None
        self.query = BackgroundJob(_QueryStatus(self), self)
        self.query.finished.connect(self._answered)
        self.query.failed.connect(self._failed)
        self.reload_nodes()
        self.resize(820, 560)  # kept between openings: the last search stays listed

    def _date_row(self) -> QHBoxLayout:
        self.date_choice = QComboBox(self)
        self.date_choice.addItems([label for label, _days in DATE_CHOICES])
        today = QDate.currentDate()
        self.date_from, self.date_to = (QDateEdit(today.addDays(-7), self), QDateEdit(today, self))
        row = QHBoxLayout()
        row.addWidget(self.date_choice, 1)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)  # a calendar, not typed digits
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        row.addWidget(QLabel("from", self))
        row.addWidget(self.date_from)
        row.addWidget(QLabel("to", self))
        row.addWidget(self.date_to)
        self.date_choice.currentTextChanged.connect(
            lambda text: [e.setEnabled(text == "Between...") for e in (self.date_from,
                                                                        self.date_to)])
        return row

    def filters(self, today: dt.date | None = None) -> dict[str, str]:
        """The search as DICOM matching keys (the PACS's syntax, never shown)."""
        found = {k: w.text().strip() for k, w in self.fields.items() if w.text().strip()}
        if "PatientName" in found:
            found["PatientName"] = name_pattern(found["PatientName"])
        dates = study_date_range(self.date_choice.currentText(), today or dt.date.today(),
                                 _py_date(self.date_from.date()), _py_date(self.date_to.date()))
        if dates:
            found["StudyDate"] = dates
        return found

    def reload_nodes(self) -> None:
        """Fill the node list from the settings (again, after editing)."""
        current = self.node_combo.currentData()
        self.nodes = load_nodes()
        self.node_combo.clear()
        for name, node in self.nodes.items():
            self.node_combo.addItem(node.describe(), name)
        if current in self.nodes:
            self.node_combo.setCurrentIndex(list(self.nodes).index(current))
        self._enable()
        self.hint.setText("" if self.nodes else "No PACS is configured: add one with Nodes...")

    def edit_nodes(self) -> QDialog:
        """The node settings; the list here follows what is saved there."""
        from viewer.review.pacs_nodes_dialog import PacsNodesDialog

        editor = PacsNodesDialog(self)
        editor.finished.connect(lambda _result: self.reload_nodes())
        editor.open()
        return editor

    @property
    def node(self) -> PacsNode | None:
        """The chosen node."""
        name = self.node_combo.currentData()
        return self.nodes.get(name) if name else None

    def _ask(self, what: str, fn: Callable[[], object], answer: Callable[[object], None],
             failed: Callable[[DcreviewError], None] | None = None) -> None:
        """Run one query in the background (a slow or silent PACS must not freeze this);
        ``answer`` takes its result, ``failed`` its refusal (default: an error box)."""
        node = self.node
        if node is None:
            return
        self._answer, self._refusal = answer, failed
        self.query.start(lambda progress, cancel: fn(), f"{what} ({node.name})")

    def _answered(self, result) -> None:
        self._answer(result)
        self._enable()

    def _failed(self, exc: Exception) -> None:
        self._enable()
        if not isinstance(exc, DcreviewError):
            self.show_error("PACS query failed", f"{type(exc).__name__}: {exc}")
        elif self._refusal is not None:
            self._refusal(exc)
        else:
            self.hint.setText("")
            self.show_error("PACS query failed", str(exc))

    def _enable(self) -> None:
        busy = self.query.running
        for button in (self.test_button, self.search_button):
            button.setEnabled(bool(self.nodes) and not busy)
        for button in (self.open_button, self.study_button):
            button.setEnabled(bool(self.series) and not busy)

    def test_connection(self) -> None:
        """C-ECHO, or a QIDO request for a DICOMweb node; the answer in the hint line."""
        from inference.pacs import client

        node = self.node
        self._ask("Testing the connection", lambda: client.test_connection(node),
                  lambda _none: self.hint.setText(f"{node.name} answers."),
                  lambda exc: self.hint.setText(f"Connection failed: {exc}"))

    def search(self) -> None:
        """Study-level query with the filled fields."""
        from inference.pacs import client

        node = self.node
        filters = self.filters()
        self.series = []
        self._ask("Searching", lambda: client.find_studies(node, **filters), self._show_studies)

    def _show_studies(self, studies: list[dict]) -> None:
        self.studies = studies
        _fill(self.study_table, self.studies, STUDY_COLUMNS)
        _fill(self.series_table, [], SERIES_COLUMNS)
        n = len(self.studies)
        self.hint.setText(f"{n} stud{'y' if n == 1 else 'ies'} found; choose one, then a series")

    def list_series(self) -> None:
        """The selected study's series."""
        from inference.pacs import client

        rows = self.study_table.selectionModel().selectedRows()
        node = self.node
        if not rows or node is None:
            return
        study_uid = self.studies[rows[0].row()]["StudyInstanceUID"]
        self.series = []
        self._ask("Listing series", lambda: client.find_series(node, study_uid),
                  self._show_series)

    def _show_series(self, series: list[dict]) -> None:
        self.series = series
        _fill(self.series_table, self.series, SERIES_COLUMNS)
        self.hint.setText(f"{len(self.series)} series in the study")

    def open_selected(self) -> None:
        """Retrieve the selected series (in the background) and open it."""
        studies = self.study_table.selectionModel().selectedRows()
        series = self.series_table.selectionModel().selectedRows()
        node = self.node
        if not studies or not series or node is None:
            return
        from inference.pacs.client import expected_count

        chosen = self.series[series[0].row()]
        self.open_series(node, self.studies[studies[0].row()]["StudyInstanceUID"],
                         chosen["SeriesInstanceUID"], expected_count(chosen))
        self.accept()

    def open_whole_study(self) -> None:
        """Retrieve every series of the selected study; open the selected (or first) one."""
        studies = self.study_table.selectionModel().selectedRows()
        node = self.node
        if not studies or not self.series or node is None:
            return
        series = self.series_table.selectionModel().selectedRows()
        chosen = self.series[series[0].row() if series else 0]
        self.open_study(node, self.studies[studies[0].row()]["StudyInstanceUID"],
                        chosen["SeriesInstanceUID"])
        self.accept()
