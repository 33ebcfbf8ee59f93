"""Put sources into a catalogue: folders, zips and DICOMDIRs (headers read in parallel on a
Dask cluster, only new or changed files), and external header tables such as the IDC index.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from inference.catalog import store
from inference.io.dicom.discovery import (
    SeriesInfo,
    SkippedFile,
    candidate_files,
    group_series,
    judge_file,
)
from inference.pseudonym import pseudonymise
from inference.series.classify import classify
from inference.series.facts import facts_from_row
from inference.series.study import after_enhanced, classify_series

NULL_KEY = "<null>"  # a missing value, as the distinct-value table writes it
CHUNK = 400  # files per task: enough to amortise a task's cost, small enough to balance


@dataclass
class AddResult:
    """What one `catalog add` did."""

    files_read: int = 0
    files_unchanged: int = 0
    series: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    seconds: float = 0.0

    def summary(self) -> str:
        """Lines for the terminal: counts, then every file left out and why."""
        lines = [f"{self.series} series catalogued; {self.files_read} file(s) read, "
                 f"{self.files_unchanged} unchanged since the last scan, {len(self.skipped)} "
                 f"left out, in {self.seconds:.1f} s"]
        lines += [f"left out {Path(f).name}: {why}" for f, why in self.skipped[:50]]
        if len(self.skipped) > 50:
            lines.append(f"... and {len(self.skipped) - 50} more left out")
        return "\n".join(lines)


def read_chunk(paths: list[str]) -> list:
    """Headers (or the reasons they are left out) of a chunk of files: the task a worker runs."""
    return [judge_file(p) for p in paths]


def _read_all(paths: list[str], client) -> list:
    chunks = [paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)]
    if client is None or len(chunks) < 2:
        return [x for c in chunks for x in read_chunk(c)]
    futures = client.map(read_chunk, chunks, pure=False)
    return [x for f in futures for x in f.result()]


def _series_row(item, site: str, source: str) -> tuple:
    s: SeriesInfo = item.series
    h = s.headers[0] if s.headers else None
    c = item.cls
    ps = s.pixel_spacing
    regular = None
    if s.headers:
        from inference.errors import DcreviewError
        from inference.io.dicom.stack import build_stack

        try:
            regular = len(s.headers) >= 3 and not build_stack(s.headers).warnings
        except DcreviewError:
            regular = False
    return (s.series_uid, s.study_uid, h.patient_pseudonym if h else "", site, source,
            s.modality, s.series_number, s.description, h.study_description if h else "",
            h.body_part if h else "", "", s.image_count, s.localizers, c.kind.value,
            round(c.kind_confidence, 2), c.phase.value, round(c.phase_confidence, 2), c.region,
            "; ".join(c.conflicts), "; ".join(e.line() for e in c.evidence),
            s.size[0], s.size[1], min(ps) if ps else None, s.slice_spacing, regular,
            h.manufacturer if h else "", h.kvp if h else None,
            h.convolution_kernel if h else "",
            str(Path(s.headers[0].path).parent) if s.headers else "", c.synthetic)


def add_folder(folder_path: str | Path, source: str | Path, *, site: str = "",
               client=None, pixels: bool = False) -> AddResult:
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
        affected = {known[f][2] for f in changed + gone if f in known and known[f][2]}
        if gone:
            con.executemany("DELETE FROM files WHERE path = ?", [[f] for f in gone])
        # Read in slices, each recorded as it finishes: a killed scan keeps what it read.
        fresh: dict = {}  # headers read in this run, not read again for their series
        for i in range(0, len(changed), CHUNK * 8):
            part = changed[i:i + CHUNK * 8]
            judged = _read_all(part, client)
            rows = []
            for f, j in zip(part, judged, strict=True):
                uid = j.series_uid if j is not None and not isinstance(j, SkippedFile) else None
                reason = j.reason if isinstance(j, SkippedFile) else None
                if reason:
                    result.skipped.append((f, reason))
                if uid:
                    affected.add(uid)
                    fresh[f] = j
                rows.append([f, str(source), *now[f], uid, reason])
            con.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)", rows)
            result.files_read += len(part)
        # Series whose files were read but whose row was never written (a killed scan).
        affected |= {u for (u,) in con.execute(
            "SELECT DISTINCT series_uid FROM files WHERE source = ? AND series_uid IS NOT NULL "
            "AND series_uid NOT IN (SELECT series_uid FROM series)", [str(source)]).fetchall()}
        result.series = _rebuild(con, affected, str(source), site, client, pixels, fresh)
        store.write_parquet(con, folder_path)
    finally:
        con.close()
    result.seconds = time.perf_counter() - start
    return result


def _rebuild(con, affected: set[str], source: str, site: str, client, pixels: bool,
             fresh: dict) -> int:
    if not affected:
        return 0
    marks = ", ".join("?" for _ in affected)
    paths = [p for (p,) in con.execute(
        f"SELECT path FROM files WHERE series_uid IN ({marks})", list(affected)).fetchall()]
    # Unchanged files of a changed series are read again; what this run read is reused.
    again = [p for p in paths if p not in fresh]
    headers = [fresh[p] for p in paths if p in fresh] + [
        h for h in _read_all(again, client) if h is not None and not isinstance(h, SkippedFile)]
    series = group_series(headers)
    found = after_enhanced([classify_series(s, pixels=pixels) for s in series])
    con.executemany("DELETE FROM series WHERE series_uid = ?", [[u] for u in affected])
    store.replace_series(con, [_series_row(item, site, source) for item in found])
    return len(found)


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
