"""Background jobs: cyclic garbage that holds Qt objects is freed on the GUI thread only."""

from __future__ import annotations

import threading
import weakref

import pytest
from PySide6.QtCore import QObject

from viewer.review.jobs import Worker, start

pytestmark = pytest.mark.gui


class _Holder:
    """A reference cycle with a Qt object in it, as a window's lambdas and signals make."""

    def __init__(self) -> None:
        self.me = self
        self.qobject = QObject()


def _churn(progress, cancel) -> list[list[int]]:
    # Container allocations are what trip Python's automatic collector in this thread.
    return [[i] for i in range(200_000)]


def test_cyclic_garbage_is_collected_on_the_gui_thread_not_in_a_worker(qapp, qtbot):
    # CI crashed (SIGSEGV) when the collector ran inside a PACS query's worker thread and
    # destroyed a Qt object there; the collection must happen on the thread that owns Qt.
    freed_in: list[int] = []
    for _ in range(20):
        weakref.finalize(_Holder(), lambda: freed_in.append(threading.get_ident()))
    worker = Worker(_churn)
    results: list[object] = []
    worker.signals.finished.connect(results.append)
    start(worker)
    qtbot.waitUntil(lambda: bool(results) and len(freed_in) == 20, timeout=30_000)
    assert set(freed_in) == {threading.main_thread().ident}
