"""Annotation exports from the review state (no Qt): the engine's, with the review's layers."""

from __future__ import annotations

from pathlib import Path

from inference.annotation_exports import FORMATS
from inference.annotation_exports import export_annotations as export_set
from viewer.model.state import ViewerState

__all__ = ["FORMATS", "export_annotations"]


def export_annotations(state: ViewerState, fmt: str, path: str | Path, deidentify: bool = False,
                       base_source: Path | None = None) -> Path:
    """Write the study's annotations with measurements and per-layer ROI statistics."""
    base = state.base
    return export_set(state.annotations.set, state.layers(), fmt, path, deidentify,
                      base_source, base.metadata.series_uid if base is not None else "")
