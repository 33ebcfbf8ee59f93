"""File > Open batch results: a cohort's cases with their figures; double-click opens one.

The case opens as its non-contrast scan, the digital contrast as the overlay and, when the
batch had one, the real contrast scan in the compare layout (register it with Compare >
Register as for any real scan).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inference.errors import LoadError
from viewer.model.layout import Role

COLUMNS = ("Case", "Status", "MAE HU (identity)", "PSNR dB", "SSIM", "Lumen Dice", "Domain",
           "Why (domain findings or failure)")
# Columns whose cells sort by their number, not their text ("9.5" before "10.2").
NUMERIC = frozenset({"MAE HU (identity)", "PSNR dB", "SSIM", "Lumen Dice"})


def read_cohort(outdir: str | Path) -> tuple[dict, list[dict]]:
    """The totals and per-case results of a batch output folder."""
    path = Path(outdir) / "cohort.json"
    if not path.exists():
        raise LoadError(f"{Path(outdir).name} holds no cohort.json: choose a folder written by "
                        "dcreview batch")
    data = json.loads(path.read_text())
    return data["totals"], sorted(data["cases"], key=lambda r: str(r.get("case")))


def row_texts(result: dict) -> list[str]:
    """One case as the table's cells."""
    ev = result.get("evaluation") or {}
    mae = (f"{ev['mae_hu']:.1f} ({ev['identity_mae_hu']:.1f})" if "mae_hu" in ev else "")
    domain = result.get("domain") or {}
    why = "; ".join([*([str(result["reason"])] if result.get("reason") else []),
                     *domain.get("warnings", [])])
    return [str(result.get("case", "")), str(result.get("status", "")), mae,
            f"{ev['psnr_db']:.1f}" if "psnr_db" in ev else "",
            f"{ev['ssim']:.3f}" if "ssim" in ev else "",
            f"{ev['lumen_dice']:.3f}" if "lumen_dice" in ev else "",
            "outside" if domain.get("warnings") else ("inside" if domain else ""), why]


def sort_key(text: str) -> float:
    """A numeric cell's sort value; an empty cell sorts after every figure."""
    try:
        return float(text.split()[0])
    except (ValueError, IndexError):
        return float("inf")


class _Cell(QTableWidgetItem):
    """A cell that sorts numerically when its column holds figures."""

    def __init__(self, text: str, numeric: bool) -> None:
        super().__init__(text)
        self.numeric = numeric

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if self.numeric:
            return sort_key(self.text()) < sort_key(other.text())
        return self.text() < other.text()


class BatchResultsDialog(QDialog):
    """The table of cases; ``open_case`` receives the chosen case's result."""

    def __init__(self, parent: QWidget, outdir: str | Path,
                 open_case: Callable[[dict], None],
                 open_url: Callable[[QUrl], object] = QDesktopServices.openUrl) -> None:
        super().__init__(parent)
        totals, self.results = read_cohort(outdir)
        self.summary = Path(outdir) / "summary.html"
        self.setWindowTitle(f"Batch results: {Path(outdir).name}")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            f"{totals['ok']} of {totals['cases']} cases done, {totals['failed']} failed, "
            f"{totals['out_of_domain']} outside the model's domain. SYNTHETIC digital "
            "contrast. Double-click a case to open it."))
        self.table = QTableWidget(len(self.results), len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for r, result in enumerate(self.results):
            for c, text in enumerate(row_texts(result)):
                item = _Cell(text, COLUMNS[c] in NUMERIC)
                item.setData(Qt.ItemDataRole.UserRole, r)  # the result behind a sorted row
                if c == len(COLUMNS) - 1:
                    item.setToolTip(text.replace("; ", "\n"))
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setSortingEnabled(True)  # click a header; again for the other way round
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.cellDoubleClicked.connect(lambda row, _c: open_case(self.result_at(row)))
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.summary_button = buttons.addButton("Open summary (HTML)",
                                                QDialogButtonBox.ButtonRole.ActionRole)
        self.summary_button.setEnabled(self.summary.exists())
        if not self.summary.exists():
            self.summary_button.setToolTip("This batch folder holds no summary.html")
        self.summary_button.clicked.connect(
            lambda: open_url(QUrl.fromLocalFile(str(self.summary.resolve()))))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(1100, 460)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def result_at(self, row: int) -> dict:
        """The case shown in a table row, whatever the sort order."""
        return self.results[self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)]


class BatchResults:
    """File > Open batch results: choose the folder, list the cases, open one."""

    def __init__(self, window: QWidget, loader, settings,
                 show_error: Callable[[str, str], None],
                 show_status: Callable[[str, int], None]) -> None:
        self.window, self.loader, self.settings = window, loader, settings
        self.show_error, self.show_status = show_error, show_status

    def choose(self) -> None:
        """Ask for a `dcreview batch` output folder and list its cases."""
        folder = QFileDialog.getExistingDirectory(self.window, "Open batch results (output "
                                                  "folder)", self.settings.last_folder)
        if folder:
            self.show(folder)

    def show(self, outdir: str | Path) -> BatchResultsDialog | None:
        """The cases of a batch, with their figures; double-click opens one."""
        try:
            dialog = BatchResultsDialog(self.window, outdir, self.open_case)
        except LoadError as exc:
            self.show_error("Cannot open batch results", str(exc))
            return None
        dialog.open()
        return dialog

    def open_case(self, result: dict) -> None:
        """Open a case: non-contrast, its digital contrast, and the real scan if any."""
        if result.get("status") != "ok" or not result.get("noncontrast"):
            self.show_status(f"Case {result.get('case')} has no output to open", 8000)
            return
        self.loader.load(result["noncontrast"], Role.BASE)
        self.loader.queue(result["output"], Role.OVERLAY)
        if result.get("real"):
            self.loader.queue(result["real"], Role.COMPARE)
