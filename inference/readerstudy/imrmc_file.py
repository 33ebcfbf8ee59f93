"""Reading iMRMC's input format (.imrmc) into score matrices, with readable errors.

The format: free header lines, then ``NR:``, ``N0:``, ``N1:``, ``NM:`` lines, ``BEGIN DATA:``, then
``reader,case,modality,score`` rows. Truth rows have reader ``-1`` (or ``truth``) and a score
of 0 (non-diseased) or 1 (diseased). Ids may be numbers or text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.errors import ReaderStudyError

MAX_BYTES = 200 * 1024 * 1024
TRUTH_READERS = ("-1", "truth")


@dataclass
class ScoreTable:
    """Scores of a fully crossed study: ``scores[modality]`` is readers x cases."""

    readers: list[str]
    normals: list[str]  # case ids with truth 0
    diseased: list[str]  # case ids with truth 1
    modalities: list[str]
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # readers x (normals+diseased)
    header: dict[str, int] = field(default_factory=dict)

    def split(self, modality: str) -> tuple[np.ndarray, np.ndarray]:
        """(readers x normals, readers x diseased) scores of ``modality``."""
        s = self.scores[modality]
        n0 = len(self.normals)
        return s[:, :n0], s[:, n0:]


def _fail(path: Path, line: int | None, text: str) -> ReaderStudyError:
    where = f"{path.name}, line {line}" if line else path.name
    return ReaderStudyError(f"{where}: {text}")


def read_imrmc(path: str | Path) -> ScoreTable:
    """Parse an .imrmc file; every problem is one readable error naming the line."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _fail(path, None, "file too large for a reader-study score file")
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(path, None, "not a UTF-8 text file") from exc
    except OSError as exc:
        raise ReaderStudyError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    lines = text.splitlines()
    header: dict[str, int] = {}
    start = None
    for n, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.upper().startswith("BEGIN DATA:"):
            start = n
            break
        for key in ("NR", "N0", "N1", "NM"):
            if stripped.upper().startswith(f"{key}:"):
                try:
                    header[key] = int(stripped.split(":", 1)[1].strip())
                except ValueError as exc:
                    raise _fail(path, n, f"{key}: needs a whole number") from exc
    if start is None:
        raise _fail(path, None, "no 'BEGIN DATA:' line")
    truth: dict[str, int] = {}
    raw: dict[tuple[str, str, str], float] = {}
    for n, line in enumerate(lines[start:], start + 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 4:
            raise _fail(path, n, "expected reader,case,modality,score")
        reader, case, modality, value = parts
        try:
            score = float(value)
        except ValueError as exc:
            raise _fail(path, n, f"score {value[:20]!r} is not a number") from exc
        if not math.isfinite(score):
            raise _fail(path, n, "score is not finite")
        if reader.lower() in TRUTH_READERS:
            if value not in ("0", "1", "0.0", "1.0"):
                raise _fail(path, n, "truth must be 0 or 1")
            if case in truth:
                raise _fail(path, n, f"case {case} has two truth rows")
            truth[case] = int(score)
            continue
        key = (reader, case, modality)
        if key in raw:
            raise _fail(path, n, f"reader {reader}, case {case}, modality {modality} twice")
        raw[key] = score
    return _table(path, header, truth, raw)


def _ordered(values: set[str]) -> list[str]:
    def key(v: str):
        try:
            return (0, float(v), v)
        except ValueError:
            return (1, 0.0, v)

    return sorted(values, key=key)


def _table(path: Path, header: dict[str, int], truth: dict[str, int],
           raw: dict[tuple[str, str, str], float]) -> ScoreTable:
    readers = _ordered({r for r, _c, _m in raw})
    modalities = _ordered({m for _r, _c, m in raw})
    cases = {c for _r, c, _m in raw}
    missing = sorted(cases - set(truth))
    if missing:
        raise _fail(path, None, f"case {missing[0]} has scores but no truth row")
    normals = _ordered({c for c, t in truth.items() if t == 0 and c in cases})
    diseased = _ordered({c for c, t in truth.items() if t == 1 and c in cases})
    if len(normals) < 2 or len(diseased) < 2:
        raise _fail(path, None, "at least 2 non-diseased and 2 diseased cases are needed")
    if len(readers) < 2:
        raise _fail(path, None, "at least 2 readers are needed for an MRMC analysis")
    table = ScoreTable(readers, normals, diseased, modalities, header=header)
    order = normals + diseased
    for m in modalities:
        s = np.full((len(readers), len(order)), np.nan)
        for i, r in enumerate(readers):
            for j, c in enumerate(order):
                value = raw.get((r, c, m))
                if value is None:
                    raise _fail(path, None, f"not fully crossed: reader {r} has no score for "
                                f"case {c} in modality {m}")
                s[i, j] = value
        table.scores[m] = s
    expected = {"NR": len(readers), "N0": len(normals), "N1": len(diseased),
                "NM": len(modalities)}
    for key, value in header.items():
        if value != expected[key]:
            raise _fail(path, None, f"header says {key}: {value} but the data have "
                        f"{expected[key]}")
    return table
