"""The reading form does not bias the reader: no pre-placed handle, marks unlike the
crosshair, labels that wrap cleanly."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from inference.annotations.model import Annotation, Kind
from inference.readerstudy.protocol import Question
from viewer.annotations.drawing import AnnotationDrawing
from viewer.reader.question_form import QuestionForm
from viewer.views.application import application  # noqa: F401  (VTK's Qt binding first)

pytestmark = pytest.mark.gui


def pixels(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    ptr = image.constBits()
    return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())[
        :, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def confidence_form(qtbot) -> QuestionForm:
    q = Question("confidence", "confidence", "Confidence that an aneurysm is present (0-100)",
                 True, (), 5, (), None, None, "")
    form = QuestionForm([q])
    qtbot.addWidget(form)
    form.resize(360, 120)
    form.show()
    qtbot.waitExposed(form)
    return form


def test_a_confidence_scale_has_no_handle_until_the_reader_clicks(qtbot):
    form = confidence_form(qtbot)
    scale = form.widgets["confidence"]
    answers = []
    form.answered.connect(lambda qid, v: answers.append(v))
    unset = pixels(scale.slider)
    assert not scale.handle_visible and scale.label.text() == "not set"
    # No handle anywhere on the groove while unset: the middle looks like the ends.
    middle = unset[:, unset.shape[1] // 2 - 5: unset.shape[1] // 2 + 5]
    end = unset[:, unset.shape[1] - 30: unset.shape[1] - 20]
    assert np.abs(middle.astype(int) - end.astype(int)).max() < 40
    qtbot.mouseClick(scale.slider, Qt.MouseButton.LeftButton,
                     pos=QPoint(int(scale.slider.width() * 0.8), scale.slider.height() // 2))
    qtbot.waitUntil(lambda: bool(answers), timeout=3000)  # committed after a short pause
    assert 75 <= answers[-1] <= 85  # the value lands where the reader clicked
    assert scale.handle_visible and scale.label.text() == str(answers[-1])
    assert np.abs(pixels(scale.slider).astype(int) - unset.astype(int)).max() > 60
    scale.set(None)  # a resumed reading without an answer shows no handle again
    assert not scale.handle_visible


def test_the_required_star_never_wraps_alone(qtbot):
    form = confidence_form(qtbot)
    label = form.layout_.itemAt(0).widget()
    assert label.text().endswith("\u00a0*") and " *" not in label.text()


def test_localisation_marks_are_numbered_rings_not_crosses():
    from vtkmodules.vtkRenderingCore import vtkRenderer

    drawing = AnnotationDrawing(vtkRenderer())
    right, up, look = np.eye(3)[0], np.eye(3)[1], np.eye(3)[2]
    mark = Annotation(Kind.POINT, ((0.0, 0.0, 0.0),), id="mark0", text="1")
    lines = drawing._shape_lines(mark, np.zeros(3), look, right, up, 1.0)
    ring = lines[0]
    radius = np.linalg.norm(ring[:, :2], axis=1)
    assert len(ring) > 16 and np.allclose(radius, radius[0])  # a closed circle
    assert all(np.linalg.norm(seg[1] - seg[0]) < radius[0] for seg in lines[1:])  # small tick
    drawing.update([mark], None, None, np.zeros(3), look, right, up, 1.0, 1.0,
                   lambda a: a.text)
    assert [t.GetInput() for t in drawing.labels if t.GetVisibility()] == ["1"]
