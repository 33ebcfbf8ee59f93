"""The review window: layouts of linked views, the digital-contrast overlay, loading, settings."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QSlider,
    QToolBar,
    QToolButton,
    QWidget,
)

from inference import __version__
from inference.demo_case import DEMO_NOTICE
from inference.errors import LoadCancelled, MultipleSeriesError, StudyError
from inference.progress import ProgressEvent
from inference.registration import RegistrationResult
from inference.study_loader import LoadResult, open_volume
from inference.volume import Volume
from viewer.annotation_actions import AnnotationActions
from viewer.background import Worker, start
from viewer.comparison_panel import ComparisonPanel
from viewer.help_dialog import HelpDialog
from viewer.layout import Layout, Role
from viewer.registration_controller import ROTATE_DEG, TRANSLATE_MM, RegistrationController
from viewer.screenshot import save_png
from viewer.settings import ViewerSettings
from viewer.slice_view import SliceView
from viewer.state import OverlayMode, ViewerState
from viewer.synthesis_controller import SynthesisController, SynthesisOutcome
from viewer.view_grid import ViewGrid
from viewer.view_orientation import Plane
from viewer.window_level import WindowLevel, presets, resolve

log = logging.getLogger(__name__)

LAYOUT_NAMES = {Layout.ONE: "1 x 1", Layout.ROW: "1 x 3", Layout.GRID: "2 x 2 (with 3D)",
                Layout.COMPARE: "Compare series"}
OPEN_TITLES = {Role.BASE: "Opening", Role.OVERLAY: "Opening digital contrast",
               Role.COMPARE: "Opening real contrast"}


class MainWindow(QMainWindow):
    """Linked views of the non-contrast series, its digital contrast and a real contrast scan."""

    def __init__(self, settings: ViewerSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or ViewerSettings()
        self.setWindowTitle(f"dcreview {__version__}")
        self.resize(1500, 620)
        self.state = ViewerState()
        self.load_warnings: list[str] = []
        self.last_error: str | None = None
        self._worker: Worker | None = None
        self._progress_dialog: QProgressDialog | None = None
        self._pending: tuple[Path, Role] | None = None
        self._queue: list[tuple[Path, Role]] = []
        self.base_source: Path | None = None  # where the non-contrast series was loaded from
        self.grid = ViewGrid(self.state, self)
        self.setCentralWidget(self.grid)
        self.position_label = QLabel("")
        self.statusBar().addPermanentWidget(self.position_label)
        self.grid.hovered.connect(self._on_hover)
        self.synthesis = SynthesisController(self.statusBar(), self)
        self.synthesis.finished.connect(self._on_synthesised)
        self.synthesis.failed.connect(self._on_synthesis_failed)
        self.registration = RegistrationController(self.statusBar(), self)
        self.registration.finished.connect(self._on_registered)
        self.registration.failed.connect(self._on_registration_failed)
        self.comparison = ComparisonPanel(self.state, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.comparison)
        self.comparison.hide()
        self._build_actions()
        self.annotate = AnnotationActions(self, self.state)
        self.annotate.panel.hide()
        self.state.annotations.changed.connect(self._show_annotation_panel)
        self._build_toolbar()
        self._build_menus()
        self.state.overlay_changed.connect(self._sync_overlay_controls)
        self.state.volumes_changed.connect(lambda _r: self._sync_overlay_controls())
        self.state.layout_changed.connect(self._on_layout_changed)
        self.setAcceptDrops(True)
        self._restore_settings()
        self._sync_overlay_controls()

    # -- compatibility helpers used by tools and tests ---------------------------------------
    @property
    def volume(self) -> Volume | None:
        """The non-contrast (base) series."""
        return self.state.base

    @property
    def views(self) -> dict[Plane, SliceView]:
        """Visible views of the base series, by plane."""
        return {v.plane: v for v in self.grid.slice_views() if v.cell.role is Role.BASE}

    # -- actions, toolbar, menus ---------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work in every view
        return action

    def _build_actions(self) -> None:
        self.act_toggle_overlay = self._action("Show digital contrast &overlay",
                                               lambda checked: self.state.set_overlay_visible(
                                                   checked), "T", checkable=True)
        self.act_fade_in = self._action("Fade overlay in", lambda: self.state.set_overlay_opacity(
            self.state.overlay_opacity + 0.1), "]")
        self.act_fade_out = self._action("Fade overlay out", lambda: self.state.set_overlay_opacity(
            self.state.overlay_opacity - 0.1), "[")
        self.act_next_mode = self._action("Next overlay mode", self._next_mode, "M")
        self.act_crosshair = self._action("Show &crosshair", self.grid.set_crosshair_visible, "C",
                                          checkable=True)
        self.act_crosshair.setChecked(True)
        self.act_reset = self._action("&Reset view", self.reset_view, "R")
        self.act_help = self._action("&Shortcuts...", self.show_help, "F1")
        self.act_screenshot = self._action("Save &screenshot...", self._choose_screenshot, "Ctrl+S")
        self.act_synthesize = self._action("&Synthesize digital contrast", self.start_synthesis,
                                           "Ctrl+Shift+S")
        self.act_cancel_synthesis = self._action("Cancel synthesis", self.synthesis.cancel)
        self.act_energy = self._action("Last run: energy and carbon...", self.show_energy_report)
        self.act_export_dicom = self._action("Export digital contrast as &DICOM...",
                                             lambda: self._choose_export_dicom(False))
        self.act_export_dicom_deid = self._action(
            "Export digital contrast as DICOM (de-identified)...",
            lambda: self._choose_export_dicom(True))
        self.act_register = self._action("&Register real contrast scan onto the non-contrast",
                                         self.start_registration, "Ctrl+R")
        self.act_revert = self._action("Revert to the scan as acquired", self.revert_registration)
        self.act_affine = self._action(
            "Include an &affine stage (scaling, shear) after the rigid one",
            lambda on: setattr(self.registration, "affine", bool(on)), checkable=True)
        self.act_manual = self._action("&Manual adjust mode (Alt+arrows, Alt+PgUp/PgDn, "
                                       "Alt+[ / Alt+])", self._toggle_manual, checkable=True)
        self.manual_actions = []
        moves = (("Alt+Left", (0, 0, 0), (-TRANSLATE_MM, 0, 0)),
                 ("Alt+Right", (0, 0, 0), (TRANSLATE_MM, 0, 0)),
                 ("Alt+Up", (0, 0, 0), (0, -TRANSLATE_MM, 0)),
                 ("Alt+Down", (0, 0, 0), (0, TRANSLATE_MM, 0)),
                 ("Alt+PgUp", (0, 0, 0), (0, 0, TRANSLATE_MM)),
                 ("Alt+PgDown", (0, 0, 0), (0, 0, -TRANSLATE_MM)),
                 ("Alt+[", (0, 0, -ROTATE_DEG), (0, 0, 0)),
                 ("Alt+]", (0, 0, ROTATE_DEG), (0, 0, 0)))
        for key, rot, shift in moves:
            act = self._action(f"Nudge {key}", lambda _=False, r=rot, t=shift:
                               self.nudge_registration(r, t), key)
            act.setEnabled(False)
            self.manual_actions.append(act)
        self.preset_actions = []
        for n, p in enumerate(presets(), 1):
            self.preset_actions.append(self._action(f"{p.name}", lambda _=False, k=p.key:
                                                    self.apply_preset(k), str(n)))
        self.layout_group = QActionGroup(self)
        self.layout_actions = {}
        for n, layout in enumerate(Layout, 1):
            act = self._action(LAYOUT_NAMES[layout], lambda _=False, lay=layout:
                               self.state.set_layout(lay), f"Ctrl+{n}", checkable=True)
            self.layout_group.addAction(act)
            self.layout_actions[layout] = act

    def _build_toolbar(self) -> None:
        bar = QToolBar("Review", self)
        bar.setObjectName("review-toolbar")
        self.addToolBar(bar)
        bar.addWidget(QLabel(" Layout "))
        self.layout_combo = QComboBox(self)
        for layout in Layout:
            self.layout_combo.addItem(LAYOUT_NAMES[layout], layout)
        self.layout_combo.currentIndexChanged.connect(
            lambda i: self.state.set_layout(self.layout_combo.itemData(i)))
        bar.addWidget(self.layout_combo)
        bar.addWidget(QLabel("  Window "))
        self.preset_combo = QComboBox(self)
        for n, p in enumerate(presets(), 1):
            self.preset_combo.addItem(f"{n}: {p.name}", p.key)
        self.preset_combo.activated.connect(
            lambda i: self.apply_preset(self.preset_combo.itemData(i)))
        bar.addWidget(self.preset_combo)
        bar.addSeparator()
        self.overlay_button = QToolButton(self)
        self.overlay_button.setDefaultAction(self.act_toggle_overlay)
        self.overlay_button.setText("Overlay (T)")
        bar.addWidget(self.overlay_button)
        bar.addWidget(QLabel(" Fade "))
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setFixedWidth(140)
        self.opacity_slider.valueChanged.connect(
            lambda v: self.state.set_overlay_opacity(v / 100.0))
        bar.addWidget(self.opacity_slider)
        self.opacity_label = QLabel("50%")
        self.opacity_label.setMinimumWidth(40)
        bar.addWidget(self.opacity_label)
        self.mode_combo = QComboBox(self)
        for mode in OverlayMode:
            self.mode_combo.addItem(mode.value.capitalize(), mode)
        self.mode_combo.currentIndexChanged.connect(
            lambda i: self.state.set_overlay_mode(self.mode_combo.itemData(i)))
        bar.addWidget(self.mode_combo)
        self.threshold_label = QLabel("  Threshold ")
        self.threshold_spin = QDoubleSpinBox(self)
        self.threshold_spin.setRange(0, 400)
        self.threshold_spin.setSingleStep(10)
        self.threshold_spin.setSuffix(" HU")
        self.threshold_spin.valueChanged.connect(self.state.set_enhancement_threshold)
        self.threshold_action = bar.addWidget(self.threshold_label)
        self.threshold_spin_action = bar.addWidget(self.threshold_spin)
        self.swipe_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.swipe_slider.setRange(0, 100)
        self.swipe_slider.setFixedWidth(120)
        self.swipe_slider.valueChanged.connect(lambda v: self.state.set_swipe_position(v / 100))
        self.swipe_action = bar.addWidget(self.swipe_slider)
        self.annotate.build_toolbar()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (
            ("Open &folder...", QKeySequence.StandardKey.Open, self._choose_folder),
            ("Open f&ile (DICOM, NIfTI, NRRD, zip)...", "Ctrl+Shift+O", self._choose_file),
            ("Open &demo case (synthetic phantom)", None, self.open_demo),
            ("Open real &contrast scan for comparison...", None,
             lambda: self._choose_for(Role.COMPARE)),
            ("Open digital contrast &volume (overlay)...", None,
             lambda: self._choose_for(Role.OVERLAY)),
        ):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            file_menu.addAction(action)
        self.recent_menu = file_menu.addMenu("&Recent studies")
        self._rebuild_recent_menu()
        file_menu.addAction(self.act_screenshot)
        file_menu.addAction(self.act_export_dicom)
        file_menu.addAction(self.act_export_dicom_deid)
        export_image = QAction("Export digital contrast as &NIfTI / NRRD...", self)
        export_image.triggered.connect(self._choose_export_image)
        file_menu.addAction(export_image)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for act in self.layout_actions.values():
            view_menu.addAction(act)
        view_menu.addSeparator()
        view_menu.addAction(self.act_crosshair)
        view_menu.addAction(self.act_reset)
        window_menu = self.menuBar().addMenu("&Window")
        for act in self.preset_actions:
            window_menu.addAction(act)
        overlay_menu = self.menuBar().addMenu("&Overlay")
        for act in (self.act_toggle_overlay, self.act_fade_in, self.act_fade_out,
                    self.act_next_mode):
            overlay_menu.addAction(act)
        synth_menu = self.menuBar().addMenu("&Synthesis")
        synth_menu.addAction(self.act_synthesize)
        synth_menu.addAction(self.act_cancel_synthesis)
        model_menu = synth_menu.addMenu("&Model")
        self.model_group = QActionGroup(self)
        for card in self.synthesis.cards:
            act = QAction(card.label, self, checkable=True)
            act.setChecked(card is self.synthesis.card)
            act.triggered.connect(lambda _=False, c=card: self.synthesis.choose(c))
            self.model_group.addAction(act)
            model_menu.addAction(act)
        model_menu.setEnabled(bool(self.synthesis.cards))
        synth_menu.addAction(self.act_energy)
        compare_menu = self.menuBar().addMenu("&Compare")
        for act in (self.act_register, self.act_affine, self.act_revert, self.act_manual):
            compare_menu.addAction(act)
        compare_menu.addAction(self.comparison.toggleViewAction())
        self.annotate.build_menu()
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.act_help)
        about = QAction("&About dcreview", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.load(p))
        self.recent_menu.setEnabled(bool(self.settings.recent()))

    def _about(self) -> None:
        QMessageBox.about(self, "About dcreview",
                          f"dcreview {__version__}\nReview workstation for digital contrast CT.\n\n"
                          f"The built-in demo case is a {DEMO_NOTICE.lower()}")

    def show_help(self) -> HelpDialog:
        """Open the shortcuts dialog (non-blocking)."""
        dialog = HelpDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # -- settings ------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.geometry()
        if geometry:
            self.restoreGeometry(geometry)
        layout = next((lay for lay in Layout if lay.value == self.settings.layout), Layout.ROW)
        self.state.set_layout(layout)
        self._on_layout_changed(layout)

    def _on_layout_changed(self, layout: Layout) -> None:
        self.layout_actions[layout].setChecked(True)
        self.layout_combo.blockSignals(True)
        self.layout_combo.setCurrentIndex(list(Layout).index(layout))
        self.layout_combo.blockSignals(False)
        self.settings.layout = layout.value

    def closeEvent(self, event) -> None:
        """Save settings, stop background work, release render windows."""
        self.settings.save_geometry(bytes(self.saveGeometry()))
        self.settings.sync()
        if self._worker is not None:
            self._worker.cancel()
        self.grid.close_views()
        super().closeEvent(event)

    # -- opening -------------------------------------------------------------------------------
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open DICOM folder",
                                                  self.settings.last_folder)
        if folder:
            self.load(folder)

    def _choose_file(self) -> None:
        self._choose_for(Role.BASE)

    def _choose_for(self, role: Role) -> None:
        if role is not Role.BASE and self.state.base is None:
            self.show_error("Open the non-contrast series first",
                            "Open the non-contrast study before adding a series to compare.")
            return
        path, _ = QFileDialog.getOpenFileName(
            self, f"{OPEN_TITLES[role]}: choose a file (or cancel and use Open folder)",
            self.settings.last_folder, "Images (*.dcm *.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd "
            "*.zip DICOMDIR);;All files (*)")
        if path:
            self.load(path, role)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept dropped files and folders."""
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Open the first dropped path as the non-contrast study."""
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.load(urls[0])
            event.acceptProposedAction()

    def open_demo(self) -> None:
        """Open the built-in phantom case (generated into the user cache on first use)."""
        from inference.demo_case import ensure_demo_case

        def job(progress, cancel):
            case = ensure_demo_case(progress)
            cancel.raise_if_cancelled()
            return open_volume(case.noncontrast, progress=progress, cancel=cancel)

        self._run_load(job, "Preparing the demo case", Role.BASE)

    def load(self, path: str | Path, role: Role = Role.BASE, series: str | None = None) -> None:
        """Load a series for ``role`` in the background; the window stays responsive."""
        path = Path(path)

        def job(progress, cancel):
            return open_volume(path, series=series, progress=progress, cancel=cancel)

        self._pending = (path, role)
        self.settings.last_folder = str(path if path.is_dir() else path.parent)
        self._run_load(job, f"{OPEN_TITLES[role]} {path.name}", role)

    def queue_load(self, path: str | Path, role: Role) -> None:
        """Load after the current job finishes (e.g. the comparison scan after the study)."""
        if self._worker is None:
            self.load(path, role)
        else:
            self._queue.append((Path(path), role))

    def _next_queued(self) -> None:
        if self._queue and self._worker is None:
            path, role = self._queue.pop(0)
            self.load(path, role)

    def _run_load(self, job, title: str, role: Role) -> None:
        if self._worker is not None:
            self._worker.cancel()
        worker = Worker(job)
        dialog = QProgressDialog(title, "Cancel", 0, 100, self)
        dialog.setWindowTitle("Loading")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(worker.cancel)
        worker.signals.progress.connect(self._on_progress)
        worker.signals.finished.connect(lambda result, r=role: self._on_loaded(result, r))
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

    def _on_loaded(self, result: LoadResult, role: Role) -> None:
        self._finish_job()
        if self._pending is not None and role is Role.BASE:
            self.settings.add_recent(str(self._pending[0]))
            self._rebuild_recent_menu()
            self.base_source = self._pending[0]
        try:
            self.show_volume(result.volume, result.warnings, role)
        except StudyError as exc:
            self.show_error("Cannot show this series", str(exc))
        self._next_queued()

    def _on_load_error(self, exc: Exception) -> None:
        self._finish_job()
        self._queue.clear()  # what was queued depended on this series
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
        if self._pending is None:
            return
        path, role = self._pending
        labels = [desc for _, desc in exc.choices]
        label, ok = QInputDialog.getItem(self, "Choose a series",
                                         "This folder holds several series:", labels, 0, False)
        if ok:
            self.load(path, role, series=exc.choices[labels.index(label)][0])

    # -- display -------------------------------------------------------------------------------
    def show_volume(self, volume: Volume, warnings: list[str] | None = None,
                    role: Role = Role.BASE) -> None:
        """Show ``volume`` in ``role``: base (non-contrast), overlay (digital) or compare (real)."""
        if role is Role.OVERLAY:
            base = self.state.base
            if base is None or base.shape != volume.shape or not base.geometry.same_grid(
                    volume.geometry):
                raise StudyError("the digital contrast volume must be on the non-contrast "
                                 "series' grid (same size, spacing, position and orientation)")
            # Whatever is loaded as digital contrast is labelled synthetic, always.
            volume = replace(volume, synthetic=True)
        elif role is Role.BASE:
            for other in (Role.OVERLAY, Role.COMPARE):
                self.state.volumes.pop(other, None)
        if role in (Role.BASE, Role.COMPARE):
            # A new scan: any earlier registration belonged to another one.
            self.registration.original = None
            self.registration.result = None
            self.registration.transform = None
        self.load_warnings = list(warnings or [])
        self.state.set_volume(role, volume)
        if role is Role.COMPARE:
            self.state.set_layout(Layout.COMPARE)
        if role is Role.BASE:
            desc = volume.metadata.series_description or "volume"
            self.setWindowTitle(f"dcreview {__version__} - {desc}")
            if self.settings.preset:
                self.apply_preset(self.settings.preset, remember=False)
        if self.load_warnings:
            self.statusBar().showMessage("; ".join(self.load_warnings), 15000)

    def _show_annotation_panel(self) -> None:
        if self.state.annotations.items and not self.annotate.panel.isVisible():
            self.annotate.panel.show()
            # The list should not take the views' room: about a quarter of the window.
            self.resizeDocks([self.annotate.panel], [max(300, self.width() // 4)],
                             Qt.Orientation.Horizontal)

    def set_window(self, window: WindowLevel) -> None:
        """Apply a window/level to every view."""
        self.state.set_window(window)

    def apply_preset(self, key: str, remember: bool = True) -> None:
        """Apply a named preset (number keys 1-6)."""
        if self.state.base is None:
            return
        p = next(p for p in presets() if p.key == key)
        self.state.set_window(resolve(p, self.state.base))
        self.preset_combo.setCurrentIndex([q.key for q in presets()].index(key))
        if remember:
            self.settings.preset = key
        self.statusBar().showMessage(f"Window: {p.name}", 3000)

    def reset_view(self) -> None:
        """Fit the views, centre the cursor, restore the series' window."""
        base = self.state.base
        if base is None:
            return
        from viewer.window_level import default_window

        self.state.set_cursor(base.geometry.center(base.shape))
        self.grid.reset_cameras()
        self.state.set_window(default_window(base))
        self.grid.render_all()

    def _next_mode(self) -> None:
        modes = list(OverlayMode)
        self.state.set_overlay_mode(modes[(modes.index(self.state.overlay_mode) + 1) % len(modes)])

    def _sync_overlay_controls(self) -> None:
        st = self.state
        has_overlay = st.overlay is not None
        for w in (self.overlay_button, self.opacity_slider, self.mode_combo, self.threshold_spin,
                  self.swipe_slider):
            w.setEnabled(has_overlay)
        for act in (self.act_toggle_overlay, self.act_fade_in, self.act_fade_out,
                    self.act_next_mode):
            act.setEnabled(has_overlay)
        for w, value in ((self.act_toggle_overlay, st.overlay_visible),):
            w.blockSignals(True)
            w.setChecked(value)
            w.blockSignals(False)
        for w, value in ((self.opacity_slider, round(st.overlay_opacity * 100)),
                         (self.swipe_slider, round(st.swipe_position * 100))):
            w.blockSignals(True)
            w.setValue(value)
            w.blockSignals(False)
        self.threshold_spin.blockSignals(True)
        self.threshold_spin.setValue(st.enhancement_threshold)
        self.threshold_spin.blockSignals(False)
        self.mode_combo.blockSignals(True)
        self.mode_combo.setCurrentIndex(list(OverlayMode).index(st.overlay_mode))
        self.mode_combo.blockSignals(False)
        self.opacity_label.setText(f"{st.overlay_opacity:.0%}")
        enhancement = st.overlay_mode is OverlayMode.ENHANCEMENT
        self.threshold_action.setVisible(enhancement)
        self.threshold_spin_action.setVisible(enhancement)
        self.swipe_action.setVisible(st.overlay_mode is OverlayMode.SWIPE)

    # -- synthesis -----------------------------------------------------------------------------
    def start_synthesis(self) -> None:
        """Predict digital contrast for the non-contrast series, in the background."""
        if self.state.base is None:
            self.show_error("Nothing to synthesise", "Open a non-contrast CT first.")
            return
        if self.synthesis.card is None:
            self.show_error("No model installed",
                            "No synthesis model (ONNX file with its model card) is installed.")
            return
        if self.synthesis.running:
            return
        self.act_synthesize.setEnabled(False)
        self.synthesis.start(self.state.base)
        self.statusBar().showMessage(f"Synthesising with {self.synthesis.card.label}...")

    def _on_synthesised(self, outcome: SynthesisOutcome) -> None:
        self.act_synthesize.setEnabled(True)
        result = outcome.result
        try:
            self.show_volume(result.volume, role=Role.OVERLAY)
        except StudyError as exc:
            self.show_error("Cannot show the synthetic series", str(exc))
            return
        self.state.set_overlay_visible(True)
        notes = ("; " + "; ".join(result.notes)) if result.notes else ""
        self.statusBar().showMessage(
            f"Digital contrast ready: {result.slices} slices in {result.seconds:.1f} s on "
            f"{result.provider.replace('ExecutionProvider', '')}; "
            f"{outcome.energy.summary()}{notes}", 30000)

    def _on_synthesis_failed(self, exc: Exception) -> None:
        self.act_synthesize.setEnabled(True)
        self._report_job_failure(exc, "Synthesis", "Synthesis failed")

    def _report_job_failure(self, exc: Exception, job: str, title: str) -> None:
        """Cancelled: a status message; a known problem: its message; else a short dialog."""
        if isinstance(exc, LoadCancelled):
            self.statusBar().showMessage(f"{job} cancelled", 5000)
        elif isinstance(exc, StudyError):
            self.show_error(title, str(exc))
        else:
            log.error("unexpected %s error: %s", job.lower(), type(exc).__name__)
            self.show_error(title, f"{type(exc).__name__}: {exc}")

    # -- registration ----------------------------------------------------------------------
    def start_registration(self) -> None:
        """Register the real contrast scan onto the non-contrast grid in the background."""
        base, real = self.state.base, self.state.volumes.get(Role.COMPARE)
        if base is None or real is None:
            self.show_error("Nothing to register",
                            "Open the non-contrast study and a real contrast scan first.")
            return
        if self.registration.running:
            return
        # Re-registering starts again from the scan as acquired, not from a resampled copy
        # (a newly opened real scan resets ``original`` to None).
        original = self.registration.original
        self.registration.start(base, original if original is not None else real)
        self.statusBar().showMessage("Registering the real contrast scan...")

    def _on_registered(self, result: RegistrationResult) -> None:
        p = result.parameters
        self.state.set_volume(Role.COMPARE, result.resampled)
        if self.state.overlay is not None:
            self.comparison.show()
            self.comparison.compute()
        rot = ", ".join(f"{v:.1f}" for v in p["rotation_deg"])
        shift = ", ".join(f"{v:.1f}" for v in p["translation_mm"])
        warn = ("; " + "; ".join(result.warnings)) if result.warnings else ""
        stages = "rigid + affine" if self.registration.used_affine else "rigid"
        self.statusBar().showMessage(
            f"Registered ({stages}): body outlines agree to "
            f"{result.surface_distance_mm:.1f} mm (mean surface distance), Mattes MI "
            f"{result.metric:.3f}; rotation ({rot}) deg, "
            f"translation ({shift}) mm. Accept, or use Compare > Manual adjust{warn}", 60000)

    def _on_registration_failed(self, exc: Exception) -> None:
        self._report_job_failure(exc, "Registration", "Cannot register the real scan")

    def revert_registration(self) -> None:
        """Show the real scan as acquired again (not resampled)."""
        if self.registration.original is not None:
            self.state.set_volume(Role.COMPARE, self.registration.original)
            self.registration.result = None
            self.registration.transform = None
            self.statusBar().showMessage("Showing the real scan as acquired", 5000)

    def _toggle_manual(self, on: bool) -> None:
        if on and self.registration.transform is None:
            self.act_manual.setChecked(False)
            self.show_error("Register first", "Manual adjustment refines a registration: "
                            "run Compare > Register first.")
            return
        for act in self.manual_actions:
            act.setEnabled(on)
        self.statusBar().showMessage(
            "Manual adjust: Alt+arrows move 1 mm, Alt+PgUp/PgDn through-plane, "
            "Alt+[ / Alt+] rotate 0.5 deg" if on else "Manual adjust off", 10000)

    def nudge_registration(self, rotation_deg, translation_mm) -> None:
        """Move the registered real scan by a small rigid step and show it again."""
        if self.state.base is None:
            return
        moved = self.registration.adjust(self.state.base, rotation_deg, translation_mm)
        self.state.set_volume(Role.COMPARE, moved)

    def export_synthetic_dicom(self, folder: str | Path, deidentify: bool = False) -> list[Path]:
        """Write the digital contrast as a DICOM series labelled derived and SYNTHETIC."""
        from inference.dicom.synthetic_series import find_source_series, write_synthetic_series

        base, overlay = self.state.base, self.state.overlay
        if base is None or overlay is None or self.base_source is None:
            raise StudyError("export needs a non-contrast DICOM series and its digital "
                             "contrast (run Synthesis first)")
        series = find_source_series(self.base_source, base.metadata.series_uid)
        return write_synthetic_series(overlay, series, folder, deidentify=deidentify)

    def export_synthetic_image(self, path: str | Path) -> Path:
        """Write the digital contrast as NIfTI/NRRD, its header saying SYNTHETIC."""
        from inference.image_file import write_image

        overlay = self.state.overlay
        if overlay is None:
            raise StudyError("there is no digital contrast to export (run Synthesis first)")
        return write_image(replace(overlay, synthetic=True), path)

    def _choose_export_image(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export digital contrast as NIfTI",
                                              "digital-contrast-SYNTHETIC.nii.gz",
                                              "NIfTI (*.nii.gz *.nii);;NRRD (*.nrrd)")
        if not path:
            return
        try:
            out = self.export_synthetic_image(path)
        except StudyError as exc:
            self.show_error("Cannot export", str(exc))
            return
        self.statusBar().showMessage(f"Wrote {out} (labelled SYNTHETIC in its header)", 10000)

    def _choose_export_dicom(self, deidentify: bool) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export digital contrast to folder")
        if not folder:
            return
        try:
            files = self.export_synthetic_dicom(folder, deidentify)
        except StudyError as exc:
            self.show_error("Cannot export", str(exc))
            return
        self.statusBar().showMessage(f"Wrote {len(files)} SYNTHETIC DICOM images to {folder}"
                                     + (" (de-identified)" if deidentify else ""), 10000)

    def show_energy_report(self) -> QMessageBox | None:
        """Energy, carbon and avoided footprint of the last run (non-blocking)."""
        outcome = self.synthesis.last
        if outcome is None:
            self.statusBar().showMessage("No synthesis has run yet", 3000)
            return None
        d = outcome.energy.as_dict()
        rows = "".join(
            f"<tr><td>{c['component']}</td><td>{c['joules']:.1f} J</td><td>{c['status']}</td>"
            f"<td>{c['method']}</td></tr>" for c in d["components"])
        grid = d["grid_intensity"]
        avoided = d["avoided"]
        text = (f"<p>Run: {d['duration_s']:.1f} s on {d['provider']}</p>"
                f"<table>{rows}</table>"
                f"<p>Operational: {d['operational_g_co2e']:.3f} g CO2e at "
                f"{grid['g_per_kwh']:.0f} g/kWh ({grid['country']}, {grid['source']}"
                f"{', ' + str(grid['year']) if grid['year'] else ''})</p>"
                f"<p>Avoided if this replaces {avoided['description']}: "
                f"{avoided['kg_co2e_per_avoided_contrast_ct']:g} kg CO2e "
                f"({avoided['source']}).</p>")
        box = QMessageBox(QMessageBox.Icon.Information, "Energy and carbon of the last run",
                          text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _on_hover(self, point: np.ndarray | None) -> None:
        if point is None or self.state.base is None:
            self.position_label.setText("")
            return
        parts = [f"R/L {point[0]:.1f}  A/P {point[1]:.1f}  S/I {point[2]:.1f} mm"]
        for role, value in self.state.values_at(point).items():
            shown = "outside" if value is None else f"{value:.0f} HU"
            parts.append(f"{role.value}: {shown}")
        self.position_label.setText("   |   ".join(parts))

    def capture(self) -> np.ndarray:
        """RGB pixels of the visible views as laid out (labels included)."""
        self.grid.render_all()
        return self.grid.capture()

    def save_screenshot(self, path: str | Path) -> Path:
        """Write the views to a PNG."""
        return save_png(self.capture(), path)

    def _choose_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "dcreview.png",
                                              "PNG (*.png)")
        if path:
            self.statusBar().showMessage(f"Saved {self.save_screenshot(path)}", 5000)
