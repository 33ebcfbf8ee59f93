"""A study's annotations: undo/redo for every change, crash-safe saving, CSV/JSON export."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from inference import userdirs
from inference.annotations.model import ROI_KINDS, Annotation, Kind
from inference.annotations.stats import roi_stats
from inference.files import atomic
from inference.io.volume import Volume
from inference.pseudonym import pseudonymise

FORMAT_VERSION = 1


class AnnotationSet:
    """Annotations by id, with an undo/redo history of (before, after) snapshots per change."""

    def __init__(self) -> None:
        self.items: dict[str, Annotation] = {}
        self._undo: list[tuple[dict, dict]] = []
        self._redo: list[tuple[dict, dict]] = []
        self.listeners: list[Callable[[], None]] = []

    def _apply(self, after: dict[str, Annotation]) -> None:
        self._undo.append((dict(self.items), dict(after)))
        self._redo.clear()
        self.items = dict(after)
        self._changed()

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def add(self, annotation: Annotation) -> Annotation:
        """Add an annotation (undoable)."""
        self._apply({**self.items, annotation.id: annotation})
        return annotation

    def update(self, annotation: Annotation) -> None:
        """Replace the annotation with the same id, e.g. after a move or edit (undoable)."""
        if annotation.id not in self.items:
            raise KeyError(annotation.id)
        self._apply({**self.items, annotation.id: annotation})

    def remove(self, annotation_id: str) -> None:
        """Delete an annotation (undoable)."""
        after = dict(self.items)
        del after[annotation_id]
        self._apply(after)

    @property
    def can_undo(self) -> bool:
        """Whether there is a change to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone change to redo."""
        return bool(self._redo)

    def undo(self) -> None:
        """Revert the last change (Ctrl+Z)."""
        if self._undo:
            before, after = self._undo.pop()
            self._redo.append((before, after))
            self.items = dict(before)
            self._changed()

    def redo(self) -> None:
        """Re-apply the last undone change (Ctrl+Shift+Z)."""
        if self._redo:
            before, after = self._redo.pop()
            self._undo.append((before, after))
            self.items = dict(after)
            self._changed()

    # -- persistence ---------------------------------------------------------------------
    def to_json(self) -> dict:
        """Serialisable form (patient coordinates only; no identifiers)."""
        return {"format_version": FORMAT_VERSION, "coordinates": "LPS mm",
                "annotations": [{"id": a.id, "kind": a.kind.value,
                                 "points": [list(p) for p in a.points],
                                 "normal": list(a.normal), "text": a.text}
                                for a in self.items.values()]}

    @classmethod
    def from_json(cls, data: dict) -> AnnotationSet:
        """Inverse of ``to_json`` (history starts empty)."""
        out = cls()
        for d in data.get("annotations", []):
            a = Annotation(Kind(d["kind"]), tuple(tuple(p) for p in d["points"]),
                           tuple(d.get("normal", (0, 0, 1))), d.get("text", ""), d["id"])
            out.items[a.id] = a
        return out

    def save(self, path: Path) -> Path:
        """Write atomically: a crash leaves the previous file or the new one, never half."""
        return atomic.write_json(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> AnnotationSet:
        """Read a saved set (empty if none was saved)."""
        if not path.exists():
            return cls()
        return cls.from_json(json.loads(path.read_text()))

    def without_text(self) -> AnnotationSet:
        """A copy with every free text removed (typed notes may name people)."""
        out = AnnotationSet()
        out.items = {k: replace(a, text="[removed]" if a.text else "")
                     for k, a in self.items.items()}
        return out

    # -- exports -------------------------------------------------------------------------
    def rows(self, layers: dict[str, Volume]) -> list[dict]:
        """One row per annotation: geometry, measurement, and ROI statistics per layer."""
        rows = []
        for a in self.items.values():
            row = {"id": a.id, "kind": a.kind.value, "text": a.text,
                   "points_mm": ";".join(",".join(f"{v:.2f}" for v in p) for p in a.points)}
            row.update(a.measurement())
            if a.kind in (*ROI_KINDS, Kind.SPHERE):
                for layer, s in roi_stats(a, layers).items():
                    for key, value in s.items():
                        row[f"{layer}_{key}"] = value
            rows.append(row)
        return rows

    def export_csv(self, path: Path, layers: dict[str, Volume]) -> Path:
        """Measurements and statistics as CSV (one row per annotation)."""
        rows = self.rows(layers)
        columns = sorted({k for r in rows for k in r}, key=lambda k: (k not in (
            "id", "kind", "text"), k))
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        return path

    def export_json(self, path: Path, layers: dict[str, Volume]) -> Path:
        """Annotations plus measurements and statistics as JSON."""
        data = self.to_json()
        data["measurements"] = self.rows(layers)
        path.write_text(json.dumps(data, indent=1))
        return path


def study_key(volume: Volume) -> str:
    """Pseudonymous key of the study a volume belongs to (never the UID itself).

    Files without a study UID (NIfTI, NRRD) are keyed by their grid and a sample of their
    voxels, so reopening the same file finds its annotations again.
    """
    if volume.metadata.study_uid:
        return "s" + pseudonymise("study", volume.metadata.study_uid)
    g = volume.geometry
    digest = hashlib.sha256()
    digest.update(np.asarray(g.affine, dtype=np.float64).round(3).tobytes())
    digest.update(repr(volume.shape).encode())
    digest.update(np.ascontiguousarray(volume.array[:: max(1, volume.shape[0] // 8)]).tobytes())
    return "v" + pseudonymise("volume", digest.hexdigest())


def store_path(study_pseudonym: str) -> Path:
    """Per-user file for a study's annotations, keyed by its pseudonym (never by identity)."""
    name = study_pseudonym or "unknown-study"
    return userdirs.annotations_dir() / f"{name}.json"
