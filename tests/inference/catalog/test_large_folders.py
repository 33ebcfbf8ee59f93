"""A 100,000-file folder is catalogued with one summary line and every file accounted for,
and a scan killed half-way is finished by the next one, giving the same catalogue."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inference.catalog.ingest import add_folder
from inference.catalog.store import connect
from inference.phantom.demo_case import write_demo_case

ROOT = Path(__file__).parents[3]
NOISE = 100_000


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory) -> Path:
    """100,000 small non-DICOM files in one folder, and two phantom studies beside them."""
    root = tmp_path_factory.mktemp("big")
    flat = root / "flat"
    flat.mkdir()
    for i in range(NOISE):
        (flat / f"note{i:06d}.txt").write_bytes(b"not an image %d" % i)
    for seed in (1, 2):
        case = write_demo_case(root / f"gen{seed}", seed=seed, matrix=48, slices=12,
                               pixel_mm=8.0, slice_mm=15.0)
        for k, series in enumerate((case.noncontrast, case.contrast)):
            shutil.copytree(series, root / f"s{seed}{k}")
        shutil.rmtree(root / f"gen{seed}")
    return root


def _series(cat: Path) -> list[tuple]:
    con = connect(cat, write=False)
    try:
        return con.execute("SELECT series_uid, study_uid, images, kind, phase, regular_volume "
                           "FROM series ORDER BY series_uid").fetchall()
    finally:
        con.close()


def test_a_hundred_thousand_files_are_each_accounted_for(big_folder, tmp_path):
    cat = tmp_path / "catalog"
    result = add_folder(cat, big_folder)
    assert result.series == 4 and result.files_read == NOISE + 48
    assert len(result.skipped) == NOISE
    assert {why for _f, why in result.skipped} == {"not a DICOM file"}
    lines = result.summary().splitlines()
    assert lines[0].startswith(f"4 series catalogued; {NOISE + 48} file(s) read")
    assert lines[-1] == f"... and {NOISE - 50} more left out"
    again = add_folder(cat, big_folder)
    assert again.files_read == 0 and again.files_unchanged == NOISE + 48
    assert again.left_out_before == NOISE and "left out by an earlier scan" in again.summary()
    assert sorted(p.name for p in cat.iterdir()) == ["catalog.duckdb", "series.parquet"]


def test_a_scan_killed_half_way_is_finished_by_the_next(big_folder, tmp_path):
    reference = tmp_path / "reference"
    add_folder(reference, big_folder)
    cat = tmp_path / "catalog"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from inference.cli import main; "
            "sys.exit(main(['catalog', 'add', sys.argv[2], sys.argv[3], '--serial']))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(cat), str(big_folder)],
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    # Killed once the first slice of files is recorded, long before the scan ends.
    line = ""
    deadline = time.monotonic() + 300
    while not line.startswith("Reading headers: ") and time.monotonic() < deadline:
        line = proc.stderr.readline()
        assert line or proc.poll() is None, "the scan ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = int(line.split(": ")[1].split("/")[0])
    assert 0 < done < NOISE
    resumed = add_folder(cat, big_folder)
    assert resumed.files_unchanged >= done  # what the killed scan read is not read again
    assert resumed.files_read + resumed.files_unchanged == NOISE + 48
    assert _series(cat) == _series(reference)
    assert len(_series(cat)) == 4
