"""The Annotate menu, toolbar and list dock of the review window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMainWindow, QToolBar

from inference.annotations.model import Annotation, Kind
from inference.annotations.store import store_path, study_key
from inference.errors import DcreviewError
from viewer.annotations.export import FORMATS, export_annotations
from viewer.annotations.panel import AnnotationPanel
from viewer.annotations.text import KIND_NAMES
from viewer.model.annotations import TOOL_KEYS
from viewer.model.layout import Role
from viewer.model.shortcuts import key
from viewer.model.state import ViewerState


class AnnotationActions(QObject):
    """Tools (one checkable action each, Esc back to navigate), undo/redo, delete, exports."""

    def __init__(self, window: QMainWindow, state: ViewerState,
                 cancel_drafts: Callable[[], bool], source: Callable[[], Path | None],
                 show_error: Callable[[str, str], object]) -> None:
        """``cancel_drafts`` drops half-drawn shapes in every view (True if there were any);
        ``source`` is where the non-contrast series was opened from (for the SR's references).
        """
        super().__init__(window)
        self.window = window
        self.state = state
        self.cancel_drafts = cancel_drafts
        self.source = source
        self.show_error = show_error
        self.ann = state.annotations
        self.panel = AnnotationPanel(state, window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel)
        self.panel.export_requested.connect(self.choose_export)
        self.panel.edit_text_requested.connect(self.edit_text)
        self.group = QActionGroup(window)
        self.tool_actions: dict[Kind | None, QAction] = {}
        self.act_navigate = self._action("&Navigate / select (Esc)", self.escape,
                                         key("navigate"))
        self.act_navigate.setCheckable(True)
        self.act_navigate.setChecked(True)
        self.group.addAction(self.act_navigate)
        self.tool_actions[None] = self.act_navigate
        for kind, tool_key in TOOL_KEYS.items():
            act = self._action(KIND_NAMES[kind], lambda _=False, k=kind: self.ann.set_tool(k),
                               tool_key)
            act.setCheckable(True)
            self.group.addAction(act)
            self.tool_actions[kind] = act
        self.act_undo = self._action("&Undo annotation change", self.ann.undo, key("undo"))
        self.act_redo = self._action("&Redo annotation change", self.ann.redo, key("redo", 0))
        self.act_redo_y = self._action("Redo (Ctrl+Y)", self.ann.redo, key("redo", 1))
        self.act_delete = self._action("&Delete selected annotation",
                                       self.ann.delete_selected, key("delete"))
        self.act_import = QAction("&Import annotations (DICOM SR or JSON)...", window)
        self.act_import.triggered.connect(self.choose_import)
        self.ann.tool_changed.connect(self._on_tool)
        self.ann.changed.connect(self._on_changed)
        state.volumes_changed.connect(self._on_volumes)
        self._on_changed()

    def _action(self, text: str, slot, shortcut=None) -> QAction:
        act = QAction(text, self.window)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        self.window.addAction(act)
        return act

    def build_menu(self) -> None:
        """The Annotate menu."""
        menu = self.window.menuBar().addMenu("&Annotate")
        for act in self.tool_actions.values():
            menu.addAction(act)
        menu.addSeparator()
        for act in (self.act_undo, self.act_redo, self.act_delete):
            menu.addAction(act)
        menu.addSeparator()
        self.export_actions = []
        for fmt, (name, _pattern) in FORMATS.items():
            act = QAction(f"Export annotations as {name}...", self.window)
            act.triggered.connect(lambda _=False, f=fmt: self.choose_export(f))
            menu.addAction(act)
            self.export_actions.append(act)
        menu.addAction(self.act_import)
        menu.addAction(self.panel.toggleViewAction())

    def build_toolbar(self) -> QToolBar:
        """A toolbar with one button per tool."""
        bar = QToolBar("Annotate", self.window)
        bar.setObjectName("annotate-toolbar")
        for kind, act in self.tool_actions.items():
            act.setIconText("Navigate" if kind is None else KIND_NAMES[kind].replace(" ROI", ""))
            act.setToolTip(f"{act.text()} ({act.shortcut().toString()})")
            bar.addAction(act)
        # A tool palette down the left edge, as in most PACS viewers; it costs no view height.
        self.window.addToolBar(Qt.ToolBarArea.LeftToolBarArea, bar)
        return bar

    # -- reactions ------------------------------------------------------------------------------
    def escape(self) -> None:
        """Esc: drop a half-drawn shape, else go back to navigating."""
        if not self.cancel_drafts():
            self.ann.set_tool(None)
            self.ann.select(None)

    def _on_tool(self, tool: Kind | None) -> None:
        self.tool_actions[tool].setChecked(True)
        name = "navigate" if tool is None else KIND_NAMES[tool].lower()
        hint = {Kind.ANGLE: ": click three points", Kind.POLYGON:
                ": click the vertices, double click or Enter to close",
                None: ": click a shape to select it, drag to move or reshape"}.get(
                    tool, ": drag on a view" if tool in (Kind.RULER, Kind.ELLIPSE,
                                                         Kind.RECTANGLE, Kind.SPHERE)
                    else ": click on a view")
        self.window.statusBar().showMessage(f"Tool: {name}{hint}", 8000)

    def _on_changed(self) -> None:
        self.act_undo.setEnabled(self.ann.set.can_undo)
        self.act_redo.setEnabled(self.ann.set.can_redo)
        if self.ann.save_error:
            self.window.statusBar().showMessage(self.ann.save_error, 15000)

    def _on_volumes(self, role: Role) -> None:
        base = self.state.base
        if role is not Role.BASE:
            return
        path = store_path(study_key(base)) if base is not None else None
        if path != self.ann.path:
            self.ann.open_study(path)
            if self.ann.items:
                self.window.statusBar().showMessage(
                    f"Restored {len(self.ann.items)} annotations of this study", 8000)

    # -- text ------------------------------------------------------------------------------------
    def ask_text(self, current: str) -> str | None:
        """Ask the user for a note's text (None when cancelled)."""
        text, ok = QInputDialog.getText(self.window, "Note", "Text:", text=current)
        return text if ok else None

    def request_note(self, annotation: Annotation) -> None:
        """A note was placed: ask for its text, then add it (nothing if cancelled)."""
        text = self.ask_text("")
        if text:
            self.ann.add(replace(annotation, text=text))

    def edit_text(self, annotation: Annotation) -> None:
        """Change the text attached to an annotation (undoable)."""
        text = self.ask_text(annotation.text)
        if text is not None:
            self.ann.replace(replace(annotation, text=text))

    # -- exports ---------------------------------------------------------------------------------
    def export(self, fmt: str, path: str | Path, deidentify: bool | None = None) -> Path:
        """Export in ``fmt`` (csv, json, sr); de-identification follows the panel's box."""
        if deidentify is None:
            deidentify = self.panel.deidentify.isChecked()
        return export_annotations(self.state, fmt, path, deidentify, self.source())

    def import_file(self, path: str | Path) -> int:
        """Add the annotations of an SR (or JSON) to this study's (undoable); returns how many."""
        from inference.annotation_exports import import_annotations

        items = list(import_annotations(path).items.values())
        for a in items:
            self.ann.add(a)
        return len(items)

    def choose_import(self) -> None:
        """Ask for an SR or JSON file, then import it."""
        path, _ = QFileDialog.getOpenFileName(self.window, "Import annotations", "",
                                              "DICOM SR (*.dcm);;JSON (*.json);;All files (*)")
        if not path:
            return
        try:
            n = self.import_file(path)
        except DcreviewError as exc:
            self.show_error("Cannot import annotations", str(exc))
            return
        self.window.statusBar().showMessage(f"Imported {n} annotations", 8000)

    def choose_export(self, fmt: str) -> None:
        """Ask where, then export."""
        name, pattern = FORMATS[fmt]
        path, _ = QFileDialog.getSaveFileName(self.window, f"Export annotations as {name}",
                                              f"annotations{pattern[1:]}",
                                              f"{name} ({pattern})")
        if not path:
            return
        try:
            out = self.export(fmt, path)
        except DcreviewError as exc:
            self.show_error("Cannot export annotations", str(exc))
            return
        self.window.statusBar().showMessage(f"Wrote {out}", 8000)
