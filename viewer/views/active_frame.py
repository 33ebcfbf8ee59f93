"""The views' frames: a thin dark border around every view, in the accent colour around the
active one (the viewport the next key, preset or tool acts on), as PACS workstations mark the
selected viewport. Qt paints it around the VTK canvas, so no frame costs a render."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from viewer.views.theme import ACCENT, BORDER

FRAME_PX = 2


def frame(view: QWidget) -> None:
    """Give ``view`` its border (its layout keeps the canvas ``FRAME_PX`` inside)."""
    # The application's style sheet overrides palettes: the border is a style sheet too.
    view.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    set_active(view, False)


def set_active(view: QWidget, active: bool) -> None:
    """Paint the border in the accent colour (active) or the dark border colour."""
    if view.property("active_view") is not None and is_active(view) == active:
        return
    view.setStyleSheet(f"background: {ACCENT if active else BORDER};")
    view.setProperty("active_view", active)


def is_active(view: QWidget) -> bool:
    """Whether ``view`` is framed as the active one."""
    return bool(view.property("active_view"))
