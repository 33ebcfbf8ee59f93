"""Atomic writes: a crash leaves the old file (or folder) or the new one, never half of one.

Files are written to a private temporary name in the same folder, fsync'd and renamed over the
target. Folders are filled under a private ``.NAME.HOST-PID.UUID.partial`` name and renamed into
place when complete; partial folders whose writer is gone are swept by ``sweep_partials``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from inference.files.owned import is_owned, mark_owned, remove_owned

PARTIAL = ".partial"


def _fsync_dir(folder: Path) -> None:
    # The rename itself must reach the disk too (POSIX); Windows cannot open a folder this way.
    if os.name == "nt":  # pragma: no cover - Windows workstations
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path: str | Path, data: bytes, mode: int = 0o644) -> Path:
    """Replace ``path`` with ``data`` atomically (``mode`` for a new file: 0o600 for secrets)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def commit_file(written: str | Path, final: str | Path) -> Path:
    """Move a file written in full (under a private name in the same folder) into place,
    flushed to disk first: a reader sees the old file or the new one, never half of one."""
    written, final = Path(written), Path(final)
    with open(written, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(written, final)
    _fsync_dir(final.parent)
    return final


def write_text(path: str | Path, text: str, mode: int = 0o644) -> Path:
    """Replace ``path`` with UTF-8 ``text`` atomically."""
    return write_bytes(path, text.encode("utf-8"), mode)


def write_json(path: str | Path, obj: object, *, indent: int | None = 1,
               canonical: bool = False, mode: int = 0o644) -> Path:
    """Replace ``path`` with ``obj`` as JSON atomically (``canonical``: sorted, no spaces)."""
    if canonical:
        text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
    else:
        text = json.dumps(obj, indent=indent) + "\n"
    return write_text(path, text, mode)


def _writer_tag() -> str:
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c == "-")[:32] or "host"
    return f"{host}-{os.getpid()}"


def partial_folder(final: str | Path) -> Path:
    """A fresh private folder beside ``final`` to fill before ``commit_folder``."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    path = final.with_name(f".{final.name}.{_writer_tag()}.{uuid.uuid4().hex[:12]}{PARTIAL}")
    path.mkdir()
    mark_owned(path)
    return path


def discard(partial: Path) -> None:
    """Drop a partial folder that will not be committed."""
    shutil.rmtree(partial, ignore_errors=True)


def commit_folder(partial: Path, final: str | Path, *, replace: bool = True) -> bool:
    """Rename a filled partial folder to ``final``; an older copy is replaced when ``replace``
    (else the first complete copy stays and this one is dropped). Returns whether it landed."""
    final = Path(final)
    if replace and (final.exists() or final.is_symlink()):
        remove_owned(final, final.parent)
    try:
        os.rename(partial, final)
    except OSError:
        if replace:
            raise
        shutil.rmtree(partial, ignore_errors=True)  # another writer finished first
        return False
    _fsync_dir(final.parent)
    return True


def move_into(partial: Path, target: str | Path, last: tuple[str, ...] = ()) -> list[Path]:
    """Move every entry of a filled partial folder into ``target`` (a folder that may hold
    other things: a user's output folder), each by one rename: a file replaces an older one
    of its name, a folder an older one dcreview made. ``last`` names entries moved after the
    others (a report, which then tells that the rest is there). Returns the moved paths."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    entries = sorted((p for p in partial.iterdir() if p.name != ".dcreview-made"),
                     key=lambda p: (p.name in last, last.index(p.name) if p.name in last else 0,
                                    p.name))
    moved = []
    for entry in entries:
        dest = target / entry.name
        if entry.is_dir() and not entry.is_symlink():
            if dest.exists() or dest.is_symlink():
                remove_owned(dest, target)
            os.rename(entry, dest)
        else:
            os.replace(entry, dest)
        moved.append(dest)
    _fsync_dir(target)
    shutil.rmtree(partial, ignore_errors=True)
    return moved


@contextmanager
def folder(final: str | Path, *, replace: bool = True) -> Iterator[Path]:
    """Fill a private folder; it becomes ``final`` only if the block finishes."""
    partial = partial_folder(final)
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    commit_folder(partial, final, replace=replace)


def _writer_gone(tag: str) -> bool:
    """Whether the process that named a partial folder no longer runs (on this host)."""
    host, _, pid = tag.rpartition("-")
    if not pid.isdigit() or host != _writer_tag().rpartition("-")[0]:
        return False  # another machine's, or not ours to judge
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    except OSError:
        return False
    return False


def sweep_partials(parent: str | Path, *, everyone: bool = False) -> list[Path]:
    """Remove partial folders in ``parent`` left by writers that are gone (``everyone``: all of
    them, when the caller knows no other writer runs); returns what was removed."""
    parent = Path(parent)
    removed: list[Path] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for p in entries:
        if not (p.name.startswith(".") and p.name.endswith(PARTIAL)) or p.is_symlink():
            continue
        parts = p.name[1:-len(PARTIAL)].rsplit(".", 2)
        if len(parts) != 3 or not is_owned(p):
            continue
        if everyone or _writer_gone(parts[1]):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed
