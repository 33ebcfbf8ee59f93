"""File > Send digital contrast to PACS: the SYNTHETIC series back into its source study,
after a confirmation that names the destination."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QWidget

from inference.errors import DcreviewError
from inference.pacs.nodes import PacsNode, load_nodes
from viewer.model.state import ViewerState
from viewer.review.exports import export_synthetic_dicom


def send_synthetic(state: ViewerState, source: Path | None, node: PacsNode) -> int:
    """Write the digital contrast as its DICOM series and store it on ``node`` (Logic only)."""
    from inference.pacs import client

    with tempfile.TemporaryDirectory(prefix="dcreview-send-") as tmp:
        return client.store(node, export_synthetic_dicom(state, source, tmp))


class PacsSend:
    """Choose a node, confirm, send; the answer in the status bar."""

    def __init__(self, parent: QWidget, state: ViewerState, source: Callable[[], Path | None],
                 show_error: Callable[[str, str], object],
                 show_status: Callable[[str, int], None]) -> None:
        self.parent, self.state, self.source = parent, state, source
        self.show_error, self.show_status = show_error, show_status
        self.confirm: Callable[[str], bool] = self._ask  # tests answer for the user

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self.parent, "Send to PACS", text)
        return answer == QMessageBox.StandardButton.Yes

    def choose(self, node_name: str | None = None) -> int:
        """Send the digital contrast to a chosen node; returns how many images were stored."""
        nodes = load_nodes()
        if not nodes:
            self.show_error("Send to PACS", "No PACS is configured: add one with `dcreview "
                                            "pacs add NAME --dimse AET@HOST:PORT`")
            return 0
        if node_name is None:
            node_name, ok = QInputDialog.getItem(self.parent, "Send to PACS", "Destination",
                                                 sorted(nodes), 0, False)
            if not ok:
                return 0
        node = nodes[node_name]
        overlay = self.state.overlay
        if overlay is None:
            self.show_error("Send to PACS", "There is no digital contrast to send (run "
                                            "Synthesis first)")
            return 0
        if not self.confirm(f"Send the SYNTHETIC digital-contrast series ({overlay.shape[0]} "
                            f"images) into its source study on {node.describe()}?"):
            return 0
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            n = send_synthetic(self.state, self.source(), node)
        except DcreviewError as exc:
            self.show_error("Send to PACS failed", str(exc))
            return 0
        finally:
            QApplication.restoreOverrideCursor()
        self.show_status(f"Sent {n} SYNTHETIC images to {node.name}", 10000)
        return n
