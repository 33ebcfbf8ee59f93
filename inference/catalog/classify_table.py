"""Classify a table of series header values: one row per series, columns named by DICOM
keyword as the IDC index names them (SeriesInstanceUID, SeriesDescription, StudyDescription,
BodyPartExamined, Modality, instanceCount, ...). The table is streamed through DuckDB, so a
million-row index is read in chunks, never held whole in memory as Python objects.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from inference.errors import DcreviewError
from inference.files import atomic
from inference.series.classify import classify
from inference.series.facts import facts_from_row
from inference.series.model import SeriesClass

ADDED = ("kind", "kind_confidence", "phase", "phase_confidence", "region", "conflicts",
         "evidence")
CHUNK = 20_000


class TableError(DcreviewError):
    """A header table cannot be read or written as asked."""


@dataclass(frozen=True)
class TableResult:
    """What a classification run did: rows, seconds and the counts per kind and phase."""

    rows: int
    seconds: float
    kinds: dict[str, int]
    phases: dict[str, int]
    output: Path

    def summary(self) -> str:
        """Lines for the terminal."""
        def counts(d: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(d.items(), key=lambda x: -x[1]))
        rate = self.rows / self.seconds if self.seconds > 0 else float("inf")
        return (f"classified {self.rows} series in {self.seconds:.1f} s ({rate:.0f} rows/s)\n"
                f"kinds: {counts(self.kinds)}\nphases: {counts(self.phases)}\n"
                f"wrote {self.output}")


def added_columns(cls: SeriesClass) -> tuple:
    """The values classify adds to a row, in ADDED order."""
    evidence = "; ".join(e.line() for e in cls.evidence)
    return (cls.kind.value, round(cls.kind_confidence, 2), cls.phase.value,
            round(cls.phase_confidence, 2), cls.region, "; ".join(cls.conflicts), evidence)


def _reader(path: Path) -> str:
    suffix = "".join(path.suffixes[-2:]).lower()
    if suffix.endswith(".parquet"):
        return "read_parquet(?)"
    if suffix.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        return "read_csv(?, header=true, all_varchar=true)"
    raise TableError(f"{path.name}: a header table is CSV (.csv, .csv.gz) or Parquet (.parquet)")


def _rows(con, path: Path) -> Iterator[tuple[list[str], list[tuple]]]:
    try:
        cur = con.execute(f"SELECT * FROM {_reader(path)}", [str(path)])
    except Exception as exc:  # duckdb's own errors: one plain line
        raise TableError(f"{path.name} cannot be read as a table: {str(exc).splitlines()[0]}"
                         ) from exc
    names = [d[0] for d in cur.description]
    while True:
        chunk = cur.fetchmany(CHUNK)
        if not chunk:
            return
        yield names, chunk


def classify_table(table: str | Path, output: str | Path, *,
                   limit: int | None = None) -> TableResult:
    """Classify every row of ``table`` and write it with the added columns to ``output``
    (CSV, or Parquet when its name ends .parquet), atomically."""
    import duckdb

    table, output = Path(table), Path(output)
    if not table.is_file():
        raise TableError(f"{table.name} does not exist or is not a file")
    start = time.perf_counter()
    kinds: dict[str, int] = {}
    phases: dict[str, int] = {}
    n = 0
    con = duckdb.connect()
    parquet = output.name.lower().endswith(".parquet")
    tmp = output.with_name(f".{output.name}.{os.getpid()}.partial.csv")
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            header_written = False
            for names, chunk in _rows(con, table):
                if not header_written:
                    clash = [c for c in ADDED if c in names]
                    if clash:
                        raise TableError(f"{table.name} already has a {clash[0]!r} column")
                    writer.writerow([*names, *ADDED])
                    header_written = True
                for values in chunk:
                    if limit is not None and n >= limit:
                        break
                    cls = classify(facts_from_row(dict(zip(names, values, strict=True))))
                    kinds[cls.kind.value] = kinds.get(cls.kind.value, 0) + 1
                    phases[cls.phase.value] = phases.get(cls.phase.value, 0) + 1
                    writer.writerow([*("" if v is None else v for v in values),
                                     *added_columns(cls)])
                    n += 1
        if parquet:
            final = output.with_name(f".{output.name}.{os.getpid()}.partial")
            con.execute("COPY (SELECT * FROM read_csv(?, header=true, all_varchar=true)) TO "
                        "? (FORMAT parquet)", [str(tmp), str(final)])
            atomic.commit_file(final, output)
        else:
            atomic.commit_file(tmp, output)
    finally:
        for leftover in (tmp, output.with_name(f".{output.name}.{os.getpid()}.partial")):
            leftover.unlink(missing_ok=True)
        con.close()
    return TableResult(n, time.perf_counter() - start, kinds, phases, output)
