"""The reading screen end to end: two readers, blinding, answers, resume, washout."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QLabel,
    QTableWidget,
    QWidget,
)

from inference.readerstudy.store import StudyStore
from tests.support.viewer import AORTA, mouse, qt_pos
from viewer.model.orientation import Plane
from viewer.reader.question_form import QuestionForm
from viewer.reader.reading_window import ReadingWindow
from viewer.views.application import application  # noqa: F401  (VTK's Qt binding first)

TODAY = date.today()
CUES = ("synthetic", "ai-generated", "derived", "model", "phantom", ".nii", "prepared",
        "real contrast", "digital", "case-", "non-contrast", "noncontrast", "turing")


def open_reading(qtbot, store: StudyStore, reader: str, today=TODAY) -> ReadingWindow:
    w = ReadingWindow(store, reader, today)
    qtbot.addWidget(w)
    w.resize(1300, 700)
    w.show()
    qtbot.waitExposed(w)
    QApplication.processEvents()
    w.grid.render_all()
    return w


def visible_texts(w: ReadingWindow) -> list[str]:
    """Every text a reader can see outside the question form, view overlays included."""
    texts = [w.windowTitle()]
    for child in w.findChildren(QWidget):
        if not child.isVisible() or any(isinstance(p, QuestionForm) for p in _parents(child)):
            continue
        if isinstance(child, QLabel | QAbstractButton):
            texts += [child.text(), child.toolTip()]
        if isinstance(child, QDockWidget):
            texts.append(child.windowTitle())
        if isinstance(child, QTableWidget):
            texts += [child.item(r, c).text() for r in range(child.rowCount())
                      for c in range(child.columnCount()) if child.item(r, c)]
    for view in w.grid.slice_views():
        view.render()
        for prop in [view.info, view.synthetic_label, view.scale_text, *view._labels.values(),
                     *view.annotation_drawing.labels]:
            if prop.GetVisibility():
                texts.append(prop.GetInput() or "")
    return texts


def _without(text: str, phrases: list[str]) -> str:
    for phrase in phrases:
        text = text.replace(phrase, "")
    return text


def _parents(widget: QWidget):
    p = widget.parentWidget()
    while p is not None:
        yield p
        p = p.parentWidget()


def click(qtbot, button: QAbstractButton) -> None:
    """Click a radio button on its indicator, where a reader clicks."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(6, button.height() // 2))


def answer_required(qtbot, w: ReadingWindow) -> None:
    """Answer every required question with real clicks and keys."""
    form = w.form
    for q in form.questions:
        widget = form.widgets[q.id]
        if not q.required:
            continue
        if q.type in ("yes_no", "likert", "single_choice"):
            click(qtbot, widget.buttons[0])
        elif q.type == "confidence":
            widget.slider.setFocus()
            qtbot.keyClick(widget.slider, Qt.Key.Key_Right)
        elif q.type == "real_vs_synthetic":
            click(qtbot, widget.buttons[1])
            widget.slider.slider.setFocus()
            qtbot.keyClick(widget.slider.slider, Qt.Key.Key_Left)
    try:
        qtbot.waitUntil(w.next_button.isEnabled, timeout=5000)
    except Exception:
        raise AssertionError(w.missing_label.text()) from None


def test_two_readers_blinded_answered_resumed_and_washout(qtbot, study):
    w = open_reading(qtbot, study, "alice")
    first = w.reading
    assert first == study.readings("alice")[0]
    assert study.readings("alice")[1] in w._prefetch  # the next case loads while this is read
    # Nothing can be skipped: Next stays disabled until the required answers are given.
    assert not w.next_button.isEnabled() and not w.next_case()
    assert "Still to answer" in w.missing_label.text()
    seen_arms = set()
    while w.reading is not None and w.reading.session == 1:
        reading = w.reading
        arm = study.protocol.arm(reading.arm)
        seen_arms.add(arm.id)
        texts = visible_texts(w)
        banners = [v.synthetic_label.GetVisibility() for v in w.grid.slice_views()]
        if arm.blinded:
            # The protocol's own question texts may name the task; nothing else may.
            asked = [q.text for q in study.protocol.questions.values()]
            stripped = [_without(t, asked) for t in texts]
            leaked = [t for t in stripped for cue in CUES if cue in t.lower()]
            assert leaked == [], f"provenance cue visible in arm {arm.id}: {leaked}"
            assert not any(banners)
            assert w.header.text().endswith("Reading")
        elif reading.shown == "noncontrast+synthetic":
            # Outside blinding the SYNTHETIC label rule holds.
            assert any(banners) and any("SYNTHETIC" in t for t in texts)
        if arm.id == "TURING" and reading.position <= 3:
            w.form._mark_toggle.setChecked(True)
            axial = w.grid.view(Plane.AXIAL)
            pos = qt_pos(axial, AORTA)
            mouse(axial.canvas, QEvent.Type.MouseButtonPress, pos, Qt.MouseButton.LeftButton,
                  Qt.MouseButton.LeftButton)
            mouse(axial.canvas, QEvent.Type.MouseButtonRelease, pos, Qt.MouseButton.LeftButton,
                  Qt.MouseButton.NoButton)
            marks = study.answers(reading)["lesions"]
            assert len(marks) == 1
            assert np.allclose(marks[0]["position_mm"][:2], AORTA[:2], atol=4.0)
        answer_required(qtbot, w)
        w.grid.state.set_window(w.grid.state.window.dragged(30, 0, 1.0))  # one W/L change
        assert w.next_case()
    assert seen_arms == {"NC", "DC", "TURING"}
    # Session 1 done: the washout keeps session 2 closed today.
    assert w.reading is None and "Session 2 opens on" in w.message.text()
    rows = study.results()
    assert {r["reader"] for r in rows} == {"alice"} and len({r["case"] for r in rows}) == 6
    assert all(r["wl_changes"] >= 1 and r["slices_viewed"] >= 1 for r in rows)
    w.close()
    # Bob reads the same cases in his own random order; his results are his own.
    b = open_reading(qtbot, study, "bob")
    assert [r.case for r in study.readings("bob")][:6] != [r.case for r in
                                                           study.readings("alice")][:6]
    answer_required(qtbot, b)
    bob_first = b.reading
    b.close()  # closed mid-case after answering: reopening resumes with the answers shown
    again = open_reading(qtbot, study, "bob")
    assert again.reading == bob_first and again.next_button.isEnabled()
    saved = study.answers(bob_first)
    assert saved and all(again.form.values()[q] == v for q, v in saved.items())
    again.close()
    later = open_reading(qtbot, study, "alice", study.opens_on("alice", 2))  # washout over
    assert later.reading is not None and later.reading.session == 2
    later.close()
    assert study.verify().problems == []


@pytest.mark.parametrize("reader", ["nobody"])
def test_unknown_reader_is_refused(qtbot, study, reader):
    from inference.errors import DcreviewError

    with pytest.raises(DcreviewError, match="not a reader"):
        ReadingWindow(study, reader, TODAY)


def test_reading_time_pauses_when_idle(qtbot, study):
    import time

    w = open_reading(qtbot, study, "alice")
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    w._last_tick = time.monotonic() - 3.0
    w.activity.last = time.monotonic()
    w._on_tick()
    assert w.interaction().active_seconds >= 2.9  # active: counted
    before = w.interaction().active_seconds
    w._last_tick = time.monotonic() - 3.0
    w.activity.last = time.monotonic() - study.protocol.idle_seconds - 5
    w._on_tick()
    assert w.interaction().active_seconds == before  # idle: not counted
    w.close()  # closing stores the time so far; the next start continues from it
    assert study.interaction(w.reading).active_seconds == pytest.approx(before)


def test_coordinator_summary_window_plots_auc_and_turing(qtbot, study, tmp_path):
    from inference.readerstudy.statistics import summary
    from tests.support.studies import answer_all
    from viewer.reader.summary_window import SummaryWindow

    answer_all(study, "alice", 1)
    answer_all(study, "bob", 1)
    s = summary(study.protocol, study.results())
    w = SummaryWindow(s)
    qtbot.addWidget(w)
    auc_points = w.figure.axes[0].lines[0].get_ydata()
    assert np.allclose(auc_points, [a["auc"] for a in s["auc"] if a["auc"] is not None])
    assert "Real-vs-synthetic" in w.text.toPlainText()
    assert w.export_png(tmp_path / "s.png").stat().st_size > 5000


def test_r_resets_the_view_to_the_arms_window(qtbot, study):
    from viewer.model.window_level import WindowLevel

    w = open_reading(qtbot, study, "alice")
    hung = w.state.window
    w.state.set_window(WindowLevel(50, 500))
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_R)
    assert w.state.window == hung
    w.close()
