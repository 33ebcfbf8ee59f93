"""The W/L presets combo, the W/L menu and a custom window entry: values shown as a PACS shows
them, and "Custom" as soon as the window is no preset's (a drag, a typed value)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QWidget,
)

from viewer.model.shortcuts import key
from viewer.model.state import ViewerState
from viewer.model.window_level import MIN_WIDTH, Preset, WindowLevel, presets, resolve

CUSTOM = "custom"


def preset_text(n: int, p: Preset) -> str:
    """'1: Abdomen  W 400 L 40' (a DICOM default names no values: they are the series')."""
    values = "" if p.window is None else f"  W {p.window.width:.0f} L {p.window.level:.0f}"
    return f"{n}: {p.name}{values}"


def matching_preset(window: WindowLevel, state: ViewerState) -> Preset | None:
    """The preset whose window is ``window`` for the series shown (None: a custom one)."""
    if state.base is None:
        return None
    for p in presets():
        if resolve(p, state.base) == window:
            return p
    return None


class CustomWindowDialog(QDialog):
    """Type a window width and level (HU)."""

    def __init__(self, window: WindowLevel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Custom window / level")
        form = QFormLayout(self)
        self.width_box, self.level_box = QDoubleSpinBox(self), QDoubleSpinBox(self)
        for box, value, lo, hi in ((self.width_box, window.width, MIN_WIDTH, 8000),
                                   (self.level_box, window.level, -2000, 4000)):
            box.setRange(lo, hi)
            box.setDecimals(0)
            box.setSuffix(" HU")
            box.setValue(value)
        form.addRow("Width", self.width_box)
        form.addRow("Level (centre)", self.level_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def window(self) -> WindowLevel:
        """The window typed."""
        return WindowLevel(self.width_box.value(), self.level_box.value())


class WindowControls:
    """Preset combo (with a Custom entry), menu actions and the custom dialog of a window."""

    def __init__(self, state: ViewerState, parent: QWidget,
                 apply_preset: Callable[[str], None],
                 make_action: Callable[..., QAction]) -> None:
        self.state = state
        self.parent = parent
        self.combo = QComboBox(parent)
        for n, p in enumerate(presets(), 1):
            self.combo.addItem(preset_text(n, p), p.key)
        self.combo.addItem("Custom...", CUSTOM)
        self.combo.activated.connect(self._chosen)
        self._apply_preset = apply_preset
        self.actions = [make_action(preset_text(n, p).split(": ", 1)[1],
                                    lambda _=False, k=p.key: apply_preset(k),
                                    key("presets", n - 1))
                        for n, p in enumerate(presets(), 1)]
        self.act_custom = make_action("&Custom W/L...", self.ask_custom)
        state.window_changed.connect(lambda _w: self.sync())
        state.volumes_changed.connect(lambda _r: self.sync())

    def _chosen(self, index: int) -> None:
        data = self.combo.itemData(index)
        if data == CUSTOM:
            self.ask_custom()
        else:
            self._apply_preset(data)

    def ask_custom(self) -> WindowLevel | None:
        """Let the user type a width and level; applied at once."""
        dialog = CustomWindowDialog(self.state.window, self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            self.sync()
            return None
        self.state.set_window(dialog.window())
        return dialog.window()

    def sync(self) -> None:
        """Select the preset the window is (the one chosen first: the DICOM window is often
        the abdomen's too), else show the custom values."""
        window, keys = self.state.window, [p.key for p in presets()]
        chosen = self.state.window_preset
        found = matching_preset(window, self.state)
        if chosen in keys and self.state.base is not None and resolve(
                presets()[keys.index(chosen)], self.state.base) == window:
            index = keys.index(chosen)
        elif found is not None:
            index = keys.index(found.key)
        else:
            index = len(keys)
        custom = len(keys)
        self.combo.blockSignals(True)
        self.combo.setItemText(custom, "Custom..." if index != custom else
                               f"Custom: W {window.width:.0f} L {window.level:.0f}")
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)
