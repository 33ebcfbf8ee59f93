"""A study on disk: SQLite (WAL) for answers and progress, mirrored to a hash-chained log.

Every change is one SQLite transaction that also stores its audit record; the record is then
appended to ``audit.jsonl``. A process killed between the two loses nothing: the next open
copies the missing records to the log. Killing it mid-transaction loses only that change.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from inference.errors import ReaderStudyError
from inference.readerstudy import audit
from inference.readerstudy.design import Reading, assign, reader_seed
from inference.readerstudy.protocol import Protocol, parse_protocol

DB_NAME = "study.sqlite"
LOG_NAME = "audit.jsonl"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS readings(reader TEXT, session INTEGER, position INTEGER,
    case_id TEXT NOT NULL, arm TEXT NOT NULL, shown TEXT NOT NULL,
    PRIMARY KEY(reader, session, position));
CREATE TABLE IF NOT EXISTS answers(reader TEXT, session INTEGER, position INTEGER,
    question TEXT, value TEXT NOT NULL, protocol_hash TEXT NOT NULL, saved_at TEXT NOT NULL,
    PRIMARY KEY(reader, session, position, question));
CREATE TABLE IF NOT EXISTS progress(reader TEXT, session INTEGER, position INTEGER,
    started_at TEXT, finished_at TEXT, active_seconds REAL DEFAULT 0,
    wl_changes INTEGER DEFAULT 0, slices_viewed INTEGER DEFAULT 0,
    overlay_toggles INTEGER DEFAULT 0, PRIMARY KEY(reader, session, position));
CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, hash TEXT NOT NULL,
    record TEXT NOT NULL);
"""


class WashoutError(ReaderStudyError):
    """The reader's next session is not open yet."""


class ProtocolChangedError(ReaderStudyError):
    """The protocol differs from the one the study's results were collected under."""


@dataclass(frozen=True)
class Interaction:
    """What a reader did on a case: active seconds and viewing actions."""

    active_seconds: float = 0.0
    wl_changes: int = 0
    slices_viewed: int = 0
    overlay_toggles: int = 0


def now_utc() -> datetime:
    """The current time (UTC, seconds)."""
    return datetime.now(UTC).replace(microsecond=0)


class StudyStore:
    """One study directory: protocol copy, database, audit log, prepared images."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.db_path = self.dir / DB_NAME
        self.log_path = self.dir / LOG_NAME
        if not self.db_path.exists():
            raise ReaderStudyError(f"{self.dir} is not a dcreview study (no {DB_NAME}); "
                             "run `dcreview study init` first")
        self.conn = sqlite3.connect(self.db_path, isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        raw = json.loads(self._meta("protocol"))
        self.protocol: Protocol = parse_protocol(raw, Path(self._meta("root")))
        self.protocol_hash = self._meta("protocol_hash")
        self._repair_log()

    # -- creation -----------------------------------------------------------------------------
    @classmethod
    def create(cls, directory: str | Path, protocol: Protocol) -> StudyStore:
        """Start a study (or re-open one whose protocol is unchanged)."""
        directory = Path(directory)
        db = directory / DB_NAME
        if db.exists():
            store = cls(directory)
            if store.protocol_hash != protocol.hash:
                if store.has_results():
                    store.close()
                    raise ProtocolChangedError(
                        "the protocol changed after readings were recorded under version "
                        f"{store.protocol_hash[:12]}; results cannot mix versions. Start the "
                        "changed protocol as a new study in another folder.")
                store._set_protocol(protocol, "protocol_replaced")
            return store
        directory.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(db)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            conn.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("protocol", audit.canonical(protocol.raw)),
                ("protocol_hash", protocol.hash), ("root", str(protocol.root.resolve())),
                ("created_at", now_utc().isoformat())])
            conn.commit()
        store = cls(directory)
        store._record("study_created", None, {"protocol_hash": protocol.hash,
                                               "name": protocol.name})
        return store

    def _set_protocol(self, protocol: Protocol, event: str) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE meta SET value=? WHERE key='protocol'",
                              (audit.canonical(protocol.raw),))
            self.conn.execute("UPDATE meta SET value=? WHERE key='protocol_hash'",
                              (protocol.hash,))
            self.conn.execute("UPDATE meta SET value=? WHERE key='root'",
                              (str(protocol.root.resolve()),))
        self.protocol, self.protocol_hash = protocol, protocol.hash
        self._record(event, None, {"protocol_hash": protocol.hash})

    def close(self) -> None:
        """Close the database."""
        self.conn.close()

    def _meta(self, key: str) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        if row is None:
            raise ReaderStudyError(f"study database lacks {key!r}")
        return row[0]

    # -- audit -----------------------------------------------------------------------------
    def _record(self, event: str, reader: str | None, data: dict,
                statements: tuple[tuple[str, tuple], ...] = ()) -> dict:
        """Run ``statements`` and store their audit record in one transaction, then log it."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for sql, args in statements:
                self.conn.execute(sql, args)
            last = self.conn.execute(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last[0] + 1, last[1]) if last else (
                1, audit.genesis(self._meta("protocol_hash")))
            record = audit.seal({"seq": seq, "time": now_utc().isoformat(), "event": event,
                                 "reader": reader, "data": data}, prev)
            self.conn.execute("INSERT INTO audit VALUES (?, ?, ?)",
                              (seq, record["hash"], audit.canonical(record)))
        audit.append_lines(self.log_path, [record])
        return record

    def _repair_log(self) -> None:
        """Bring the log up to the database after a crash between commit and append."""
        audit.drop_torn_tail(self.log_path)
        records, _problems = audit.read_lines(self.log_path)
        last = max((r.get("seq", 0) for r in records), default=0)
        rows = self.conn.execute("SELECT record FROM audit WHERE seq > ? ORDER BY seq",
                                 (last,)).fetchall()
        audit.append_lines(self.log_path, [json.loads(r[0]) for r in rows])

    # -- lists -----------------------------------------------------------------------------
    def has_results(self) -> bool:
        """Whether any answer or reading start has been recorded."""
        return bool(self.conn.execute("SELECT 1 FROM answers LIMIT 1").fetchone()
                    or self.conn.execute("SELECT 1 FROM progress LIMIT 1").fetchone())

    def assign(self) -> dict[str, list[Reading]]:
        """Write every reader's reading list (same seed, same lists; refuses to reshuffle)."""
        lists = assign(self.protocol)
        existing = self.conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
        if existing:
            for reader, readings in lists.items():
                if self.readings(reader) != readings:
                    raise ReaderStudyError("reading lists already exist and differ; they cannot be "
                                     "changed once assigned")
            return lists
        rows = [(r.reader, r.session, r.position, r.case, r.arm, r.shown)
                for readings in lists.values() for r in readings]
        seeds = {reader: reader_seed(self.protocol.seed, reader)
                 for reader in self.protocol.readers}
        self._record("lists_assigned", None, {"study_seed": self.protocol.seed,
                                              "reader_seeds": seeds,
                                              "design": self.protocol.design,
                                              "readings": len(rows)},
                     tuple(("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?)", row)
                           for row in rows))
        return lists

    def readings(self, reader: str) -> list[Reading]:
        """A reader's list in reading order."""
        rows = self.conn.execute(
            "SELECT reader, session, position, case_id, arm, shown FROM readings "
            "WHERE reader=? ORDER BY session, position", (reader,)).fetchall()
        return [Reading(*row) for row in rows]

    # -- reading -----------------------------------------------------------------------------
    def login(self, reader: str) -> None:
        """A reader starts (or resumes) work; unknown names are refused."""
        if reader not in self.protocol.readers:
            raise ReaderStudyError(f"{reader!r} is not a reader of this study")
        if not self.readings(reader):
            raise ReaderStudyError("no reading lists yet: the coordinator runs `dcreview study "
                             "assign` first")
        self._record("login", reader, {})

    def finished_at(self, reading: Reading) -> str | None:
        """When the reading was completed (None: not yet)."""
        row = self.conn.execute(
            "SELECT finished_at FROM progress WHERE reader=? AND session=? AND position=?",
            (reading.reader, reading.session, reading.position)).fetchone()
        return row[0] if row else None

    def session_finished(self, reader: str, session: int) -> datetime | None:
        """When the last reading of a session was completed (None: still open)."""
        rows = self.conn.execute(
            "SELECT p.finished_at FROM readings r LEFT JOIN progress p ON r.reader=p.reader "
            "AND r.session=p.session AND r.position=p.position WHERE r.reader=? "
            "AND r.session=?", (reader, session)).fetchall()
        if not rows or any(r[0] is None for r in rows):
            return None
        return max(datetime.fromisoformat(r[0]) for r in rows)

    def opens_on(self, reader: str, session: int) -> date:
        """First day a session may start (washout after the previous one)."""
        if session <= 1:
            return date.min
        done = self.session_finished(reader, session - 1)
        if done is None:
            return date.max
        return done.date() + timedelta(days=self.protocol.washout_days)

    def next_reading(self, reader: str, today: date | None = None) -> Reading | None:
        """Where the reader resumes: the first unfinished reading (None when all are done)."""
        today = today or now_utc().date()
        for reading in self.readings(reader):
            if self.finished_at(reading) is None:
                opens = self.opens_on(reader, reading.session)
                if today < opens:
                    previous = self.session_finished(reader, reading.session - 1)
                    raise WashoutError(
                        f"Session {reading.session} opens on {opens.isoformat()}: "
                        f"{self.protocol.washout_days}-day washout after session "
                        f"{reading.session - 1}, finished on {previous.date().isoformat()}.")
                return reading
        return None

    def start(self, reading: Reading) -> None:
        """Mark a reading as shown (first time only)."""
        key = (reading.reader, reading.session, reading.position)
        if self.conn.execute("SELECT 1 FROM progress WHERE reader=? AND session=? AND "
                             "position=?", key).fetchone():
            return
        stamp = now_utc().isoformat()
        arm = self.protocol.arm(reading.arm)
        # The record says whether the SYNTHETIC label was hidden for this reading (blinded arm).
        self._record("reading_started", reading.reader,
                     {**_where(reading), "shown": reading.shown, "blinded": arm.blinded,
                      "synthetic_label_hidden": arm.blinded and reading.shown in (
                          "synthetic", "noncontrast+synthetic")},
                     (("INSERT INTO progress(reader, session, position, started_at) "
                       "VALUES (?, ?, ?, ?)", (*key, stamp)),))

    def answers(self, reading: Reading) -> dict[str, object]:
        """Saved answers of a reading (drafts included)."""
        rows = self.conn.execute(
            "SELECT question, value FROM answers WHERE reader=? AND session=? AND position=?",
            (reading.reader, reading.session, reading.position)).fetchall()
        return {q: json.loads(v) for q, v in rows}

    def save_answer(self, reading: Reading, question: str, value: object) -> None:
        """Commit one answer now (a crash later cannot lose it)."""
        if question not in self.protocol.arm(reading.arm).questions:
            raise ReaderStudyError(f"question {question!r} is not asked in arm {reading.arm!r}")
        if self.finished_at(reading) is not None:
            raise ReaderStudyError("this reading is finished; its answers can no longer change")
        if self.answers(reading).get(question, object()) == value:
            return
        text = audit.canonical(value)
        self._record("answer", reading.reader, {**_where(reading), "question": question,
                                                "value": value},
                     (("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (reading.reader, reading.session, reading.position, question, text,
                        self.protocol_hash, now_utc().isoformat())),))

    def missing(self, reading: Reading) -> list[str]:
        """Required questions of the reading still unanswered."""
        given = self.answers(reading)
        return [q for q in self.protocol.arm(reading.arm).questions
                if self.protocol.questions[q].required and _empty(given.get(q))]

    def heartbeat(self, reading: Reading, interaction: Interaction) -> None:
        """Store time and viewing counts so far (not audited; the finish record is)."""
        with self.conn:
            self.conn.execute(
                "UPDATE progress SET active_seconds=?, wl_changes=?, slices_viewed=?, "
                "overlay_toggles=? WHERE reader=? AND session=? AND position=? AND "
                "finished_at IS NULL",
                (interaction.active_seconds, interaction.wl_changes, interaction.slices_viewed,
                 interaction.overlay_toggles, reading.reader, reading.session,
                 reading.position))

    def interaction(self, reading: Reading) -> Interaction:
        """Time and viewing counts stored so far (resume continues from these)."""
        row = self.conn.execute(
            "SELECT active_seconds, wl_changes, slices_viewed, overlay_toggles FROM progress "
            "WHERE reader=? AND session=? AND position=?",
            (reading.reader, reading.session, reading.position)).fetchone()
        return Interaction(*row) if row else Interaction()

    def finish(self, reading: Reading, interaction: Interaction) -> None:
        """Complete a reading; refused while required questions are unanswered."""
        missing = self.missing(reading)
        if missing:
            texts = [self.protocol.questions[q].text for q in missing]
            raise ReaderStudyError("please answer: " + "; ".join(texts))
        self.start(reading)
        stamp = now_utc().isoformat()
        answers = self.answers(reading)
        self._record("reading_finished", reading.reader, {
            **_where(reading), "answers_hash": _sha(audit.canonical(answers)),
            "active_seconds": round(interaction.active_seconds, 1),
            "wl_changes": interaction.wl_changes, "slices_viewed": interaction.slices_viewed,
            "overlay_toggles": interaction.overlay_toggles},
            (("UPDATE progress SET finished_at=?, active_seconds=?, wl_changes=?, "
              "slices_viewed=?, overlay_toggles=? WHERE reader=? AND session=? AND position=?",
              (stamp, interaction.active_seconds, interaction.wl_changes,
               interaction.slices_viewed, interaction.overlay_toggles, reading.reader,
               reading.session, reading.position)),))

    # -- results -----------------------------------------------------------------------------
    def results(self) -> list[dict]:
        """One row per finished reading and question (long format), no identities."""
        rows = self.conn.execute(
            "SELECT r.reader, r.session, r.position, r.case_id, r.arm, r.shown, a.question, "
            "a.value, a.protocol_hash, p.active_seconds, p.wl_changes, p.slices_viewed, "
            "p.overlay_toggles, p.finished_at FROM readings r JOIN progress p ON "
            "r.reader=p.reader AND r.session=p.session AND r.position=p.position JOIN answers a "
            "ON a.reader=r.reader AND a.session=r.session AND a.position=r.position WHERE "
            "p.finished_at IS NOT NULL ORDER BY r.reader, r.session, r.position, a.question"
        ).fetchall()
        keys = ("reader", "session", "position", "case", "arm", "shown", "question", "value",
                "protocol_hash", "active_seconds", "wl_changes", "slices_viewed",
                "overlay_toggles", "finished_at")
        out = []
        for row in rows:
            d = dict(zip(keys, row, strict=True))
            d["value"] = json.loads(d["value"])
            out.append(d)
        return out

    def progress(self, today: date | None = None) -> list[dict]:
        """Per reader: readings finished, where they stand, when their next session opens."""
        today = today or now_utc().date()
        out = []
        for reader in self.protocol.readers:
            readings = self.readings(reader)
            done = sum(1 for r in readings if self.finished_at(r) is not None)
            entry = {"reader": reader, "finished": done, "total": len(readings)}
            try:
                nxt = self.next_reading(reader, today)
                entry["next"] = None if nxt is None else f"session {nxt.session}, case " \
                                                            f"{nxt.position}"
            except WashoutError:
                nxt = next(r for r in readings if self.finished_at(r) is None)
                entry["next"] = f"session {nxt.session} opens on " \
                                f"{self.opens_on(reader, nxt.session).isoformat()}"
            out.append(entry)
        return out

    # -- verification -----------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Every problem found: broken chain, log and database disagreeing, edited answers."""
        records, problems = audit.read_lines(self.log_path)
        problems += audit.verify_chain(records, self._first_protocol_hash(records))
        db = {seq: h for seq, h in self.conn.execute("SELECT seq, hash FROM audit")}
        logged = {r.get("seq"): r.get("hash") for r in records}
        for seq in sorted(set(db) | set(logged), key=lambda s: (s is None, s)):
            if db.get(seq) != logged.get(seq):
                problems.append(f"audit record {seq}: the log and the database differ")
        replay: dict[tuple, object] = {}
        for r in records:
            if r.get("event") == "answer":
                d = r["data"]
                replay[(r["reader"], d["session"], d["position"], d["question"])] = d["value"]
        stored = {(a, b, c, d): json.loads(v) for a, b, c, d, v in self.conn.execute(
            "SELECT reader, session, position, question, value FROM answers")}
        for key in sorted(set(replay) | set(stored), key=str):
            if replay.get(key, _MISSING) != stored.get(key, _MISSING):
                problems.append(f"answer {key[3]!r} of reader {key[0]}, session {key[1]}, "
                                f"case {key[2]} differs from the audit log (edited)")
        return problems

    def _first_protocol_hash(self, records: list[dict]) -> str:
        if records and records[0].get("event") == "study_created":
            return records[0].get("data", {}).get("protocol_hash", "")
        return self.protocol_hash

    def prepared_dir(self, case_id: str) -> Path:
        """Folder of a case's images prepared on one grid."""
        return self.dir / "prepared" / case_id

    def remove_prepared(self) -> None:
        """Drop prepared images (they are rebuilt by `dcreview study init`)."""
        shutil.rmtree(self.dir / "prepared", ignore_errors=True)


_MISSING = object()


def _where(reading: Reading) -> dict:
    return {"session": reading.session, "position": reading.position, "case": reading.case,
            "arm": reading.arm}


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
