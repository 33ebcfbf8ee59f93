"""A PACS node as a catalogue source: studies found by C-FIND or QIDO-RS (paged: QIDO by
limit and offset, and both by study-date windows when a date range is given), then each
study's series at series level, classified from what the PACS answers. Nothing is
retrieved: a series' location is ``pacs://NODE/STUDY/SERIES``, which `catalog export` (and
every other command) retrieves when it needs the pixels.

Incremental: a study already catalogued with the number of series the PACS announces is not
asked again; each study's rows are written as soon as its series are known, so a killed scan
keeps what it found and the next one finishes the rest.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta

from inference.catalog import store
from inference.catalog.chunks import Described
from inference.catalog.ingest import AddResult, series_row
from inference.io.dicom.discovery import SeriesInfo
from inference.pacs import client
from inference.pacs.nodes import SCHEME, PacsError, PacsNode
from inference.progress import ProgressCallback, ProgressReporter
from inference.pseudonym import pseudonymise
from inference.series.classify import classify
from inference.series.facts import facts_from_row
from inference.series.study import ClassifiedSeries, after_enhanced

WINDOW_DAYS = 7  # one study query per week of a date range: PACSs cap long answers


def source_name(node: PacsNode) -> str:
    """How the catalogue names a node as a source (and the prefix of its locations)."""
    return f"{SCHEME}{node.name}"


def date_windows(dates: str, days: int = WINDOW_DAYS) -> list[str]:
    """``YYYYMMDD-YYYYMMDD`` split into consecutive ranges of at most ``days`` days (an empty
    or single date, or an open range, is one query)."""
    if "-" not in dates:
        return [dates]
    first, last = dates.split("-", 1)
    try:
        start, end = _day(first), _day(last)
    except ValueError as exc:
        raise PacsError(f"--study-date {dates!r}: write YYYYMMDD-YYYYMMDD") from exc
    if start > end:
        raise PacsError(f"--study-date {dates!r}: the first date is after the last")
    out = []
    while start <= end:
        stop = min(end, start + timedelta(days=days - 1))
        out.append(f"{start:%Y%m%d}-{stop:%Y%m%d}")
        start = stop + timedelta(days=1)
    return out


def _day(text: str) -> date:
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        raise ValueError(text)
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _studies(node: PacsNode, dates: str, modality: str) -> Iterator[dict]:
    seen: set[str] = set()
    for window in date_windows(dates):
        filters = {k: v for k, v in (("StudyDate", window), ("ModalitiesInStudy", modality))
                   if v}
        for study in client.find_studies(node, **filters):
            uid = study.get("StudyInstanceUID", "")
            if uid and uid not in seen:
                seen.add(uid)
                yield study


def _rows(node: PacsNode, study: dict, series: list[dict], site: str) -> list[tuple]:
    study_uid = study["StudyInstanceUID"]
    patient = pseudonymise(study.get("PatientID", ""), study.get("PatientBirthDate", ""))
    found = []
    for s in series:
        row = {**s, "StudyInstanceUID": study_uid,
               "StudyDescription": study.get("StudyDescription", ""),
               "instanceCount": s.get("NumberOfSeriesRelatedInstances", ""),
               "AcquisitionTime": s.get("SeriesTime", "")}
        facts = facts_from_row(row)
        info = SeriesInfo(facts.series_uid, study_uid, facts.modality,
                          facts.series_description, facts.series_number, [])
        found.append(ClassifiedSeries(info, facts, classify(facts)))
    where = f"{source_name(node)}/{study_uid}/"
    return [series_row(item, Described(
        patient=patient, study_description=item.facts.study_description,
        body_part=item.facts.body_part, study_date=study.get("StudyDate", ""),
        images=item.facts.instance_count, location=where + item.facts.series_uid),
        site, source_name(node)) for item in after_enhanced(found)]


def add_pacs(folder_path, node: PacsNode, *, site: str = "", study_date: str = "",
             modality: str = "CT", full: bool = False,
             progress: ProgressCallback | None = None) -> AddResult:
    """Catalogue the series a PACS node holds (studies with ``modality``, in ``study_date``:
    YYYYMMDD or YYYYMMDD-YYYYMMDD); a study already catalogued whole is not asked again
    unless ``full``."""
    start = time.perf_counter()
    site = site or "site-" + pseudonymise("site", source_name(node))[:8]
    result = AddResult(unit="study(ies)")
    studies = list(_studies(node, study_date, modality))
    con = store.connect(folder_path, create=True)
    try:
        known = dict(con.execute("SELECT study_uid, count(*) FROM series WHERE source = ? "
                                 "GROUP BY 1", [source_name(node)]).fetchall())
        steps = ProgressReporter(f"Asking {node.name} for series", len(studies), progress,
                                 None)
        for i, study in enumerate(studies, 1):
            uid = study["StudyInstanceUID"]
            announced = str(study.get("NumberOfStudyRelatedSeries", "")).strip()
            if not full and announced.isdigit() and known.get(uid) == int(announced):
                result.files_unchanged += 1
            else:
                try:
                    rows = _rows(node, study, client.find_series(node, uid), site)
                except PacsError as exc:
                    result.skipped.append((f"study {i} of {len(studies)}", str(exc)))
                    continue
                con.execute("BEGIN TRANSACTION")
                con.execute("DELETE FROM series WHERE source = ? AND study_uid = ?",
                            [source_name(node), uid])
                store.replace_series(con, rows)
                con.execute("COMMIT")
                result.series += len(rows)
                result.files_read += 1
            steps.step(i)
        store.write_parquet(con, folder_path)
    finally:
        con.close()
    result.seconds = time.perf_counter() - start
    return result
