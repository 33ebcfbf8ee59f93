"""Keyed pseudonyms for patient identifiers, so series can be matched without revealing who."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from platformdirs import user_config_dir

KEY_ENV = "DCREVIEW_PSEUDONYM_KEY"


@lru_cache(maxsize=1)
def _key() -> bytes:
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode()
    path = Path(user_config_dir("dcreview")) / "pseudonym.key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(key)
        os.replace(tmp, path)
        return key


def pseudonymise(*identifiers: str) -> str:
    """A stable 16-hex-digit pseudonym for identifiers (empty string when all are empty)."""
    joined = "\x1f".join(str(v).strip() for v in identifiers)
    if not joined.strip("\x1f"):
        return ""
    return hmac.new(_key(), joined.encode(), hashlib.sha256).hexdigest()[:16]
