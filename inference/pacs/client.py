"""One entry per PACS action, whatever the node speaks: DIMSE or DICOMweb."""

from __future__ import annotations

from pathlib import Path

from inference.pacs import cget, dicomweb, dimse
from inference.pacs.nodes import PacsNode


def _web(node: PacsNode) -> bool:
    return node.kind == "dicomweb"


def test_connection(node: PacsNode) -> None:
    """C-ECHO, or a QIDO request; raises PacsError."""
    (dicomweb.ping if _web(node) else dimse.echo)(node)


def find_series(node: PacsNode, study_uid: str) -> list[dict]:
    """A study's series."""
    if _web(node):
        return dicomweb.find_series(node, study_uid)
    return dimse.find(node, "SERIES", StudyInstanceUID=study_uid)


def retrieve(node: PacsNode, study_uid: str, series_uid: str, *,
             expected: int | None = None, **kw) -> Path:
    """One series into the cache (WADO-RS, C-GET or C-MOVE as the node says)."""
    if _web(node):
        return dicomweb.get_series(node, study_uid, series_uid, expected=expected, **kw)
    fn = dimse.move_series if node.retrieve == "move" else cget.get_series
    return fn(node, study_uid, series_uid, expected=expected, **kw)


def store(node: PacsNode, files: list[Path]) -> int:
    """Send files (STOW-RS or C-STORE); returns how many were stored."""
    return (dicomweb if _web(node) else dimse).store(node, files)
