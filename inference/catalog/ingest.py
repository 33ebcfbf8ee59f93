"""Put sources into a catalogue: folders, zips and DICOMDIRs (headers read in parallel on a
Dask cluster, only new or changed files), and external header tables such as the IDC index.
"""

from __future__ import annotations

import csv
import os
import pickle
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from inference.catalog import store
from inference.catalog.chunks import (
    ChunkResult,
    Described,
    SeriesPart,
    classify_headers,
    scanned,
)
from inference.io.dicom.discovery import candidate_files
from inference.progress import ProgressCallback, ProgressReporter
from inference.pseudonym import pseudonymise
from inference.series.classify import classify
from inference.series.facts import facts_from_row
from inference.series.study import ClassifiedSeries, after_enhanced

NULL_KEY = "<null>"  # a missing value, as the distinct-value table writes it
RECORD_EVERY = 3200  # files recorded in the catalogue at a time


@dataclass
class AddResult:
    """What one `catalog add` did."""

    files_read: int = 0
    files_unchanged: int = 0
    series: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    seconds: float = 0.0
    unit: str = "file(s)"  # what files_read counts (a PACS source: studies)
    left_out_before: int = 0  # unchanged files an earlier scan left out (reasons kept)

    def summary(self) -> str:
        """Lines for the terminal: counts, then every file left out and why."""
        lines = [f"{self.series} series catalogued; {self.files_read} {self.unit} read, "
                 f"{self.files_unchanged} unchanged since the last scan, {len(self.skipped)} "
                 f"left out, in {self.seconds:.1f} s"]
        if self.left_out_before:
            lines.append(f"{self.left_out_before} unchanged file(s) were left out by an "
                         "earlier scan; their reasons: `dcreview catalog sql CATALOG \"SELECT "
                         "path, reason FROM files WHERE reason IS NOT NULL\"`")
        lines += [f"left out {Path(f).name}: {why}" for f, why in self.skipped[:50]]
        if len(self.skipped) > 50:
            lines.append(f"... and {len(self.skipped) - 50} more left out")
        return "\n".join(lines)


def series_row(item: ClassifiedSeries, d: Described, site: str, source: str) -> tuple:
    """A series row (store.NAMES order) from the classifier's answer and what the headers
    say (chunks.describe)."""
    s, c = item.series, item.cls
    return (s.series_uid, s.study_uid, d.patient, site, source, s.modality, s.series_number,
            s.description, d.study_description, d.body_part, d.study_date, d.images,
            s.localizers, c.kind.value, round(c.kind_confidence, 2), c.phase.value,
            round(c.phase_confidence, 2), c.region, "; ".join(c.conflicts),
            "; ".join(e.line() for e in c.evidence), d.rows, d.cols, d.pixel_mm, d.slice_mm,
            d.regular_volume, d.manufacturer, d.kvp, d.kernel, d.location, c.synthetic)


def add_folder(folder_path: str | Path, source: str | Path, *, site: str = "",
               client=None, pixels: bool = False,
               progress: ProgressCallback | None = None) -> AddResult:
    """Catalogue the DICOM series under ``source`` (a folder, zip or DICOMDIR): only files new
    or changed since the last scan are read; a scan killed half-way resumes."""
    start = time.perf_counter()
    source = Path(source).resolve()
    site = site or "site-" + pseudonymise("site", str(source))[:8]
    result = AddResult()
    files, refused = candidate_files(source)
    result.skipped += [(s.path, s.reason) for s in refused]
    con = store.connect(folder_path, create=True)
    try:
        known = {p: (size, mtime, uid) for p, size, mtime, uid in con.execute(
            "SELECT path, size, mtime_ns, series_uid FROM files WHERE source = ?",
            [str(source)]).fetchall()}
        now = {}
        for f in files:
            try:
                st = os.stat(f)
            except OSError as exc:
                result.skipped.append((f, f"cannot be read ({exc.strerror})"))
                continue
            now[f] = (st.st_size, st.st_mtime_ns)
        changed = [f for f, sig in now.items() if known.get(f, (None, None, None))[:2] != sig]
        gone = [f for f in known if f not in now]
        result.files_unchanged = len(now) - len(changed)
        result.left_out_before = con.execute(
            "SELECT count(*) FROM files WHERE source = $1 AND reason IS NOT NULL AND path NOT IN "
            "(SELECT unnest($2::VARCHAR[]))", [str(source), changed + gone]).fetchone()[0]
        affected = {known[f][2] for f in changed + gone if f in known and known[f][2]}
        store.delete_where_in(con, "files", "path", gone)
        # Recorded a few thousand files at a time: a killed scan keeps what it read.
        parts: dict[str, list[SeriesPart]] = defaultdict(list)  # by series, from this run
        steps = ProgressReporter("Reading headers", len(changed), progress, None)
        rows: list[list] = []

        def record() -> None:
            store.put_rows(con, "files", store.FILES_COLUMNS, rows)
            result.files_read += len(rows)
            rows.clear()
            steps.step(result.files_read)
        for chunk, answer in scanned(changed, client, pixels):
            for f, (uid, reason) in zip(chunk, answer.judged, strict=True):
                if reason:
                    result.skipped.append((f, reason))
                if uid:
                    affected.add(uid)
                rows.append([f, str(source), *now[f], uid, reason])
            for part in answer.parts:
                parts[part.uid].append(part)
            if len(rows) >= RECORD_EVERY:
                record()
        if rows:
            record()
        # Series whose files were read but whose row was never written (a killed scan).
        affected |= {u for (u,) in con.execute(
            "SELECT DISTINCT series_uid FROM files WHERE source = ? AND series_uid IS NOT NULL "
            "AND series_uid NOT IN (SELECT series_uid FROM series)", [str(source)]).fetchall()}
        result.series = _rebuild(con, affected, str(source), site, client, pixels, parts)
        store.write_parquet(con, folder_path)
    finally:
        con.close()
    result.seconds = time.perf_counter() - start
    return result


def _rebuild(con, affected: set[str], source: str, site: str, client, pixels: bool,
             parts: dict[str, list[SeriesPart]]) -> int:
    """Write the rows of the series whose files changed. A series found whole in one chunk
    keeps the row its worker made; one spread over chunks, or with unchanged files read in
    an earlier scan, is classified again from all its headers."""
    if not affected:
        return 0
    uids = list(affected)
    counts = dict(con.execute("SELECT series_uid, count(*) FROM files WHERE series_uid IN "
                              "(SELECT unnest($1::VARCHAR[])) GROUP BY 1", [uids]).fetchall())
    done: list[SeriesPart] = []
    redo = []
    for uid in uids:
        mine = parts.get(uid, [])
        if len(mine) == 1 and counts.get(uid) == mine[0].files:
            done.append(mine[0])
        elif counts.get(uid):
            redo.append(uid)
    if redo:
        headers = [h for uid in redo for p in parts.get(uid, []) for h in pickle.loads(p.headers)]
        seen = {h.path for h in headers}
        again = [p for (p,) in con.execute(
            "SELECT path FROM files WHERE series_uid IN (SELECT unnest($1::VARCHAR[]))",
            [redo]).fetchall() if p not in seen]
        headers += [h for _c, answer in scanned(again, client) for h in _headers(answer)]
        done += classify_headers(headers, pixels)
    # The study-level rule (a series after an enhanced one is not plain) over all of them.
    found = after_enhanced([p.item for p in done])
    store.delete_where_in(con, "series", "series_uid", affected)
    store.replace_series(con, [series_row(item, p.described, site, source)
                               for item, p in zip(found, done, strict=True)])
    return len(found)


def _headers(answer: ChunkResult) -> list:
    return [h for p in answer.parts for h in pickle.loads(p.headers)]


TABLE_INPUTS = ("Modality", "SeriesDescription", "StudyDescription", "BodyPartExamined",
                "SOPClassUID", "instanceCount")


def add_table(folder_path: str | Path, table: str | Path, *, site_column: str = "",
              site: str = "") -> AddResult:
    """Catalogue an external header table (CSV/Parquet, IDC keyword columns): each distinct
    combination of the values the classifier reads is classified once."""
    from inference.catalog.classify_table import _reader, added_columns

    start = time.perf_counter()
    table = Path(table)
    con = store.connect(folder_path, create=True)
    try:
        # A view cannot take a parameter: the path goes in as a quoted SQL string.
        quoted = "'" + str(table).replace("'", "''") + "'"
        con.execute("CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM "
                    + _reader(table).replace("?", quoted))
        columns = {r[0] for r in con.execute("DESCRIBE src").fetchall()}
        if "SeriesInstanceUID" not in columns:
            raise store.CatalogError(f"{table.name} has no SeriesInstanceUID column")

        def col(name: str, cast: str = "VARCHAR") -> str:
            return f"TRY_CAST(\"{name}\" AS {cast})" if name in columns else f"NULL::{cast}"
        inputs = [n for n in TABLE_INPUTS if n in columns]
        combos = con.execute(f"SELECT DISTINCT {', '.join(col(n) for n in inputs)} FROM src"
                             ).fetchall()
        with tempfile.TemporaryDirectory() as tmp:
            cls_csv = Path(tmp) / "classes.csv"
            with open(cls_csv, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow([*(f"k_{n}" for n in inputs), "kind", "kind_confidence", "phase",
                            "phase_confidence", "region", "conflicts", "evidence"])
                for values in combos:
                    c = classify(facts_from_row(dict(zip(inputs, values, strict=True))))
                    w.writerow([*(NULL_KEY if v is None else v for v in values),
                                *added_columns(c)])
            pid_csv = Path(tmp) / "patients.csv"
            with open(pid_csv, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["pid", "patient"])
                if "PatientID" in columns:
                    for (pid,) in con.execute("SELECT DISTINCT CAST(PatientID AS VARCHAR) "
                                              "FROM src WHERE PatientID IS NOT NULL").fetchall():
                        w.writerow([pid, pseudonymise(pid, "")])
            con.execute("CREATE OR REPLACE TEMP TABLE cls AS SELECT * FROM read_csv(?, "
                        "header=true, all_varchar=true)", [str(cls_csv)])
            con.execute("CREATE OR REPLACE TEMP TABLE pids AS SELECT * FROM read_csv(?, "
                        "header=true, all_varchar=true)", [str(pid_csv)])
        join = " AND ".join(f"coalesce(CAST({col(n)} AS VARCHAR), '{NULL_KEY}') = c.k_{n}"
                            for n in inputs)
        site_sql = (col(site_column) if site_column and site_column in columns
                    else "?")
        params = [] if site_column and site_column in columns else [site or table.stem]
        con.execute("DELETE FROM series WHERE source = ?", [str(table)])
        con.execute(f"""
            INSERT OR REPLACE INTO series SELECT
              {col('SeriesInstanceUID')}, {col('StudyInstanceUID')}, p.patient, {site_sql},
              ?, {col('Modality')}, {col('SeriesNumber', 'INTEGER')},
              {col('SeriesDescription')}, {col('StudyDescription')},
              {col('BodyPartExamined')}, {col('StudyDate')}, {col('instanceCount', 'INTEGER')},
              0, c.kind, CAST(c.kind_confidence AS DOUBLE), c.phase,
              CAST(c.phase_confidence AS DOUBLE), c.region, c.conflicts, c.evidence, NULL,
              NULL, NULL, {col('SliceThickness', 'DOUBLE')}, NULL, {col('Manufacturer')},
              {col('KVP', 'DOUBLE')}, {col('ConvolutionKernel')},
              {col('series_aws_url')}, false
            FROM src JOIN cls c ON {join}
            LEFT JOIN pids p ON p.pid = CAST({col('PatientID')} AS VARCHAR)
            WHERE {col('SeriesInstanceUID')} IS NOT NULL""", [*params, str(table)])
        n = con.execute("SELECT count(*) FROM series WHERE source = ?",
                        [str(table)]).fetchone()[0]
        store.write_parquet(con, folder_path)
    finally:
        con.close()
    return AddResult(files_read=0, series=n, seconds=time.perf_counter() - start)
