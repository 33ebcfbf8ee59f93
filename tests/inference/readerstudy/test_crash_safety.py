"""Killing a reading process at random moments loses nothing and resumes exactly."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import numpy as np

from inference.readerstudy.store import StudyStore
from inference.readerstudy.verify import verify_study
from tests.support.reader_process import value_for
from tests.support.studies import LATER, start_reader


def run_until_killed(folder: Path, reader: str, after_lines: int,
                     extra_s: float) -> tuple[list[str], bool]:
    """Start the reader process and SIGKILL it ``extra_s`` after its n-th acknowledgement."""
    proc = start_reader(folder, reader)
    lines: list[str] = []
    assert proc.stdout is not None
    while len(lines) < after_lines:
        line = proc.stdout.readline()
        if not line:
            break
        if line.endswith("\n"):
            lines.append(line.strip())
    time.sleep(extra_s)
    finished = proc.poll() is not None
    if not finished:
        proc.send_signal(signal.SIGKILL)
    rest, _err = proc.communicate(timeout=30)
    # Only whole lines are acknowledgements: a kill can cut the last one short.
    lines += [line.strip() for line in rest.splitlines(keepends=True) if line.endswith("\n")]
    return [line for line in lines if line], finished


def check_after_kill(folder: Path, reader: str, acknowledged: set, finished_ack: set) -> None:
    """Every acknowledged answer and finish is there; the reader resumes where they stopped."""
    assert verify_study(folder).problems == []  # read only: nothing repaired first
    store = StudyStore(folder)
    try:
        readings = {(r.session, r.position): r for r in store.readings(reader)}
        for session, position, question in acknowledged:
            r = readings[(session, position)]
            assert store.answers(r)[question] == value_for(r.case, question)
        for key in finished_ack:
            assert store.finished_at(readings[key]) is not None
        nxt = store.next_reading(reader, LATER)
        if nxt is not None:
            earlier = [k for k in readings if k < (nxt.session, nxt.position)]
            assert all(store.finished_at(readings[k]) for k in earlier)
    finally:
        store.close()


def test_sigkill_at_random_points_loses_no_committed_answer(study):
    folder = study.dir
    study.close()
    rng = np.random.default_rng(11)
    kills = 0
    for reader in ("alice", "bob"):
        acknowledged: set[tuple[int, int, str]] = set()
        finished_ack: set[tuple[int, int]] = set()
        for _attempt in range(150):
            lines, ended = run_until_killed(folder, reader, int(rng.integers(0, 2)),
                                            float(rng.uniform(0, 0.004)))
            for line in lines:
                parts = line.split()
                if parts[0] == "ANSWER":
                    acknowledged.add((int(parts[1]), int(parts[2]), parts[3]))
                elif parts[0] == "FINISHED":
                    finished_ack.add((int(parts[1]), int(parts[2])))
            kills += not ended
            check_after_kill(folder, reader, acknowledged, finished_ack)
            if "DONE" in lines:
                break
    print(f"{kills} SIGKILLs")
    assert kills >= 50  # the processes really were killed mid-reading, again and again
    store = StudyStore(folder)
    for reader in ("alice", "bob"):
        assert store.next_reading(reader, LATER) is None
    assert len(store.results()) == 2 * 18 * 3  # every reading of every session and question
    assert store.verify().problems == []
    store.close()
