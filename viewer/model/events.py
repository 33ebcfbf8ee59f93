"""A minimal evented-model toolkit (no Qt): callbacks that views subscribe to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """A list of callbacks; ``emit`` calls each with the given arguments."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Subscribe ``callback``; returns it so this can be used as a decorator."""
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Unsubscribe ``callback`` (no error if it was not subscribed)."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        """Call every subscriber."""
        for callback in list(self._callbacks):
            callback(*args)
