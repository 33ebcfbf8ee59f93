"""The local cache of retrieved series: per user, size-capped, a series complete or absent.

A retrieval writes into a private partial folder and renames it into place only when the
count the PACS announced (or a query gave) arrived and every instance parses, belongs to the
series and holds all its pixel data: a short, malformed or half-retrieved series is never
opened as if it were whole. Partial folders of retrievals that were killed are swept.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from inference import userdirs
from inference.files import atomic, capped
from inference.files.owned import is_owned
from inference.io.dicom.header import pixels_complete, read_header
from inference.pacs.nodes import PacsError, PacsNode
from inference.progress import ProgressEvent

DEFAULT_CAP_GB = 20.0


def cache_root() -> Path:
    """Where retrieved series live (DCREVIEW_PACS_CACHE overrides it)."""
    return userdirs.pacs_cache_dir()


def series_dir(series_uid: str, root: Path | None = None) -> Path:
    """The folder of one series (named by a hash: no UIDs or names in paths)."""
    token = hashlib.sha256(series_uid.encode()).hexdigest()[:20]
    return (root or cache_root()) / token


def instances(folder: Path) -> list[Path]:
    """The instance files of a cached or arriving series."""
    return sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))


def cached(series_uid: str, expected: int | None, root: Path | None = None) -> Path | None:
    """The cached series if it holds exactly ``expected`` instances (a series only reaches
    the cache whole; the count guards against one the PACS has added images to since)."""
    folder = series_dir(series_uid, root)
    if expected is None or not is_owned(folder):
        return None
    if len(instances(folder)) != expected:
        return None
    capped.used(folder)
    return folder


def cap_gb() -> float:
    """The cache's size cap (DCREVIEW_PACS_CACHE_GB overrides the default)."""
    return capped.cap_from_env("DCREVIEW_PACS_CACHE_GB", DEFAULT_CAP_GB)


def fill(series_uid: str, root: Path | None, write: Callable[[Path], None]) -> Path:
    """Run ``write`` into a private folder; the series enters the cache only if it returns
    (any exception, a cancel included, leaves nothing behind). Then the least recently used
    others are evicted until the cache is under its cap."""
    root = root or cache_root()
    atomic.sweep_partials(root)  # retrievals killed earlier (their process is gone)
    final = series_dir(series_uid, root)
    partial = atomic.partial_folder(final)
    try:
        write(partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    atomic.commit_folder(partial, final)
    capped.used(final)
    evict(cap_gb(), root, keep=final)
    return final


class Receiver:
    """Writes each arriving instance into a retrieval's private folder, counting them."""

    def __init__(self, partial: Path, series_uid: str, expected: int | None,
                 progress: Callable[[ProgressEvent], None] | None) -> None:
        self.partial, self.series_uid = partial, series_uid
        self.expected, self.progress = expected, progress
        self.count = 0

    def write(self, chunks: Iterable[bytes | memoryview]) -> None:
        """One instance: Part 10 bytes as received, never decoded and re-encoded."""
        with open(self.partial / f"{self.count:06d}.dcm", "wb") as f:
            f.writelines(chunks)
        self.count += 1
        if self.progress:
            self.progress(ProgressEvent("Retrieving from PACS", self.count, self.expected or 0))

    def check(self, node: PacsNode, code: int | None, failed: int) -> None:
        """Raise PacsError unless the PACS reported success, the announced count arrived and
        every instance is whole and of this series."""
        if code != 0x0000 or failed or self.count == 0 or self.expected is None or (
                self.count != self.expected):
            of = f" of {self.expected}" if self.expected is not None else ""
            raise PacsError(f"{node.name}: the series arrived incomplete ({self.count}{of} "
                            f"instance(s), status 0x{code or 0:04X}, {failed} failed); nothing "
                            "was kept")
        problem = instance_problem(self.partial, self.series_uid)
        if problem:
            raise PacsError(f"{node.name}: the series arrived damaged ({problem}); nothing "
                            "was kept")


def instance_problem(folder: Path, series_uid: str) -> str | None:
    """The first reason the files in ``folder`` are not one whole series (None: they are)."""
    seen: set[str] = set()
    for n, path in enumerate(instances(folder), 1):
        header = read_header(path)
        if header is None:
            return f"instance {n} is not a DICOM file"
        if header.series_uid != series_uid:
            return f"instance {n} belongs to another series"
        if header.sop_instance_uid in seen:
            return f"instance {n} arrived twice"
        seen.add(header.sop_instance_uid)
        if (header.rows and header.columns) and not pixels_complete(header):
            return f"instance {n} is cut short (its image data is incomplete)"
    return None


def series_folders(root: Path | None = None) -> list[Path]:
    """The cached series, least recently used first (retrievals in progress, and folders
    dcreview did not make, excluded)."""
    return capped.entries(root or cache_root())


def usage(root: Path | None = None) -> tuple[int, int]:
    """(series, bytes) in the cache."""
    folders = series_folders(root)
    return len(folders), sum(capped.size(p) for p in folders)


def evict(cap: float = DEFAULT_CAP_GB, root: Path | None = None,
          keep: Path | None = None) -> list[Path]:
    """Remove least recently used series until the cache is under ``cap`` GB (never
    ``keep``, the series just retrieved, even if it alone is over)."""
    return capped.evict(root or cache_root(), cap, keep)
