"""The work a catalogue scan hands to each worker: a chunk of files (whole folders where they
fit, since a folder usually holds whole series), whose headers are read, grouped into series
and classified there. What comes back is one pickle per chunk: each file's series or the
reason it is left out, and for each series the classifier's answer and what its catalogue row
takes from the headers. The headers themselves travel as bytes that the client unpickles only
for a series that spans chunks; unpickling every header cost the client as much CPU as the
reading cost a worker.
"""

from __future__ import annotations

import os
import pickle
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

from inference.errors import DcreviewError
from inference.io.dicom.discovery import SeriesInfo, SkippedFile, group_series, judge_file
from inference.io.dicom.header import FileHeader
from inference.series.study import ClassifiedSeries, classify_series

CHUNK = 400  # files per task: enough to amortise a task's cost, small enough to balance
WHOLE_FOLDER = 2000  # a folder up to this many files stays in one task


class Described(NamedTuple):
    """What a series row takes from the headers rather than from the classifier."""

    patient: str = ""
    study_description: str = ""
    body_part: str = ""
    study_date: str = ""
    images: int = 0
    rows: int | None = None
    cols: int | None = None
    pixel_mm: float | None = None
    slice_mm: float | None = None
    regular_volume: bool | None = None
    manufacturer: str = ""
    kvp: float | None = None
    kernel: str = ""
    location: str = ""


@dataclass(frozen=True)
class SeriesPart:
    """What one chunk holds of one series."""

    uid: str
    files: int  # the chunk's files of this series, localizers included
    item: ClassifiedSeries  # classified from these files alone (headers dropped)
    described: Described
    headers: bytes  # these files' headers, pickled: read only if the series spans chunks


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's answer: per path (series UID, reason left out), and its series."""

    judged: list[tuple[str | None, str | None]]
    parts: list[SeriesPart]


def chunks(paths: list[str]) -> list[list[str]]:
    """``paths`` cut into tasks: whole folders packed together up to CHUNK files, a folder
    of up to WHOLE_FOLDER files kept whole, a larger one split."""
    out: list[list[str]] = []
    current: list[str] = []
    for _folder, members in groupby(paths, key=os.path.dirname):
        group = list(members)
        if len(group) > WHOLE_FOLDER:
            out += [group[i:i + CHUNK] for i in range(0, len(group), CHUNK)]
            continue
        if current and len(current) + len(group) > CHUNK:
            out.append(current)
            current = []
        current += group
    if current:
        out.append(current)
    return out


def describe(series: SeriesInfo) -> Described:
    """What a series row takes from its headers (a localizer-only series has none)."""
    h = series.headers[0] if series.headers else None
    if h is None:
        return Described(rows=0, cols=0)
    from inference.io.dicom.stack import build_stack

    try:
        regular = len(series.headers) >= 3 and not build_stack(series.headers).warnings
    except DcreviewError:
        regular = False
    ps = series.pixel_spacing
    rows, cols = series.size
    return Described(h.patient_pseudonym, h.study_description, h.body_part, h.study_date,
                     series.image_count, rows, cols, min(ps) if ps else None,
                     series.slice_spacing, regular, h.manufacturer, h.kvp,
                     h.convolution_kernel, str(Path(h.path).parent))


def classify_headers(headers: list[FileHeader], pixels: bool) -> list[SeriesPart]:
    """Series parts of a set of headers: grouped, classified, described."""
    by_uid: dict[str, list[FileHeader]] = defaultdict(list)
    for h in headers:
        by_uid[h.series_uid].append(h)
    out = []
    for series in group_series(headers):
        item = classify_series(series, pixels=pixels)
        mine = by_uid[series.series_uid]
        out.append(SeriesPart(series.series_uid, len(mine),
                              replace(item, series=replace(series, headers=[])),
                              describe(series), pickle.dumps(mine, pickle.HIGHEST_PROTOCOL)))
    return out


def scan_chunk(paths: list[str], pixels: bool = False) -> ChunkResult:
    """Read a chunk of files and classify the series found in it: the task a worker runs."""
    judged, headers = [], []
    for p in paths:
        j = judge_file(p)
        if isinstance(j, SkippedFile):
            judged.append((None, j.reason))
        elif j is None:  # a DICOMDIR: no image, nothing to say
            judged.append((None, None))
        else:
            judged.append((j.series_uid, None))
            headers.append(j)
    return ChunkResult(judged, classify_headers(headers, pixels))


def scan_chunk_packed(paths: list[str], pixels: bool = False) -> bytes:
    """scan_chunk's answer pickled whole (Dask would serialise a list item by item)."""
    return pickle.dumps(scan_chunk(paths, pixels), protocol=pickle.HIGHEST_PROTOCOL)


def scanned(paths: list[str], client, pixels: bool = False
            ) -> Iterator[tuple[list[str], ChunkResult]]:
    """(chunk, its answer) as chunks finish. On a cluster every chunk is queued at once, so
    workers never wait while answers are recorded."""
    tasks = chunks(paths)
    if client is None or len(tasks) < 2:
        for c in tasks:
            yield c, scan_chunk(c, pixels)
        return
    from dask.distributed import as_completed

    futures = client.map(scan_chunk_packed, tasks, pixels=pixels, pure=False)
    of = {f.key: c for f, c in zip(futures, tasks, strict=True)}
    for future, packed in as_completed(futures, with_results=True):
        yield of[future.key], pickle.loads(packed)  # our own workers' bytes
