"""The batch ledger: one SQLite row per case and (input content, model, settings), written by
the client only, so a re-run after a crash or Ctrl+C skips what finished and redoes the rest.

A case's key hashes the bytes of its input files, the model's identity (the whole card with
every model file's checksum), the run's settings and the program's version: a changed scan,
card, model file, setting or dcreview release is a new key, and the case is redone.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from inference import __version__
from inference.files.space import disk_full, is_disk_full
from inference.pacs.nodes import SCHEME
from inference.pipeline.settings import CaseSpec

LEDGER = "ledger.sqlite"
DONE, FAILED = "done", "failed"


def _files(path: str) -> list[Path]:
    # What the loader reads: hidden files (markers, partial downloads) are not the input.
    p = Path(path)
    return sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")
                  ) if p.is_dir() else [p]


def content_hash(case: CaseSpec | dict[str, str | None]) -> str:
    """SHA-256 over every input file's role, relative name and bytes (a CaseSpec's scan, real
    scan and labels, or any {role: path})."""
    h = hashlib.sha256()
    paths = case if isinstance(case, dict) else {
        "noncontrast": case.noncontrast, "real": case.real, "roi": case.roi}
    for role, path in sorted(paths.items()):
        if not path:
            continue
        if path.startswith(SCHEME):  # the PACS holds the bytes: its address stands for them
            h.update(f"{role}:{path}\n".encode())
            continue
        root = Path(path)
        for f in _files(path):
            h.update(f"{role}:{f.relative_to(root) if root.is_dir() else f.name}\n".encode())
            with open(f, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
    return h.hexdigest()


def case_key(content: str, model_identity: str, settings: dict) -> str:
    """The ledger key: input content + the model's identity (``ModelCard.identity``) +
    settings + this program's version."""
    blob = json.dumps({"content": content, "model": model_identity, "settings": settings,
                       "program": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class Ledger:
    """SQLite in the output folder; every write is its own committed transaction."""

    def __init__(self, outdir: str | Path) -> None:
        self.path = Path(outdir) / LEDGER
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a finished case survives a power cut
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS cases (key TEXT NOT NULL, case_id TEXT NOT NULL, "
            "status TEXT NOT NULL, reason TEXT, attempts INTEGER NOT NULL, result TEXT, "
            "finished TEXT NOT NULL, writer_pid INTEGER NOT NULL, PRIMARY KEY (case_id, key))")
        self.db.commit()

    def done(self, case_id: str, key: str) -> dict | None:
        """The recorded result of a case finished with this key, or None."""
        row = self.db.execute("SELECT result FROM cases WHERE case_id = ? AND key = ? AND "
                              "status = ?", (case_id, key, DONE)).fetchone()
        return json.loads(row[0]) if row else None

    def record(self, key: str, case_id: str, status: str, result: dict | None,
               reason: str | None, attempts: int) -> None:
        """Record a case's outcome (a later one for the same case and key replaces it)."""
        try:
            self.db.execute(
                "INSERT OR REPLACE INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (key, case_id, status, reason, attempts, json.dumps(result) if result else None,
                 datetime.now(UTC).isoformat(timespec="seconds"), os.getpid()))
            self.db.commit()
        except sqlite3.OperationalError as exc:
            if is_disk_full(exc):  # the transaction rolled back: the ledger is as it was
                raise disk_full(exc, self.path.parent) from exc
            raise

    def rows(self) -> list[dict]:
        """Every recorded case."""
        cur = self.db.execute("SELECT key, case_id, status, reason, attempts, result, finished "
                              "FROM cases ORDER BY case_id")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def close(self) -> None:
        """Close the database."""
        self.db.close()
