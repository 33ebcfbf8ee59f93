"""The viewer's data files (the icon), installed with the package."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def asset(*parts: str) -> Path:
    """Path of one data file of the viewer (``icons/...``)."""
    return Path(str(files("viewer").joinpath("data", *parts)))
