"""Killing a reading process at random moments loses nothing and resumes exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from inference.readerstudy.store import StudyStore, WashoutError

from .reader_process import value_for

ROOT = Path(__file__).resolve().parents[2]


def run_until_killed(folder: Path, after_lines: int, extra_s: float) -> tuple[list[str], bool]:
    """Start the reader process and SIGKILL it ``extra_s`` after its n-th acknowledgement."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.readerstudy.reader_process", str(folder),
                             "alice"], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    lines: list[str] = []
    assert proc.stdout is not None
    while len(lines) < after_lines:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
    time.sleep(extra_s)
    finished = proc.poll() is not None
    if not finished:
        proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    lines += [line.strip() for line in rest.splitlines()]
    return lines, finished


def test_sigkill_at_random_points_loses_no_committed_answer(study):
    folder = study.dir
    study.close()
    rng = np.random.default_rng(11)
    acknowledged: set[tuple[int, int, str]] = set()
    finished_ack: set[tuple[int, int]] = set()
    kills = 0
    for _attempt in range(40):
        lines, ended = run_until_killed(folder, int(rng.integers(0, 6)),
                                        float(rng.uniform(0, 0.004)))
        for line in lines:
            parts = line.split()
            if parts[0] == "ANSWER":
                acknowledged.add((int(parts[1]), int(parts[2]), parts[3]))
            elif parts[0] == "FINISHED":
                finished_ack.add((int(parts[1]), int(parts[2])))
        kills += not ended
        store = StudyStore(folder)  # reopening repairs the log after a kill
        try:
            assert store.verify() == []
            readings = {(r.session, r.position): r for r in store.readings("alice")}
            for session, position, question in acknowledged:
                r = readings[(session, position)]
                assert store.answers(r)[question] == value_for(r.case, question)
            for key in finished_ack:
                assert store.finished_at(readings[key]) is not None
            # Resume point: the first unfinished reading, with every answer it had.
            try:
                nxt = store.next_reading("alice")
            except WashoutError:
                nxt = None
            if nxt is not None:
                earlier = [k for k in readings if k < (nxt.session, nxt.position)]
                assert all(store.finished_at(readings[k]) for k in earlier)
        finally:
            store.close()
        if "WASHOUT" in lines or "DONE" in lines:
            break
    assert kills >= 5  # the process really was killed mid-session, repeatedly
    store = StudyStore(folder)
    assert store.session_finished("alice", 1) is not None  # session 1 completed in the end
    assert store.verify() == []
    store.close()
