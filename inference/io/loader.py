"""Open whatever the user points at -- DICOM folder, DICOMDIR, zip, NIfTI or NRRD -- as a Volume."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inference.errors import MultipleSeriesError, NoSeriesChosenError, UnsupportedFormatError
from inference.io.dicom.ct_loader import LoadResult, load_ct_series
from inference.io.dicom.discovery import SeriesInfo, StudyScan, scan
from inference.io.image_file import is_image_file, read_image
from inference.progress import CancelToken, ProgressCallback, ProgressEvent


@dataclass(frozen=True)
class Reader:
    """One way of opening a path; readers are tried in registry order."""

    name: str
    accepts: Callable[[Path], bool]
    load: Callable[..., LoadResult]


def _load_image_file(path: Path, *, progress: ProgressCallback | None = None,
                     **_: object) -> LoadResult:
    if progress:
        progress(ProgressEvent("Reading volume", 0, 1))
    volume = read_image(path)
    if progress:
        progress(ProgressEvent("Reading volume", 1, 1))
    return LoadResult(volume)


def loadable_series(study: StudyScan) -> list[SeriesInfo]:
    """Series that hold images a volume can be built from (localizer-only series left out)."""
    return [s for s in study.series if s.headers]


# Picks a series of a study for the caller: the series (None: cannot decide) and why.
Chooser = Callable[[StudyScan], tuple[SeriesInfo | None, str]]


def _load_dicom(path: Path, *, series: str | int | None = None, allow_gaps: bool = False,
                progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
                require_ct: bool = True, choose: Chooser | None = None) -> LoadResult:
    study = scan(path, progress, cancel)
    candidates = loadable_series(study)
    why = ""
    if series is not None:
        chosen = study.find(series)
    elif len(candidates) == 1:
        chosen = candidates[0]
    elif choose is not None:
        chosen, why = choose(study)
        if chosen is None:
            raise NoSeriesChosenError(why, [(s.series_uid, s.summary()) for s in candidates])
    else:
        raise MultipleSeriesError([(s.series_uid, s.summary()) for s in candidates])
    result = load_ct_series(chosen, allow_gaps=allow_gaps, require_ct=require_ct,
                            progress=progress, cancel=cancel)
    result.choice = why
    if study.skipped:
        reasons = Counter(s.reason for s in study.skipped)
        result.warnings.insert(0, f"{len(study.skipped)} file(s) skipped: " + "; ".join(
            f"{n} {reason}" for reason, n in reasons.most_common()))
    return result


READERS: list[Reader] = [
    Reader("image file (NIfTI/NRRD/MHA)", lambda p: p.is_file() and is_image_file(p),
           _load_image_file),
    Reader("DICOM", lambda p: p.exists(), _load_dicom),
]


SNIFF_FILES = 2000  # files of a folder looked at before saying it holds no image


def input_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be CT data dcreview opens (None: it may be), from names and the
    first bytes only: a protocol or a manifest naming /etc/passwd is told so at once."""
    import os
    import zipfile

    from inference.io.dicom.header import looks_like_dicom

    path = Path(path)
    try:
        if not path.exists():
            return "does not exist"
        if path.is_dir():
            for n, (dirpath, _dirs, files) in enumerate(os.walk(path)):
                for name in files:
                    f = Path(dirpath) / name
                    if f.is_file() and (is_image_file(f) or looks_like_dicom(f)
                                        or name.upper() == "DICOMDIR"):
                        return None
                if n > SNIFF_FILES:
                    break
            return "holds no DICOM or image file"
        if not path.is_file():
            return "is not a regular file"
        if (is_image_file(path) or path.name.upper() == "DICOMDIR"
                or zipfile.is_zipfile(path) or looks_like_dicom(path)):
            return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    return ("is not CT data (a DICOM folder or file, a DICOMDIR, a zip, NIfTI, NRRD or "
            "MetaImage)")


def open_volume(path: str | Path, **options: object) -> LoadResult:
    """Load one volume from ``path``; options: series, allow_gaps, progress, cancel,
    require_ct, choose (picks a series of a study where none was named)."""
    path = Path(path)
    for reader in READERS:
        if reader.accepts(path):
            return reader.load(path, **options)
    raise UnsupportedFormatError(f"{path.name} does not exist or cannot be opened")
