"""Small volumes for engine tests."""

from __future__ import annotations

import numpy as np

from inference.io.geometry import Geometry
from inference.io.volume import SeriesMetadata, Volume


def volume(shape=(9, 40, 56), spacing=(1.0, 1.0, 2.5), seed=0) -> Volume:
    """Random CT numbers (-200..400 HU) on a small axis-aligned grid."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-200, 400, size=shape).astype(np.int16)
    return Volume(a, Geometry((0, 0, 0), spacing),
                  metadata=SeriesMetadata(series_uid="1.2.3", series_description="plain"))
