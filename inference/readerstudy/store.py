"""A study folder (its layout: ``layout``): the coordinator's files, one log per reader,
prepared images.

Each reader's answers are records in that reader's own HMAC-chained log, fsync'd before the
reading screen moves on; coordinator commands (summary, export, verify) only read them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from inference.errors import ReaderStudyError
from inference.files import atomic
from inference.readerstudy import audit, keys, layout, witness
from inference.readerstudy.audit import answers_hash, lists_hash
from inference.readerstudy.design import Reading, assign, reader_seed
from inference.readerstudy.layout import COORDINATOR_LOG, STUDY_NAME, read_study_file
from inference.readerstudy.protocol import Protocol, parse_protocol
from inference.readerstudy.reader_log import ReaderLog, ReaderState, now_utc, replay
from inference.readerstudy.verify import Report, verify_study

FORMAT = 2
log = logging.getLogger(__name__)
MAX_ANSWER_BYTES = 100_000


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


class StudyStore:
    """One study folder, opened by the coordinator's commands or a reading screen."""

    def __init__(self, directory: str | Path, key_path: str | Path | None = None) -> None:
        self.dir = Path(directory)
        self.data = read_study_file(self.dir)
        self.study_id: str = self.data["study_id"]
        try:
            self.protocol: Protocol = parse_protocol(self.data["protocol"],
                                                     Path(self.data["root"]))
        except ReaderStudyError:
            raise
        except Exception as exc:
            raise ReaderStudyError(f"the protocol stored in {STUDY_NAME} cannot be used: "
                                   f"{exc}") from exc
        self.protocol_hash: str = self.data["protocol_hash"]
        self.master = keys.coordinator_key(self.study_id, self.data["key_fingerprint"],
                                           key_path)
        self._writers: dict[str, ReaderLog] = {}
        self._lists = [Reading(*row) for row in self.data.get("lists") or []]

    # -- creation -----------------------------------------------------------------------------
    @classmethod
    def create(cls, directory: str | Path, protocol: Protocol) -> StudyStore:
        """Start a study (or re-open one whose protocol is unchanged)."""
        directory = Path(directory)
        if (directory / STUDY_NAME).exists():
            store = cls(directory)
            if store.protocol_hash != protocol.hash:
                if store.has_results():
                    raise ProtocolChangedError(
                        "the protocol changed after readings were recorded under version "
                        f"{store.protocol_hash[:12]}; results cannot mix versions. Start the "
                        "changed protocol as a new study in another folder.")
                store._set_protocol(protocol)
            return store
        directory.mkdir(parents=True, exist_ok=True)
        study_id = uuid.uuid4().hex
        master = keys.create_coordinator_key(study_id)
        root = str(protocol.root.resolve())
        atomic.write_json(directory / STUDY_NAME, {
            "format": FORMAT, "study_id": study_id, "protocol": protocol.raw,
            "protocol_hash": protocol.hash, "root": root,
            "created_at": now_utc().isoformat(), "key_fingerprint": keys.fingerprint(master),
            "lists": None}, canonical=True)
        store = cls(directory)
        # The root (where the cases' relative paths start) is sealed too: editing it in
        # study.json would swap every case's images without changing the protocol's hash.
        store._coordinator_record("study_created", {
            "protocol_hash": protocol.hash, "name": protocol.name, "root": root,
            "key_fingerprint": keys.fingerprint(master)})
        return store

    def _set_protocol(self, protocol: Protocol) -> None:
        root = str(protocol.root.resolve())
        self.data.update(protocol=protocol.raw, protocol_hash=protocol.hash, root=root)
        atomic.write_json(self.dir / STUDY_NAME, self.data, canonical=True)
        self.protocol, self.protocol_hash = protocol, protocol.hash
        self._coordinator_record("protocol_replaced", {"protocol_hash": protocol.hash,
                                                       "root": root})

    def close(self) -> None:
        """Release every reader's lock held by this process."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    # -- the coordinator's log -------------------------------------------------------------
    def _need_master(self) -> bytes:
        if self.master is None:
            raise ReaderStudyError("only the study's coordinator can do this: the study key "
                                   "is not on this machine (give --key FILE)")
        return self.master

    def coordinator_records(self) -> list[dict]:
        """The coordinator's log as it stands (read only)."""
        return audit.read_log(self.dir / COORDINATOR_LOG).records

    def _coordinator_record(self, event: str, data: dict) -> dict:
        master = self._need_master()
        records = self.coordinator_records()
        prev = records[-1]["mac"] if records else audit.genesis(
            master, f"coordinator:{self.study_id}")
        record = audit.seal(master, {"seq": len(records) + 1, "event": event,
                                     "time": now_utc().isoformat(), "data": data}, prev)
        audit.append_line(self.dir / COORDINATOR_LOG, record)
        _witness(self.study_id, witness.head_of(record, record["time"]), {})
        return record

    # -- lists -----------------------------------------------------------------------------
    def has_results(self) -> bool:
        """Whether any reader has started a reading."""
        return any(self._state(r).started for r in self.protocol.readers)

    def assign(self) -> dict[str, list[Reading]]:
        """Write every reader's reading list (same seed, same lists; refuses to reshuffle)."""
        lists = assign(self.protocol)
        if self._lists:
            for reader, readings in lists.items():
                if self.readings(reader) != readings:
                    raise ReaderStudyError("reading lists already exist and differ; they "
                                           "cannot be changed once assigned")
            return lists
        rows = [[r.reader, r.session, r.position, r.case, r.arm, r.shown]
                for readings in lists.values() for r in readings]
        self._need_master()
        self.data["lists"] = rows
        atomic.write_json(self.dir / STUDY_NAME, self.data, canonical=True)
        self._lists = [Reading(*row) for row in rows]
        seeds = {reader: reader_seed(self.protocol.seed, reader)
                 for reader in self.protocol.readers}
        self._coordinator_record("lists_assigned", {
            "lists_hash": lists_hash(rows), "study_seed": self.protocol.seed,
            "reader_seeds": seeds, "design": self.protocol.design, "readings": len(rows)})
        return lists

    def readings(self, reader: str) -> list[Reading]:
        """A reader's list in reading order."""
        return sorted((r for r in self._lists if r.reader == reader),
                      key=lambda r: (r.session, r.position))

    # -- a reader's log ----------------------------------------------------------------------
    def _writer(self, reader: str) -> ReaderLog:
        writer = self._writers.get(reader)
        if writer is None:
            key = keys.reader_key(self.study_id, reader, self.data["key_fingerprint"])
            writer = ReaderLog(self.dir, reader, key, self.study_id)
            self._writers[reader] = writer
        return writer

    def _records(self, reader: str) -> list[dict]:
        """A reader's records as stored (read only; damaged lines are left to verify)."""
        try:
            return audit.read_log(layout.reader_log_path(self.dir, reader)).records
        except OSError as exc:
            raise ReaderStudyError(f"reader {reader!r}'s log cannot be read ({exc.strerror}); "
                                   "run `dcreview study verify`") from exc

    def _state(self, reader: str) -> ReaderState:
        writer = self._writers.get(reader)
        if writer is not None:
            return writer.state
        return replay(self._records(reader))

    def login(self, reader: str) -> None:
        """A reader starts (or resumes) work; unknown names and a second window are refused."""
        if reader not in self.protocol.readers:
            raise ReaderStudyError(f"{reader[:60]!r} is not a reader of this study")
        if not self.readings(reader):
            raise ReaderStudyError("no reading lists yet: the coordinator runs `dcreview study "
                                   "assign` first")
        self._writer(reader).append("login", {})

    def finished_at(self, reading: Reading) -> str | None:
        """When the reading was completed (None: not yet)."""
        done = self._state(reading.reader).finished.get((reading.session, reading.position))
        return None if done is None else done["time"]

    def session_finished(self, reader: str, session: int) -> datetime | None:
        """When the last reading of a session was completed (None: still open)."""
        times = [self.finished_at(r) for r in self.readings(reader) if r.session == session]
        if not times or any(t is None for t in times):
            return None
        return max(datetime.fromisoformat(t) for t in times)  # type: ignore[arg-type]

    def opens_on(self, reader: str, session: int) -> date:
        """First day a session may start (washout after the previous one)."""
        if session <= 1:
            return date.min
        done = self.session_finished(reader, session - 1)
        if done is None:
            return date.max
        try:
            return done.date() + timedelta(days=self.protocol.washout_days)
        except OverflowError:  # a washout beyond the calendar: the session never opens
            return date.max

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
        writer = self._writer(reading.reader)
        if (reading.session, reading.position) in writer.state.started:
            return
        arm = self.protocol.arm(reading.arm)
        # The record says whether the SYNTHETIC label was hidden for this reading (blinded arm).
        writer.append("reading_started", {
            **_where(reading), "shown": reading.shown, "blinded": arm.blinded,
            "synthetic_label_hidden": arm.blinded and reading.shown in (
                "synthetic", "noncontrast+synthetic")})

    def answers(self, reading: Reading) -> dict[str, object]:
        """Saved answers of a reading (drafts included)."""
        given = self._state(reading.reader).answers.get((reading.session, reading.position), {})
        return {q: a.value for q, a in given.items()}

    def save_answer(self, reading: Reading, question: str, value: object) -> None:
        """Commit one answer now: on disk before this returns, so a crash cannot lose it."""
        if question not in self.protocol.arm(reading.arm).questions:
            raise ReaderStudyError(f"question {question!r} is not asked in arm {reading.arm!r}")
        if self.finished_at(reading) is not None:
            raise ReaderStudyError("this reading is finished; its answers can no longer change")
        try:
            size = len(audit.canonical(value).encode())
        except (TypeError, ValueError) as exc:
            raise ReaderStudyError("an answer must be plain, finite values") from exc
        if size > MAX_ANSWER_BYTES:
            raise ReaderStudyError("that answer is too long to record")
        if self.answers(reading).get(question, _MISSING) == value:
            return
        self._writer(reading.reader).append("answer", {**_where(reading), "question": question,
                                                       "value": value})

    def missing(self, reading: Reading) -> list[str]:
        """Required questions of the reading still unanswered; a comment the protocol asks
        for when two answers contradict each other counts as required then."""
        given = self.answers(reading)
        asked = self.protocol.arm(reading.arm).questions
        explain = {c.comment for c in self.failed_checks(reading) if c.action == "comment"}
        return [q for q in asked
                if (self.protocol.questions[q].required or q in explain) and _empty(given.get(q))]

    def failed_checks(self, reading: Reading) -> list:
        """The protocol's consistency rules this reading's answers break (``Check``s)."""
        given = self.answers(reading)
        asked = self.protocol.arm(reading.arm).questions
        return [c for c in self.protocol.checks if c.applies(asked) and c.fails(given)]

    def heartbeat(self, reading: Reading, interaction: Interaction) -> None:
        """Store time and viewing counts so far (not audited; the finish record is)."""
        if self.finished_at(reading) is None:
            self._writer(reading.reader).save_interaction(
                (reading.session, reading.position), interaction.__dict__)

    def interaction(self, reading: Reading) -> Interaction:
        """Time and viewing counts stored so far (resume continues from these)."""
        done = self._state(reading.reader).finished.get((reading.session, reading.position))
        if done is not None:
            return Interaction(*(done.get(k, 0) for k in Interaction.__dataclass_fields__))
        writer = self._writers.get(reading.reader)
        stored = writer.load_interactions() if writer else {}
        values = stored.get(f"{reading.session}/{reading.position}", {})
        return Interaction(**{k: values[k] for k in Interaction.__dataclass_fields__
                              if k in values})

    def finish(self, reading: Reading, interaction: Interaction) -> None:
        """Complete a reading; refused twice, and while required questions are unanswered."""
        if self.finished_at(reading) is not None:
            raise ReaderStudyError("this reading is already finished")
        missing = self.missing(reading)
        if missing:
            texts = [self.protocol.questions[q].text for q in missing]
            raise ReaderStudyError("please answer: " + "; ".join(texts))
        self.start(reading)
        answers = self.answers(reading)
        warned = [c.message for c in self.failed_checks(reading)]
        self._writer(reading.reader).append("reading_finished", {
            **_where(reading), "answers_hash": answers_hash(answers), "warned": warned,
            "active_seconds": round(interaction.active_seconds, 1),
            "wl_changes": interaction.wl_changes, "slices_viewed": interaction.slices_viewed,
            "overlay_toggles": interaction.overlay_toggles})

    # -- results -----------------------------------------------------------------------------
    def results(self) -> list[dict]:
        """One row per finished reading and question (long format), no identities."""
        out = []
        for reader in self.protocol.readers:
            state = self._state(reader)
            for r in self.readings(reader):
                done = state.finished.get((r.session, r.position))
                if done is None:
                    continue
                given = state.answers.get((r.session, r.position), {})
                for question in sorted(given):
                    a = given[question]
                    out.append({"reader": reader, "session": r.session,
                                "position": r.position, "case": r.case, "arm": r.arm,
                                "shown": r.shown, "question": question, "value": a.value,
                                "answered_at": a.at, "changes": a.changes,
                                "protocol_hash": self.protocol_hash,
                                "active_seconds": done.get("active_seconds", 0.0),
                                "wl_changes": done.get("wl_changes", 0),
                                "slices_viewed": done.get("slices_viewed", 0),
                                "overlay_toggles": done.get("overlay_toggles", 0),
                                "finished_at": done["time"]})
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
                entry["next"] = None if nxt is None else (f"session {nxt.session}, case "
                                                          f"{nxt.position}")
            except WashoutError:
                nxt = next(r for r in readings if self.finished_at(r) is None)
                entry["next"] = (f"session {nxt.session} opens on "
                                 f"{self.opens_on(reader, nxt.session).isoformat()}")
            out.append(entry)
        return out

    def heads(self) -> dict[str, list]:
        """Each reader's last record (sequence number, seal): ties results to the logs."""
        out = {}
        for reader in self.protocol.readers:
            records = self._records(reader)
            if records:
                out[reader] = [records[-1].get("seq"), records[-1].get("mac")]
        return out

    def chain_head(self) -> str:
        """One fingerprint of every reader's log as it stands (printed with every result)."""
        return audit.heads_fingerprint(self.heads())

    def seal_results(self, purpose: str) -> str:
        """Record the readers' heads in the coordinator's log and its store (at an export)."""
        heads = self.heads()
        record = self._coordinator_record("results_sealed", {"purpose": purpose,
                                                             "heads": heads})
        _witness(self.study_id, None, {r: witness.Head(seq, mac, record["time"])
                                       for r, (seq, mac) in heads.items()})
        return self.chain_head()

    def verify(self, key_path: str | Path | None = None,
               witnesses: list[Path] = ()) -> Report:
        """Check the study (read only; see inference.readerstudy.verify); when it is intact,
        the heads it saw are added to the coordinator's store on this machine."""
        report = verify_study(self.dir, key_path, witnesses)
        record_verified(report)
        return report

    def prepared_dir(self, case_id: str) -> Path:
        """Folder of a case's images prepared on one grid."""
        return layout.prepared_dir(self.dir, case_id)

    def record_prepared(self) -> None:
        """Seal what ``init`` prepared (each case's files, their sizes, the preparation
        record's hash), so that verify sees a case deleted or replaced afterwards."""
        self._coordinator_record("cases_prepared", {
            "cases": {c.id: layout.prepared_files(self.dir, c.id) for c in self.protocol.cases}})


def record_verified(report: Report) -> None:
    """Witness the heads of an intact study in the coordinator's store (outside the folder;
    a damaged study's heads are never written down, so a later verify still sees the loss)."""
    if report.problems or not report.study_id:
        return
    _witness(report.study_id, report.coordinator_head, report.heads)


def _witness(study_id: str, coordinator: witness.Head | None,
             readers: dict[str, witness.Head]) -> None:
    # The log record is on disk already; a store that cannot be written is said, not fatal.
    try:
        witness.record_heads(study_id, coordinator, readers)
    except OSError as exc:
        log.warning("the coordinator's witness store could not be written (%s)", exc.strerror)


_MISSING = object()


def _where(reading: Reading) -> dict:
    return {"session": reading.session, "position": reading.position, "case": reading.case,
            "arm": reading.arm}


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}
