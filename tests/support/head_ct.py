"""A real head CT: InVesalius' Cranium example (Debian invesalius-examples), as a Volume."""

from __future__ import annotations

import plistlib
import tarfile
from pathlib import Path

import numpy as np
import pytest

from inference.io.geometry import Geometry
from inference.io.volume import SeriesMetadata, Volume

CRANIUM = Path("/usr/share/doc/invesalius-examples/examples/Cranium.inv3")


def head_ct() -> Volume:
    """The 256x256x108 head CT (0.957 mm pixels, 1.5 mm slices), or skip where not installed."""
    if not CRANIUM.exists():
        pytest.skip("Debian package invesalius-examples is not installed (make system-deps)")
    with tarfile.open(CRANIUM) as tar:
        members = {Path(m.name).name: m for m in tar.getmembers()}
        info = plistlib.loads(tar.extractfile(members["main.plist"]).read())
        raw = tar.extractfile(members[info["matrix"]["filename"]]).read()
    shape = tuple(info["matrix"]["shape"])
    array = np.frombuffer(raw, dtype=info["matrix"]["dtype"]).reshape(shape)
    # InVesalius keeps rows bottom-up; LPS rows run anterior to posterior (the face on top).
    array = np.ascontiguousarray(array[:, ::-1, :])
    sx, sy, sz = (float(v) for v in info["spacing"])
    return Volume(array.astype(np.int16), Geometry((0.0, 0.0, 0.0), (sx, sy, sz)),
                  metadata=SeriesMetadata(series_uid="2.25.1", series_description="head"))
