"""The overlay's toolbar and Overlay-menu actions: toggle, fade, mode, threshold, swipe.

Each control writes one field of the state and follows that field's own event, so a fade
touches the slider, its label and the slices' pixels, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QMainWindow,
    QSlider,
    QToolBar,
    QToolButton,
    QWidget,
)

from viewer.model.layout import Layout
from viewer.model.shortcuts import key
from viewer.model.state import DEFAULT_SMOOTHING_MM, OverlayMode, ViewerState

FADE_STEP = 0.1
SMOOTHING_MM = DEFAULT_SMOOTHING_MM


class OverlayControls(QObject):
    """Actions (with their shortcuts) and toolbar widgets for the digital-contrast layer."""

    def __init__(self, window: QMainWindow, state: ViewerState,
                 action: Callable[..., QAction]) -> None:
        super().__init__(window)
        self.state = state
        self.act_toggle = action("Show digital contrast &overlay", state.set_overlay_visible,
                                 key("overlay"), checkable=True)
        self.act_fade_out = action("Fade overlay out", lambda: state.set_overlay_opacity(
            state.overlay_opacity - FADE_STEP), key("fade", 0))
        self.act_fade_in = action("Fade overlay in", lambda: state.set_overlay_opacity(
            state.overlay_opacity + FADE_STEP), key("fade", 1))
        self.act_next_mode = action("Next overlay mode", state.next_overlay_mode, key("mode"))
        self.actions = (self.act_toggle, self.act_fade_in, self.act_fade_out, self.act_next_mode)
        state.overlay_visible_changed.connect(self._sync_visible)
        state.overlay_opacity_changed.connect(self._sync_opacity)
        state.overlay_mode_changed.connect(self._sync_mode)
        state.enhancement_threshold_changed.connect(lambda _hu: self._sync_threshold())
        state.difference_threshold_changed.connect(lambda _hu: self._sync_threshold())
        state.swipe_position_changed.connect(self._sync_swipe)
        state.volumes_changed.connect(lambda _role: (self._sync_enabled(),
                                                     self._sync_modes_available()))
        state.uncertainty_changed.connect(lambda _u: self._sync_modes_available())
        state.map_smoothing_changed.connect(self._sync_smoothing)
        state.layout_changed.connect(lambda _layout: self._sync_enabled())

    def build_toolbar(self, bar: QToolBar, parent: QWidget) -> None:
        """Add the overlay's widgets to ``bar``."""
        st = self.state
        self.button = QToolButton(parent)
        self.button.setDefaultAction(self.act_toggle)
        self.button.setText(f"Overlay ({key('overlay')})")
        bar.addWidget(self.button)
        bar.addWidget(QLabel(" Fade "))
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, parent)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setFixedWidth(140)
        self.opacity_slider.valueChanged.connect(lambda v: st.set_overlay_opacity(v / 100.0))
        bar.addWidget(self.opacity_slider)
        self.opacity_label = QLabel("")
        self.opacity_label.setMinimumWidth(40)
        bar.addWidget(self.opacity_label)
        self.mode_combo = QComboBox(parent)
        for mode in OverlayMode:
            self.mode_combo.addItem(mode.value.capitalize(), mode)
        self.mode_combo.currentIndexChanged.connect(
            lambda i: st.set_overlay_mode(self.mode_combo.itemData(i)))
        bar.addWidget(self.mode_combo)
        self.threshold_spin = QDoubleSpinBox(parent)
        self.threshold_spin.setRange(0, 400)
        self.threshold_spin.setSingleStep(10)
        self.threshold_spin.setSuffix(" HU")
        self.threshold_spin.setDecimals(0)
        # One box, two thresholds: the enhancement map's, and the difference map's noise band.
        self.threshold_spin.valueChanged.connect(
            lambda hu: st.set_difference_threshold(hu)
            if st.overlay_mode is OverlayMode.DIFFERENCE else st.set_enhancement_threshold(hu))
        self.threshold_label = QLabel("  Threshold ")
        self.threshold_action = bar.addWidget(self.threshold_label)
        self.threshold_spin_action = bar.addWidget(self.threshold_spin)
        self.swipe_slider = QSlider(Qt.Orientation.Horizontal, parent)
        self.swipe_slider.setRange(0, 100)
        self.swipe_slider.setFixedWidth(120)
        self.swipe_slider.valueChanged.connect(lambda v: st.set_swipe_position(v / 100))
        self.swipe_action = bar.addWidget(self.swipe_slider)
        self.smooth_check = QCheckBox(f"Smooth map ({SMOOTHING_MM:g} mm)", parent)
        self.smooth_check.setToolTip("Smooth the colour map within each slice: calms the speckle "
                                     "of a noisy subtraction (the pixels are unchanged)")
        self.smooth_check.toggled.connect(
            lambda on: st.set_map_smoothing(SMOOTHING_MM if on else 0.0))
        self.smooth_action = bar.addWidget(self.smooth_check)
        self.sync()

    def sync(self) -> None:
        """Show every field of the state (after building, or a new series)."""
        st = self.state
        self._sync_visible(st.overlay_visible)
        self._sync_opacity(st.overlay_opacity)
        self._sync_mode(st.overlay_mode)
        self._sync_threshold()
        self._sync_smoothing(st.map_smoothing_mm)
        self._sync_swipe(st.swipe_position)
        self._sync_enabled()
        self._sync_modes_available()

    def _sync_smoothing(self, sigma_mm: float) -> None:
        self._quietly(self.smooth_check, lambda: self.smooth_check.setChecked(sigma_mm > 0))

    def _sync_modes_available(self) -> None:
        """Grey out the modes that cannot draw now, saying why."""
        available = self.state.available_modes()
        model = self.mode_combo.model()
        why = {OverlayMode.UNCERTAINTY: "Needs a model card with an ensemble, test-time flips "
                                        "or samples",
               OverlayMode.DIFFERENCE: "Needs the real contrast scan loaded and registered "
                                       "(Compare > Register)"}
        for i, mode in enumerate(OverlayMode):
            item = model.item(i)
            if item is not None:
                item.setEnabled(mode in available)
                if mode in why:
                    item.setToolTip("" if mode in available else why[mode])

    @staticmethod
    def _quietly(widget: QObject, setter: Callable[[], None]) -> None:
        widget.blockSignals(True)
        setter()
        widget.blockSignals(False)

    def _sync_enabled(self) -> None:
        # The compare layout shows each series on its own: nothing is overlaid there, so the
        # overlay's controls are greyed (with the reason) rather than silently ignored.
        compare = self.state.layout is Layout.COMPARE
        has_overlay = self.state.overlay is not None and not compare
        for w in (self.button, self.opacity_slider, self.mode_combo, self.threshold_spin,
                  self.swipe_slider, *self.actions):
            w.setEnabled(has_overlay)
            w.setToolTip("The compare layout shows each series on its own; the overlay "
                         "draws in the other layouts" if compare else "")
        # The swipe is a curtain at full strength: a fade there would do nothing, so say so.
        swipe = self.state.overlay_mode is OverlayMode.SWIPE
        self.opacity_slider.setEnabled(has_overlay and not swipe)
        self.opacity_slider.setToolTip("The swipe shows each side at full strength" if swipe
                                       else "Fade the overlay")

    def _sync_visible(self, visible: bool) -> None:
        self._quietly(self.act_toggle, lambda: self.act_toggle.setChecked(visible))

    def _sync_opacity(self, opacity: float) -> None:
        self._quietly(self.opacity_slider, lambda: self.opacity_slider.setValue(
            round(opacity * 100)))
        self.opacity_label.setText(f"{opacity:.0%}")

    def _sync_mode(self, mode: OverlayMode) -> None:
        self._quietly(self.mode_combo, lambda: self.mode_combo.setCurrentIndex(
            list(OverlayMode).index(mode)))
        thresholded = mode in (OverlayMode.ENHANCEMENT, OverlayMode.DIFFERENCE)
        self.threshold_action.setVisible(thresholded)
        self.threshold_spin_action.setVisible(thresholded)
        self.threshold_label.setText("  Noise band \u00b1" if mode is OverlayMode.DIFFERENCE
                                     else "  Threshold ")
        self._sync_threshold()
        self.swipe_action.setVisible(mode is OverlayMode.SWIPE)
        self._sync_enabled()
        self.smooth_action.setVisible(mode in (OverlayMode.ENHANCEMENT, OverlayMode.DIFFERENCE))

    def _sync_threshold(self) -> None:
        st = self.state
        hu = (st.difference_threshold if st.overlay_mode is OverlayMode.DIFFERENCE
              else st.enhancement_threshold)
        self._quietly(self.threshold_spin, lambda: self.threshold_spin.setValue(hu))

    def _sync_swipe(self, fraction: float) -> None:
        self._quietly(self.swipe_slider, lambda: self.swipe_slider.setValue(round(fraction * 100)))
