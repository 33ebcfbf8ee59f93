"""One entry per PACS action, whatever the node speaks: DIMSE or DICOMweb."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from inference.pacs import cache, dicomweb, dimse, retrieval
from inference.pacs.dimse import expected_count
from inference.pacs.nodes import SCHEME, PacsError, PacsNode
from inference.progress import ProgressEvent

UID_SHAPE = re.compile(r"[0-9]+(\.[0-9]+)*")


def _web(node: PacsNode) -> bool:
    return node.kind == "dicomweb"


def test_connection(node: PacsNode) -> None:
    """C-ECHO, or a QIDO request; raises PacsError."""
    (dicomweb.ping if _web(node) else dimse.echo)(node)


def find_studies(node: PacsNode, **filters: str) -> list[dict]:
    """Studies by PatientID, PatientName, StudyDate (a range with '-'), ModalitiesInStudy,
    AccessionNumber; each a dict with dimse.STUDY_KEYS (names for the screen only)."""
    if _web(node):
        return dicomweb.find_studies(node, **filters)
    return dimse.find(node, "STUDY", **filters)


def find_series(node: PacsNode, study_uid: str) -> list[dict]:
    """A study's series."""
    if _web(node):
        return dicomweb.find_series(node, study_uid)
    return dimse.find(node, "SERIES", StudyInstanceUID=study_uid)


def checked_uid(uid: str, what: str) -> str:
    """``uid`` if it has the shape of a DICOM UID (digits and dots, at most 64): anything else
    (``..``, a path, a wildcard) would reach the PACS as something other than one UID."""
    if not UID_SHAPE.fullmatch(uid or "") or len(uid) > 64:
        raise PacsError(f"{what} {str(uid)[:70]!r} is not a DICOM UID (digits separated by "
                        "dots, at most 64 characters)")
    return uid


def retrieve(node: PacsNode, study_uid: str, series_uid: str, *,
             expected: int | None = None, **kw) -> Path:
    """One series into the cache (WADO-RS, C-GET or C-MOVE as the node says). It is complete
    only if the count the PACS announces (asked for here when not given) arrives whole; a
    series already cached whole with that count is not fetched again."""
    checked_uid(study_uid, "study")
    checked_uid(series_uid, "series")
    if expected is None:
        expected = (dicomweb if _web(node) else dimse).count_instances(node, study_uid,
                                                                       series_uid)
    hit = cache.cached(series_uid, expected, kw.get("cache_root"))
    if hit is not None:
        return hit
    if _web(node):
        return dicomweb.get_series(node, study_uid, series_uid, expected=expected, **kw)
    fn = retrieval.move_series if node.retrieve == "move" else retrieval.get_series
    return fn(node, study_uid, series_uid, expected=expected, **kw)


def retrieve_study(node: PacsNode, study_uid: str, *,
                   progress: Callable[[ProgressEvent], None] | None = None,
                   **kw) -> list[tuple[dict, Path]]:
    """Every series of a study into the cache, one after the other: (series row, folder)."""
    rows = find_series(node, checked_uid(study_uid, "study"))
    if not rows:
        raise PacsError(f"{node.name}: the study has no series there")
    out = []
    for i, row in enumerate(rows, 1):
        def step(event: ProgressEvent, i: int = i) -> None:
            if progress:
                progress(ProgressEvent(f"Retrieving series {i} of {len(rows)}", event.done,
                                       event.total))

        out.append((row, retrieve(node, study_uid, row["SeriesInstanceUID"],
                                  expected=expected_count(row), progress=step, **kw)))
    return out


def resolve(path: str, nodes: dict[str, PacsNode], **kw) -> str:
    """A local path as given, or for pacs://NODE/STUDY/SERIES the series retrieved into the
    cache (``nodes``: the configured ones, or those a batch job carries)."""
    if not path.startswith(SCHEME):
        return path
    try:
        name, study, series = path[len(SCHEME):].split("/")
        node = nodes[name]
    except (ValueError, KeyError) as exc:
        raise PacsError(f"{path}: write pacs://NODE/STUDY_UID/SERIES_UID with a configured "
                        f"node ({', '.join(sorted(nodes)) or 'none configured'})") from exc
    return str(retrieve(node, study, series, **kw))


def store(node: PacsNode, files: list[Path], **kw) -> int:
    """Send files (STOW-RS or C-STORE; ``progress``, ``cancel``); returns how many were
    stored."""
    return (dicomweb if _web(node) else dimse).store(node, files, **kw)
