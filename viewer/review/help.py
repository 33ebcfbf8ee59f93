"""The shortcuts dialog (F1), generated from the table that binds the keys."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

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
