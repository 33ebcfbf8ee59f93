"""Loader behaviour on generated series with gaps, tilt, mixed content, compression."""

import logging
import shutil
import zipfile

import numpy as np
import pydicom
import pytest
from pydicom.uid import JPEG2000Lossless, JPEGLSLossless, RLELossless, generate_uid

from inference.errors import (
    Cancelled,
    IrregularSpacingError,
    MissingSlicesError,
    MultipleSeriesError,
    NoImagesError,
    NotDicomError,
)
from inference.io.dicom import decode_pool
from inference.io.dicom.discovery import scan
from inference.io.geometry import Geometry
from inference.io.loader import open_volume
from inference.progress import CancelToken
from tests.support.series_factory import (
    PATIENT_ID,
    PATIENT_NAME,
    edit,
    ramp_volume,
    write_series,
)


def test_round_trip_exact(tmp_path):
    vol, _ = write_series(tmp_path)
    loaded = open_volume(tmp_path).volume
    np.testing.assert_array_equal(loaded.array, vol.array)
    assert loaded.array.dtype == np.int16
    assert loaded.geometry.same_grid(vol.geometry, tol=1e-4)


def test_missing_slice_message(tmp_path):
    _, files = write_series(tmp_path)
    files[7].unlink()
    with pytest.raises(MissingSlicesError) as err:
        open_volume(tmp_path)
    assert str(err.value) == "slice 8 of 20 is missing (gap 5.0 mm where 2.50 mm expected)"


def test_missing_slices_allowed_are_blank(tmp_path):
    vol, files = write_series(tmp_path)
    files[7].unlink()
    result = open_volume(tmp_path, allow_gaps=True)
    a = result.volume.array
    assert a.shape == vol.shape
    assert (a[7] == -1024).all()
    np.testing.assert_array_equal(np.delete(a, 7, axis=0), np.delete(vol.array, 7, axis=0))
    assert any("left blank" in w for w in result.warnings)


def test_irregular_spacing_refused(tmp_path):
    _, files = write_series(tmp_path)
    ds = pydicom.dcmread(files[5])
    pos = [float(v) for v in ds.ImagePositionPatient]
    edit(files[5], ImagePositionPatient=[pos[0], pos[1], pos[2] + 0.9])
    with pytest.raises(IrregularSpacingError, match="irregular"):
        open_volume(tmp_path)


def test_gantry_tilt_keeps_exact_positions(tmp_path):
    tilt = np.radians(15)
    g = Geometry((-50.0, -60.0, 100.0), (0.8, 0.9, 2.5),
                 np.column_stack([(1, 0, 0), (0, 1, 0), (0, np.sin(tilt), np.cos(tilt))]))
    vol, _ = write_series(tmp_path, ramp_volume(geometry=g))
    result = open_volume(tmp_path)
    assert any("gantry tilt of 15.0 degrees" in w for w in result.warnings)
    loaded = result.volume
    np.testing.assert_array_equal(loaded.array, vol.array)
    ijk = np.array([[3, 4, 5], [31, 23, 19]])
    np.testing.assert_allclose(loaded.index_to_world(ijk), vol.index_to_world(ijk), atol=1e-3)


def test_mixed_sizes_and_orientations_excluded(tmp_path):
    vol, files = write_series(tmp_path)
    odd_size = pydicom.dcmread(files[0])
    odd_size.SOPInstanceUID = generate_uid()
    odd_size.Rows, odd_size.Columns = 8, 8
    odd_size.PixelData = np.zeros((8, 8), "<u2").tobytes()
    odd_size.save_as(tmp_path / "odd_size.dcm")
    odd_orient = pydicom.dcmread(files[1])
    odd_orient.SOPInstanceUID = generate_uid()
    odd_orient.ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    odd_orient.save_as(tmp_path / "odd_orient.dcm")
    result = open_volume(tmp_path)
    np.testing.assert_array_equal(result.volume.array, vol.array)
    (warning,) = [w for w in result.warnings if "excluded" in w]
    assert warning.startswith("2 image(s) with a different image size and orientation")


def test_duplicates_ignored(tmp_path):
    vol, files = write_series(tmp_path)
    shutil.copy(files[4], tmp_path / "copy_of_5.dcm")
    again = pydicom.dcmread(files[6])
    again.SOPInstanceUID = generate_uid()
    again.save_as(tmp_path / "repeat_of_7.dcm")
    result = open_volume(tmp_path)
    np.testing.assert_array_equal(result.volume.array, vol.array)
    assert any("1 duplicate image(s)" in w for w in result.warnings)
    assert any("already-occupied position" in w for w in result.warnings)


def test_localizer_in_series_excluded(tmp_path):
    vol, files = write_series(tmp_path)
    scout = pydicom.dcmread(files[0])
    scout.SOPInstanceUID = generate_uid()
    scout.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    scout.ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    scout.save_as(tmp_path / "scout.dcm")
    result = open_volume(tmp_path)
    np.testing.assert_array_equal(result.volume.array, vol.array)
    assert "1 localizer (scout) image(s) excluded" in result.warnings


def test_several_series_must_be_chosen(tmp_path):
    write_series(tmp_path / "a", series_number=2, description="plain")
    vol_b, _ = write_series(tmp_path / "b", ramp_volume(seed=3), series_number=3,
                            description="arterial")
    with pytest.raises(MultipleSeriesError, match="folder contains 2 series; choose one") as err:
        open_volume(tmp_path)
    uid = next(uid for uid, desc in err.value.choices if "arterial" in desc)
    np.testing.assert_array_equal(open_volume(tmp_path, series=uid).volume.array, vol_b.array)
    np.testing.assert_array_equal(open_volume(tmp_path, series=3).volume.array, vol_b.array)


def test_zip_of_series(tmp_path):
    vol, files = write_series(tmp_path / "series")
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in files:
            zf.write(f, f"CT/{f.name}")
        zf.writestr("../escape.dcm", b"evil")
    np.testing.assert_array_equal(open_volume(archive).volume.array, vol.array)
    assert not (tmp_path.parent / "escape.dcm").exists()


def test_single_non_dicom_file(tmp_path):
    f = tmp_path / "report.pdf"
    f.write_bytes(b"%PDF-1.4 not dicom")
    with pytest.raises(NotDicomError, match=r"file report\.pdf is not DICOM"):
        open_volume(f)


def test_empty_folder(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(NoImagesError, match="no CT images found"):
        open_volume(tmp_path)


@pytest.mark.parametrize("syntax", [JPEG2000Lossless, JPEGLSLossless, RLELossless])
def test_compressed_series_decoded_in_process_pool(tmp_path, syntax):
    vol, files = write_series(tmp_path, ramp_volume(shape=(12, 64, 64)))
    for f in files:
        ds = pydicom.dcmread(f)
        ds.compress(syntax)
        ds.save_as(f)
    study = scan(tmp_path)
    assert study.series[0].compressed
    np.testing.assert_array_equal(open_volume(tmp_path).volume.array, vol.array)
    if decode_pool.worker_count() > 1:
        assert decode_pool._pool is not None, "12 compressed images should use worker processes"


def test_progress_and_cancel(tmp_path):
    write_series(tmp_path)
    events = []
    open_volume(tmp_path, progress=events.append)
    loading = [e for e in events if e.stage == "Loading slices"]
    assert loading[-1].done == loading[-1].total == 20
    assert [e.done for e in loading] == sorted(e.done for e in loading)

    token = CancelToken()

    def cancel_midway(event):
        if event.stage == "Loading slices" and event.done >= 1:
            token.cancel()

    with pytest.raises(Cancelled):
        open_volume(tmp_path, progress=cancel_midway, cancel=token)


def test_no_patient_identifiers_in_logs(tmp_path, caplog):
    write_series(tmp_path)
    with caplog.at_level(logging.DEBUG):
        result = open_volume(tmp_path)
    assert caplog.records, "the loader should log what it did"
    text = caplog.text + repr(result.volume.metadata)
    for identifier in (PATIENT_NAME, "DOE", PATIENT_ID, "19711231"):
        assert identifier not in text
    assert len(result.volume.metadata.patient_pseudonym) == 16


def test_tilted_synthesis_keeps_its_sheared_grid(tmp_path):
    from inference.cli import main
    from inference.errors import ExportError
    from inference.io.image_file import read_image, write_image

    tilt = np.radians(15)
    g = Geometry((-50.0, -60.0, 100.0), (0.8, 0.9, 2.5),
                 np.column_stack([(1, 0, 0), (0, 1, 0), (0, np.sin(tilt), np.cos(tilt))]))
    write_series(tmp_path / "in", ramp_volume(geometry=g))
    source = open_volume(tmp_path / "in").volume
    with pytest.raises(ExportError, match="NIfTI cannot hold the sheared grid"):
        write_image(source, tmp_path / "x.nii.gz")
    assert main(["synthesize", str(tmp_path / "in"), "-o", str(tmp_path / "out")]) == 0
    out = read_image(tmp_path / "out" / "synthetic_digital_contrast.nrrd")
    assert out.geometry.same_grid(source.geometry)  # `view --overlay` and `evaluate` accept it
    assert not (tmp_path / "out" / "synthetic_digital_contrast.nii.gz").exists()


def test_a_change_of_slice_spacing_is_named_as_such(tmp_path):
    g = Geometry((0.0, 0.0, 0.0), (1.0, 1.0, 1.25), np.eye(3))
    _, files = write_series(tmp_path, ramp_volume(shape=(40, 8, 8), geometry=g))
    for n, path in enumerate(files):
        z = 1.25 * n if n < 22 else 1.25 * 21 + 2.5 * (n - 21)
        ds = pydicom.dcmread(path)
        edit(path, ImagePositionPatient=[float(ds.ImagePositionPatient[0]),
                                         float(ds.ImagePositionPatient[1]), z])
    with pytest.raises(IrregularSpacingError,
                       match=r"spacing changes from 1\.25 mm to 2\.50 mm at slice 22 of 40"):
        open_volume(tmp_path)
