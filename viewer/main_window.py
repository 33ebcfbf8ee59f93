"""The main window: three linked orthogonal views of the loaded study."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QSplitter,
    QWidget,
)
from vtkmodules.vtkRenderingCore import vtkImageProperty

from inference import __version__
from inference.demo_case import DEMO_NOTICE
from inference.errors import LoadCancelled, MultipleSeriesError, StudyError
from inference.progress import ProgressEvent
from inference.study_loader import LoadResult, open_volume
from inference.volume import Volume
from viewer.background import Worker, start
from viewer.screenshot import capture, compose_row
from viewer.slice_view import SliceView
from viewer.view_orientation import Plane
from viewer.window_level import WindowLevel, default_window, presets, resolve

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Axial, coronal and sagittal views sharing one cursor and one window/level."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"dcreview {__version__}")
        self.resize(1500, 560)
        self.volume: Volume | None = None
        self.load_warnings: list[str] = []
        self.last_error: str | None = None
        self._worker: Worker | None = None
        self._progress_dialog: QProgressDialog | None = None
        self.image_property = vtkImageProperty()
        self.image_property.SetInterpolationTypeToLinear()
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.views: dict[Plane, SliceView] = {}
        for plane in (Plane.AXIAL, Plane.CORONAL, Plane.SAGITTAL):
            view = SliceView(plane, self.image_property, splitter)
            view.slice_changed.connect(self._on_slice_changed)
            view.window_changed.connect(self._on_window_changed)
            view.hovered.connect(self._on_hover)
            splitter.addWidget(view)
            self.views[plane] = view
        self.setCentralWidget(splitter)
        self.position_label = QLabel("")
        self.statusBar().addPermanentWidget(self.position_label)
        self._build_menus()

    # -- menus and shortcuts -------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (
            ("Open &folder...", QKeySequence.StandardKey.Open, self._choose_folder),
            ("Open f&ile (DICOM, NIfTI, NRRD)...", "Ctrl+Shift+O", self._choose_file),
            ("Open &demo case (synthetic phantom)", None, self.open_demo),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        view_menu = self.menuBar().addMenu("&Window")
        for n, p in enumerate(presets(), 1):
            action = QAction(f"{p.name}", self)
            action.setShortcut(str(n))
            action.triggered.connect(lambda _=False, p=p: self.apply_preset(p.key))
            view_menu.addAction(action)
            self.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About dcreview", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _about(self) -> None:
        QMessageBox.about(self, "About dcreview",
                          f"dcreview {__version__}\nReview workstation for digital contrast CT.\n\n"
                          f"The built-in demo case is a {DEMO_NOTICE.lower()}")

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open DICOM folder")
        if folder:
            self.load(folder)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open image", "", "Images (*.dcm *.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd "
            "*.zip DICOMDIR);;All files (*)")
        if path:
            self.load(path)

    def open_demo(self) -> None:
        """Open the built-in phantom case (generated into the user cache on first use)."""
        from inference.demo_case import ensure_demo_case

        def job(progress, cancel):
            case = ensure_demo_case(progress)
            cancel.raise_if_cancelled()
            return open_volume(case.noncontrast, progress=progress, cancel=cancel)

        self._run_load(job, "Preparing the demo case")

    # -- loading ---------------------------------------------------------------------------
    def load(self, path: str | Path, series: str | None = None) -> None:
        """Load a study in the background; the window stays responsive and can cancel."""
        def job(progress, cancel):
            return open_volume(path, series=series, progress=progress, cancel=cancel)

        self._pending_path = Path(path)
        self._run_load(job, f"Opening {Path(path).name}")

    def _run_load(self, job, title: str) -> None:
        if self._worker is not None:
            self._worker.cancel()
        worker = Worker(job)
        dialog = QProgressDialog(title, "Cancel", 0, 100, self)
        dialog.setWindowTitle("Loading")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(worker.cancel)
        worker.signals.progress.connect(self._on_progress)
        worker.signals.finished.connect(self._on_loaded)
        worker.signals.errored.connect(self._on_load_error)
        self._worker, self._progress_dialog = worker, dialog
        start(worker)

    def _on_progress(self, event: ProgressEvent) -> None:
        if self._progress_dialog is not None:
            eta = f" (about {event.eta_s:.0f} s left)" if event.eta_s and event.eta_s > 1 else ""
            self._progress_dialog.setLabelText(f"{event.stage}: {event.done}/{event.total}{eta}")
            self._progress_dialog.setValue(int(event.fraction * 100))

    def _finish_job(self) -> None:
        if self._progress_dialog is not None:
            self._progress_dialog.reset()
            self._progress_dialog.deleteLater()
        self._progress_dialog = None
        self._worker = None

    def _on_loaded(self, result: LoadResult) -> None:
        self._finish_job()
        self.show_volume(result.volume, result.warnings)

    def _on_load_error(self, exc: Exception) -> None:
        self._finish_job()
        if isinstance(exc, LoadCancelled):
            self.statusBar().showMessage("Loading cancelled", 5000)
        elif isinstance(exc, MultipleSeriesError):
            self._pick_series(exc)
        elif isinstance(exc, StudyError):
            self.show_error("Cannot open study", str(exc))
        else:
            log.error("unexpected error while loading: %s", type(exc).__name__)
            self.show_error("Unexpected error",
                            f"The study could not be opened ({type(exc).__name__}: {exc}).")

    def show_error(self, title: str, text: str) -> QMessageBox:
        """A readable, window-modal error message (never a traceback)."""
        self.last_error = text
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                          self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _pick_series(self, exc: MultipleSeriesError) -> None:
        labels = [desc for _, desc in exc.choices]
        label, ok = QInputDialog.getItem(self, "Choose a series",
                                         "This folder holds several series:", labels, 0, False)
        if ok:
            uid = exc.choices[labels.index(label)][0]
            self.load(self._pending_path, series=uid)

    # -- display ---------------------------------------------------------------------------
    def show_volume(self, volume: Volume, warnings: list[str] | None = None) -> None:
        """Display ``volume`` in all three views, centred, with its default window."""
        self.volume = volume
        self.load_warnings = list(warnings or [])
        centre = volume.geometry.center(volume.shape)
        for view in self.views.values():
            view.set_volume(volume, centre)
        self.set_window(default_window(volume))
        desc = volume.metadata.series_description or "volume"
        self.setWindowTitle(f"dcreview {__version__} - {desc}")
        if self.load_warnings:
            self.statusBar().showMessage("; ".join(self.load_warnings), 15000)
        self.render_all()

    def set_window(self, window: WindowLevel) -> None:
        """Apply a window/level to every view."""
        for view in self.views.values():
            view.set_window(window)
        self.render_all()

    def apply_preset(self, key: str) -> None:
        """Apply a named preset (number keys 1-6)."""
        if self.volume is None:
            return
        p = next(p for p in presets() if p.key == key)
        self.set_window(resolve(p, self.volume))
        self.statusBar().showMessage(f"Window: {p.name}", 3000)

    def render_all(self) -> None:
        """Redraw every view."""
        for view in self.views.values():
            view.render()

    def _on_slice_changed(self, cursor: np.ndarray) -> None:
        for view in self.views.values():
            view._update_info()
        self.render_all()

    def _on_window_changed(self, window: WindowLevel) -> None:
        for view in self.views.values():
            view._update_info()
        self.render_all()

    def _on_hover(self, point: np.ndarray | None) -> None:
        if point is None or self.volume is None:
            self.position_label.setText("")
            return
        value = self.volume.value_at_world(point)
        hu = "outside" if value is None else f"{value:.0f} HU"
        self.position_label.setText(
            f"R/L {point[0]:.1f}  A/P {point[1]:.1f}  S/I {point[2]:.1f} mm   {hu}")

    def capture(self) -> np.ndarray:
        """RGB pixels of the three views side by side (for screenshots and tests)."""
        return compose_row([capture(v.render_window) for v in self.views.values()])

    def closeEvent(self, event) -> None:
        """Stop background work before the window goes."""
        if self._worker is not None:
            self._worker.cancel()
        for view in self.views.values():
            view.render_window.Finalize()
        super().closeEvent(event)
