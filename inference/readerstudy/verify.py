"""`dcreview study verify`: read every file of a study, change none, report every damage.

Works on a read-only copy. Each problem is one line naming what is wrong: a missing or
damaged file, records missing, inserted, altered or forged (their keyed seals do not match),
answers that no reading screen could have written, results sealed at an export that the logs
no longer hold, and records cut from a log's end or whole logs deleted, seen against the chain
heads that witnesses outside the folder wrote down (``witness``). A torn last line (a reading
screen killed while writing a record it had not yet acknowledged) is a note, not damage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from inference.errors import DcreviewError
from inference.readerstudy import audit, keys, witness
from inference.readerstudy.audit import answers_hash, lists_hash
from inference.readerstudy.design import Reading
from inference.readerstudy.keys import reader_token
from inference.readerstudy.layout import (
    COORDINATOR_LOG,
    LOCK_NAME,
    STUDY_NAME,
    prepared_files,
    read_study_file,
    reader_log_path,
)
from inference.readerstudy.protocol import parse_protocol
from inference.readerstudy.reader_log import now_utc

NO_WITNESS = ("no witness of the chain heads is reachable here (the coordinator's store on "
              "this machine, a reader's receipt, or --witness FILE), so records cut from the "
              "end of a log, or a whole log deleted, could not be checked")


@dataclass
class Report:
    """Problems (damage, tampering) and notes (normal events worth knowing); the heads seen
    and the witnesses they were checked against."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: int = 0
    chain_head: str = ""
    study_id: str = ""
    witnesses: list[str] = field(default_factory=list)
    coordinator_head: witness.Head | None = field(default=None, repr=False)
    heads: dict[str, witness.Head] = field(default_factory=dict, repr=False)


def _read(path: Path, name: str, report: Report) -> audit.LogRead | None:
    try:
        read = audit.read_log(path)
    except IsADirectoryError:
        report.problems.append(f"{name} is a folder, not a log file")
        return None
    except OSError as exc:
        report.problems.append(f"{name} cannot be read ({exc.strerror})")
        return None
    for n in read.damaged[:10]:
        report.problems.append(f"{name} line {n} is not a record (damaged)")
    if read.torn_tail:
        report.notes.append(f"{name} ends in an incomplete record (a reading screen was "
                            "stopped while writing; that record was never acknowledged)")
    return read


def verify_study(directory: str | Path, key_path: str | Path | None = None,
                 witness_files: list[Path] = ()) -> Report:
    """Check a study folder without writing to it."""
    directory = Path(directory)
    report = Report()
    try:
        data = read_study_file(directory)
        protocol = parse_protocol(data["protocol"], Path(data["root"]))
    except DcreviewError as exc:
        report.problems.append(str(exc))
        return report
    except Exception as exc:  # a hand-edited protocol in study.json: say so, never trace
        report.problems.append(f"the protocol in {STUDY_NAME} is damaged ({type(exc).__name__})")
        return report
    report.study_id = str(data["study_id"])
    # Witnesses are read before the logs: they only ever name records already on disk, so a
    # reading screen writing meanwhile cannot make a log look shorter than its witness.
    witnesses, unusable = witness.reachable(report.study_id, protocol.readers,
                                            list(witness_files))
    report.problems += unusable
    if protocol.hash != data["protocol_hash"]:
        report.problems.append(f"the protocol in {STUDY_NAME} was edited (its hash differs)")
    try:
        master = keys.coordinator_key(data["study_id"], data["key_fingerprint"], key_path)
    except DcreviewError as exc:
        report.problems.append(str(exc))
        master = None
    if master is None:
        report.problems.append("the coordinator's study key is not on this machine, so the "
                               "seals cannot be checked (give --key FILE)")
    coordinator, sealed = _check_coordinator(directory, data, master, report)
    lists = [Reading(*row) for row in data.get("lists") or []]
    heads, logs = {}, {}
    for reader in protocol.readers:
        records = _check_reader(directory, data, protocol, reader, master,
                                [r for r in lists if r.reader == reader], report)
        logs[reader] = records
        if records:
            heads[reader] = [records[-1].get("seq"), records[-1].get("mac")]
            report.heads[reader] = witness.head_of(records[-1], audit_time())
        for when, (seq, mac) in sealed.get(reader, []):
            if len(records or []) < seq or records[seq - 1].get("mac") != mac:
                report.problems.append(
                    f"reader {reader!r}: record {seq}, sealed when results were exported on "
                    f"{when[:10]}, is missing or changed (records deleted or replaced)")
    if coordinator:
        report.coordinator_head = witness.head_of(coordinator[-1], audit_time())
        report.problems += _check_prepared(directory, coordinator)
    report.problems += _check_reader_folders(directory, protocol.readers)
    _check_witnesses(report, witnesses, coordinator, logs)
    report.chain_head = audit.heads_fingerprint(heads)
    return report


def _check_reader_folders(directory: Path, readers: tuple[str, ...]) -> list[str]:
    """Folders in readers/ that belong to no reader of the study (forged or left over), and
    lock files that are not files."""
    root = directory / "readers"
    known = {reader_token(r) for r in readers}
    problems = []
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        if entry.name not in known:
            problems.append(f"readers/{entry.name[:40]} is not the folder of any reader of the "
                            "study (forged, or copied from another study)")
    for reader in readers:
        lock = reader_log_path(directory, reader).with_name(LOCK_NAME)
        if lock.exists() and not lock.is_file():
            problems.append(f"reader {reader!r}'s lock ({LOCK_NAME}) is a folder, not a file")
    return problems


def _check_prepared(directory: Path, coordinator: list[dict]) -> list[str]:
    """The prepared cases against what init sealed: none deleted, replaced or cut short."""
    sealed = [r for r in coordinator if r.get("event") == "cases_prepared"]
    if not sealed:
        return []
    problems = []
    for case, files in sorted(((sealed[-1].get("data") or {}).get("cases") or {}).items()):
        try:
            now = prepared_files(directory, case)
        except DcreviewError:
            now = {}
        if not now:
            problems.append(f"case {case!r}: its prepared images are missing (deleted after "
                            "init)")
            continue
        changed = sorted(name for name, (size, digest) in files.items()
                         if name not in now or now[name][0] != size
                         or (digest and now[name][1] != digest))
        if changed:
            problems.append(f"case {case!r}: prepared file(s) {', '.join(changed)} missing or "
                            "changed since init")
    return problems


def audit_time() -> str:
    """Now, as witnesses record it."""
    return now_utc().isoformat(timespec="seconds")


def _check_witnesses(report: Report, found: list[witness.Witness],
                     coordinator: list[dict] | None, logs: dict[str, list[dict] | None]) -> None:
    report.witnesses = [w.source for w in found]
    for w in found:
        report.problems += witness.check(w, coordinator, logs)
    if not found:
        report.notes.append(NO_WITNESS)


def _check_coordinator(directory: Path, data: dict, master: bytes | None,
                       report: Report) -> tuple[list[dict] | None, dict[str, list]]:
    """The coordinator's log; returns its records (None: missing) and the readers' heads
    sealed at exports."""
    read = _read(directory / COORDINATOR_LOG, "the coordinator's log", report)
    if read is None:
        return [], {}
    if not read.exists:
        report.problems.append(f"the coordinator's log ({COORDINATOR_LOG}) is missing")
        return None, {}
    first = audit.genesis(master, f"coordinator:{data['study_id']}") if master else None
    report.problems += audit.check_chain(read.records, master, first, "coordinator log")
    report.records += len(read.records)
    protocols = [r.get("data") or {} for r in read.records
                 if r.get("event") in ("study_created", "protocol_replaced")]
    if not protocols or protocols[-1].get("protocol_hash") != data["protocol_hash"]:
        report.problems.append(f"the protocol in {STUDY_NAME} is not the one the coordinator "
                               "recorded")
    elif "root" in protocols[-1] and protocols[-1]["root"] != data["root"]:
        report.problems.append(f"the case folder (root) in {STUDY_NAME} is not the one the "
                               "coordinator recorded (edited: the cases' images would change)")
    assigned = [r["data"].get("lists_hash") for r in read.records
                if r.get("event") == "lists_assigned"]
    if data.get("lists") and (not assigned or assigned[-1] != lists_hash(data["lists"])):
        report.problems.append(f"the reading lists in {STUDY_NAME} differ from those the "
                               "coordinator assigned (edited)")
    sealed: dict[str, list] = {}
    for r in read.records:
        if r.get("event") == "results_sealed":
            for reader, head in (r["data"].get("heads") or {}).items():
                sealed.setdefault(reader, []).append((r.get("time", ""), head))
    return read.records, sealed


def _check_reader(directory: Path, data: dict, protocol, reader: str, master: bytes | None,
                  readings: list[Reading], report: Report) -> list[dict] | None:
    """A reader's log checked; its records (None: there is no log)."""
    name = f"reader {reader!r}'s log"
    read = _read(reader_log_path(directory, reader), name, report)
    if read is None:
        return []
    if not read.exists:
        return None
    key = keys.derive_reader_key(master, reader) if master else None
    first = audit.genesis(key, f"{data['study_id']}:{reader}") if key else None
    report.problems += audit.check_chain(read.records, key, first, name)
    report.records += len(read.records)
    report.problems += _check_meaning(read.records, protocol, reader, readings, name)
    return read.records


def _check_meaning(records: list[dict], protocol, reader: str, readings: list[Reading],
                   name: str) -> list[str]:
    """Records no reading screen could have written (even correctly sealed ones)."""
    problems = []
    assigned = {(r.session, r.position): r for r in readings}
    answers: dict[tuple, dict] = {}
    finished: set[tuple] = set()
    for n, r in enumerate(records, 1):
        event, d = r.get("event"), r.get("data") or {}
        if r.get("reader") != reader:
            problems.append(f"{name} record {n} claims to be another reader's")
            continue
        if event not in ("answer", "reading_started", "reading_finished"):
            continue
        key = (d.get("session"), d.get("position"))
        reading = assigned.get(key)
        if reading is None or reading.case != d.get("case") or reading.arm != d.get("arm"):
            problems.append(f"{name} record {n} is for a reading not on the reader's list")
            continue
        if event == "answer":
            if key in finished:
                problems.append(f"{name} record {n} changes an answer after the reading "
                                "was finished")
            if d.get("question") not in protocol.arm(reading.arm).questions:
                problems.append(f"{name} record {n} answers a question the arm does not ask")
            answers.setdefault(key, {})[d.get("question")] = d.get("value")
        elif event == "reading_finished":
            if key in finished:
                problems.append(f"{name} record {n} finishes a reading a second time")
            finished.add(key)
            if d.get("answers_hash") != answers_hash(answers.get(key, {})):
                problems.append(f"{name} record {n}: the answers at the finish differ from "
                                "those recorded before it")
    return problems


def format_report(report: Report) -> str:
    """The verdict as the CLI prints it."""
    lines = [f"note: {n}" for n in report.notes]
    if report.problems:
        lines.append("TAMPERING OR DAMAGE FOUND:")
        lines += [f"- {p}" for p in report.problems]
    else:
        lines.append(f"OK: {report.records} audit records, every seal and link intact; "
                     f"chain head {report.chain_head}")
    lines.append(witness_line(report))
    return "\n".join(lines)


def witness_line(report: Report) -> str:
    """Which witnesses the chain heads were checked against (or that none was)."""
    if report.witnesses:
        return "chain heads checked against: " + "; ".join(report.witnesses)
    return "chain heads checked against: nothing (no witness reachable)"


def as_json(report: Report) -> str:
    """The report as JSON."""
    fields = ("problems", "notes", "records", "chain_head", "study_id", "witnesses")
    return json.dumps({k: getattr(report, k) for k in fields}, indent=1)
