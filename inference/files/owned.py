"""The product removes only what it made: folders carrying its marker, inside a folder it owns.

Every folder the product may later delete (a prepared case, a batch case, a cached series, the
demo case) is made with ``make_owned`` or filled as an atomic folder, which leave the marker.
``remove_owned`` resolves the parent, refuses a target outside the owning folder or the owning
folder itself, removes a symbolic link without following it, and leaves any folder without the
marker in place: a user's own files are never deleted, whatever a protocol or manifest names.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from inference.errors import DcreviewError

MARKER = ".dcreview-made"
_NOTE = "made by dcreview: it may delete this folder and everything in it\n"


class RemovalRefused(DcreviewError):
    """The product was asked to delete something it did not make or does not own."""


def mark_owned(folder: Path) -> None:
    """Mark a folder the product has just created as its own."""
    (folder / MARKER).write_text(_NOTE)


def make_owned(folder: str | Path) -> Path:
    """Create ``folder`` (and parents) marked as the product's; an existing folder that was not
    made by the product stays unmarked (it can be written into, never removed)."""
    folder = Path(folder)
    if folder.is_dir() and not folder.is_symlink():
        return folder
    folder.mkdir(parents=True)
    mark_owned(folder)
    return folder


def is_owned(folder: Path) -> bool:
    """Whether ``folder`` is a real folder (not a link) that the product made."""
    return folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file()


def contained(path: Path, within: Path) -> Path:
    """``path`` with its parent resolved, if it lies strictly inside ``within``; else refused."""
    name = path.name
    if name in ("", ".", ".."):
        raise RemovalRefused(f"refusing to remove {str(path)[:120]!r}: not a folder name")
    target = path.parent.resolve() / name
    root = within.resolve()
    if target == root or not target.is_relative_to(root):
        raise RemovalRefused(f"refusing to remove {name!r}: it lies outside {root.name!r}, the "
                             "folder dcreview owns there")
    return target


def remove_owned(path: str | Path, within: str | Path) -> bool:
    """Delete a folder the product made inside ``within`` (a link: only the link); returns
    False when there was nothing. Raises RemovalRefused for anything else."""
    target = contained(Path(path), Path(within))
    if target.is_symlink():
        target.unlink()
        return True
    if not target.exists():
        return False
    if not target.is_dir() or not (target / MARKER).is_file():
        raise RemovalRefused(f"{target.name!r} in {target.parent.name!r} was not made by "
                             "dcreview, so it is left in place: move it away and try again")
    shutil.rmtree(target)  # fd-based on POSIX: never follows a link inside the tree
    return True
