"""Decode compressed images in worker processes: JPEG 2000 and friends hold the GIL in threads."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

import numpy as np

from inference.io.dicom.decoders import decode_stored
from inference.io.dicom.header import FileHeader
from inference.progress import CancelToken

# Below this many images the start-up of worker processes costs more than it saves.
MIN_IMAGES_FOR_POOL = 8

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def worker_count() -> int:
    """Processes to use: one per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _context() -> multiprocessing.context.BaseContext:
    # Never fork: the viewer process has Qt and VTK threads running. Spawned workers are the
    # command's own children (a forkserver's would be the server's), so they can watch it.
    return multiprocessing.get_context("spawn")


def _watch_parent(parent: int, interval: float = 0.25) -> None:
    """Exit this worker as soon as the process that started it is gone (a killed command must
    leave no decoder running): its parent id changes when it dies, on every POSIX system.
    A parent-death signal would not do: it fires when the starting *thread* ends."""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def _worker_start(parent: int) -> None:
    """Initialiser of every decode worker."""
    if os.name == "posix":
        threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch",
                         daemon=True).start()


def shared_pool() -> ProcessPoolExecutor:
    """The process pool, started on first use and kept for later loads."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=worker_count(), mp_context=_context(),
                                        initializer=_worker_start, initargs=(os.getpid(),))
        return _pool


def shutdown_pool() -> None:
    """Stop the worker processes (called at exit)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


atexit.register(shutdown_pool)


def _decode_batch(jobs: Sequence[tuple[int, FileHeader, int]]) -> list[tuple[int, np.ndarray]]:
    return [(k, decode_stored(h, frame)) for k, h, frame in jobs]


def decode_many(jobs: Sequence[tuple[int, FileHeader, int]], cancel: CancelToken | None = None,
                on_done: Callable[[int], None] | None = None,
                use_pool: bool | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (slot, stored array) for each (slot, header, frame) job, decoding in parallel."""
    if use_pool is None:
        use_pool = len(jobs) >= MIN_IMAGES_FOR_POOL and worker_count() > 1
    if not use_pool:
        for job in jobs:
            if cancel is not None:
                cancel.raise_if_cancelled()
            yield from _decode_batch([job])
        return
    pool = shared_pool()
    # Small batches amortise inter-process overhead yet keep progress and cancel responsive.
    size = max(1, min(8, len(jobs) // (4 * worker_count())))
    batches = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    pending: set[Future] = {pool.submit(_decode_batch, b) for b in batches}
    try:
        while pending:
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            if cancel is not None:
                cancel.raise_if_cancelled()
            for fut in done:
                yield from fut.result()
    finally:
        for fut in pending:
            fut.cancel()
