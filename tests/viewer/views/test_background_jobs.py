"""Background jobs: cyclic garbage that holds Qt objects is freed on the GUI thread only."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest
from PySide6.QtCore import QObject

from viewer.review.jobs import Worker, start
from viewer.views.garbage_collection import install

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


def test_full_collections_are_spaced_out_and_the_young_generations_go_on(qapp):
    # A full pass walks every object (0.2 s with a CT open): doing one whenever the counts
    # say so would stall scrolling every few seconds.
    collector = install(qapp)
    thresholds = gc.get_threshold()
    assert not gc.isenabled() and thresholds == collector.thresholds

    def oldest_generation_due() -> int:
        while gc.get_count()[2] <= thresholds[2]:
            gc.collect(1)  # each raises the oldest generation's count by one
        return gc.get_count()[2]

    collector.next_full = 0.0
    oldest_generation_due()
    collector.check()
    assert gc.get_count()[2] == 0  # the full collection ran
    assert collector.next_full >= time.monotonic() + 1.0
    due = oldest_generation_due()
    young = [[i] for i in range(thresholds[0] * 2)]
    collector.check()  # too soon for another full pass: a younger generation instead
    assert gc.get_count()[2] in (due, due + 1) and gc.get_count()[0] < thresholds[0]
    assert len(young) == thresholds[0] * 2
