"""The coordinator's study key, kept outside the study folder, and the readers' keys from it.

A study folder on a shared drive can be edited by anyone who can write there; the audit logs
are sealed with HMAC keys that are not in the folder. The coordinator's key lives in the
coordinator's per-user configuration (or a file they keep safe); each reader's key is
derived from it, so a reader can seal only their own log and nobody can re-seal another's.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from inference import userdirs
from inference.errors import ReaderStudyError

KEY_BYTES = 32


def key_dir() -> Path:
    """Where keys are kept: $DCREVIEW_KEY_DIR, else the user's dcreview config folder."""
    return userdirs.key_dir()


def fingerprint(key: bytes) -> str:
    """A short public name of a key (reveals nothing of it)."""
    return hashlib.sha256(b"dcreview-key-fingerprint:" + key).hexdigest()[:16]


def _write_secret(path: Path, key: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    return path


def _read_secret(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return key if len(key) == KEY_BYTES else None


def coordinator_key_path(study_id: str) -> Path:
    """Where the coordinator's key of a study is kept on this machine."""
    return key_dir() / f"{study_id}.key"


def reader_token(reader: str) -> str:
    """A reader's name as a short hash: what file and folder names carry instead of it."""
    return hashlib.sha256(reader.encode()).hexdigest()[:16]


def reader_key_path(study_id: str, reader: str) -> Path:
    """Where a reader's key is installed on a reading workstation."""
    return key_dir() / f"{study_id}.reader-{reader_token(reader)}.key"


def create_coordinator_key(study_id: str) -> bytes:
    """A new random key for a new study, stored for the coordinator (never in the folder)."""
    key = secrets.token_bytes(KEY_BYTES)
    _write_secret(coordinator_key_path(study_id), key)
    return key


def coordinator_key(study_id: str, expected: str, path: str | Path | None = None
                    ) -> bytes | None:
    """The coordinator's key (from ``path`` or this machine), checked against the study."""
    key = _read_secret(Path(path) if path else coordinator_key_path(study_id))
    if key is None:
        return None
    if fingerprint(key) != expected:
        raise ReaderStudyError("that key belongs to another study (its fingerprint differs)")
    return key


def derive_reader_key(master: bytes, reader: str) -> bytes:
    """Reader ``reader``'s key, derived from the coordinator's."""
    return hmac.new(master, f"dcreview-reader:{reader}".encode(), hashlib.sha256).digest()


def reader_key(study_id: str, reader: str, expected_master: str) -> bytes:
    """The key this workstation seals ``reader``'s answers with."""
    installed = _read_secret(reader_key_path(study_id, reader))
    if installed is not None:
        return installed
    master = coordinator_key(study_id, expected_master)
    if master is not None:
        return derive_reader_key(master, reader)
    raise ReaderStudyError(
        f"this workstation has no key for reader {reader!r} of this study: the coordinator "
        f"runs `dcreview study key STUDY --reader {reader} --out FILE` and the reader "
        "installs it with `dcreview study read STUDY --reader ... --key FILE`")


def install_reader_key(study_id: str, reader: str, source: str | Path) -> Path:
    """Install a reader key file given by the coordinator on this workstation."""
    key = _read_secret(Path(source))
    if key is None:
        raise ReaderStudyError(f"{Path(source).name} is not a dcreview reader key")
    path = reader_key_path(study_id, reader)
    if path.exists():
        if _read_secret(path) == key:
            return path
        raise ReaderStudyError(f"another key for reader {reader!r} is already installed")
    return _write_secret(path, key)


def export_reader_key(master: bytes, reader: str, out: str | Path) -> Path:
    """Write ``reader``'s key to a file the coordinator hands to that reader."""
    return _write_secret(Path(out), derive_reader_key(master, reader))
