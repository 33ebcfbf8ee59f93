"""No process outlives a killed command: the decode pool of a compressed series, and the
local Dask cluster of a batch, go when the command that started them is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pydicom
import pytest
from pydicom.uid import RLELossless

from inference.phantom.demo_case import write_demo_case

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compressed_series(tmp_path_factory) -> Path:
    """A phantom series stored RLE-compressed: loading it starts the decode pool."""
    root = tmp_path_factory.mktemp("compressed")
    case = write_demo_case(root / "case", matrix=128, slices=60)
    out = root / "rle"
    out.mkdir()
    for f in sorted(case.noncontrast.glob("*.dcm")):
        ds = pydicom.dcmread(f)
        ds.compress(RLELossless)
        ds.save_as(out / f.name)
    return out


def _kill_when_children_run(command: list[str], want: int, tmp_path: Path) -> list[int]:
    """Start ``command``, SIGKILL it once it has ``want`` descendants; their pids."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    children: list[psutil.Process] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            children = parent.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        if len(children) >= want:
            break
        time.sleep(0.05)
    assert len(children) >= want, "the command never started its worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return [c.pid for c in children]


def _still_running(pids: list[int], wait_s: float = 60.0) -> list[str]:
    deadline = time.monotonic() + wait_s
    while True:
        alive = []
        for pid in pids:
            try:
                p = psutil.Process(pid)
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(" ".join(p.cmdline())[:120])
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def test_a_killed_synthesis_leaves_no_decoder_running(compressed_series, tmp_path):
    pids = _kill_when_children_run(
        [sys.executable, "-m", "inference", "synthesize", str(compressed_series), "-o",
         str(tmp_path / "out")], want=2, tmp_path=tmp_path)
    assert _still_running(pids) == []


def test_a_killed_batch_leaves_no_dask_process_running(tmp_path):
    cohort = tmp_path / "cohort"
    for seed in range(1, 7):
        write_demo_case(cohort / f"p{seed}", seed=seed, matrix=64, slices=20, pixel_mm=4.0,
                        slice_mm=7.5)
    pids = _kill_when_children_run(
        [sys.executable, "-m", "inference", "batch", str(cohort), "-o", str(tmp_path / "out"),
         "--workers", "2"], want=2, tmp_path=tmp_path)
    assert _still_running(pids) == []
