"""`dcreview study preview STUDY --out DIR`: every arm as a reader sees it, and a blinding audit.

For each arm the first case is shown in the real reading screen (nothing is recorded: the
study is only read), rendered to ``ARM.png``, and every string the screen shows is written to
``ARM.texts.json``: VTK text in every view, window and dock titles, labels, buttons, tooltips,
actions and the status bar. A blinded arm fails the audit when any of them carries a
provenance cue, or, in a real-or-synthetic arm, when the screen of a synthetic case differs
in any string from the screen of a real one, or when the two variants of its cases differ in
grain (``inference.readerstudy.blinding``: interpolation blur is a cue too).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from inference.readerstudy.blinding import texture_audit
from inference.readerstudy.design import Reading
from inference.readerstudy.presentation import TEXTURE_BAND
from inference.readerstudy.store import Interaction, StudyStore

CUES = re.compile(r"synthe|\bsyn\b|digital contrast|ai-generated|derived|model|\breal\b|"
                  r"arterial|phantom|acquired", re.IGNORECASE)


class PreviewStore:
    """A study as the reading screen sees it, showing one chosen reading; records nothing."""

    def __init__(self, store: StudyStore, reading: Reading) -> None:
        self._store = store
        self.reading = reading

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def login(self, reader: str) -> None:
        """Nothing is recorded in a preview."""

    def next_reading(self, reader: str, today: date | None = None) -> Reading | None:
        """Always the reading being previewed."""
        return self.reading

    def answers(self, reading: Reading) -> dict[str, object]:
        """No answers yet."""
        return {}

    def missing(self, reading: Reading) -> list[str]:
        """Every required question is still to answer."""
        return [q for q in self._store.protocol.arm(reading.arm).questions
                if self._store.protocol.questions[q].required]

    def interaction(self, reading: Reading) -> Interaction:
        """A fresh reading."""
        return Interaction()

    def failed_checks(self, reading: Reading) -> list:
        """No answers, so none contradict each other."""
        return []

    def start(self, *args) -> None:
        """Nothing is recorded in a preview."""

    save_answer = heartbeat = finish = start


def screen_texts(window) -> dict[str, list[str]]:
    """Every string the reading screen shows: ``surfaces`` and the question ``form``."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QAbstractButton, QDockWidget, QLabel, QWidget
    from vtkmodules.vtkRenderingCore import vtkTextActor

    from viewer.views.screen_text import ScreenText

    form = window.form
    surfaces = [window.windowTitle(), window.statusBar().currentMessage()]
    for view in window.grid.visible_widgets():
        props = view.renderer.GetViewProps()
        props.InitTraversal()
        for _ in range(props.GetNumberOfItems()):
            prop = props.GetNextProp()
            if isinstance(prop, vtkTextActor) and prop.GetVisibility() and prop.GetInput():
                surfaces.append(prop.GetInput())
            elif (text := ScreenText.of(prop)) is not None and text.GetVisibility():
                surfaces.append(text.GetInput())  # the corner drawn from its own texture
    form_texts: list[str] = []
    position: list[str] = []
    for w in window.findChildren(QWidget):
        if not w.isVisible():
            continue
        texts = [w.toolTip()]
        if isinstance(w, QLabel | QAbstractButton):
            texts.append(w.text())
        if isinstance(w, QDockWidget):
            texts.append(w.windowTitle())
        # The form and the list of what is still to answer show the protocol's questions,
        # the same for every case of the arm: listed, but not a cue.
        in_form = w is window.missing_label or (form is not None and (
            w is form or form.isAncestorOf(w)))
        if w is window.header:
            position = [t for t in texts if t]  # where in the session: differs per reading
        else:
            (form_texts if in_form else surfaces).extend(t for t in texts if t)
    for act in window.findChildren(QAction):
        if act.isVisible():
            surfaces += [t for t in (act.text(), act.toolTip()) if t]
    return {"surfaces": sorted(set(surfaces)), "form": sorted(set(form_texts)),
            "position": position}


def _render(store: StudyStore, reading: Reading, out: Path, name: str) -> dict[str, list[str]]:
    from viewer.reader.reading_window import ReadingWindow
    from viewer.views.application import application
    from viewer.views.screenshot import capture_window, save_png

    app = application()
    window = ReadingWindow(PreviewStore(store, reading), reading.reader,  # type: ignore[arg-type]
                           date.today() + timedelta(days=10_000))
    window.resize(1500, 800)
    window.show()
    for _ in range(5):
        app.processEvents()
    window.grid.render_all()
    # The whole screen a reader sees: form, case header and toolbar with the views.
    save_png(capture_window(window, window.grid.visible_widgets()), out / f"{name}.png")
    texts = screen_texts(window)
    window.tick.stop()
    window.close()
    app.processEvents()
    return texts


def preview(directory: str | Path, out: str | Path) -> tuple[list[str], list[Path]]:
    """Render every arm's first case; returns (blinding failures, files written)."""
    store = StudyStore(directory)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    written: list[Path] = []
    readings = [r for reader in store.protocol.readers for r in store.readings(reader)]
    if not readings:
        raise SystemExit("no reading lists yet: run `dcreview study assign` first")
    # The pixels as well as the texts: both variants of a real-or-synthetic arm share a grain.
    texture_failures, textures = texture_audit(store)
    for arm in store.protocol.arms:
        of_arm = [r for r in readings if r.arm == arm.id]
        variants = {r.shown: r for r in reversed(of_arm)}  # first reading of each variant
        if not variants:
            continue
        # ARM.png is the synthetic variant where there is one: the one that could give itself away.
        primary = "synthetic" if "synthetic" in variants else sorted(variants)[0]
        shown = {k: _render(store, r, out, arm.id if k == primary else f"{arm.id}-{k}")
                 for k, r in sorted(variants.items())}
        first = shown[primary]
        cues = sorted({t for texts in shown.values()
                       for t in texts["surfaces"] + texts["position"] if CUES.search(t)})
        report = {"arm": arm.id, "blinded": arm.blinded, "variants": sorted(shown),
                  "surfaces": first["surfaces"], "position": first["position"],
                  "form": first["form"], "cues": cues}
        if len(shown) > 1:
            a, b = (set(t["surfaces"]) for t in shown.values())
            report["differs_between_variants"] = sorted(a ^ b)
        path = out / f"{arm.id}.texts.json"
        path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        written += [path, out / f"{arm.id}.png"]
        if arm.blinded:
            failures += [f"arm {arm.id}: provenance cue on screen: {c!r}" for c in cues]
            failures += [f"arm {arm.id}: shown only for some cases: {t!r}"
                         for t in report.get("differs_between_variants", [])]
        if arm.id in textures:
            report["texture"] = {"band": list(TEXTURE_BAND), "cases": textures[arm.id]}
            path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    store.close()
    return failures + texture_failures, written


def main(argv: Sequence[str]) -> int:
    """Command line of `dcreview study preview`."""
    import argparse

    parser = argparse.ArgumentParser(prog="dcreview study preview")
    parser.add_argument("dir")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    from inference.errors import DcreviewError

    try:
        failures, written = preview(args.dir, args.out)
    except DcreviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    for f in failures:
        print(f"BLINDING FAILURE: {f}", file=sys.stderr)
    return 1 if failures else 0
