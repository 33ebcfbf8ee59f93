"""The answer form of one arm, built from the protocol's questions."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSlider,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inference.readerstudy.protocol import Question

TEXT_SAVE_MS = 800  # typed text is committed this long after the last key


class _Slider(QWidget):
    """A 0-100 scale with no handle until the reader clicks or drags on it.

    A handle drawn at 50 while "not set" anchors the reader's answer; the handle appears
    where the reader first clicks.
    """

    changed = Signal(int)
    UNSET_STYLE = "QSlider::handle:horizontal { background: transparent; border: none; }"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.slider = _ClickSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 100)
        self.slider.setToolTip("click on the scale to answer")
        self.label = QLabel("not set", self)
        self.label.setMinimumWidth(50)
        row.addWidget(QLabel("0", self))
        row.addWidget(self.slider, 1)
        row.addWidget(QLabel("100", self))
        row.addWidget(self.label)
        self.value: int | None = None
        self.slider.valueChanged.connect(self._moved)
        self.slider.clicked_at.connect(self._moved)
        self._show_handle(False)

    @property
    def handle_visible(self) -> bool:
        """Whether the handle is drawn (only once a value is set)."""
        return self.value is not None

    def _show_handle(self, shown: bool) -> None:
        self.slider.setStyleSheet("" if shown else self.UNSET_STYLE)

    def _moved(self, v: int) -> None:
        self.value = v
        self._show_handle(True)
        self.label.setText(str(v))
        self.changed.emit(v)

    def set(self, v: int | None) -> None:
        """Show a saved value (None: not set yet) without reporting it as a new answer."""
        self.slider.blockSignals(True)
        self.value = v
        self.slider.setValue(0 if v is None else int(v))
        self._show_handle(v is not None)
        self.label.setText("not set" if v is None else str(v))
        self.slider.blockSignals(False)


class _ClickSlider(QSlider):
    """A slider whose click sets the value where it lands (not a page step towards it)."""

    clicked_at = Signal(int)

    def mousePressEvent(self, event) -> None:
        """Jump to the clicked value, then let a drag go on from there."""
        from PySide6.QtWidgets import QStyle

        if event.button() == Qt.MouseButton.LeftButton:
            value = QStyle.sliderValueFromPosition(self.minimum(), self.maximum(),
                                                   int(event.position().x()), self.width())
            self.blockSignals(True)
            self.setValue(value)
            self.blockSignals(False)
            self.clicked_at.emit(value)
        super().mousePressEvent(event)

    def keyPressEvent(self, event) -> None:
        """Arrow keys answer too, even where they cannot move the value (0 and Left)."""
        super().keyPressEvent(event)
        self.clicked_at.emit(self.value())


class QuestionForm(QWidget):
    """One widget per question; every change is reported at once (text after a pause)."""

    answered = Signal(str, object)  # question id, value
    mark_mode = Signal(bool)  # localisation: clicks in the views add marks

    def __init__(self, questions: list[Question], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.questions = questions
        self.layout_ = QFormLayout(self)
        self.layout_.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.getters: dict[str, object] = {}
        self.setters: dict[str, object] = {}
        self.widgets: dict[str, QWidget] = {}
        self.marks: list[dict] = []
        self._timers: dict[str, QTimer] = {}
        for q in questions:
            widget = getattr(self, f"_build_{q.type}")(q)
            self.widgets[q.id] = widget
            # A no-break space keeps the required-star with the last word when the label wraps.
            star = "\u00a0*" if q.required else ""
            label = QLabel(f"{q.text}{star}", self)
            label.setWordWrap(True)
            self.layout_.addRow(label, widget)

    def _emit(self, qid: str) -> None:
        self.answered.emit(qid, self.getters[qid]())

    # -- builders --------------------------------------------------------------------------------
    def _choices(self, q: Question, options: list[str], values: list[object],
                 exclusive: bool = True) -> QWidget:
        box = QWidget(self)
        lay = QVBoxLayout(box) if len(options) > 3 else QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        group = QButtonGroup(box)
        group.setExclusive(exclusive)
        buttons: list[QAbstractButton] = []
        for n, text in enumerate(options):
            b = QRadioButton(text, box) if exclusive else QCheckBox(text, box)
            group.addButton(b, n)
            lay.addWidget(b)
            buttons.append(b)
        group.buttonClicked.connect(lambda _b: self._emit(q.id))

        def get():
            if exclusive:
                n = group.checkedId()
                return None if n < 0 else values[n]
            return [values[n] for n, b in enumerate(buttons) if b.isChecked()]

        def put(value):
            group.setExclusive(False)
            for n, b in enumerate(buttons):
                b.setChecked(value == values[n] if exclusive else values[n] in (value or []))
            group.setExclusive(exclusive)

        self.getters[q.id], self.setters[q.id] = get, put
        box.buttons = buttons  # type: ignore[attr-defined]
        return box

    def _build_yes_no(self, q: Question) -> QWidget:
        return self._choices(q, ["Yes", "No"], [True, False])

    def _build_single_choice(self, q: Question) -> QWidget:
        return self._choices(q, list(q.options), list(q.options))

    def _build_multiple_choice(self, q: Question) -> QWidget:
        return self._choices(q, list(q.options), list(q.options), exclusive=False)

    def _build_likert(self, q: Question) -> QWidget:
        labels = [f"{n} {q.labels[n - 1]}" if q.labels else str(n)
                  for n in range(1, q.points + 1)]
        return self._choices(q, labels, list(range(1, q.points + 1)))

    def _build_confidence(self, q: Question) -> QWidget:
        s = _Slider(self)
        s.changed.connect(lambda _v: self._debounced(q.id, 300))
        self.getters[q.id], self.setters[q.id] = (lambda: s.value), s.set
        return s

    def _build_numeric(self, q: Question) -> QWidget:
        edit = QLineEdit(self)
        validator = QDoubleValidator(self)
        if q.minimum is not None:
            validator.setBottom(q.minimum)
        if q.maximum is not None:
            validator.setTop(q.maximum)
        edit.setValidator(validator)
        edit.setPlaceholderText(q.unit)
        edit.editingFinished.connect(lambda: self._emit(q.id))

        def get():
            try:
                return float(edit.text())
            except ValueError:
                return None

        self.getters[q.id] = get
        self.setters[q.id] = lambda v: edit.setText("" if v is None else f"{v:g}")
        return edit

    def _build_text(self, q: Question) -> QWidget:
        edit = QPlainTextEdit(self)
        edit.setMaximumHeight(70)
        edit.textChanged.connect(lambda: self._debounced(q.id, TEXT_SAVE_MS))
        self.getters[q.id] = lambda: edit.toPlainText()
        self.setters[q.id] = lambda v: edit.setPlainText(v or "")
        return edit

    def _build_real_vs_synthetic(self, q: Question) -> QWidget:
        box = QWidget(self)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        choice = self._choices(q, ["Real", "Synthetic"], ["real", "synthetic"])
        get_choice, put_choice = self.getters[q.id], self.setters[q.id]
        slider = _Slider(box)
        lay.addWidget(choice)
        lay.addWidget(QLabel("Confidence in this choice (0-100)", box))
        lay.addWidget(slider)
        slider.changed.connect(lambda _v: self._debounced(q.id, 300))

        def get():
            c = get_choice()
            if c is None or slider.value is None:
                return None  # both parts are needed
            return {"choice": c, "confidence": slider.value}

        def put(v):
            put_choice((v or {}).get("choice"))
            slider.set((v or {}).get("confidence"))

        self.getters[q.id], self.setters[q.id] = get, put
        box.buttons = choice.buttons  # type: ignore[attr-defined]
        box.slider = slider  # type: ignore[attr-defined]
        return box

    def _build_localisation(self, q: Question) -> QWidget:
        box = QWidget(self)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        toggle = QPushButton("Place marks (click in the views)", box)
        toggle.setCheckable(True)
        toggle.toggled.connect(self.mark_mode.emit)
        conf = QSpinBox(box)
        conf.setRange(0, 100)
        conf.setValue(50)
        conf.setPrefix("confidence ")
        row.addWidget(toggle)
        row.addWidget(conf)
        lay.addLayout(row)
        table = QTableWidget(0, 2, box)
        table.setHorizontalHeaderLabels(["mark (mm)", "confidence"])
        table.setMaximumHeight(110)
        lay.addWidget(table)
        remove = QPushButton("Remove selected mark", box)
        lay.addWidget(remove)
        self._marks_q = q.id
        self._mark_table, self._mark_confidence, self._mark_toggle = table, conf, toggle

        def redraw():
            table.setRowCount(len(self.marks))
            for n, m in enumerate(self.marks):
                table.setItem(n, 0, QTableWidgetItem(
                    ", ".join(f"{v:.0f}" for v in m["position_mm"])))
                table.setItem(n, 1, QTableWidgetItem(str(m["confidence"])))

        def drop():
            rows = sorted({i.row() for i in table.selectedIndexes()}, reverse=True)
            for r in rows:
                del self.marks[r]
            redraw()
            self._emit(q.id)

        remove.clicked.connect(drop)
        self._redraw_marks = redraw
        self.getters[q.id] = lambda: [dict(m) for m in self.marks]

        def put(v):
            self.marks = [dict(m) for m in (v or [])]
            redraw()

        self.setters[q.id] = put
        return box

    def add_mark(self, position_mm) -> None:
        """A click in a view while placing marks."""
        if not hasattr(self, "_marks_q"):
            return
        self.marks.append({"position_mm": [round(float(v), 2) for v in position_mm],
                           "confidence": self._mark_confidence.value()})
        self._redraw_marks()
        self._emit(self._marks_q)

    def _debounced(self, qid: str, ms: int) -> None:
        timer = self._timers.get(qid)
        if timer is None:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda: self._emit(qid))
            self._timers[qid] = timer
        timer.start(ms)

    def flush(self) -> None:
        """Commit anything still waiting (before leaving the case or closing)."""
        for qid, timer in self._timers.items():
            if timer.isActive():
                timer.stop()
                self._emit(qid)

    def set_answers(self, answers: dict) -> None:
        """Show saved answers (resume)."""
        for qid, put in self.setters.items():
            put(answers.get(qid))  # type: ignore[operator]

    def values(self) -> dict:
        """Current answers."""
        return {qid: get() for qid, get in self.getters.items()}  # type: ignore[operator]
