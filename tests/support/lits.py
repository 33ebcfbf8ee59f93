"""A real portal-venous abdominal CT: the LiTS crop shipped in the PyPI wheel
liver-ct-segmentation-package (128 x 128 x 128 float32 HU in an MRC file)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from inference.io.geometry import Geometry
from inference.io.volume import Volume

WHEEL = "liver-ct-segmentation-package==1.6.0"
MEMBER = "liver_ct_segmentation_package/data/img_117.mrc"
# The wheel keeps HOME's cache (tests redirect XDG folders per session): one download ever.
CACHE = Path(os.environ.get("DCREVIEW_TEST_DATA", Path.home() / ".cache" / "dcreview-test-data"))
SPACING_MM = 1.6  # the crop does not say; a liver crop of this size spans about 20 cm


def _wheel() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob("liver_ct_segmentation_package-1.6.0-*.whl"))
    if found:
        return found[0]
    # The wheel pins torch 1.7, which cannot be installed here: fetch the file only.
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                           "--dest", str(CACHE), WHEEL], capture_output=True, text=True,
                          timeout=600)
    found = sorted(CACHE.glob("liver_ct_segmentation_package-1.6.0-*.whl"))
    if done.returncode or not found:
        pytest.skip(f"cannot download {WHEEL} from PyPI: {done.stderr.strip()[-200:]}")
    return found[0]


def lits_crop() -> Volume:
    """The LiTS crop as an axial Volume in HU (int16)."""
    with zipfile.ZipFile(_wheel()) as z:
        data = z.read(MEMBER)
    nx, ny, nz, mode = struct.unpack("<4i", data[:16])
    assert mode == 2, "MRC mode 2 (float32) expected"
    extended = struct.unpack("<i", data[92:96])[0]
    a = np.frombuffer(data, np.float32, count=nx * ny * nz, offset=1024 + extended)
    a = a.reshape(nz, ny, nx)
    # The crop's axial planes run along its last axis.
    arr = np.ascontiguousarray(np.transpose(a, (2, 0, 1))).round().astype(np.int16)
    return Volume(arr, Geometry((0.0, 0.0, 0.0), (SPACING_MM,) * 3))
