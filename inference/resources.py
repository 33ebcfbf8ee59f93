"""Location of the files under resources/ (models, presets, icons)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """The resources folder: beside the packages in a checkout, or inside a frozen bundle."""
    override = os.environ.get("DCREVIEW_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    """Path of one resource file."""
    return resources_dir().joinpath(*parts)
