"""Witnesses of the audit chains' heads, kept outside the study folder.

A hash chain shows any record altered, inserted or removed in its middle, but not records cut
from its end, nor a whole log deleted: what is left is still a valid chain. So the last record
of each chain is also written down elsewhere, where whoever can edit the study folder cannot:

- the coordinator's store (beside the study key, on the coordinator's machine): every chain's
  head, written at each export, verify and summary that found the study intact, and at each
  record of the coordinator's own log;
- a reader's receipt (beside the reader key, on the reading workstation): the head of that
  reader's log after every acknowledged record.

``study verify`` checks the logs against every witness it can reach (this machine's, and the
files given with ``--witness``) and says which it used, or plainly that none was reachable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from inference.files import atomic
from inference.readerstudy.keys import key_dir, reader_token

COORDINATOR, READER = "coordinator", "reader"


@dataclass(frozen=True)
class Head:
    """A chain's last record as a witness saw it: its number, its seal, when."""

    seq: int
    mac: str
    at: str

    def as_dict(self) -> dict:
        """For the witness file."""
        return {"seq": self.seq, "mac": self.mac, "at": self.at}


@dataclass
class Witness:
    """What one witness saw: the coordinator's chain head and readers' heads."""

    source: str
    coordinator: Head | None = None
    readers: dict[str, Head] = field(default_factory=dict)


def coordinator_store(study_id: str) -> Path:
    """The coordinator's witness file of a study on this machine."""
    return key_dir() / f"{study_id}.witness.json"


def receipt_path(study_id: str, reader: str) -> Path:
    """A reader's receipt on this workstation."""
    return key_dir() / f"{study_id}.reader-{reader_token(reader)}.receipt.json"


def head_of(record: dict, at: str) -> Head:
    """The head a record makes."""
    return Head(int(record.get("seq") or 0), str(record.get("mac", "")), at)


def write_receipt(study_id: str, reader: str, head: Head) -> None:
    """Write down a reader's newest acknowledged record on this workstation."""
    atomic.write_json(receipt_path(study_id, reader), {
        "kind": READER, "study_id": study_id, "reader": reader, "head": head.as_dict()},
        mode=0o600)


def _head(value: object) -> Head | None:
    if not isinstance(value, dict):
        return None
    try:
        return Head(int(value["seq"]), str(value["mac"]), str(value.get("at", "")))
    except (KeyError, TypeError, ValueError):
        return None


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def record_heads(study_id: str, coordinator: Head | None, readers: dict[str, Head]) -> None:
    """Add heads to the coordinator's store; a witness only moves forward (a head is replaced
    by a later one of the same chain, never by an earlier one)."""
    path = coordinator_store(study_id)
    data = _read(path) or {}
    old = Witness("", _head(data.get("coordinator")),
                  {r: h for r, v in (data.get("readers") or {}).items()
                   if (h := _head(v)) is not None})
    if coordinator is not None and (old.coordinator is None
                                    or coordinator.seq >= old.coordinator.seq):
        old.coordinator = coordinator
    for reader, head in readers.items():
        if reader not in old.readers or head.seq >= old.readers[reader].seq:
            old.readers[reader] = head
    atomic.write_json(path, {
        "kind": COORDINATOR, "study_id": study_id,
        "coordinator": old.coordinator.as_dict() if old.coordinator else None,
        "readers": {r: h.as_dict() for r, h in sorted(old.readers.items())}}, mode=0o600)


def _from_file(path: Path, study_id: str, source: str) -> Witness | str:
    """A witness file, or why it cannot serve."""
    data = _read(path)
    if data is None:
        return f"{source} cannot be read as a witness"
    if data.get("study_id") != study_id:
        return f"{source} belongs to another study"
    if data.get("kind") == READER:
        head = _head(data.get("head"))
        if head is None or not isinstance(data.get("reader"), str):
            return f"{source} is damaged"
        return Witness(source, None, {data["reader"]: head})
    if data.get("kind") == COORDINATOR:
        readers = {r: h for r, v in (data.get("readers") or {}).items()
                   if (h := _head(v)) is not None}
        return Witness(source, _head(data.get("coordinator")), readers)
    return f"{source} is not a dcreview witness"


def reachable(study_id: str, readers: tuple[str, ...], given: list[Path] = ()
              ) -> tuple[list[Witness], list[str]]:
    """Every witness found on this machine and among ``given`` files; and problems with the
    given ones (a file asked for that cannot serve is itself worth saying)."""
    found: list[Witness] = []
    problems: list[str] = []
    store = coordinator_store(study_id)
    if store.exists():
        w = _from_file(store, study_id, "the coordinator's store on this machine")
        (found.append if isinstance(w, Witness) else problems.append)(w)
    for reader in readers:
        path = receipt_path(study_id, reader)
        if path.exists():
            w = _from_file(path, study_id, f"reader {reader!r}'s receipt on this machine")
            (found.append if isinstance(w, Witness) else problems.append)(w)
    for path in given:
        w = _from_file(Path(path), study_id, f"witness file {Path(path).name}")
        (found.append if isinstance(w, Witness) else problems.append)(w)
    return found, problems


def _compare(what: str, records: list[dict] | None, head: Head, source: str) -> str | None:
    day = head.at[:10] or "an earlier day"
    if records is None:
        return (f"{what} is missing, but {source} saw {head.seq} record(s) in it on {day}: "
                "the log was deleted")
    if len(records) < head.seq:
        return (f"{what} ends at record {len(records)}, but {source} saw record {head.seq} on "
                f"{day}: records were removed from its end")
    if records[head.seq - 1].get("mac") != head.mac:
        return (f"{what}: record {head.seq} is not the one {source} saw on {day}: records "
                "were replaced")
    return None


def check(witness: Witness, coordinator: list[dict] | None,
          readers: dict[str, list[dict] | None]) -> list[str]:
    """Every place where the logs hold less than, or other than, what the witness saw."""
    problems = []
    if witness.coordinator is not None and witness.coordinator.seq > 0:
        p = _compare("the coordinator's log", coordinator, witness.coordinator, witness.source)
        if p:
            problems.append(p)
    for reader, head in sorted(witness.readers.items()):
        if reader not in readers or head.seq <= 0:
            continue
        p = _compare(f"reader {reader!r}'s log", readers[reader], head, witness.source)
        if p:
            problems.append(p)
    return problems
