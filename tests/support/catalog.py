"""Shared pieces of the catalogue tests."""

from __future__ import annotations

import json
from pathlib import Path


def policy_file(folder: Path, site: str, licence: str = "CC-BY-4.0",
                consent: str = "broad research consent", usage: str = "research") -> Path:
    """A per-source policy file naming one site, as `catalog export --policy` reads it."""
    path = folder / "policy.json"
    path.write_text(json.dumps({"sites": {site: {"licence": licence, "consent": consent,
                                                 "usage": usage}}}))
    return path
