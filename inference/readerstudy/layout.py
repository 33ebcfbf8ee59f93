"""Where everything lives in a study folder (the coordinator's commands, the reading screens and
verify all find files here, so none of them needs another's code to know the layout).

    study.json            protocol, its hash, the reading lists (written by the coordinator)
    coordinator.jsonl     the coordinator's sealed log: creation, lists, results sealed
    readers/<hash>/       one folder per reader, written only by that reader's process
    prepared/<case>/      every case's layers on one grid
"""

from __future__ import annotations

import json
from pathlib import Path

from inference.errors import ReaderStudyError
from inference.files.names import safe_name
from inference.readerstudy.keys import reader_token

STUDY_NAME = "study.json"
COORDINATOR_LOG = "coordinator.jsonl"
LOG_NAME = "audit.jsonl"
LOCK_NAME = "writer.lock"
INTERACTION_NAME = "interaction.json"
PREPARED = "prepared"


def reader_folder(study_dir: Path, reader: str) -> Path:
    """The reader's own folder (named by a hash: no names in file names)."""
    return study_dir / "readers" / reader_token(reader)


def reader_log_path(study_dir: Path, reader: str) -> Path:
    """The reader's audit log."""
    return reader_folder(study_dir, reader) / LOG_NAME


def prepared_root(study_dir: Path) -> Path:
    """The folder of every prepared case."""
    return study_dir / PREPARED


def prepared_dir(study_dir: Path, case_id: str) -> Path:
    """Folder of a case's images prepared on one grid (the id must be a safe folder name)."""
    return prepared_root(study_dir) / safe_name(case_id, "case id")


def prepared_files(study_dir: Path, case_id: str) -> dict[str, list]:
    """A prepared case's files as sealed: name -> [size, sha256 of prepared.json or ""]."""
    import hashlib

    folder = prepared_dir(study_dir, case_id)
    out = {}
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.is_file() and not path.name.startswith("."):
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.name == \
                "prepared.json" else ""
            out[path.name] = [path.stat().st_size, digest]
    return out


def read_study_file(directory: Path) -> dict:
    """study.json, or one readable reason why it cannot be used."""
    path = directory / STUDY_NAME
    if not path.exists():
        raise ReaderStudyError(f"{directory} is not a dcreview study (no {STUDY_NAME}); run "
                               "`dcreview study init` first")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except IsADirectoryError as exc:
        raise ReaderStudyError(f"{STUDY_NAME} is a folder, not the study file") from exc
    except OSError as exc:
        raise ReaderStudyError(f"{STUDY_NAME} cannot be read: {exc.strerror}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReaderStudyError(f"{STUDY_NAME} is damaged (empty, cut short or not JSON)") from exc
    missing = [k for k in ("format", "study_id", "protocol", "protocol_hash", "root",
                           "key_fingerprint") if not isinstance(data, dict) or k not in data]
    if missing:
        raise ReaderStudyError(f"{STUDY_NAME} is damaged: it lacks {', '.join(missing)}")
    return data
