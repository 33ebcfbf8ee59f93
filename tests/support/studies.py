"""A reader study over the phantom cases: its protocol, prepared once per test session, and
the readers' helpers (answering, a real reader process)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from inference.readerstudy.prepare import prepare_study
from inference.readerstudy.protocol import load_protocol
from inference.readerstudy.store import Interaction, StudyStore, WashoutError

ROOT = Path(__file__).resolve().parents[2]
TODAY = date.today()
LATER = date.today() + timedelta(days=1000)  # every washout over

PROTOCOL = """
[study]
name = "Phantom digital-contrast validation"
seed = 20261123
design = "independent"
washout_days = 28
roc_question = "confidence"

[[readers]]
id = "alice"

[[readers]]
id = "bob"

{cases}

[[arms]]
id = "NC"
label = "Non-contrast only"
show = "noncontrast"
preset = "abdomen"
questions = ["aneurysm", "confidence", "quality"]

[[arms]]
id = "DC"
label = "Non-contrast with digital contrast"
show = "noncontrast+synthetic"
overlay_visible = true
overlay_toggle = true
questions = ["aneurysm", "confidence", "quality"]

[[arms]]
id = "TURING"
label = "Real or synthetic?"
show = "real_or_synthetic"
layout = "1x1"
preset = "angio"
questions = ["which", "lesions", "comment"]

[[questions]]
id = "aneurysm"
type = "yes_no"
text = "Is there an abdominal aortic aneurysm?"

[[questions]]
id = "confidence"
type = "confidence"
text = "Confidence that an aneurysm is present (0-100)"

[[questions]]
id = "quality"
type = "likert"
points = 5
labels = ["non-diagnostic", "poor", "fair", "good", "excellent"]
text = "Overall image quality"

[[questions]]
id = "which"
type = "real_vs_synthetic"
text = "Is this contrast scan real or synthetic?"

[[questions]]
id = "lesions"
type = "localisation"
text = "Mark every aneurysm"
required = false

[[questions]]
id = "comment"
type = "text"
text = "Comment"
required = false
"""

CASE = """
[[cases]]
id = "case-{n}"
noncontrast = "{nc}"
real = "{real}"
truth = {truth}
{lesion}
"""


def write_protocol(folder: Path, small_case, n_cases: int = 6, **changes: str) -> Path:
    """A protocol file with ``n_cases`` cases (the same phantom; truth alternates)."""
    cases = []
    for n in range(1, n_cases + 1):
        truth = n % 2
        lesion = ("lesions = [{ position_mm = [12.0, 28.0, -20.0], radius_mm = 25.0 }]"
                  if truth else "")
        cases.append(CASE.format(n=n, nc=small_case.noncontrast, real=small_case.contrast,
                                 truth=truth, lesion=lesion))
    text = PROTOCOL.replace("{cases}", "\n".join(cases))
    for old, new in changes.items():
        text = text.replace(old, new)
    path = folder / "protocol.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def prepared_cases(small_case, tmp_path_factory) -> Path:
    """Every case's layers on one grid (synthesised and registered once)."""
    folder = tmp_path_factory.mktemp("prepared-protocol")
    protocol = load_protocol(write_protocol(folder, small_case))
    prepared = folder / "prepared"
    prepare_study(replace(protocol, cases=protocol.cases[:1]), prepared, log=lambda _m: None)
    # All cases are the same phantom: copy the first one's preparation.
    for case in protocol.cases[1:]:
        shutil.copytree(prepared / protocol.cases[0].id, prepared / case.id)
    return prepared


@pytest.fixture
def study(tmp_path, small_case, prepared_cases) -> StudyStore:
    """A fresh study with lists assigned."""
    protocol = load_protocol(write_protocol(tmp_path, small_case))
    store = StudyStore.create(tmp_path / "study", protocol)
    shutil.copytree(prepared_cases, tmp_path / "study" / "prepared")
    store.assign()
    yield store
    store.close()


def answer_all(store: StudyStore, reader: str, session: int, today=TODAY, rng=None) -> None:
    """Read every case of a session with plausible answers."""
    rng = rng or np.random.default_rng(0)
    while True:
        try:
            r = store.next_reading(reader, today)
        except WashoutError:
            return
        if r is None or r.session != session:
            return
        store.start(r)
        truth = store.protocol.case(r.case).truth
        for q in store.protocol.arm(r.arm).questions:
            value = {"aneurysm": bool(truth), "confidence": int(60 * truth + rng.integers(0, 40)),
                     "quality": int(rng.integers(3, 6)),
                     "which": {"choice": "real" if rng.random() < 0.5 else "synthetic",
                               "confidence": 50},
                     "lesions": [{"position_mm": [12.0, 28.0, -20.0], "confidence": 80}]
                     if truth else [{"position_mm": [0.0, 0.0, 0.0], "confidence": 20}],
                     "comment": ""}[q]
            store.save_answer(r, q, value)
        store.finish(r, Interaction(12.5, 2, 9, 1))


def start_reader(folder: Path, reader: str, days_later: int = 1000) -> subprocess.Popen:
    """A real reader process answering as fast as it can (every washout already over)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.support.reader_process",
                             str(folder), reader, str(days_later)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
