"""The review window: menus, toolbars and the wiring between the state, views and actions.

What each menu entry does lives in its own module (loading, overlay controls, synthesis,
compare actions, exports, annotations); this window only creates them and connects them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QMessageBox, QToolBar, QWidget

from inference import __version__
from inference.errors import DcreviewError, LoadError
from inference.io.loader import LoadResult
from inference.io.volume import Volume
from viewer.annotations.actions import AnnotationActions
from viewer.model.layout import Layout, Role
from viewer.model.orientation import Plane
from viewer.model.provenance import MODEL_CHECK_ACTION
from viewer.model.shortcuts import key
from viewer.model.state import ViewerState
from viewer.model.window_level import presets, resolve
from viewer.pixels.enhancement import noise_threshold
from viewer.review import availability, file_menu
from viewer.review.batch_results import BatchResults
from viewer.review.compare_actions import CompareActions
from viewer.review.comparison import ComparisonPanel
from viewer.review.exports import ExportActions, export_synthetic_dicom, export_synthetic_image
from viewer.review.help import HelpDialog, show_about, show_help
from viewer.review.loading import Loader
from viewer.review.overlay_controls import OverlayControls
from viewer.review.pacs_dialog import PacsDialog
from viewer.review.pacs_send import PacsSend
from viewer.review.position import position_text
from viewer.review.settings import ViewerSettings
from viewer.review.start_page import StartScreen
from viewer.review.status_line import StatusLine
from viewer.review.synthesis import SynthesisController
from viewer.review.synthesis_actions import SynthesisActions
from viewer.review.trust_panel import TrustPanel
from viewer.review.window_controls import WindowControls
from viewer.views.application import fit_to_screen
from viewer.views.screenshot import save_png
from viewer.views.slice_view import SliceView
from viewer.views.view_grid import ViewGrid

log = logging.getLogger(__name__)

LAYOUT_NAMES = {Layout.ONE: "1 x 1", Layout.ROW: "1 x 3", Layout.GRID: "2 x 2 (with 3D)",
                Layout.COMPARE: "Compare series"}


class MainWindow(QMainWindow):
    """Linked views of the non-contrast series, its digital contrast and a real contrast scan."""

    def __init__(self, settings: ViewerSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or ViewerSettings()
        self.setWindowTitle(f"dcreview {__version__}")
        fit_to_screen(self)  # remembered geometry, if any, replaces it in _restore_settings
        self.state = ViewerState()
        self.state.window_preset = self.settings.preset or None
        self.load_warnings: list[str] = []
        self.last_error: str | None = None
        self.base_source: Path | None = None  # where the non-contrast series was loaded from
        # The start page until a study is shown; the views are born in its stack (never
        # moved there: that recreates their native windows under VTK).
        self.start = StartScreen(self.state, lambda path: self.load(path), self)
        self.grid = ViewGrid(self.state, self.start)
        self.start.add_views(self.grid)
        self.setCentralWidget(self.start)
        self.status_line = StatusLine(self.statusBar())
        self.position_label = self.status_line.position
        self.grid.hovered.connect(self._on_hover)
        self.loader = Loader(self, self.settings, self.show_error, self.show_status)
        self.batch = BatchResults(self, self.loader, self.settings, self.show_error,
                                  self.show_status)
        self.loader.loaded.connect(self._on_loaded)
        self.synthesis = SynthesisController(self.statusBar(), self)
        self.synthesis_actions = SynthesisActions(self, self.state, self.synthesis,
                                                  self.show_volume, self.show_error,
                                                  self.show_status)
        self.comparison = ComparisonPanel(self.state, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.comparison)
        self.comparison.hide()
        self.trust = TrustPanel.docked(self, self.state, self.show_status)
        self.compare = CompareActions(self.state, self.statusBar(), self.comparison,
                                      self._action, self.show_error, self)
        self.registration = self.compare.registration
        self._pacs_dialog: PacsDialog | None = None
        self.pacs_send = PacsSend(self, self.state, lambda: self.base_source, self.show_error,
                                  self.show_status)
        self.exports = ExportActions(self, self.state, lambda: self.base_source,
                                     self.show_error, self.show_status)
        self.overlay = OverlayControls(self, self.state, self._action)
        self._build_actions()
        self.file_actions = file_menu.file_actions(self)
        self.annotate = AnnotationActions(self, self.state, self.grid.cancel_drafts,
                                          lambda: self.base_source, self.show_error)
        self.grid.note_requested.connect(self.annotate.request_note)
        self.grid.details_requested.connect(self.show_model_check)
        self.annotate.panel.hide()
        self.state.annotations.changed.connect(self._show_annotation_panel)
        file_menu.connect_start_screen(self)
        self._build_toolbar()
        self._build_menus()
        self.state.layout_changed.connect(self._on_layout_changed)
        self.setAcceptDrops(True)
        self._restore_settings()

    @property
    def volume(self) -> Volume | None:
        """The non-contrast (base) series."""
        return self.state.base

    @property
    def views(self) -> dict[Plane, SliceView]:
        """Visible views of the base series, by plane."""
        return {v.plane: v for v in self.grid.slice_views() if v.cell.role is Role.BASE}

    # -- actions, toolbar, menus ---------------------------------------------------------------
    def _action(self, text: str, slot, shortcut: str | None = None,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work in every view
        return action

    def _build_actions(self) -> None:
        self.act_crosshair = self._action("Show &crosshair", self.grid.set_crosshair_visible,
                                          key("crosshair"), checkable=True)
        self.act_crosshair.setChecked(True)
        self.act_reset = self._action("&Reset view", self.reset_view, key("reset"))
        self.act_help = self._action("&Shortcuts...", self.show_help, key("help"))
        self.act_screenshot = self._action("Save &screenshot...", self._choose_screenshot,
                                           key("screenshot"))
        self.act_synthesize = self._action("&Synthesize digital contrast", self.start_synthesis,
                                           key("synthesize"))
        self.synthesis_actions.start_action = self.act_synthesize
        self.act_cancel_synthesis = self._action("Cancel synthesis", self.synthesis.cancel)
        self.act_energy = self._action("Last run: energy and carbon...", self.show_energy_report)
        self.act_export_dicom = self._action("Export digital contrast as &DICOM...",
                                             lambda: self.exports.choose_dicom(False))
        self.act_export_dicom_deid = self._action(
            "Export digital contrast as DICOM (de-identified)...",
            lambda: self.exports.choose_dicom(True))
        self.act_export_image = self._action("Export digital contrast as &NIfTI / NRRD...",
                                             self.exports.choose_image)
        self.wl = WindowControls(self.state, self, self.apply_preset, self._action)
        self.preset_combo, self.preset_actions = self.wl.combo, self.wl.actions
        self.layout_group = QActionGroup(self)
        self.layout_actions = {}
        for n, layout in enumerate(Layout):
            act = self._action(LAYOUT_NAMES[layout], lambda _=False, lay=layout:
                               self.state.set_layout(lay), key("layouts", n), checkable=True)
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
        bar.addWidget(QLabel("  W/L "))
        bar.addWidget(self.preset_combo)
        bar.addSeparator()
        self.overlay.build_toolbar(bar, self)
        self.annotate.build_toolbar()

    def _build_menus(self) -> None:
        file_menu.build_file_menu(self)
        view_menu = self.menuBar().addMenu("&View")
        for act in self.layout_actions.values():
            view_menu.addAction(act)
        plane_menu = view_menu.addMenu("&Plane (1x1 and compare)")
        for plane in Plane:
            plane_menu.addAction(self._action(plane.value.capitalize(), lambda _=False, p=plane:
                                              self.grid.set_focus_plane(p)))
        view_menu.addSeparator()
        view_menu.addAction(self.act_crosshair)
        view_menu.addAction(self.act_reset)
        # "Window" would read as window management: these are window/level presets.
        wl_menu = self.menuBar().addMenu("&W/L")
        for act in self.preset_actions:
            wl_menu.addAction(act)
        wl_menu.addSeparator()
        wl_menu.addAction(self.wl.act_custom)
        overlay_menu = self.menuBar().addMenu("&Overlay")
        for act in self.overlay.actions:
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
        synth_menu.addAction(self._action(f"{MODEL_CHECK_ACTION}...", self.show_model_check))
        synth_menu.addAction(self._action("&Trust checks", self.trust.toggle))
        compare_menu = self.menuBar().addMenu("&Compare")
        for act in self.compare.menu_actions:
            compare_menu.addAction(act)
        compare_menu.addAction(self.comparison.toggleViewAction())
        self.annotate.build_menu()
        self.availability = availability.wire(self)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.act_help)
        help_menu.addAction(self._action("&About dcreview", lambda: show_about(self)))

    def show_pacs_dialog(self) -> PacsDialog:
        """File > Open from PACS (non-blocking)."""
        if self._pacs_dialog is None:
            self._pacs_dialog = PacsDialog(self, self.loader.load_from_pacs,
                                           self.loader.load_study_from_pacs, self.show_error)
        else:
            self._pacs_dialog.reload_nodes()
        self._pacs_dialog.open()
        return self._pacs_dialog

    def show_help(self) -> HelpDialog:
        """Open the shortcuts dialog (non-blocking)."""
        return show_help(self)

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
        self.loader.cancel()
        self.grid.close_views()
        super().closeEvent(event)

    # -- opening -------------------------------------------------------------------------------
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
        self.loader.open_demo()

    def load(self, path: str | Path, role: Role = Role.BASE, series: str | None = None) -> None:
        """Load a series for ``role`` in the background; the window stays responsive."""
        self.loader.load(path, role, series)

    def queue_load(self, path: str | Path, role: Role) -> None:
        """Load after the current job finishes (e.g. the comparison scan after the study)."""
        self.loader.queue(path, role)

    def _on_loaded(self, result: LoadResult, role: Role, source: Path | None) -> None:
        if role is Role.BASE and source is not None:
            self.settings.add_recent(str(source))
            file_menu.rebuild_recent(self)
            self.base_source = source
        try:
            self.show_volume(result.volume, result.warnings, role)
        except DcreviewError as exc:
            self.show_error("Cannot show this series", str(exc))

    def show_error(self, title: str, text: str) -> QMessageBox:
        """A readable, window-modal error message (never a traceback)."""
        self.last_error = text
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                          self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def show_status(self, text: str, timeout_ms: int = 0) -> None:
        """A message in the status bar."""
        self.statusBar().showMessage(text, timeout_ms)

    # -- display -------------------------------------------------------------------------------
    def show_volume(self, volume: Volume, warnings: list[str] | None = None,
                    role: Role = Role.BASE) -> None:
        """Show ``volume`` in ``role``: base (non-contrast), overlay (digital) or compare (real)."""
        if role is Role.OVERLAY:
            base = self.state.base
            if base is None or base.shape != volume.shape or not base.geometry.same_grid(
                    volume.geometry):
                raise LoadError("the digital contrast volume must be on the non-contrast "
                                "series' grid (same size, spacing, position and orientation)")
            # Whatever is loaded as digital contrast is labelled synthetic, always; and it is
            # drawn on the base's own grid: a grid read back from a file differs in the last
            # float digits, enough to put a half-voxel point in the next slice.
            volume = replace(volume, synthetic=True, geometry=base.geometry)
        elif role is Role.COMPARE and self.state.base is not None and (
                self.state.base.shape == volume.shape
                and self.state.base.geometry.same_grid(volume.geometry)):
            volume = replace(volume, geometry=self.state.base.geometry)
        self.load_warnings = list(warnings or [])
        with self.grid.held():  # five events, one frame per view
            self.state.set_volume(role, volume)
            if role is Role.COMPARE:
                self.state.set_layout(Layout.COMPARE)
            if role is Role.OVERLAY and self.state.base is not None:
                # Now the subtraction's own noise is known (a texture-keeping model has almost
                # none): colour what stands above it.
                self.state.set_enhancement_threshold(noise_threshold(self.state.base, volume))
            if role is Role.BASE:
                desc = volume.metadata.series_description or "volume"
                self.setWindowTitle(f"dcreview {__version__} - {desc}")
                # Colour only enhancement above this scan's noise (a fixed 40 HU speckled red
                # over liver and muscle in noisy scans).
                self.state.set_enhancement_threshold(noise_threshold(volume))
        if self.load_warnings:
            self.show_status("; ".join(self.load_warnings), 15000)

    def _show_annotation_panel(self) -> None:
        if self.state.annotations.items and not self.annotate.panel.isVisible():
            self.annotate.panel.show()
            # The list should not take the views' room: about a quarter of the window.
            self.resizeDocks([self.annotate.panel], [max(300, self.width() // 4)],
                             Qt.Orientation.Horizontal)

    def apply_preset(self, key: str, remember: bool = True) -> None:
        """Apply a named preset (number keys 1-8); remembered, it opens the next series too."""
        p = next(p for p in presets() if p.key == key)
        if remember:
            self.settings.preset = key
            self.state.window_preset = key
        if self.state.base is None:
            return
        self.state.set_window(resolve(p, self.state.base))
        self.wl.sync()  # the same window by another preset: name the one chosen
        self.show_status(f"Window: {p.name}", 3000)

    def reset_view(self) -> None:
        """Fit the views, centre the cursor, back to the window the series opened with."""
        base = self.state.base
        if base is None:
            return
        self.state.set_cursor(base.geometry.center(base.shape))
        self.grid.reset_cameras()
        self.state.reset_window()
        self.grid.render_all()

    # -- synthesis (viewer.review.synthesis_actions) --------------------------------------------
    def start_synthesis(self) -> None:
        """Predict digital contrast for the non-contrast series, in the background."""
        self.synthesis_actions.start()

    def show_model_check(self) -> QMessageBox:
        """The model's card and the last input check, every domain warning in full."""
        return self.synthesis_actions.model_check()

    def show_energy_report(self) -> QMessageBox | None:
        """Energy, carbon and avoided footprint of the last run (non-blocking)."""
        return self.synthesis_actions.energy_report()

    # -- exports -------------------------------------------------------------------------------
    def export_synthetic_dicom(self, folder: str | Path, deidentify: bool = False) -> list[Path]:
        """Write the digital contrast as a DICOM series labelled derived and SYNTHETIC."""
        return export_synthetic_dicom(self.state, self.base_source, folder, deidentify)

    def export_synthetic_image(self, path: str | Path) -> Path:
        """Write the digital contrast as NIfTI/NRRD, its header saying SYNTHETIC."""
        return export_synthetic_image(self.state, path)

    # -- position, screenshots -----------------------------------------------------------------
    def _on_hover(self, point: np.ndarray | None) -> None:
        self.status_line.show_position(position_text(self.state, point))

    def capture(self) -> np.ndarray:
        """RGB pixels of the visible views as laid out (labels included)."""
        self.grid.render_all()
        return self.grid.capture()

    def save_screenshot(self, path: str | Path) -> Path:
        """Write the views to a PNG."""
        return save_png(self.capture(), path)

    def _choose_screenshot(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "dcreview.png",
                                              "PNG (*.png)")
        if path:
            self.show_status(f"Saved {self.save_screenshot(path)}", 5000)
