"""File > Send results to PACS: the SYNTHETIC series and the annotations (DICOM SR) back into
their source study, after a confirmation that names the destination, in the background."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QInputDialog, QMainWindow, QMessageBox

from inference.pacs.nodes import PacsNode, load_nodes
from viewer.annotations.export import export_annotations
from viewer.model.state import ViewerState
from viewer.review.exports import export_synthetic_dicom
from viewer.review.jobs import BackgroundJob, StatusProgress


def send_results(state: ViewerState, source: Path | None, node: PacsNode, *,
                 synthetic: bool = True, annotations: bool = False,
                 progress=None, cancel=None) -> int:
    """Write the digital contrast (DERIVED/SYNTHETIC series) and/or the annotations (SR)
    and store them on ``node`` (Logic only); returns how many objects were stored."""
    from inference.pacs import client

    with tempfile.TemporaryDirectory(prefix="dcreview-send-") as tmp:
        files: list[Path] = []
        if synthetic:
            folder = Path(tmp) / "synthetic"
            folder.mkdir()
            files += export_synthetic_dicom(state, source, folder)
        if annotations:
            files.append(export_annotations(state, "sr", Path(tmp) / "annotations-sr.dcm",
                                            False, source))
        return client.store(node, files, progress=progress, cancel=cancel)


class PacsSend(QObject):
    """Choose a node, confirm what goes where, send in the background (status-bar progress);
    ``sent`` carries the number of objects stored."""

    sent = Signal(int)

    def __init__(self, parent: QMainWindow, state: ViewerState,
                 source: Callable[[], Path | None], show_error: Callable[[str, str], object],
                 show_status: Callable[[str, int], None]) -> None:
        super().__init__(parent)
        self.parent_window, self.state, self.source = parent, state, source
        self.show_error, self.show_status = show_error, show_status
        # (question, annotations offered) -> (send?, include the annotations?); tests answer
        self.confirm: Callable[[str, bool], tuple[bool, bool]] = self._ask
        self.job = BackgroundJob(StatusProgress(parent.statusBar(), "Sending to PACS"), self)
        self.job.finished.connect(self._on_sent)
        self.job.failed.connect(
            lambda exc: self.show_error("Send to PACS failed", str(exc)))
        self._node: PacsNode | None = None

    def _ask(self, text: str, annotations: bool) -> tuple[bool, bool]:
        box = QMessageBox(QMessageBox.Icon.Question, "Send to PACS", text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self.parent_window)
        check = None
        if annotations:
            check = QCheckBox("Also send the annotations (DICOM SR)")
            check.setChecked(True)
            box.setCheckBox(check)
        ok = box.exec() == QMessageBox.StandardButton.Yes
        return ok, bool(check is not None and check.isChecked())

    def choose(self, node_name: str | None = None) -> bool:
        """Pick a destination, confirm, and start sending; False if nothing was started."""
        nodes = load_nodes()
        if not nodes:
            self.show_error("Send to PACS", "No PACS is configured: add one in File > Open "
                                            "from PACS > Nodes..., or with `dcreview pacs add`")
            return False
        if node_name is None:
            node_name, ok = QInputDialog.getItem(self.parent_window, "Send to PACS",
                                                 "Destination", sorted(nodes), 0, False)
            if not ok:
                return False
        node = nodes[node_name]
        overlay = self.state.overlay
        marks = len(self.state.annotations.set.items)
        if overlay is None and not marks:
            self.show_error("Send to PACS", "There is nothing to send: run Synthesis, or "
                                            "annotate the study")
            return False
        what = (f"the SYNTHETIC digital-contrast series ({overlay.shape[0]} images)"
                if overlay is not None else f"the {marks} annotation(s) as a DICOM SR")
        ok, with_sr = self.confirm(f"Send {what} into its source study on "
                                   f"{node.describe()}?", overlay is not None and marks > 0)
        if not ok:
            return False
        synthetic, annotations = overlay is not None, overlay is None or with_sr
        state, source = self.state, self.source()
        self._node = node

        def job(progress, cancel):
            return send_results(state, source, node, synthetic=synthetic,
                                annotations=annotations, progress=progress, cancel=cancel)

        self.job.start(job, f"Sending to {node.name}")
        return True

    def _on_sent(self, count: int) -> None:
        name = self._node.name if self._node else "the PACS"
        self.show_status(f"Sent {count} object(s) to {name}, into the source study", 10000)
        self.sent.emit(count)

