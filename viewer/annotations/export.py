"""Annotation exports from the review state: CSV, JSON, DICOM SR (no Qt)."""

from __future__ import annotations

from pathlib import Path

from inference.errors import ExportError
from viewer.model.state import ViewerState

FORMATS = {"csv": ("CSV", "*.csv"), "json": ("JSON", "*.json"), "sr": ("DICOM SR", "*.dcm")}


def export_annotations(state: ViewerState, fmt: str, path: str | Path, deidentify: bool = False,
                       base_source: Path | None = None) -> Path:
    """Write the study's annotations with measurements and per-layer ROI statistics.

    De-identified exports drop free text (a typed note may name someone); the DICOM SR is
    also de-identified per PS3.15 Basic profile. CSV and JSON never hold identifiers.
    """
    annotations = state.annotations.set
    if not annotations.items:
        raise ExportError("there are no annotations to export")
    if deidentify:
        annotations = annotations.without_text()
    layers = state.layers()
    path = Path(path)
    if fmt == "csv":
        return annotations.export_csv(path, layers)
    if fmt == "json":
        return annotations.export_json(path, layers)
    if fmt == "sr":
        base = state.base
        if base is None or base_source is None or not base.metadata.series_uid:
            raise ExportError("a DICOM SR needs the non-contrast series opened from DICOM")
        from inference.dicom.measurement_report import write_report
        from inference.dicom.synthetic_series import find_source_series

        series = find_source_series(base_source, base.metadata.series_uid)
        return write_report(annotations, series, layers, path, deidentify=deidentify)
    raise ValueError(f"unknown export format {fmt!r}")
