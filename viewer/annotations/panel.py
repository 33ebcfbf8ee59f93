"""The annotation list: every annotation with its measurement and HU per layer; click to go."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inference.annotations.model import Annotation
from viewer.annotations.draft import centre_of
from viewer.annotations.text import COMPACT_SHORT, KIND_NAMES, measurement_text
from viewer.model.state import ViewerState

LAYER_COLUMNS = ("non_contrast", "synthetic", "real_contrast")


class AnnotationPanel(QDockWidget):
    """Dock listing the study's annotations; selection is shared with the views."""

    export_requested = Signal(str)  # "csv", "json" or "sr"
    edit_text_requested = Signal(object)  # Annotation

    def __init__(self, state: ViewerState, parent: QWidget | None = None) -> None:
        super().__init__("Annotations", parent)
        self.setObjectName("annotation-panel")
        self.state = state
        body = QWidget(self)
        layout = QVBoxLayout(body)
        # One statistics column, a line per layer: three wide columns hid the figures behind a
        # horizontal scroll bar in a dock a quarter of the window wide.
        self.table = QTableWidget(0, 4, body)
        self.table.setHorizontalHeaderLabels(["#", "Type", "Measurement",
                                              "HU mean ± SD [min, max]"])
        self.table.horizontalHeaderItem(3).setToolTip(
            "Per layer: NC non-contrast, SYN synthetic (digital contrast), REAL real contrast")
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_row_selected)
        # A click on the already selected row must still take the views there.
        self.table.cellClicked.connect(lambda row, _col: self.go_to(self._ids[row]))
        self.table.cellDoubleClicked.connect(self._on_double_click)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.delete_button = QPushButton("Delete", body)
        self.delete_button.clicked.connect(self.state.annotations.delete_selected)
        self.text_button = QPushButton("Edit text...", body)
        self.text_button.clicked.connect(self._request_text)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.text_button)
        buttons.addStretch(1)
        for fmt, label in (("csv", "CSV..."), ("json", "JSON..."), ("sr", "DICOM SR...")):
            b = QPushButton(f"Export {label}", body)
            b.clicked.connect(lambda _=False, f=fmt: self.export_requested.emit(f))
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.deidentify = QCheckBox("De-identify exports (DICOM PS3.15 Basic profile)", body)
        layout.addWidget(self.deidentify)
        self.setWidget(body)
        self._ids: list[str] = []
        self._updating = False
        ann = state.annotations
        ann.changed.connect(self.refresh)
        ann.selection_changed.connect(self._show_selection)
        state.volumes_changed.connect(lambda _role: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the rows from the annotations and the loaded layers."""
        ann = self.state.annotations
        layers = self.state.layers()
        items = ann.items
        self._updating = True
        self.table.setRowCount(len(items))
        self._ids = [a.id for a in items]
        for row, a in enumerate(items):
            stats = ann.stats(a, layers)
            cells = [str(row + 1), KIND_NAMES[a.kind],
                     a.text if a.text and not measurement_text(a) else measurement_text(a)]
            cells.append("\n".join(
                f"{COMPACT_SHORT[layer]} {s['mean']:.1f} ± {s['sd']:.1f} [{s['min']:.0f}, "
                f"{s['max']:.0f}]" for layer in LAYER_COLUMNS
                if (s := stats.get(layer, {})).get("voxels")))
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeRowsToContents()
        self._updating = False
        self._show_selection(ann.selected)

    def _show_selection(self, annotation_id: str | None) -> None:
        self._updating = True
        if annotation_id in self._ids:
            self.table.selectRow(self._ids.index(annotation_id))
        else:
            self.table.clearSelection()
        self._updating = False
        has = annotation_id is not None
        self.delete_button.setEnabled(has)
        self.text_button.setEnabled(has)

    def _on_row_selected(self) -> None:
        if self._updating:
            return
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.go_to(self._ids[rows[0].row()])

    def go_to(self, annotation_id: str) -> None:
        """Select an annotation and move every view to it."""
        ann = self.state.annotations
        annotation = ann.get(annotation_id)
        if annotation is None:
            return
        ann.select(annotation_id)
        self.state.set_cursor(centre_of(annotation))

    def _on_double_click(self, row: int, _col: int) -> None:
        annotation = self.state.annotations.get(self._ids[row])
        if annotation is not None:
            self.edit_text_requested.emit(annotation)

    def _request_text(self) -> None:
        annotation: Annotation | None = self.state.annotations.get(
            self.state.annotations.selected)
        if annotation is not None:
            self.edit_text_requested.emit(annotation)

    def row_texts(self) -> list[list[str]]:
        """The table as text (what the user reads)."""
        return [[self.table.item(r, c).text() if self.table.item(r, c) else ""
                 for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

    def keyPressEvent(self, event) -> None:
        """Delete removes the selected annotation from the list too."""
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.state.annotations.delete_selected()
            return
        super().keyPressEvent(event)
