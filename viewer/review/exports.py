"""Exporting the digital contrast from the review: DICOM series or NIfTI/NRRD, always labelled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from inference.errors import DcreviewError, ExportError
from viewer.model.state import ViewerState


def export_synthetic_dicom(state: ViewerState, source: Path | None, folder: str | Path,
                           deidentify: bool = False) -> list[Path]:
    """Write the digital contrast as a DICOM series labelled derived and SYNTHETIC."""
    from inference.dicom.synthetic_series import find_source_series, write_synthetic_series

    base, overlay = state.base, state.overlay
    if base is None or overlay is None or source is None:
        raise ExportError("export needs a non-contrast DICOM series and its digital "
                          "contrast (run Synthesis first)")
    series = find_source_series(source, base.metadata.series_uid)
    return write_synthetic_series(overlay, series, folder, deidentify=deidentify)


def export_synthetic_image(state: ViewerState, path: str | Path) -> Path:
    """Write the digital contrast as NIfTI/NRRD, its header saying SYNTHETIC."""
    from inference.io.image_file import write_image

    overlay = state.overlay
    if overlay is None:
        raise ExportError("there is no digital contrast to export (run Synthesis first)")
    return write_image(replace(overlay, synthetic=True), path)


class ExportActions(QObject):
    """The File menu's export entries: ask where, write, say what was written."""

    def __init__(self, parent: QWidget, state: ViewerState, source: Callable[[], Path | None],
                 show_error: Callable[[str, str], object],
                 show_status: Callable[[str, int], None]) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.state = state
        self.source = source
        self.show_error = show_error
        self.show_status = show_status

    def choose_image(self) -> None:
        """Ask for a NIfTI/NRRD path and write the digital contrast there."""
        path, _ = QFileDialog.getSaveFileName(self.parent_widget,
                                              "Export digital contrast as NIfTI",
                                              "digital-contrast-SYNTHETIC.nii.gz",
                                              "NIfTI (*.nii.gz *.nii);;NRRD (*.nrrd)")
        if not path:
            return
        try:
            out = export_synthetic_image(self.state, path)
        except DcreviewError as exc:
            self.show_error("Cannot export", str(exc))
            return
        self.show_status(f"Wrote {out} (labelled SYNTHETIC in its header)", 10000)

    def choose_dicom(self, deidentify: bool) -> None:
        """Ask for a folder and write the digital contrast there as a DICOM series."""
        folder = QFileDialog.getExistingDirectory(self.parent_widget,
                                                  "Export digital contrast to folder")
        if not folder:
            return
        try:
            files = export_synthetic_dicom(self.state, self.source(), folder, deidentify)
        except DcreviewError as exc:
            self.show_error("Cannot export", str(exc))
            return
        self.show_status(f"Wrote {len(files)} SYNTHETIC DICOM images to {folder}"
                         + (" (de-identified)" if deidentify else ""), 10000)
