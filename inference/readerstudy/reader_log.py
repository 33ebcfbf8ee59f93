"""One reader's results: an HMAC-chained log that only that reader's process writes.

Answers, starts and finishes are records appended (and fsync'd) before the reading screen
moves on; the reader's state is the replay of the log. Each reader writes a file of their
own in a folder of their own, so readers on different workstations sharing one study folder
never write the same file, and a lock keeps the same reader from running twice.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from inference.errors import ReaderStudyError
from inference.files import atomic
from inference.readerstudy import audit, witness
from inference.readerstudy.layout import INTERACTION_NAME, LOCK_NAME, LOG_NAME, reader_folder

Key = tuple[int, int]  # (session, position)
log = logging.getLogger(__name__)


def now_utc() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)


@dataclass
class Answer:
    """An answer's current value, when it was last changed, how many changes."""

    value: object
    at: str
    changes: int = 1


@dataclass
class ReaderState:
    """A reader's results as the log says: starts, answers, finishes."""

    started: dict[Key, str] = field(default_factory=dict)
    finished: dict[Key, dict] = field(default_factory=dict)
    answers: dict[Key, dict[str, Answer]] = field(default_factory=dict)

    def apply(self, record: dict) -> None:
        """Fold one record in."""
        d = record.get("data") or {}
        key = (d.get("session"), d.get("position"))
        event = record.get("event")
        if event == "reading_started":
            self.started.setdefault(key, record.get("time", ""))
        elif event == "answer":
            given = self.answers.setdefault(key, {})
            old = given.get(d.get("question"))
            given[d.get("question")] = Answer(d.get("value"), record.get("time", ""),
                                              (old.changes + 1) if old else 1)
        elif event == "reading_finished":
            self.finished.setdefault(key, {**d, "time": record.get("time", "")})


def replay(records: list[dict]) -> ReaderState:
    """The state a list of records leads to."""
    state = ReaderState()
    for r in records:
        state.apply(r)
    return state


def _lock(path: Path, reader: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if os.name == "nt":  # pragma: no cover - Windows workstations
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip() if os.name != "nt" else ""
        os.close(fd)
        raise ReaderStudyError(
            f"reader {reader!r} already has this study open ({holder or 'another window'}); "
            "close the other reading window first") from exc
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{socket.gethostname()}, process {os.getpid()}".encode(), 0)
    return fd


class ReaderLog:
    """The single writer of one reader's log (holds the reader's lock while open)."""

    def __init__(self, study_dir: Path, reader: str, key: bytes, study_id: str) -> None:
        self.reader = reader
        self.key = key
        self.study_id = study_id
        anchor = f"{study_id}:{reader}"
        self.folder = reader_folder(study_dir, reader)
        self.path = self.folder / LOG_NAME
        self._lock_fd: int | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for name, path in (("log", self.path), ("lock", self.folder / LOCK_NAME)):
                if path.exists() and not path.is_file():
                    raise ReaderStudyError(
                        f"reader {reader!r}'s {name} ({path.name}) is a folder, not a file; "
                        "nothing is recorded until the coordinator runs `dcreview study "
                        "verify`")
            self._lock_fd = _lock(self.folder / LOCK_NAME, reader)
            # Only this writer may cut a torn tail: that record was never acknowledged.
            audit.drop_torn_tail(self.path)
            read = audit.read_log(self.path)
        except OSError as exc:
            self.close()
            raise ReaderStudyError(f"reader {reader!r}'s files cannot be used "
                                   f"({exc.strerror or type(exc).__name__}); run `dcreview "
                                   "study verify`") from exc
        first = audit.genesis(key, anchor)
        problems = audit.check_chain(read.records, key, first, f"reader {reader!r} log")
        if read.damaged or problems:
            self.close()
            raise ReaderStudyError(
                f"reader {reader!r}'s results are damaged ({(problems or ['unreadable lines'])[0]}"
                "); nothing more is recorded until the coordinator runs `dcreview study verify`")
        self.records = read.records
        self.state = replay(read.records)
        self.prev = read.records[-1]["mac"] if read.records else first

    def append(self, event: str, data: dict) -> dict:
        """Seal and store one record; returns once it is on disk."""
        record = audit.seal(self.key, {"seq": len(self.records) + 1, "event": event,
                                       "time": now_utc().isoformat(timespec="milliseconds"),
                                       "reader": self.reader, "data": data}, self.prev)
        audit.append_line(self.path, record)
        self.records.append(record)
        self.prev = record["mac"]
        self.state.apply(record)
        # The receipt on this workstation witnesses the record even if the log is cut later.
        # The record is already on disk: a receipt that cannot be written loses no answer.
        try:
            witness.write_receipt(self.study_id, self.reader,
                                  witness.head_of(record, record["time"]))
        except OSError as exc:
            log.warning("the reader's receipt could not be written (%s)", exc.strerror)
        return record

    def save_interaction(self, key: Key, values: dict) -> None:
        """Time and viewing counts so far, for resuming (not audited; the finish is)."""
        path = self.folder / INTERACTION_NAME
        data = self.load_interactions()
        data[f"{key[0]}/{key[1]}"] = values
        atomic.write_json(path, data, canonical=True)

    def load_interactions(self) -> dict:
        """Every reading's stored interaction (empty if none)."""
        try:
            return json.loads((self.folder / INTERACTION_NAME).read_text())
        except (OSError, ValueError):
            return {}

    def close(self) -> None:
        """Release the reader's lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
