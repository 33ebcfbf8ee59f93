"""Where dcreview keeps per-user files: the one place that asks the operating system, and the
one place each ``DCREVIEW_*`` override is read.

config: PACS nodes, study keys and witnesses, the pseudonym key. data: annotations.
cache: the demo case, unpacked zips, retrieved PACS series (all rebuilt when removed).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir, user_config_dir, user_data_dir

APP = "dcreview"


def _override(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value) if value else None


def config_dir() -> Path:
    """Per-user settings and secrets."""
    return Path(user_config_dir(APP))


def data_dir() -> Path:
    """Per-user documents the user made (annotations)."""
    return Path(user_data_dir(APP))


def cache_dir() -> Path:
    """Per-user files that can be rebuilt."""
    return Path(user_cache_dir(APP))


def key_dir() -> Path:
    """Study keys and the chain witnesses kept beside them (DCREVIEW_KEY_DIR overrides)."""
    return _override("DCREVIEW_KEY_DIR") or config_dir() / "study-keys"


def pacs_nodes_file() -> Path:
    """The configured PACS nodes (DCREVIEW_PACS_NODES overrides)."""
    return _override("DCREVIEW_PACS_NODES") or config_dir() / "pacs-nodes.json"


def pacs_cache_dir() -> Path:
    """Series retrieved from a PACS (DCREVIEW_PACS_CACHE overrides)."""
    return _override("DCREVIEW_PACS_CACHE") or cache_dir() / "pacs"


def pseudonym_key_file() -> Path:
    """The key that makes patient pseudonyms (DCREVIEW_PSEUDONYM_KEY gives the key itself)."""
    return config_dir() / "pseudonym.key"


def annotations_dir() -> Path:
    """Saved annotation sets."""
    return data_dir() / "annotations"


def demo_dir(version: int) -> Path:
    """The generated demo case of this version."""
    return cache_dir() / f"demo-v{version}"


def unzip_dir() -> Path:
    """Zips opened by the user, unpacked once per content."""
    return cache_dir() / "unzipped"
