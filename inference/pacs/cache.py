"""The local cache of retrieved series: per user, size-capped, a series complete or absent.

A retrieval writes into a private ``.partial`` folder and renames it into place only when
every instance arrived: a half-retrieved series is never opened as if it were whole.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from platformdirs import user_cache_dir

from inference.pacs.nodes import PacsError, PacsNode
from inference.progress import ProgressEvent

DEFAULT_CAP_GB = 20.0


def cache_root() -> Path:
    """Where retrieved series live (DCREVIEW_PACS_CACHE overrides it)."""
    env = os.environ.get("DCREVIEW_PACS_CACHE")
    return Path(env) if env else Path(user_cache_dir("dcreview")) / "pacs"


def series_dir(series_uid: str, root: Path | None = None) -> Path:
    """The folder of one series (named by a hash: no UIDs or names in paths)."""
    token = hashlib.sha256(series_uid.encode()).hexdigest()[:20]
    return (root or cache_root()) / token


def cached(series_uid: str, expected: int | None, root: Path | None = None) -> Path | None:
    """The cached series if it holds exactly ``expected`` instances (a series only reaches
    the cache whole; the count guards against one the PACS has added images to since)."""
    folder = series_dir(series_uid, root)
    if expected is None or not folder.is_dir():
        return None
    if sum(1 for f in folder.iterdir() if f.is_file()) != expected:
        return None
    os.utime(folder)  # most recently used
    return folder


def partial_dir(series_uid: str, root: Path | None = None) -> Path:
    """A fresh private folder to retrieve into."""
    final = series_dir(series_uid, root)
    path = final.with_name(f".{final.name}.{uuid.uuid4().hex}.partial")
    path.mkdir(parents=True)
    return path


def cap_gb() -> float:
    """The cache's size cap (DCREVIEW_PACS_CACHE_GB overrides the default)."""
    try:
        return float(os.environ.get("DCREVIEW_PACS_CACHE_GB", DEFAULT_CAP_GB))
    except ValueError:
        return DEFAULT_CAP_GB


def commit(partial: Path, series_uid: str, root: Path | None = None) -> Path:
    """Move a completely retrieved series into place (replacing an older copy), then evict
    the least recently used others until the cache is under its cap."""
    final = series_dir(series_uid, root)
    if final.exists():
        shutil.rmtree(final)
    os.rename(partial, final)
    os.utime(final)  # most recently used
    evict(cap_gb(), root, keep=final)
    return final


def discard(partial: Path) -> None:
    """Drop an incomplete retrieval."""
    shutil.rmtree(partial, ignore_errors=True)


def fill(series_uid: str, root: Path | None, write: Callable[[Path], None]) -> Path:
    """Run ``write`` into a private folder; the series enters the cache only if it returns
    (any exception, a cancel included, leaves nothing behind)."""
    partial = partial_dir(series_uid, root)
    try:
        write(partial)
    except BaseException:
        discard(partial)
        raise
    return commit(partial, series_uid, root)


class Receiver:
    """Writes each arriving instance into a retrieval's private folder, counting them."""

    def __init__(self, partial: Path, expected: int | None,
                 progress: Callable[[ProgressEvent], None] | None) -> None:
        self.partial, self.expected, self.progress = partial, expected, progress
        self.count = 0

    def write(self, chunks: Iterable[bytes | memoryview]) -> None:
        """One instance: Part 10 bytes as received, never decoded and re-encoded."""
        with open(self.partial / f"{self.count:06d}.dcm", "wb") as f:
            f.writelines(chunks)
        self.count += 1
        if self.progress:
            self.progress(ProgressEvent("Retrieving from PACS", self.count, self.expected or 0))

    def check(self, node: PacsNode, code: int | None, failed: int) -> None:
        """Raise PacsError unless every instance arrived and the PACS reported success."""
        if code != 0x0000 or failed or self.count == 0 or (
                self.expected is not None and self.count != self.expected):
            raise PacsError(f"{node.name}: the series arrived incomplete ({self.count} "
                            f"instance(s), status 0x{code or 0:04X}, {failed} failed); nothing "
                            "was kept")


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def series_folders(root: Path | None = None) -> list[Path]:
    """The cached series, least recently used first (retrievals in progress excluded)."""
    root = root or cache_root()
    if not root.exists():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime)


def usage(root: Path | None = None) -> tuple[int, int]:
    """(series, bytes) in the cache."""
    folders = series_folders(root)
    return len(folders), sum(_size(p) for p in folders)


def evict(cap: float = DEFAULT_CAP_GB, root: Path | None = None,
          keep: Path | None = None) -> list[Path]:
    """Remove least recently used series until the cache is under ``cap`` GB (never
    ``keep``, the series just retrieved, even if it alone is over)."""
    series = series_folders(root)
    sizes = {p: _size(p) for p in series}
    total = sum(sizes.values())
    removed = []
    for p in series:
        if total <= cap * 1e9:
            break
        if p == keep:
            continue
        shutil.rmtree(p, ignore_errors=True)
        total -= sizes[p]
        removed.append(p)
    return removed
