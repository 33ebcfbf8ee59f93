"""What a batch runs: one case per row of a CSV/JSONL manifest, or per sub-folder of a tree.

Columns (CSV header or JSONL keys): ``case`` (an identifier; default: the row number or the
folder name), ``noncontrast`` (required), ``real`` (a real contrast scan, optional), ``roi``
(a label map on the non-contrast grid, optional). Relative paths are relative to the manifest.
A scan may also be named in a PACS as ``pacs://NODE/STUDY_UID/SERIES_UID`` (a node configured
with `dcreview pacs add`): the worker retrieves it into its cache first.
A folder tree holds one case per sub-folder, with ``noncontrast/`` and optionally
``contrast*/`` (the real scan) and ``labels.nii.gz`` (what ``dcreview demo-data`` writes).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from inference.errors import DcreviewError
from inference.files.names import name_problem
from inference.pacs.nodes import SCHEME
from inference.pipeline.settings import CaseSpec

SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


class ManifestError(DcreviewError):
    """The manifest cannot be read or names no usable case."""


def _safe_id(text: str) -> str:
    """A case identifier usable as a folder name (no patient name should be used as one)."""
    safe = SAFE_ID.sub("_", text).strip("._")[:60] or "case"
    return safe if name_problem(safe) is None else f"case_{safe}"[:64]


def _resolve(base: Path, value: str | None) -> str | None:
    if not value:
        return None
    if value.startswith(SCHEME):  # retrieved by the worker
        return value
    p = Path(value)
    return str(p if p.is_absolute() else (base / p).resolve())


def _from_rows(rows: list[dict], base: Path, real_column: str) -> list[CaseSpec]:
    cases = []
    for n, row in enumerate(rows, 1):
        nc = row.get("noncontrast")
        if not nc:
            raise ManifestError(f"manifest row {n} has no 'noncontrast' path")
        cases.append(CaseSpec(_safe_id(str(row.get("case") or f"case{n:04d}")),
                              _resolve(base, nc), _resolve(base, row.get(real_column)),
                              _resolve(base, row.get("roi"))))
    return cases


def _from_tree(root: Path) -> list[CaseSpec]:
    cases = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        nc = sub / "noncontrast"
        if not nc.exists():
            continue
        real = next((p for p in sorted(sub.glob("contrast*")) if p.is_dir()), None)
        roi = sub / "labels.nii.gz"
        cases.append(CaseSpec(_safe_id(sub.name), str(nc.resolve()),
                              str(real.resolve()) if real else None,
                              str(roi.resolve()) if roi.exists() else None))
    return cases


def read_manifest(path: str | Path, real_column: str = "real") -> list[CaseSpec]:
    """The cases of a CSV/JSONL manifest or a folder tree; identifiers must be unique."""
    path = Path(path)
    if not path.exists():
        raise ManifestError(f"manifest {path} not found")
    if path.is_dir():
        cases = _from_tree(path)
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        try:
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise ManifestError(f"manifest {path.name} line {exc.lineno}: {exc.msg}") from exc
        cases = _from_rows(rows, path.parent, real_column)
    else:
        with open(path, newline="") as f:
            cases = _from_rows(list(csv.DictReader(f)), path.parent, real_column)
    if not cases:
        raise ManifestError(f"manifest {path} names no case")
    seen: set[str] = set()
    for c in cases:
        if c.case_id in seen:
            raise ManifestError(f"case identifier {c.case_id} appears twice in {path.name}")
        seen.add(c.case_id)
    return cases
