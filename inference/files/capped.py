"""A folder of rebuildable entries (retrieved series, unpacked zips) kept under a size cap:
the least recently used go first, never the one just made, and only folders dcreview made."""

from __future__ import annotations

import os
from pathlib import Path

from inference.files.owned import RemovalRefused, is_owned, remove_owned


def size(path: Path) -> int:
    """Bytes of every file under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def entries(root: Path) -> list[Path]:
    """The entries of a capped folder, least recently used first (partial ones, and folders
    dcreview did not make, excluded)."""
    if not root.exists():
        return []
    return sorted((p for p in root.iterdir() if not p.name.startswith(".") and is_owned(p)),
                  key=lambda p: p.stat().st_mtime)


def used(entry: Path) -> None:
    """Mark an entry as just used (it goes last)."""
    os.utime(entry)


def cap_from_env(variable: str, default_gb: float) -> float:
    """A cap in GB from the environment, or the default."""
    try:
        return float(os.environ.get(variable, default_gb))
    except ValueError:
        return default_gb


def evict(root: Path, cap_gb: float, keep: Path | None = None) -> list[Path]:
    """Remove least recently used entries until ``root`` is under ``cap_gb`` GB (never
    ``keep``, the entry just made, even if it alone is over); returns what was removed."""
    found = entries(root)
    sizes = {p: size(p) for p in found}
    total = sum(sizes.values())
    removed = []
    for p in found:
        if total <= cap_gb * 1e9:
            break
        if p == keep:
            continue
        try:
            remove_owned(p, root)
        except (RemovalRefused, OSError):
            continue
        total -= sizes[p]
        removed.append(p)
    return removed
