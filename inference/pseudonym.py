"""Keyed pseudonyms for patient identifiers, so series can be matched without revealing who."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from inference import userdirs
from inference.files import atomic

KEY_ENV = "DCREVIEW_PSEUDONYM_KEY"


@lru_cache(maxsize=1)
def _key() -> bytes:
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode()
    path = userdirs.pseudonym_key_file()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_hex(32).encode()
        atomic.write_bytes(path, key, mode=0o600)
        return key


def pseudonymise(*identifiers: str) -> str:
    """A stable 16-hex-digit pseudonym for identifiers (empty string when all are empty)."""
    joined = "\x1f".join(str(v).strip() for v in identifiers)
    if not joined.strip("\x1f"):
        return ""
    return hmac.new(_key(), joined.encode(), hashlib.sha256).hexdigest()[:16]
