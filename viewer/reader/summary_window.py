"""The study coordinator's summary: tables and plots of the descriptive statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout

from inference.readerstudy.cli import format_summary
from inference.readerstudy.statistics import auc_ci_reason


class SummaryWindow(QDialog):
    """AUC and Turing-test accuracy with confidence intervals, plus the full text summary."""

    def __init__(self, summary: dict, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("dcreview reader study - summary (descriptive)")
        self.resize(1000, 700)
        self.summary = summary
        layout = QHBoxLayout(self)
        self.text = QPlainTextEdit(format_summary(summary), self)
        self.text.setReadOnly(True)
        # Long lines (MRMC reasons, verify's findings) wrap at the window's edge.
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.text, 1)
        right = QVBoxLayout()
        self.figure = Figure(figsize=(5, 6), tight_layout=True)
        self.canvas = FigureCanvasQTAgg(self.figure)
        right.addWidget(self.canvas, 1)
        save = QPushButton("Export plots (PNG)...", self)
        save.clicked.connect(self._choose_export)
        right.addWidget(save)
        layout.addLayout(right, 1)
        self.draw()

    def draw(self) -> None:
        """AUC per reader and arm, and real-vs-synthetic accuracy: a bar only where there is
        a 95% CI (the same rule as the text: an AUC of too few cases is a point alone)."""
        self.figure.clear()
        ax1, ax2 = self.figure.subplots(2, 1)
        aucs = [a for a in self.summary["auc"] if a["auc"] is not None]
        with_ci = [auc_ci_reason(a) is None for a in aucs]
        for ax, rows, has_ci, key, title, ref in (
                (ax1, aucs, with_ci, "auc", "AUC (Mann-Whitney); bars: DeLong 95% CI" + (
                    "" if all(with_ci) else ", where the cases allow one"), 0.5),
                (ax2, self.summary["turing"], [True] * len(self.summary["turing"]),
                 "accuracy", "Real vs synthetic: accuracy (Wilson 95% CI)", 0.5)):
            labels = [f"{r['reader']}\n{r['arm']}" for r in rows]
            values = np.array([r[key] for r in rows], float)
            if len(rows):
                err = np.array([[v - r["low"] if ci else 0.0 for v, r, ci in
                                 zip(values, rows, has_ci, strict=True)],
                                [r["high"] - v if ci else 0.0 for v, r, ci in
                                 zip(values, rows, has_ci, strict=True)]])
                ax.errorbar(range(len(rows)), values, yerr=err, fmt="o", capsize=4)
                ax.set_xticks(range(len(rows)), labels, fontsize=7)
            ax.axhline(ref, color="0.6", lw=0.8, ls="--")
            ax.set_ylim(0, 1.05)
            ax.set_title(title, fontsize=9)
        self.canvas.draw()

    def export_png(self, path: str | Path) -> Path:
        """Write the plots to a PNG."""
        self.figure.savefig(path, dpi=120)
        return Path(path)

    def _choose_export(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "study-summary.png",
                                              "PNG (*.png)")
        if path:
            self.export_png(path)


def main(folder: str) -> int:
    """`dcreview study summary STUDY --gui`."""
    from inference.readerstudy.statistics import study_summary
    from inference.readerstudy.store import StudyStore
    from viewer.views.application import application

    app = application()
    # The CLI's summary, verify's verdict and its damage warning included.
    result = study_summary(StudyStore(Path(folder)))
    window = SummaryWindow(result)
    window.show()
    return app.exec()
