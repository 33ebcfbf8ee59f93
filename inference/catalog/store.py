"""The catalogue's storage: one DuckDB database file (a real embedded database that users
may query with DuckDB's own tools) holding one row per series and one per file read, and a
Parquet copy of the series table written after every change.

DuckDB lets one process write a database file at a time; a second writer is refused with a
plain message instead of waiting or corrupting anything.
"""

from __future__ import annotations

import os
from pathlib import Path

from inference.errors import DcreviewError
from inference.files import atomic

DB_FILE = "catalog.duckdb"
PARQUET_FILE = "series.parquet"
VERSION = 1

SERIES_COLUMNS = (
    ("series_uid", "VARCHAR PRIMARY KEY"), ("study_uid", "VARCHAR"), ("patient", "VARCHAR"),
    ("site", "VARCHAR"), ("source", "VARCHAR"), ("modality", "VARCHAR"),
    ("series_number", "INTEGER"), ("series_description", "VARCHAR"),
    ("study_description", "VARCHAR"), ("body_part", "VARCHAR"), ("study_date", "VARCHAR"),
    ("images", "INTEGER"), ("localizers", "INTEGER"), ("kind", "VARCHAR"),
    ("kind_confidence", "DOUBLE"), ("phase", "VARCHAR"), ("phase_confidence", "DOUBLE"),
    ("region", "VARCHAR"), ("conflicts", "VARCHAR"), ("evidence", "VARCHAR"),
    ("rows", "INTEGER"), ("cols", "INTEGER"), ("pixel_mm", "DOUBLE"), ("slice_mm", "DOUBLE"),
    ("regular_volume", "BOOLEAN"), ("manufacturer", "VARCHAR"), ("kvp", "DOUBLE"),
    ("kernel", "VARCHAR"), ("location", "VARCHAR"), ("synthetic", "BOOLEAN"),
)
NAMES = tuple(n for n, _ in SERIES_COLUMNS)
FILES_COLUMNS = (("path", "VARCHAR PRIMARY KEY"), ("source", "VARCHAR"), ("size", "BIGINT"),
                 ("mtime_ns", "BIGINT"), ("series_uid", "VARCHAR"), ("reason", "VARCHAR"))


class CatalogError(DcreviewError):
    """A catalogue cannot be opened, written or queried as asked."""


def connect(folder: str | Path, *, write: bool = True, create: bool = False):
    """A DuckDB connection to the catalogue in ``folder`` (made when ``create``)."""
    import duckdb

    folder = Path(folder)
    db = folder / DB_FILE
    if not db.exists():
        if not create:
            raise CatalogError(f"{folder.name} is not a catalogue (no {DB_FILE}); "
                               "`dcreview catalog add` makes one")
        folder.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db), read_only=not write)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise CatalogError(f"catalogue {folder.name} is being written by another "
                               "process; run this again when it has finished") from exc
        raise CatalogError(f"catalogue {folder.name} cannot be opened: "
                           f"{str(exc).splitlines()[0]}") from exc
    except duckdb.Error as exc:
        raise CatalogError(f"catalogue {folder.name} cannot be opened (damaged?): "
                           f"{str(exc).splitlines()[0]}") from exc
    con.execute("SET enable_progress_bar = false")  # its bar would garble the terminal
    if write:
        for table, spec in (("series", SERIES_COLUMNS), ("files", FILES_COLUMNS)):
            columns = ", ".join(f"{n} {t}" for n, t in spec)
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", [str(VERSION)])
    return con


def write_parquet(con, folder: str | Path) -> Path:
    """The series table as Parquet beside the database, replaced whole."""
    folder = Path(folder)
    tmp = folder / f".{PARQUET_FILE}.{os.getpid()}.partial"
    con.execute("COPY (SELECT * FROM series ORDER BY site, study_uid, series_number) TO ? "
                "(FORMAT parquet)", [str(tmp)])
    return atomic.commit_file(tmp, folder / PARQUET_FILE)


def put_rows(con, table: str, spec: tuple[tuple[str, str], ...], rows: list) -> None:
    """Insert or replace ``rows`` (sequences in ``spec``'s column order) in one statement,
    each column handed to DuckDB as one array (its executemany costs milliseconds a row: a
    100,000-file folder took minutes)."""
    import numpy as np

    if not rows:
        return
    # DuckDB scans this local by its name (a replacement scan), inside the caller's
    # transaction; registering it would refuse while an earlier result is unread.
    incoming_rows = {f"c{i}": np.array(column, dtype=object)  # noqa: F841
                     for i, column in enumerate(zip(*rows, strict=True))}
    select = ", ".join(f"c{i}::{t.split()[0]}" for i, (_n, t) in enumerate(spec))
    con.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(n for n, _ in spec)}) "
                f"SELECT {select} FROM incoming_rows")


def delete_where_in(con, table: str, column: str, values) -> None:
    """Delete the rows whose ``column`` is one of ``values``, in one statement."""
    values = list(values)
    if values:
        con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT unnest($1::VARCHAR[]))",
                    [values])


def replace_series(con, rows: list[tuple]) -> None:
    """Insert or replace series rows (tuples in NAMES order)."""
    put_rows(con, "series", SERIES_COLUMNS, rows)
