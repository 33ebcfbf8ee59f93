"""The status bar's two voices: messages, and the position/HU readout under the mouse.

A message (a registration result, a finished run) used to be cut off by the readout beside
it. While a message is new, the readout steps aside so the message has the whole bar; the
readout comes back at the first hover once the message has been up for a few seconds (then
the message is elided, its full text kept in the bar's tooltip) or when the message ends.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QStatusBar

MESSAGE_FIRST_S = 4.0


class StatusLine:
    """Coordinates the position label with the status bar's temporary messages."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.position = QLabel("")
        bar.addPermanentWidget(self.position)
        self._since = 0.0
        bar.messageChanged.connect(self._on_message)

    def _on_message(self, text: str) -> None:
        self.bar.setToolTip(text)
        if text:
            self._since = time.monotonic()
            self.position.setVisible(False)
        else:
            self.position.setVisible(True)

    def show_position(self, text: str) -> None:
        """New readout under the mouse (after a message's first seconds, it shows again)."""
        self.position.setText(text)
        if not self.position.isVisible() and (
                not self.bar.currentMessage()
                or time.monotonic() - self._since >= MESSAGE_FIRST_S):
            self.position.setVisible(True)
