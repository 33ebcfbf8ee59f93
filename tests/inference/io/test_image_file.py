import gzip
import struct

import numpy as np
import pytest

from inference.errors import UnsupportedFormatError
from inference.io.geometry import Geometry
from inference.io.image_file import read_image, write_image
from inference.io.loader import open_volume
from inference.io.volume import Volume


def oblique_volume() -> Volume:
    a = np.random.default_rng(1).integers(-1000, 1500, size=(6, 7, 8)).astype(np.int16)
    angle = np.radians(10)
    d = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    return Volume(a, Geometry((10.0, 20.0, 30.0), (0.7, 0.8, 2.0), d))


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd", ".mha"])
def test_round_trip_keeps_values_and_geometry(tmp_path, suffix):
    vol = oblique_volume()
    path = write_image(vol, tmp_path / f"vol{suffix}")
    back = open_volume(path).volume
    assert back.array.dtype == np.int16
    np.testing.assert_array_equal(back.array, vol.array)
    np.testing.assert_allclose(back.geometry.origin, vol.geometry.origin, atol=1e-4)
    np.testing.assert_allclose(back.geometry.spacing, vol.geometry.spacing, atol=1e-5)
    np.testing.assert_allclose(back.geometry.direction_matrix, vol.geometry.direction_matrix,
                               atol=1e-5)


def test_nifti_on_disk_is_ras(tmp_path):
    """NIfTI stores RAS: an LPS origin (10, 20, 30) must be written as (-10, -20, 30)."""
    vol = Volume(np.zeros((2, 3, 4), np.int16), Geometry((10.0, 20.0, 30.0), (1.0, 1.0, 1.0)))
    path = write_image(vol, tmp_path / "v.nii.gz")
    header = gzip.decompress(path.read_bytes())[:348]
    qoffset = struct.unpack("<3f", header[268:280])
    np.testing.assert_allclose(qoffset, (-10, -20, 30))
    srow_x = struct.unpack("<4f", header[280:296])
    assert srow_x[0] == pytest.approx(-1.0)  # i runs toward patient left = -R


def test_float_data_that_is_not_integral_stays_float(tmp_path):
    vol = Volume(np.full((2, 2, 2), 0.5, np.float32), Geometry((0, 0, 0), (1, 1, 1)))
    back = read_image(write_image(vol, tmp_path / "f.nrrd"))
    assert back.array.dtype == np.float32 and back.array[0, 0, 0] == 0.5


def test_unreadable_image_file(tmp_path):
    bad = tmp_path / "broken.nii.gz"
    bad.write_bytes(b"nonsense")
    with pytest.raises(UnsupportedFormatError, match=r"broken\.nii\.gz could not be read"):
        read_image(bad)
