"""`dcreview study read` on a damaged study refuses in one line (verify's finding), never
with a traceback, and never opens the reading screen on results it cannot trust."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inference.readerstudy.layout import reader_folder, reader_log_path
from tests.support.studies import TODAY, answer_all

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def read_once(tmp_path_factory, small_case, prepared_cases):
    """A study where both readers read session 1."""
    from inference.readerstudy.protocol import load_protocol
    from inference.readerstudy.store import StudyStore
    from tests.support.studies import write_protocol

    folder = tmp_path_factory.mktemp("damaged")
    store = StudyStore.create(folder / "study", load_protocol(write_protocol(folder,
                                                                             small_case)))
    shutil.copytree(prepared_cases, folder / "study" / "prepared")
    store.assign()
    for reader in ("alice", "bob"):
        answer_all(store, reader, 1, TODAY)
    store.close()
    return folder / "study"


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


def _swap(d):
    lines = _lines(reader_log_path(d, "alice"))
    lines[3], lines[4] = lines[4], lines[3]
    _write(reader_log_path(d, "alice"), lines)


def _delete(d):
    lines = _lines(reader_log_path(d, "alice"))
    del lines[4]
    _write(reader_log_path(d, "alice"), lines)


def _edit(d):
    lines = _lines(reader_log_path(d, "alice"))
    n = next(i for i, line in enumerate(lines) if '"answer"' in line)
    record = json.loads(lines[n])
    record["data"]["value"] = 0
    lines[n] = json.dumps(record)
    _write(reader_log_path(d, "alice"), lines)


def _logs_swapped(d):
    a, b = reader_log_path(d, "alice"), reader_log_path(d, "bob")
    data = a.read_bytes()
    a.write_bytes(b.read_bytes())
    b.write_bytes(data)


def _garbage(d):
    with open(reader_log_path(d, "alice"), "ab") as f:
        f.write(b"{not a record}\n")


def _log_folder(d):
    reader_log_path(d, "alice").unlink()
    reader_log_path(d, "alice").mkdir()


def _lock_folder(d):
    lock = reader_folder(d, "alice") / "writer.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()


def _utf16(d):
    path = d / "study.json"
    path.write_bytes(path.read_text().encode("utf-16"))


DAMAGES = {"records swapped": _swap, "a record deleted": _delete, "an answer edited": _edit,
           "two readers' logs swapped": _logs_swapped, "garbage appended": _garbage,
           "the log replaced by a folder": _log_folder,
           "the lock replaced by a folder": _lock_folder, "a UTF-16 study file": _utf16}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_the_reading_screen_refuses_a_damaged_study_in_one_line(read_once, tmp_path, damage):
    study = tmp_path / "study"
    shutil.copytree(read_once, study)
    DAMAGES[damage](study)
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "viewer", "study", "read", str(study),
                           "--reader", "alice"], capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
