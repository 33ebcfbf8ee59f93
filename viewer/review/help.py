"""The shortcuts dialog (F1), generated from the table that binds the keys."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QVBoxLayout, QWidget

from viewer.model.shortcuts import MOUSE, help_rows


def shortcuts_html() -> str:
    """The mouse and keyboard controls as an HTML table."""
    def rows(items) -> str:
        return "".join(f"<tr><td><b>{escape(k)}</b></td><td>&nbsp;&nbsp;{escape(v)}</td></tr>"
                       for k, v in items)

    return (f"<h3>Mouse</h3><table>{rows(MOUSE)}</table>"
            f"<h3>Keyboard</h3><table>{rows(help_rows())}</table>")


class HelpDialog(QDialog):
    """Lists every control."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("dcreview shortcuts")
        layout = QVBoxLayout(self)
        self.label = QLabel(shortcuts_html(), self)
        layout.addWidget(self.label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def show_help(parent: QWidget) -> HelpDialog:
    """Open the shortcuts dialog (non-blocking)."""
    dialog = HelpDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def show_about(parent: QWidget) -> None:
    """Help > About: the version, what it is, what the demo case is."""
    from inference import __version__
    from inference.phantom.demo_case import DEMO_NOTICE

    QMessageBox.about(parent, "About dcreview",
                      f"dcreview {__version__}\nReview workstation for digital contrast CT.\n\n"
                      f"The built-in demo case is a {DEMO_NOTICE.lower()}")
