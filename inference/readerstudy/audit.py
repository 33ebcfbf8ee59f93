"""Append-only audit logs: JSON lines chained by HMAC-SHA-256 so any edit or forgery shows.

Each record carries ``prev`` (the previous record's ``mac``) and its own ``mac``, a keyed hash
of everything else. Without the key a record cannot be re-sealed, so re-computing plain hashes
after an edit (which fooled an unkeyed chain) no longer passes. Lines are written with one
``write`` on an O_APPEND descriptor and fsync'd before the caller acknowledges anything: a
reader of the file sees whole lines, plus at most a torn last line from a killed writer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_LINE = 1_000_000  # a record longer than this is damage, not an answer


def canonical(obj: object) -> str:
    """Stable JSON text (sorted keys, no spaces) that hashes the same everywhere."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def genesis(key: bytes, anchor: str) -> str:
    """The ``prev`` of the first record: ties the chain to its study, protocol and writer."""
    return _mac(key, f"dcreview-audit-genesis:{anchor}")


def seal(key: bytes, record: dict, prev: str) -> dict:
    """The record with its ``prev`` link and its keyed ``mac``."""
    body = {k: v for k, v in record.items() if k not in ("mac", "prev")}
    body["prev"] = prev
    body["mac"] = _mac(key, canonical(body))
    return body


def mac_ok(key: bytes, record: dict) -> bool:
    """Whether the record's ``mac`` is the key's seal of its content (constant time)."""
    body = {k: v for k, v in record.items() if k != "mac"}
    return hmac.compare_digest(str(record.get("mac", "")), _mac(key, canonical(body)))


def append_line(path: Path, record: dict) -> None:
    """Append one record and force it to disk before returning."""
    data = (canonical(record) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class LogRead:
    """What a log file holds: parsed records, lines that are not records, a torn tail."""

    records: list[dict] = field(default_factory=list)
    damaged: list[int] = field(default_factory=list)  # 1-based line numbers
    torn_tail: bool = False
    exists: bool = True


def read_log(path: Path) -> LogRead:
    """Every complete line parsed; never writes (works on a read-only copy)."""
    out = LogRead()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        out.exists = False
        return out
    lines = data.split(b"\n")
    if lines[-1] != b"":
        out.torn_tail = True  # a writer was killed mid-line: that record was never acknowledged
    lines.pop()
    for n, line in enumerate(lines, 1):
        try:
            if len(line) > MAX_LINE:
                raise ValueError("line too long")
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            out.damaged.append(n)
            continue
        out.records.append(record)
    return out


def drop_torn_tail(path: Path) -> None:
    """Cut an incomplete last line (only the log's own writer does this, on opening)."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)
            f.flush()
            os.fsync(f.fileno())


def check_chain(records: list[dict], key: bytes | None, first_prev: str | None,
                name: str) -> list[str]:
    """Problems in a chain: gaps, broken links, records altered or forged (with the key)."""
    problems = []
    prev = first_prev
    for n, r in enumerate(records, 1):
        if r.get("seq") != n:
            problems.append(f"{name} record {n}: sequence number {r.get('seq')} where {n} "
                            "was expected (records missing or inserted)")
        if prev is not None and r.get("prev") != prev:
            problems.append(f"{name} record {n}: its link to the previous record is broken")
        if key is not None and not mac_ok(key, r):
            problems.append(f"{name} record {n}: its seal does not match its content "
                            "(altered or forged)")
        prev = r.get("mac")
        if len(problems) > 20:
            problems.append(f"{name}: more problems not listed")
            break
    return problems


def lists_hash(rows: list[list]) -> str:
    """Hash of the reading lists as stored (the coordinator's log records it)."""
    return hashlib.sha256(canonical(rows).encode()).hexdigest()


def answers_hash(answers: dict) -> str:
    """Hash of a reading's answers at its finish (verify compares the replay with it)."""
    return hashlib.sha256(canonical(answers).encode()).hexdigest()


def heads_fingerprint(heads: dict) -> str:
    """One short fingerprint of every reader's last record: printed with every result."""
    return hashlib.sha256(canonical(heads).encode()).hexdigest()[:16]
