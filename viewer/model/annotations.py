"""The review's annotations as an evented model (no Qt): tool, selection, auto-save, statistics."""

from __future__ import annotations

import logging
from pathlib import Path

from inference.annotations.model import ROI_KINDS, Annotation, Kind
from inference.annotations.stats import roi_stats
from inference.annotations.store import AnnotationSet
from inference.io.volume import Volume
from viewer.model.events import Event
from viewer.model.shortcuts import keys

log = logging.getLogger(__name__)

STATS_KINDS = (*ROI_KINDS, Kind.SPHERE)
TOOLS = (Kind.POINT, Kind.RULER, Kind.ANGLE, Kind.ELLIPSE, Kind.RECTANGLE, Kind.POLYGON,
         Kind.SPHERE, Kind.NOTE)
TOOL_KEYS = dict(zip(TOOLS, keys("tools"), strict=True))


class AnnotationState:
    """One study's annotations plus the active tool and selection; saves after every change."""

    def __init__(self) -> None:
        self.set = AnnotationSet()
        self.tool: Kind | None = None  # None: navigate (crosshair, select, move)
        self.selected: str | None = None
        self.path: Path | None = None
        self.save_error: str | None = None
        self.changed = Event()  # ()
        self.tool_changed = Event()  # (Kind | None)
        self.selection_changed = Event()  # (id | None)
        self._stats: dict[tuple, dict] = {}
        self._bind()

    def _bind(self) -> None:
        self.set.listeners.append(self._on_set_changed)

    # -- study ---------------------------------------------------------------------------------
    def open_study(self, path: Path | None) -> None:
        """Switch to a study's store (restoring what was saved there), or to none."""
        self.path = path
        try:
            self.set = AnnotationSet.load(path) if path is not None else AnnotationSet()
        except (OSError, ValueError, KeyError) as exc:
            # A damaged file must not stop the review; keep it for inspection, start afresh.
            log.warning("annotation store unreadable (%s); starting empty", type(exc).__name__)
            self.set = AnnotationSet()
        self._bind()
        self._stats.clear()
        self.selected = None
        self.changed.emit()
        self.selection_changed.emit(None)

    def _on_set_changed(self) -> None:
        if self.selected is not None and self.selected not in self.set.items:
            self.selected = None
            self.selection_changed.emit(None)
        self._autosave()
        self.changed.emit()

    def _autosave(self) -> None:
        if self.path is None:
            return
        try:
            self.set.save(self.path)
            self.save_error = None
        except OSError as exc:
            self.save_error = f"annotations not saved: {exc.strerror or exc}"
            log.error("annotation auto-save failed: %s", type(exc).__name__)

    # -- editing ---------------------------------------------------------------------------------
    @property
    def items(self) -> list[Annotation]:
        """Annotations in creation order."""
        return list(self.set.items.values())

    def get(self, annotation_id: str | None) -> Annotation | None:
        """The annotation with this id, if any."""
        return self.set.items.get(annotation_id) if annotation_id else None

    def add(self, annotation: Annotation) -> None:
        """Add a finished annotation and select it."""
        self.set.add(annotation)
        self.select(annotation.id)

    def replace(self, annotation: Annotation) -> None:
        """Store an edited annotation (moved, reshaped, retexted)."""
        if self.set.items.get(annotation.id) != annotation:
            self.set.update(annotation)

    def show_only(self, annotations: list[Annotation]) -> None:
        """Replace every annotation without undo history (sets that only display, e.g. marks)."""
        self.set.items = {a.id: a for a in annotations}
        self._stats.clear()
        self.changed.emit()

    def delete_selected(self) -> bool:
        """Delete the selected annotation; False when nothing is selected."""
        if self.selected is None or self.selected not in self.set.items:
            return False
        self.set.remove(self.selected)
        return True

    def undo(self) -> None:
        """Ctrl+Z."""
        self.set.undo()

    def redo(self) -> None:
        """Ctrl+Shift+Z."""
        self.set.redo()

    def select(self, annotation_id: str | None) -> None:
        """Select an annotation (None clears the selection)."""
        if annotation_id != self.selected:
            self.selected = annotation_id
            self.selection_changed.emit(annotation_id)

    def set_tool(self, tool: Kind | None) -> None:
        """Choose the drawing tool (None: navigate)."""
        if tool is not self.tool:
            self.tool = tool
            self.tool_changed.emit(tool)

    # -- statistics --------------------------------------------------------------------------------
    def stats(self, annotation: Annotation, layers: dict[str, Volume]) -> dict[str, dict]:
        """ROI statistics per layer, cached until the shape or a layer changes."""
        if annotation.kind not in STATS_KINDS:
            return {}
        key = (annotation, tuple((name, v.token) for name, v in layers.items()))
        if key not in self._stats:
            if len(self._stats) > 512:
                self._stats.clear()
            self._stats[key] = roi_stats(annotation, layers)
        return self._stats[key]
