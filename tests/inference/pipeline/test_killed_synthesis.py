"""A `synthesize --dicom` killed at any moment leaves no output that looks whole: the synthetic
volume, its sidecar, the DICOM series and the report land together, the report last."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pydicom

from inference.io.loader import open_volume

REPO = Path(__file__).resolve().parents[3]
OUTPUTS = {"dicom", "report.json", "synthetic_digital_contrast.json",
           "synthetic_digital_contrast.nii.gz"}


def _visible(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if not p.name.startswith(".")} if out.exists() else set()


def test_a_killed_synthesis_leaves_nothing_that_looks_complete(small_case, tmp_path):
    rng = random.Random(20261204)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    complete = 0
    for n in range(6):
        out = tmp_path / f"out{n}"
        proc = subprocess.Popen([sys.executable, "-m", "inference", "synthesize",
                                 str(small_case.noncontrast), "-o", str(out), "--dicom"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        # Aim at the writing: wait for its first file or folder, then kill a moment later.
        while time.monotonic() < deadline and proc.poll() is None and not (
                out.exists() and any(out.iterdir())):
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        seen = _visible(out)
        if seen:  # whatever is there must be the whole result
            complete += 1
            assert seen == OUTPUTS, seen
            series = sorted((out / "dicom").glob("*.dcm"))
            assert len(series) == 40, f"{len(series)} of 40 slices"
            assert all(pydicom.dcmread(f).SyntheticData == "YES" for f in series)
            assert open_volume(out / "synthetic_digital_contrast.nii.gz").volume.shape[0] == 40
    # A run after the kills completes, and sweeps what the killed ones left.
    out = tmp_path / "out0"
    assert subprocess.run([sys.executable, "-m", "inference", "synthesize",
                           str(small_case.noncontrast), "-o", str(out), "--dicom"], env=env,
                          capture_output=True).returncode == 0
    assert _visible(out) == OUTPUTS
    assert not [p for p in out.iterdir() if p.name.endswith(".partial")]
    print(f"{complete} of 6 killed runs had already moved their outputs into place")
