"""The comparison dock: metrics against the real scan and the plots people read faster."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inference.annotations.model import Kind
from inference.compare.metrics import body_mask, compare
from inference.compare.profiles import bland_altman, difference_histogram, line_profile
from viewer.model.annotations import STATS_KINDS
from viewer.model.layout import Role
from viewer.model.state import ViewerState
from viewer.review.jobs import Worker, start

ROWS = (("MAE (HU)", "mae_hu", "{:.1f}"), ("PSNR (dB)", "psnr_db", "{:.2f}"),
        ("SSIM", "ssim", "{:.4f}"))
SERIES_COLOURS = {Role.BASE: "0.5", Role.OVERLAY: "tab:red", Role.COMPARE: "tab:blue"}


class ComparisonPanel(QDockWidget):
    """Synthetic vs real (and the identity baseline), a profile and a difference histogram."""

    def __init__(self, state: ViewerState, parent: QWidget | None = None) -> None:
        super().__init__("Compare with real contrast", parent)
        self.setObjectName("comparison-dock")
        self.state = state
        self.figures: dict | None = None
        self.bland_altman_data: dict | None = None
        self._computing_for: tuple = ()
        self.worker: Worker | None = None
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.note = QLabel("Needs the non-contrast, the digital contrast and a real contrast "
                           "scan registered onto the same grid.")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.table = QTableWidget(len(ROWS), 2, body)
        self.table.setHorizontalHeaderLabels(["synthetic vs real", "non-contrast vs real"])
        self.table.setVerticalHeaderLabels([r[0] for r in ROWS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMaximumHeight(130)
        layout.addWidget(self.table)
        self.figure = Figure(figsize=(4.5, 7.0), tight_layout=True)
        self.canvas = FigureCanvasQTAgg(self.figure)
        layout.addWidget(self.canvas, 1)
        buttons = QHBoxLayout()
        self.compute_button = QPushButton("Compute")
        self.export_button = QPushButton("Export plots (PNG)...")
        buttons.addWidget(self.compute_button)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        self.setWidget(body)
        self.compute_button.clicked.connect(self.compute)
        self.export_button.clicked.connect(self._choose_export)
        state.volumes_changed.connect(lambda _r: self._update_enabled())
        # Plots follow the annotations (a chosen ruler, new ROIs) while the dock is open.
        state.annotations.changed.connect(self._redraw_if_visible)
        state.annotations.selection_changed.connect(lambda _id: self._redraw_if_visible())
        self._update_enabled()

    def _redraw_if_visible(self) -> None:
        if self.isVisible():
            self.redraw()

    def ready(self) -> bool:
        """True when all three series are loaded and the real scan is registered."""
        return self.state.overlay is not None and self.state.compare_registered

    def _update_enabled(self) -> None:
        self.compute_button.setEnabled(self.ready() and self.worker is None)

    def compute(self) -> Worker | None:
        """Compute metrics in the background, then redraw the plots."""
        if not self.ready():
            return None
        st = self.state
        base, synthetic, real = st.base, st.overlay, st.volumes[Role.COMPARE]

        def job(progress, cancel):
            figures = compare(base.array, synthetic.array, real.array)
            mask = body_mask(real.array)
            figures["histogram"] = difference_histogram(synthetic.array, real.array, mask)
            return figures

        self.worker = Worker(job)
        self._computing_for = self._series_key()
        self.worker.signals.finished.connect(self._on_computed)
        self.worker.signals.errored.connect(lambda exc: self.note.setText(f"Failed: {exc}"))
        self.note.setText("Computing...")
        self._update_enabled()
        return start(self.worker)

    def _series_key(self) -> tuple:
        st = self.state
        return tuple(None if v is None else v.token
                     for v in (st.base, st.overlay, st.volumes.get(Role.COMPARE)))

    def _on_computed(self, figures: dict) -> None:
        self.worker = None
        if self._computing_for != self._series_key():
            # The series changed while this ran (new study, re-registration): never show
            # metrics of images that are no longer on screen.
            self.figures = None
            self.note.setText("The series changed while computing: press Compute again.")
            self._update_enabled()
            return
        self.figures = figures
        for row, (_label, key, fmt) in enumerate(ROWS):
            for col, group in enumerate(("synthetic_vs_real", "identity_baseline")):
                self.table.setItem(row, col, QTableWidgetItem(fmt.format(figures[group][key])))
        self.note.setText(f"Inside the body mask of the real scan "
                          f"({figures['body_mask_voxels']} voxels). SYNTHETIC = AI-generated.")
        self.redraw()
        self._update_enabled()

    def profile_line(self) -> tuple[np.ndarray, np.ndarray, str] | None:
        """The selected ruler, else the right-left line through the crosshair."""
        base = self.state.base
        if base is None:
            return None
        ann = self.state.annotations
        chosen = ann.get(ann.selected)
        if chosen is not None and chosen.kind is Kind.RULER:
            a, b = chosen.array
            n = [x.id for x in ann.items].index(chosen.id) + 1
            return a, b, f"mm along ruler {n}"
        c = self.state.cursor
        half = base.geometry.extent_mm(base.shape)[0] / 2
        return (c - np.array([half, 0, 0]), c + np.array([half, 0, 0]),
                "mm along the right-left line through the crosshair")

    def roi_pairs(self) -> list[tuple[int, float, float]]:
        """(ROI number, synthetic mean, real mean) for every ROI with voxels in both."""
        ann, layers = self.state.annotations, self.state.layers()
        if "synthetic" not in layers or "real_contrast" not in layers:
            return []
        out = []
        for n, a in enumerate(ann.items, 1):
            if a.kind not in STATS_KINDS:
                continue
            st = ann.stats(a, layers)
            syn, real = st.get("synthetic", {}), st.get("real_contrast", {})
            if syn.get("voxels") and real.get("voxels"):
                out.append((n, syn["mean"], real["mean"]))
        return out

    def redraw(self) -> None:
        """HU profile, difference histogram and Bland-Altman of ROI means."""
        self.figure.clear()
        ax1, ax2, ax3 = self.figure.subplots(3, 1)
        line = self.profile_line()
        if line is not None:
            start, end, xlabel = line
            for role, vol in self.state.volumes.items():
                x, hu = line_profile(vol, start, end)
                label = role.value + (" (SYNTHETIC)" if vol.synthetic else "")
                ax1.plot(x, hu, color=SERIES_COLOURS[role], label=label, lw=1)
            ax1.set_xlabel(xlabel, fontsize=8)
            ax1.set_ylabel("HU")
            ax1.legend(fontsize=7)
        if self.figures is not None:
            centres, counts = self.figures["histogram"]
            ax2.bar(centres, counts, width=centres[1] - centres[0], color="tab:purple")
            ax2.set_xlabel("synthetic - real (HU), inside the body", fontsize=8)
            ax2.set_ylabel("voxels")
        pairs = self.roi_pairs()
        self.bland_altman_data = None
        if len(pairs) >= 2:
            numbers, syn, real = zip(*pairs, strict=True)
            ba = bland_altman(np.array(syn), np.array(real))
            self.bland_altman_data = {"roi": list(numbers), **ba}
            ax3.scatter(ba["mean"], ba["difference"], s=14, color="tab:red")
            for n, x, y in zip(numbers, ba["mean"], ba["difference"], strict=True):
                ax3.annotate(str(n), (x, y), fontsize=7, xytext=(3, 3),
                             textcoords="offset points")
            ax3.axhline(ba["bias"], color="k", lw=1, label=f"bias {ba['bias']:.1f} HU")
            for limit in ba["limits"]:
                ax3.axhline(limit, color="k", lw=0.8, ls="--")
            ax3.set_xlabel("mean of synthetic and real ROI means (HU)", fontsize=8)
            ax3.set_ylabel("synthetic - real (HU)", fontsize=8)
            ax3.legend(fontsize=7, title="95% limits dashed", title_fontsize=7)
        else:
            ax3.text(0.5, 0.5, "Bland-Altman: draw two or more ROIs (Annotate menu)\n"
                     "with the digital contrast and the registered real scan loaded",
                     ha="center", va="center", fontsize=8, transform=ax3.transAxes)
            ax3.set_axis_off()
        self.canvas.draw()

    def export_png(self, path: str | Path) -> Path:
        """Write the plots to a PNG file."""
        path = Path(path)
        # A report-sized page whatever the dock's size on screen.
        size = self.figure.get_size_inches()
        self.figure.set_size_inches(6.5, 9.0)
        try:
            self.figure.savefig(path, dpi=120)
        finally:
            self.figure.set_size_inches(*size)
            self.canvas.draw()
        return path

    def _choose_export(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "comparison.png",
                                              "PNG (*.png)")
        if path:
            self.export_png(path)
