"""The append-only audit log: JSON lines chained by SHA-256 so any edit shows."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def canonical(obj: object) -> str:
    """Stable JSON text (sorted keys, no spaces) that hashes the same everywhere."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def genesis(protocol_hash: str) -> str:
    """The 'previous hash' of the first record: ties the chain to the protocol."""
    return hashlib.sha256(f"dcreview-audit:{protocol_hash}".encode()).hexdigest()


def seal(record: dict, prev: str) -> dict:
    """The record with its ``prev`` link and its own ``hash``."""
    body = {k: v for k, v in record.items() if k != "hash"}
    body["prev"] = prev
    body["hash"] = hashlib.sha256(canonical({k: v for k, v in body.items()
                                             if k != "hash"}).encode()).hexdigest()
    return body


def append_lines(path: Path, records: list[dict]) -> None:
    """Append records as lines and force them to disk."""
    if not records:
        return
    with open(path, "a", encoding="utf-8") as f:
        for r in records:
            f.write(canonical(r) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_lines(path: Path) -> tuple[list[dict], list[str]]:
    """Parsed records and problems (unparseable lines); a torn last line is reported too."""
    records, problems = [], []
    if not path.exists():
        return records, problems
    data = path.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for n, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError):
            problems.append(f"audit line {n} is not a JSON record")
    return records, problems


def drop_torn_tail(path: Path) -> None:
    """Cut an incomplete last line (a write killed half-way); the database still has it."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(path, "r+b") as f:
            f.truncate(cut)
            f.flush()
            os.fsync(f.fileno())


def verify_chain(records: list[dict], protocol_hash: str) -> list[str]:
    """Problems in a chain: broken links, altered records, gaps in the sequence."""
    problems = []
    prev = genesis(protocol_hash)
    for n, r in enumerate(records, 1):
        if r.get("seq") != n:
            problems.append(f"audit record {n}: sequence number {r.get('seq')} (expected {n})")
        if r.get("prev") != prev:
            problems.append(f"audit record {n}: link to the previous record is broken")
        expected = seal(r, r.get("prev", "")).get("hash")
        if r.get("hash") != expected:
            problems.append(f"audit record {n}: content does not match its hash (altered)")
        prev = r.get("hash", "")
    return problems
