"""Write small CT series with controlled defects for loader tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import generate_uid

from inference.dicom.ct_writer import SeriesIdentity, write_ct_series
from inference.io.geometry import Geometry
from inference.io.volume import Volume

PATIENT_NAME = "DOE^JANE"
PATIENT_ID = "MRN-778899"


def ramp_volume(shape=(20, 24, 32), geometry: Geometry | None = None, seed: int = 0) -> Volume:
    """A volume whose every voxel is distinct enough to catch ordering mistakes."""
    rng = np.random.default_rng(seed)
    nk, _nj, _ni = shape
    a = rng.integers(-1000, 2000, size=shape).astype(np.int16)
    a[:, 0, 0] = np.arange(nk) * 10  # slice fingerprint
    g = geometry or Geometry((-50.0, -60.0, 100.0), (0.8, 0.9, 2.5))
    return Volume(a, g)


def identity(series_number: int = 1, description: str = "test series") -> SeriesIdentity:
    """Patient/study/series attributes with identifiable (fake) patient data."""
    return SeriesIdentity(
        patient_name=PATIENT_NAME, patient_id=PATIENT_ID, study_uid=generate_uid(),
        series_uid=generate_uid(), frame_of_reference_uid=generate_uid(),
        series_number=series_number, series_description=description,
        patient_birth_date="19711231")


def write_series(folder: Path, volume: Volume | None = None, **ident) -> tuple[Volume, list[Path]]:
    """Write ``volume`` (default: a ramp volume) as a CT series into ``folder``."""
    volume = volume or ramp_volume()
    return volume, write_ct_series(volume, folder, identity(**ident))


def edit(path: Path, **changes) -> None:
    """Change attributes of a written file in place."""
    ds = pydicom.dcmread(path)
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    ds.save_as(path)
