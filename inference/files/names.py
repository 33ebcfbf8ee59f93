"""Identifiers that become file or folder names (case ids, reader ids, arm ids)."""

from __future__ import annotations

import re

from inference.errors import DcreviewError

MAX_NAME = 64
_ALLOWED = re.compile(r"[A-Za-z0-9_-]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
# Names Windows reserves for devices, with or without an extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
RULE = (f"1-{MAX_NAME} letters, digits, '_', '-' or '.', neither starting nor ending with '.', "
        "and not a name Windows reserves (CON, NUL, COM1...)")


class UnsafeName(DcreviewError):
    """An identifier cannot be used as a file or folder name."""


def name_problem(text: object) -> str | None:
    """Why ``text`` cannot be one file or folder name (None: it can)."""
    if not isinstance(text, str) or not text:
        return "it is empty"
    if len(text) > MAX_NAME:
        return f"it is longer than {MAX_NAME} characters"
    if not _ALLOWED.fullmatch(text):
        return ("it holds a character other than letters, digits, '_', '-' and '.', or starts "
                "or ends with '.'")
    if text.split(".")[0].upper() in _RESERVED:
        return "Windows reserves it for a device"
    return None


def safe_name(text: str, what: str) -> str:
    """``text`` itself if it is safe as one file or folder name, else UnsafeName."""
    problem = name_problem(text)
    if problem:
        raise UnsafeName(f"{what} {str(text)[:70]!r} cannot name a folder: {problem} "
                         f"(use {RULE})")
    return text
