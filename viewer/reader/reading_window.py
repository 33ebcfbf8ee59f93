"""The reading screen: one case at a time in the arm's hanging protocol, with its form."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSlider,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from inference import __version__
from inference.annotations.model import Annotation, Kind
from inference.errors import DcreviewError
from inference.readerstudy.design import Reading
from inference.readerstudy.store import Interaction, StudyStore, WashoutError
from viewer.model import provenance
from viewer.model.layout import Role
from viewer.model.state import ViewerState
from viewer.model.window_level import presets, resolve
from viewer.reader.hanging import Hanging, hanging_for
from viewer.reader.question_form import QuestionForm
from viewer.views.view_grid import ViewGrid

HEARTBEAT_S = 5.0
log = logging.getLogger(__name__)


class _ActivityFilter(QObject):
    """Notes the time of the last keyboard or mouse input anywhere in the application."""

    KINDS = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.KeyPress,
             QEvent.Type.Wheel)

    def __init__(self) -> None:
        super().__init__()
        self.last = time.monotonic()

    def eventFilter(self, _obj, event) -> bool:
        """Record input; never consumes it."""
        if event.type() in self.KINDS:
            self.last = time.monotonic()
        return False


class ReadingWindow(QMainWindow):
    """Shows the reader's next reading; answers are committed as they are given."""

    def __init__(self, store: StudyStore, reader: str, today: date | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        store.login(reader)  # unknown readers are refused before anything starts
        self.store, self.reader, self.today = store, reader, today
        self.protocol = store.protocol
        # No study name in the title: a coordinator's name can itself be a cue.
        self.setWindowTitle(f"dcreview {__version__} reader study")
        self.resize(1500, 800)
        self.state = ViewerState()
        self.grid = ViewGrid(self.state, self)
        self.message = QLabel("", self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.grid)
        self.pages.addWidget(self.message)
        self.setCentralWidget(self.pages)
        self.reading: Reading | None = None
        self.form: QuestionForm | None = None
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
        self._prefetch: dict[Reading, Future] = {}
        self._build_panel()
        self._build_toolbar()
        self.activity = _ActivityFilter()
        QApplication.instance().installEventFilter(self.activity)
        self._active = 0.0
        self._counts = {"wl": 0, "overlay": 0}
        self._slices: set = set()
        self._last_tick = time.monotonic()
        self._last_beat = time.monotonic()
        self.tick = QTimer(self)
        self.tick.timeout.connect(self._on_tick)
        self.tick.start(1000)
        self.state.window_changed.connect(lambda _w: self._count("wl"))
        self.state.overlay_visible_changed.connect(lambda _v: self._on_overlay_changed())
        self.state.cursor_changed.connect(lambda _c, _s: self._note_slices())
        self.state.annotations.changed.connect(self._on_marks_drawn)
        self._overlay_shown = True
        self.show_next()

    # -- screen parts ----------------------------------------------------------------------------
    def _build_panel(self) -> None:
        dock = QDockWidget("Case", self)
        dock.setObjectName("reading-panel")
        dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        body = QWidget(dock)
        self.panel_layout = QVBoxLayout(body)
        self.header = QLabel("", body)
        self.header.setStyleSheet("font-weight: bold; font-size: 14px")
        self.panel_layout.addWidget(self.header)
        self.scroll = QScrollArea(body)
        self.scroll.setWidgetResizable(True)
        self.panel_layout.addWidget(self.scroll, 1)
        self.missing_label = QLabel("", body)
        self.missing_label.setWordWrap(True)
        self.panel_layout.addWidget(self.missing_label)
        self.next_button = QPushButton("Save and next case  (Ctrl+Enter)", body)
        self.next_button.clicked.connect(self.next_case)
        self.panel_layout.addWidget(self.next_button)
        dock.setWidget(body)
        dock.setMinimumWidth(380)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        act = QAction("Next case", self)
        act.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        act.triggered.connect(self.next_case)
        self.addAction(act)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Reading", self)
        bar.setObjectName("reading-toolbar")
        self.addToolBar(bar)
        for n, p in enumerate(presets(), 1):
            act = QAction(f"{n} {p.name}", self)
            act.setShortcut(QKeySequence(str(n)))
            act.triggered.connect(lambda _=False, pr=p: self._apply_preset(pr.key))
            self.addAction(act)
            bar.addAction(act)
        bar.addSeparator()
        reset = QAction("Reset view (R)", self)
        reset.setShortcut(QKeySequence("R"))
        reset.triggered.connect(self._reset_view)
        crosshair = QAction("Crosshair (C)", self)
        crosshair.setCheckable(True)
        crosshair.setChecked(True)
        crosshair.setShortcut(QKeySequence("C"))
        crosshair.triggered.connect(self.grid.set_crosshair_visible)
        for act in (reset, crosshair):
            self.addAction(act)
            bar.addAction(act)
        bar.addSeparator()
        self.act_overlay = QAction("Overlay (T)", self)
        self.act_overlay.setCheckable(True)
        self.act_overlay.setShortcut(QKeySequence("T"))
        self.act_overlay.triggered.connect(self.state.set_overlay_visible)
        self.addAction(self.act_overlay)
        bar.addAction(self.act_overlay)
        self.fade = QSlider(Qt.Orientation.Horizontal, self)
        self.fade.setRange(0, 100)
        self.fade.setFixedWidth(140)
        self.fade.valueChanged.connect(lambda v: self.state.set_overlay_opacity(v / 100))
        self.fade_action = bar.addWidget(self.fade)

    def _reset_view(self) -> None:
        """Fit the views and go back to the arm's window (R)."""
        if self.reading is not None and self.state.base is not None:
            self.state.set_cursor(self.state.base.geometry.center(self.state.base.shape))
            self._apply_preset(self.protocol.arm(self.reading.arm).preset)
            self.grid.reset_cameras()
            self.grid.render_all()

    def _apply_preset(self, key: str) -> None:
        if self.state.base is not None:
            p = next(p for p in presets() if p.key == key)
            self.state.set_window(resolve(p, self.state.base))

    # -- flow -------------------------------------------------------------------------------------
    def show_next(self) -> None:
        """Show where the reader resumes (or why nothing can be read now)."""
        try:
            reading = self.store.next_reading(self.reader, self.today)
        except WashoutError as exc:
            self._show_message(f"{exc}\n\nThank you: this session is complete.")
            return
        if reading is None:
            self._show_message("All readings are complete. Thank you.")
            return
        self._show(reading)

    def _show_message(self, text: str) -> None:
        self.reading = None
        self.message.setText(text)
        self.pages.setCurrentWidget(self.message)
        self.header.setText("No case to read")
        self.next_button.setEnabled(False)
        self.scroll.takeWidget()
        self.missing_label.setText("")

    def _show(self, reading: Reading) -> None:
        self.reading = reading
        arm = self.protocol.arm(reading.arm)
        hanging = self._take_prefetched(reading)
        st = self.state
        st.blinded = hanging.blinded
        st.annotations.open_study(None)
        st.annotations.set_tool(None)  # marks are placed only while this case's form asks
        st.window_preset = hanging.preset
        st.set_volume(Role.BASE, hanging.base)  # replaces every layer of the previous case
        if hanging.overlay is not None:
            st.set_volume(Role.OVERLAY, hanging.overlay)
        st.set_layout(hanging.layout)
        st.set_overlay_visible(hanging.overlay_visible)
        self._apply_preset(hanging.preset)
        self.act_overlay.setEnabled(hanging.overlay_toggle)
        self.act_overlay.setVisible(hanging.overlay is not None)
        self.act_overlay.setChecked(hanging.overlay_visible)
        self.fade_action.setVisible(hanging.overlay_toggle)
        self.fade.setValue(int(st.overlay_opacity * 100))
        self.pages.setCurrentWidget(self.grid)
        readings = self.store.readings(self.reader)
        total = sum(1 for r in readings if r.session == reading.session)
        sessions = max(r.session for r in readings)
        title = provenance.arm_title(arm.blinded, arm.label)
        self.header.setText(f"Case {reading.position} of {total} - session {reading.session} "
                            f"of {sessions}\n{title}")
        questions = [self.protocol.questions[q] for q in arm.questions]
        self.form = QuestionForm(questions)
        self.form.set_answers(self.store.answers(reading))
        self.form.answered.connect(self._on_answer)
        self.form.mark_mode.connect(
            lambda on: st.annotations.set_tool(Kind.POINT if on else None))
        self.scroll.setWidget(self.form)
        self._restore_marks()
        self.store.start(reading)
        saved = self.store.interaction(reading)
        self._active = saved.active_seconds
        self._counts = {"wl": saved.wl_changes, "overlay": saved.overlay_toggles}
        self._slices = set()
        self._slice_offset = saved.slices_viewed
        self._overlay_shown = st.overlay_visible
        self._note_slices()
        self._update_missing()
        self._prefetch_after(reading, readings)

    # -- loading ---------------------------------------------------------------------------------
    def _take_prefetched(self, reading: Reading) -> Hanging:
        """The reading's images: loaded in the background while the previous case was read."""
        future = self._prefetch.pop(reading, None)
        if future is not None:
            try:
                return future.result()
            except Exception:  # a failed prefetch is retried in the foreground below
                log.warning("prefetch failed; loading again")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return hanging_for(self.store, reading)
        finally:
            QApplication.restoreOverrideCursor()

    def _prefetch_after(self, reading: Reading, readings: list[Reading]) -> None:
        later = [r for r in readings if (r.session, r.position) > (reading.session,
                                                                   reading.position)]
        if later and later[0].session == reading.session and later[0] not in self._prefetch:
            # Only the loader thread touches files; SQLite stays on this thread.
            self._prefetch[later[0]] = self._loader.submit(hanging_for, self.store, later[0])

    def _on_answer(self, qid: str, value: object) -> None:
        if self.reading is None:
            return
        try:
            self.store.save_answer(self.reading, qid, value)
        except DcreviewError as exc:
            self.missing_label.setText(str(exc))
            return
        if self.protocol.questions[qid].type == "localisation":
            self._restore_marks()
        self._update_missing()

    def _update_missing(self) -> None:
        if self.reading is None:
            return
        missing = self.store.missing(self.reading)
        self.next_button.setEnabled(not missing)
        lines = [f"Please check: {c.message}" + (
            f" (explain in '{self.protocol.questions[c.comment].text}')"
            if c.action == "comment" else "") for c in self.store.failed_checks(self.reading)]
        if missing:
            lines.append("Still to answer: " + "; ".join(
                self.protocol.questions[q].text for q in missing))
        self.missing_label.setText("\n".join(lines))

    def interaction(self) -> Interaction:
        """Time and viewing actions on the current case so far."""
        return Interaction(self._active, self._counts["wl"],
                           self._slice_offset + len(self._slices), self._counts["overlay"])

    def next_case(self) -> bool:
        """Finish the current reading (refused while required answers are missing)."""
        if self.reading is None or self.form is None:
            return False
        self.form.flush()
        try:
            self.store.finish(self.reading, self.interaction())
        except DcreviewError:
            self._update_missing()
            return False
        self.show_next()
        return True

    # -- what the reader does ----------------------------------------------------------------------
    def _count(self, key: str) -> None:
        if self.reading is not None:
            self._counts[key] += 1

    def _on_overlay_changed(self) -> None:
        if self.state.overlay_visible != self._overlay_shown:
            self._overlay_shown = self.state.overlay_visible
            self._count("overlay")

    def _note_slices(self) -> None:
        for v in self.grid.slice_views():
            if v.volume is not None:
                self._slices.add((v.plane, v.slice_index()))

    def _on_tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        idle = now - self.activity.last > self.protocol.idle_seconds
        if self.reading is not None and self.isActiveWindow() and not idle:
            self._active += elapsed
        if self.reading is not None and now - self._last_beat >= HEARTBEAT_S:
            self._last_beat = now
            self.store.heartbeat(self.reading, self.interaction())

    # -- localisation marks ------------------------------------------------------------------------
    def _restore_marks(self) -> None:
        """Show the form's marks as points in the views."""
        if self.form is None:
            return
        self.state.annotations.show_only(
            [Annotation(Kind.POINT, (tuple(m["position_mm"]),), id=f"mark{n}", text=f"{n + 1}")
             for n, m in enumerate(self.form.marks)])

    def _on_marks_drawn(self) -> None:
        if self.form is None:
            return
        new = [a for a in self.state.annotations.items if not a.id.startswith("mark")]
        for a in new:
            self.form.add_mark(np.asarray(a.points[0]))

    def closeEvent(self, event) -> None:
        """Commit what is pending; the next start resumes here."""
        self.tick.stop()
        if self.form is not None:
            self.form.flush()
        if self.reading is not None:
            self.store.heartbeat(self.reading, self.interaction())
        QApplication.instance().removeEventFilter(self.activity)
        self._loader.shutdown(wait=True, cancel_futures=True)
        self.grid.close_views()
        super().closeEvent(event)
