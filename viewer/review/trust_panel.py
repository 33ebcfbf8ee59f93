"""The trust findings panel: the verdict of the synthetic's checks and every finding with its
value and threshold; a click takes the views to where it was measured. Never shown in a
blinded arm (the viewer's provenance rule decides)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDockWidget,
    QHeaderView,
    QLabel,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from viewer.model import provenance
from viewer.model.state import ViewerState

# Light tones: the panel is dark (the reading-room theme), and dark greens and reds vanish.
STATUS_COLOURS = {"fail": "#ef5350", "warn": "#ffb74d", "pass": "#66bb6a",
                  "not measured": "#9e9e9e"}
VERDICT_COLOURS = {"consistent": "#66bb6a", "review with care": "#ffb74d",
                   "real contrast recommended": "#ef5350"}
COLUMNS = ("Check", "Result", "Finding")  # the finding says its value and threshold


class TrustPanel(QDockWidget):
    """Dock listing the trust findings of the shown synthetic."""

    @classmethod
    def docked(cls, window: QMainWindow, state: ViewerState,
               show_status: Callable[[str, int], None]) -> TrustPanel:
        """The panel docked right in ``window``, shown whenever a checked synthetic is."""
        panel = cls(state, window)
        panel._status = show_status
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
        panel.hide()
        state.volumes_changed.connect(lambda _role: panel.follow())
        return panel

    def follow(self) -> None:
        """A checked synthetic brings its findings up; without one (or blinded) they go."""
        if not self.has_findings:
            self.hide()
        elif not self.isVisible():
            self.show()
            window = self.parentWidget()
            if isinstance(window, QMainWindow):  # about a quarter of the window
                window.resizeDocks([self], [max(360, window.width() // 4)],
                                   Qt.Orientation.Horizontal)

    def toggle(self) -> None:
        """Synthesis > Trust checks: show or hide the panel."""
        if self.isVisible():
            self.hide()
        elif self.has_findings:
            self.follow()
        elif self._status is not None:
            self._status("No checked digital contrast is shown", 5000)

    def __init__(self, state: ViewerState, parent: QWidget | None = None) -> None:
        super().__init__("Trust checks", parent)
        self.setObjectName("trust-panel")
        self.state = state
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.verdict = QLabel("", body)
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        self.table = QTableWidget(0, len(COLUMNS), body)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        self.table.setWordWrap(True)  # a finding is read whole, never cut short
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.cellClicked.connect(lambda row, _col: self.go_to(row))
        layout.addWidget(self.table)
        self.note = QLabel("Click a finding to go to where it was measured. The checks compare "
                           "the synthetic with what its model card promises; they cannot prove "
                           "a synthetic right.", body)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.setWidget(body)
        self._where: list[tuple[int, int, int] | None] = []
        self._status: Callable[[str, int], None] | None = None
        state.volumes_changed.connect(lambda _role: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Rebuild from the shown synthetic; empty (and hidden by the window) without one."""
        shown = provenance.trust_findings(self.state)
        self._where = []
        if shown is None:
            self.verdict.setText("")
            self.table.setRowCount(0)
            return
        verdict, findings = shown
        colour = VERDICT_COLOURS.get(verdict, "#9e9e9e")
        flagged = sum(f.get("status") in ("warn", "fail") for f in findings)
        self.verdict.setText(f"<b style='color:{colour}'>Trust verdict: {verdict}</b> "
                             f"({flagged} of {len(findings)} checks flagged)")
        self.table.setRowCount(len(findings))
        for row, f in enumerate(findings):
            value = f.get("value")
            value_text = "" if value is None else (
                f"{value:g} {f.get('unit', '')}".strip() if isinstance(value, (int, float))
                else str(value))
            cells = (f.get("check", ""), f.get("status", ""), f.get("text", ""))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                item.setToolTip(f"measured {value_text or 'nothing'}; expected "
                                f"{f.get('threshold', '')}")
                if col == 1:
                    item.setForeground(QColor(STATUS_COLOURS.get(f.get("status"), "#9e9e9e")))
                self.table.setItem(row, col, item)
            where = f.get("where")
            self._where.append(tuple(int(v) for v in where) if where else None)
        self.table.resizeRowsToContents()

    def resizeEvent(self, event) -> None:
        """Re-wrap the findings to the panel's new width."""
        super().resizeEvent(event)
        self.table.resizeRowsToContents()

    @property
    def has_findings(self) -> bool:
        """True when a checked synthetic is shown (outside a blinded arm)."""
        return self.table.rowCount() > 0

    def go_to(self, row: int) -> bool:
        """Move every view to where finding ``row`` was measured (False: no place known)."""
        volume = provenance.trusted_volume(self.state)
        if volume is None or row >= len(self._where) or self._where[row] is None:
            return False
        k, j, i = self._where[row]
        point = volume.geometry.index_to_world(np.array([i, j, k], dtype=float))
        self.state.set_cursor(point)
        return True

    def rows(self) -> list[list[str]]:
        """The table's texts (for tests and screen readers)."""
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]
