"""Loader against real scanner files shipped by pydicom and pydicom-data."""

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest

from inference.errors import MissingSlicesError, NoImagesError, WrongModalityError
from inference.io.dicom.discovery import scan
from inference.io.dicom.header import read_header
from inference.io.loader import open_volume


def hu_from_pydicom(path) -> np.ndarray:
    ds = pydicom.dcmread(path)
    return ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)


def test_ct_small_single_slice(pydicom_file):
    path = pydicom_file("CT_small.dcm")
    result = open_volume(path)
    v = result.volume
    assert v.shape == (1, 128, 128)
    assert v.array.dtype == np.int16
    np.testing.assert_array_equal(v.array[0], hu_from_pydicom(path))
    ds = pydicom.dcmread(path)
    np.testing.assert_allclose(v.geometry.origin, [float(x) for x in ds.ImagePositionPatient])
    assert v.metadata.series_uid == ds.SeriesInstanceUID
    assert "CompressedSamples" not in v.metadata.series_description


def test_header_locates_pixels_without_decoding(pydicom_file):
    path = pydicom_file("CT_small.dcm")
    h = read_header(path)
    assert h is not None and h.native_pixels
    raw = np.fromfile(path, dtype="<i2", count=128 * 128, offset=h.pixel_offset).reshape(128, 128)
    np.testing.assert_array_equal(raw, pydicom.dcmread(path).pixel_array)
    assert read_header(__file__) is None


def test_series_sorted_by_position_not_instance_number(pydicom_file):
    folder = pydicom_file("CT_small.dcm").parent / "dicomdirtests" / "98892001" / "CT5N"
    v = open_volume(folder).volume
    files = sorted(folder.iterdir())
    datasets = sorted((pydicom.dcmread(f) for f in files),
                      key=lambda ds: float(ds.ImagePositionPatient[2]))
    # Instance numbers run opposite to position in this GE series.
    assert int(datasets[0].InstanceNumber) > int(datasets[-1].InstanceNumber)
    expected = np.stack([hu_from_pydicom(ds.filename) for ds in datasets])
    np.testing.assert_array_equal(v.array, expected)
    assert v.geometry.spacing[2] == pytest.approx(2.5)
    assert v.geometry.origin[2] == pytest.approx(float(datasets[0].ImagePositionPatient[2]))


def test_gap_in_real_series_is_reported(pydicom_file):
    folder = pydicom_file("CT_small.dcm").parent / "dicomdirtests" / "77654033" / "CT2"
    with pytest.raises(MissingSlicesError, match=r"slice 2 of 165 is missing .*gap 202\.5 mm "
                                                 r"where 1\.25 mm expected"):
        open_volume(folder)


def test_localizer_only_series_is_not_a_volume(pydicom_file):
    folder = pydicom_file("CT_small.dcm").parent / "dicomdirtests" / "98892001" / "CT2N"
    study = scan(folder)
    assert study.series[0].localizers == 2 and not study.series[0].headers
    with pytest.raises(NoImagesError):
        open_volume(folder, series=0)


def test_mr_series_refused(pydicom_file):
    with pytest.raises(WrongModalityError, match="series is MR, not CT"):
        open_volume(pydicom_file("MR_small.dcm"))


def test_dicomdir_lists_all_series(pydicom_file):
    dicomdir = pydicom_file("CT_small.dcm").parent / "dicomdirtests" / "DICOMDIR"
    study = scan(dicomdir)
    modalities = sorted(s.modality for s in study.series)
    assert modalities.count("CT") == 3 and "MR" in modalities and "CR" in modalities
    ct5 = next(s for s in study.series if s.image_count == 5)
    assert open_volume(dicomdir, series=ct5.series_uid).volume.shape == (5, 16, 16)


@pytest.mark.parametrize("compressed, reference", [
    ("693_J2KR.dcm", "693_UNCR.dcm"),  # JPEG 2000 lossless decodes identical
])
def test_jpeg2000_lossless_matches_uncompressed(pydicom_file, compressed, reference):
    a = open_volume(pydicom_file(compressed)).volume.array
    b = open_volume(pydicom_file(reference)).volume.array
    assert a.shape == (1, 512, 512)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["693_J2KI.dcm", "J2K_pixelrep_mismatch.dcm", "bad_sequence.dcm",
                                  "explicit_VR-UN.dcm"])
def test_compressed_ct_files_decode_like_pydicom(pydicom_file, name):
    path = pydicom_file(name)
    v = open_volume(path, require_ct=False).volume
    np.testing.assert_allclose(v.array[0], hu_from_pydicom(path))


def test_enhanced_multiframe_ct(pydicom_file):
    path = pydicom_file("eCT_Supplemental.dcm")
    v = open_volume(path).volume
    ds = pydicom.dcmread(path)
    assert v.shape == (2, 512, 512)
    frames = ds.pixel_array.astype(np.int32) - 1024
    # Rows run toward patient right, so the slice normal points to the feet (0, 0, -1):
    # sorted along the normal, the frame at z=-149 comes before the one at z=-159.
    np.testing.assert_allclose(v.geometry.direction_matrix[:, 0], (-1, 0, 0))
    np.testing.assert_allclose(v.geometry.direction_matrix[:, 2], (0, 0, -1))
    np.testing.assert_array_equal(v.array, frames[::-1])
    assert v.geometry.spacing[2] == pytest.approx(10.0)
    assert v.geometry.origin[2] == pytest.approx(-149.0)
    np.testing.assert_allclose(v.index_to_world((0, 0, 1))[2], -159.0)


def test_bad_files_are_skipped_not_fatal(pydicom_file, tmp_path):
    folder = pydicom_file("CT_small.dcm").parent / "dicomdirtests" / "98892001" / "CT5N"
    work = tmp_path / "series"
    shutil.copytree(folder, work)
    (work / "notes.txt").write_text("not an image")
    data = (work / sorted(p.name for p in folder.iterdir())[0]).read_bytes()
    (work / "cut.dcm").write_bytes(data[: len(data) - 100])
    study = scan(work)
    reasons = {Path(s.path).name: s.reason for s in study.skipped}
    assert reasons["notes.txt"] == "not a DICOM file"
    assert "truncated" in reasons["cut.dcm"]
    result = open_volume(work)
    assert result.volume.shape == (5, 16, 16)
    assert any("2 file(s) skipped" in w for w in result.warnings)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "693_J2KI.dcm",
                                  "eCT_Supplemental.dcm", "bad_sequence.dcm"])
def test_fast_header_fields_match_pydicom(pydicom_file, name):
    """The raw-byte decoding of header fields agrees with pydicom's own conversion."""
    path = pydicom_file(name)
    h = read_header(path)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert h.sop_instance_uid == ds.SOPInstanceUID
    assert h.series_uid == ds.SeriesInstanceUID
    assert h.modality == ds.Modality
    assert (h.rows, h.columns) == (ds.Rows, ds.Columns)
    assert h.image_type == tuple(v.strip().upper() for v in ds.ImageType)  # CS pads are not data
    assert h.series_description == ds.get("SeriesDescription", "")
    if "ImagePositionPatient" in ds:
        np.testing.assert_allclose(h.position, [float(v) for v in ds.ImagePositionPatient])
        np.testing.assert_allclose(h.pixel_spacing, [float(v) for v in ds.PixelSpacing])
    assert h.rescale_intercept == float(ds.get("RescaleIntercept", 0))
    assert h.bits_stored == ds.BitsStored and h.pixel_representation == ds.PixelRepresentation


def test_compressed_multiframe_beyond_int16_is_promoted_not_refused(pydicom_file, tmp_path):
    from pydicom.uid import RLELossless

    ds = pydicom.dcmread(pydicom_file("eCT_Supplemental.dcm"))
    raw = ds.pixel_array.astype(np.float64)
    ds.compress(RLELossless)
    pvt = ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0]
    pvt.RescaleSlope = 40  # 40 x 1196 - 1024 is beyond int16
    path = tmp_path / "big.dcm"
    ds.save_as(path)
    result = open_volume(path)
    v = result.volume
    assert v.array.dtype == np.float32
    np.testing.assert_allclose(v.array, (raw * 40 + float(pvt.RescaleIntercept))[::-1])
    assert any("32-bit float" in w for w in result.warnings)


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_dicom_is_called_truncated_not_not_dicom(pydicom_file, tmp_path, keep):
    """A cut-short MR file was reported as 'not DICOM'; it is DICOM, and damaged."""
    from inference.errors import LoadError, NotDicomError
    from inference.io.loader import open_volume

    data = pydicom_file("MR_small.dcm").read_bytes()
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(LoadError, match="truncated") as info:
        open_volume(path)
    assert not isinstance(info.value, NotDicomError)
