"""The reading-room theme: dark chrome around dark images, thin dark borders, one accent.

A light grey Qt chrome with white separators glares beside a CT in a darkened reading room;
PACS workstations (Sectra, syngo.via, Horos) are dark throughout. Applied once to the
application, so every window and dialog (the reader's pages included) follows.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#3d8fd6"  # the active view's frame, selections, focus
BACKGROUND = "#1e1f22"
PANEL = "#2a2c30"
TEXT = "#d8dadf"
DISABLED_TEXT = "#6c7078"
BORDER = "#3a3d42"

STYLE = f"""
QMainWindow::separator {{ background: {BORDER}; width: 2px; height: 2px; }}
QToolBar {{ border: none; border-bottom: 1px solid {BORDER}; spacing: 4px; }}
QDockWidget::title {{ background: {PANEL}; padding: 3px; }}
QStatusBar {{ border-top: 1px solid {BORDER}; }}
QPushButton#start-recent {{ text-align: left; padding: 4px 8px; }}
"""


def dark_palette() -> QPalette:
    """The palette every widget draws with."""
    p = QPalette()
    colours = {
        QPalette.ColorRole.Window: BACKGROUND, QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: "#17181a", QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: PANEL, QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT, QPalette.ColorRole.Button: PANEL,
        QPalette.ColorRole.ButtonText: TEXT, QPalette.ColorRole.BrightText: "#ff5555",
        QPalette.ColorRole.Link: ACCENT, QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText:
        DISABLED_TEXT, QPalette.ColorRole.Light: "#44474d", QPalette.ColorRole.Midlight:
        "#36393e", QPalette.ColorRole.Mid: "#2f3236", QPalette.ColorRole.Dark: "#151618",
        QPalette.ColorRole.Shadow: "#000000"}
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(DISABLED_TEXT))
    return p


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style (the same on every platform), the dark palette and the borders."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLE)
