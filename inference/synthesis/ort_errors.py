"""ONNX Runtime's errors in words a user can act on."""

from __future__ import annotations

import re

from inference.errors import first_line

_ALLOCATION = re.compile(r"Failed to allocate memory for requested buffer of size (\d+)")
_ORT_PREFIX = re.compile(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ")


def ort_message(exc: BaseException) -> str:
    """What an ONNX Runtime error means, in words: an allocation that failed says how much
    the model asked for; other messages lose the runtime's code prefix and source paths."""
    text = str(exc)
    found = _ALLOCATION.search(text)
    if found:
        gib = int(found.group(1)) / (1 << 30)
        return (f"the model asked for {gib:,.1f} GiB of memory at once, more than this machine "
                "can give it (ONNX Runtime could not allocate it): the model or its card is "
                "not fit to run here")
    line = _ORT_PREFIX.sub("", first_line(exc, 300))
    return re.sub(r"/\S+\.(cc|cpp|h):\d+ ", "", line)
