"""The engine's data files (model cards and their ONNX files, JSON Schemas, the window
presets a protocol may name), installed with the package: read through importlib.resources,
so a wheel installed anywhere, a checkout and a frozen app find them alike."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def data_dir() -> Path:
    """``inference/data`` where the package is installed."""
    return Path(str(files("inference").joinpath("data")))


def resource(*parts: str) -> Path:
    """Path of one data file of the engine (``models/...``, ``schemas/...``)."""
    return data_dir().joinpath(*parts)


def models_dir() -> Path:
    """The installed models: the package's demo model, or DCREVIEW_MODELS (a folder of a
    site's model cards and their ONNX files)."""
    override = os.environ.get("DCREVIEW_MODELS")
    return Path(override) if override else resource("models")
