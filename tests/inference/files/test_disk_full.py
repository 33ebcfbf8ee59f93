"""A full disk (a real small tmpfs) stops synthesize, demo-data, study init, study export and
batch with one line naming the folder and the room, leaves nothing partial that looks
complete, and the same command completes once space is freed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.studies import TODAY, answer_all, write_protocol

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def disk(tmp_path):
    """An 8 MB file system of its own (tmpfs), mounted for the test."""
    where = tmp_path / "disk"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=8m", f"dcreview-{uuid.uuid4().hex[:6]}",
             str(where)], capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (make test runs as root in CI)")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, leave_bytes: int) -> Path:
    """Fill the file system but ``leave_bytes``."""
    free = shutil.disk_usage(disk).free
    filler = disk / "filler.bin"
    with open(filler, "wb") as f:
        f.truncate(0)
        remaining = max(0, free - leave_bytes)
        while remaining > 0:
            chunk = min(remaining, 1 << 20)
            f.write(b"\0" * chunk)
            remaining -= chunk
    return filler


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inference", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})


def one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if not any(
        part.startswith(".") for part in p.relative_to(folder).parts))


def test_synthesize_and_demo_data_on_a_full_disk(small_case, disk):
    filler = fill(disk, 200_000)
    line = one_line(run("synthesize", str(small_case.noncontrast), "-o", str(disk / "out"),
                        "--dicom"))
    assert str(disk / "out") in line and "free" in line
    line = one_line(run("demo-data", str(disk / "demo"), "--matrix", "96", "--slices", "40"))
    assert "demo case needs about" in line
    assert visible(disk) == ["demo", "filler.bin", "out"]  # empty folders, no partial file
    filler.unlink()
    assert run("synthesize", str(small_case.noncontrast), "-o", str(disk / "out"),
               "--dicom").returncode == 0
    assert (disk / "out" / "report.json").exists()
    assert len(list((disk / "out" / "dicom").glob("*.dcm"))) == 40


def test_a_write_stopped_midway_leaves_no_partial_file(small_case, disk, tmp_path,
                                                        prepared_cases):
    """The exports pass any estimate: the disk fills while writing them."""
    from inference.readerstudy.protocol import load_protocol
    from inference.readerstudy.store import StudyStore

    protocol = load_protocol(write_protocol(tmp_path, small_case))
    store = StudyStore.create(tmp_path / "study", protocol)
    shutil.copytree(prepared_cases, tmp_path / "study" / "prepared")
    store.assign()
    answer_all(store, "alice", 1, TODAY)
    store.close()
    filler = fill(disk, 2_000)
    line = one_line(run("study", "export", str(tmp_path / "study"), "--out", str(disk / "x")))
    assert "the disk is full" in line
    assert [n for n in visible(disk) if n != "filler.bin"] in ([], ["x"])
    filler.unlink()
    assert run("study", "export", str(tmp_path / "study"), "--out",
               str(disk / "x")).returncode == 0
    assert (disk / "x" / "results.imrmc").read_text().startswith("dcreview reader study")


def test_study_init_and_batch_on_a_full_disk(small_case, disk, tmp_path):
    protocol = write_protocol(tmp_path, small_case, n_cases=1)
    filler = fill(disk, 300_000)
    line = one_line(run("study", "init", str(protocol), "--dir", str(disk / "study")))
    assert "prepared images needs about" in line
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"case,noncontrast\nc1,{small_case.noncontrast}\n")
    proc = run("batch", str(manifest), "-o", str(disk / "batch"), "--in-process")
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr
    assert "the disk is full" in proc.stderr or "needs about" in proc.stderr
    assert not list((disk / "batch" / "cases").glob("c1"))
    filler.unlink()
    assert run("study", "init", str(protocol), "--dir", str(disk / "study")).returncode == 0
    assert (disk / "study" / "prepared" / "case-1" / "prepared.json").exists()
    assert run("batch", str(manifest), "-o", str(disk / "batch"),
               "--in-process").returncode == 0
    assert (disk / "batch" / "cases" / "c1" / "report.json").exists()
