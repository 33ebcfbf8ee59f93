"""Files an input refers to (a DICOMDIR's records, an NRRD or MetaImage header's data file) are
read only inside the input's own folder tree: a reference with '..', an absolute path or a link
leading out of it is refused, so an input can never make the product read another file."""

from __future__ import annotations

from pathlib import Path

from inference.errors import LoadError


class OutsideInput(LoadError):
    """An input refers to a file outside its own folder tree."""


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (links resolved) lies inside the folder ``root``."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):
        return False


def confined(reference: str, root: Path, what: str) -> Path:
    """The file ``reference`` names relative to ``root``, if it stays inside ``root``."""
    candidate = Path(reference)
    if candidate.is_absolute() or candidate.drive or not inside(root / candidate, root):
        raise OutsideInput(f"{what} refers to {reference[:80]!r}, outside its own folder: "
                           "refused (only files inside the input's folder are read)")
    return root / candidate
