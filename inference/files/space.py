"""A full disk is one readable line, never a traceback: what was being written, where, how much
room it needed and how much there is. The writers (atomic files and folders, the ledger) leave
nothing partial that looks complete, so running the command again after freeing space
completes it."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from inference.errors import DcreviewError

FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}


class DiskFull(DcreviewError):
    """There is not room enough on the disk for what a command writes."""


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def free_bytes(folder: Path) -> int | None:
    """Free space where ``folder`` (or its nearest existing parent) lies."""
    for p in (folder, *folder.parents):
        if p.exists():
            try:
                return shutil.disk_usage(p).free
            except OSError:
                return None
    return None


def is_disk_full(exc: BaseException) -> bool:
    """Whether an exception says the disk (or a quota, or the file size limit) is full."""
    if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
        return True
    if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower():
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("no space left" in text or "disk full" in text)


def disk_full(exc: BaseException, where: Path | None = None,
              need: int | None = None) -> DiskFull:
    """The one line a full disk gives."""
    if where is None and isinstance(exc, OSError) and exc.filename:
        where = Path(str(exc.filename)).parent
    folder = f" in {where}" if where is not None else ""
    free = free_bytes(where) if where is not None else None
    room = f"; {_mb(free)} free" if free is not None else ""
    needed = f" (about {_mb(need)} needed)" if need else ""
    return DiskFull(f"the disk is full{folder}{needed}{room}: nothing partial was kept; free "
                    "some space and run the command again")


def require(folder: Path, need: int, what: str) -> None:
    """Refuse before writing when ``folder``'s disk cannot hold ``need`` bytes."""
    free = free_bytes(folder)
    if free is not None and free < need:
        raise DiskFull(f"{what} needs about {_mb(need)} in {folder}, where {_mb(free)} is "
                       "free: free some space and run the command again")
