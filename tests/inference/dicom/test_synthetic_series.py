"""The digital contrast written as a DICOM series: labelled, referenced, readable elsewhere."""

import shutil
import subprocess

import numpy as np
import pydicom
import pytest

from inference.cli import main
from inference.io.dicom.discovery import scan
from inference.io.loader import open_volume


@pytest.fixture(scope="module")
def exported(small_case, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    assert main(["synthesize", str(small_case.noncontrast), "-o", str(out), "--dicom"]) == 0
    return out


def test_series_is_derived_synthetic_and_in_the_source_study(exported, small_case):
    files = sorted((exported / "dicom").glob("*.dcm"))
    assert len(files) == 40
    ds = pydicom.dcmread(files[0])
    src = {pydicom.dcmread(f).SOPInstanceUID: pydicom.dcmread(f)
           for f in small_case.noncontrast.glob("*.dcm")}
    first_src = next(iter(src.values()))
    assert list(ds.ImageType) == ["DERIVED", "SECONDARY", "AXIAL", "SYNTHETIC"]
    assert ds.SeriesDescription.startswith("SYNTHETIC CONTRAST - NOT ACQUIRED")
    assert "dcreview-demo-phantom" in ds.DerivationDescription
    assert "not for clinical use" in ds.DerivationDescription
    # The small case's 4 mm pixels and 7.5 mm slices are outside the demo model's domain:
    # the warning travels with every slice.
    assert ds.ImageComments.startswith("SYNTHETIC")
    assert "OUTSIDE MODEL DOMAIN: pixel spacing 4 mm" in ds.ImageComments
    assert ds.StudyInstanceUID == first_src.StudyInstanceUID
    assert ds.FrameOfReferenceUID == first_src.FrameOfReferenceUID
    assert ds.SeriesInstanceUID != first_src.SeriesInstanceUID
    assert ds.SOPInstanceUID not in src
    for f in files:
        d = pydicom.dcmread(f, stop_before_pixels=True)
        ref = src[d.SourceImageSequence[0].ReferencedSOPInstanceUID]
        np.testing.assert_allclose([float(v) for v in d.ImagePositionPatient],
                                   [float(v) for v in ref.ImagePositionPatient], atol=1e-3)


def test_series_round_trips_to_the_synthetic_volume(exported):
    import SimpleITK as sitk

    loaded = open_volume(exported / "dicom").volume
    nifti = sitk.GetArrayFromImage(sitk.ReadImage(str(exported /
                                                      "synthetic_digital_contrast.nii.gz")))
    np.testing.assert_array_equal(loaded.array, nifti)
    assert scan(exported / "dicom").series[0].description.startswith("SYNTHETIC")


@pytest.mark.skipif(shutil.which("dcmdump") is None, reason="dcmtk is installed by make test")
def test_dcmtk_reads_and_renders_it(exported, tmp_path):
    f = sorted((exported / "dicom").glob("*.dcm"))[20]
    dump = subprocess.run(["dcmdump", str(f)], capture_output=True, text=True, check=True).stdout
    assert "DERIVED\\SECONDARY\\AXIAL\\SYNTHETIC" in dump
    assert "(0008,9215)" in dump or "DerivationDescription" in dump
    png = tmp_path / "slice.png"
    subprocess.run(["dcm2pnm", "--write-png", "--use-window", "1", str(f), str(png)],
                   check=True, capture_output=True)
    assert png.stat().st_size > 1000


def test_deidentified_export_leaves_no_identifier_or_date(small_case, tmp_path):
    out = tmp_path / "deid"
    assert main(["synthesize", str(small_case.noncontrast), "-o", str(out), "--dicom",
                 "--deidentify"]) == 0
    src = pydicom.dcmread(next(small_case.noncontrast.glob("*.dcm")))
    secrets_ = [str(src.PatientName), str(src.PatientID), src.PatientBirthDate, src.StudyDate,
                src.AccessionNumber, src.StudyInstanceUID, src.SeriesInstanceUID,
                src.FrameOfReferenceUID, src.SOPInstanceUID]
    for f in (out / "dicom").glob("*.dcm"):
        blob = f.read_bytes()
        for s in secrets_:
            assert s.encode() not in blob, (f.name, s)
    ds = pydicom.dcmread(next((out / "dicom").glob("*.dcm")))
    assert ds.PatientIdentityRemoved == "YES" and "PS3.15" in ds.DeidentificationMethod
    assert ds.SeriesDescription.startswith("SYNTHETIC")  # the label survives
    # Consistent remapping: every file of the export shares the new study and series UIDs.
    uids = {(pydicom.dcmread(f).StudyInstanceUID, pydicom.dcmread(f).SeriesInstanceUID)
            for f in (out / "dicom").glob("*.dcm")}
    assert len(uids) == 1


def test_the_writer_says_only_what_the_source_says(tmp_path):
    """No invented body part, kVp or patient position: a series states the source's, or
    leaves the Type 2 attributes empty; a synthetic one copies the source's body part and
    position, and has no kVp (it was not acquired)."""
    from dataclasses import replace as with_fields

    from inference.dicom.ct_writer import write_ct_series
    from inference.dicom.synthetic_series import write_synthetic_series
    from tests.support.series_factory import identity, ramp_volume

    volume = ramp_volume()
    plain = write_ct_series(volume, tmp_path / "plain", identity())
    ds = pydicom.dcmread(plain[0])
    assert "BodyPartExamined" not in ds
    assert "KVP" in ds and not ds.KVP and "PatientPosition" in ds and not ds.PatientPosition
    chest = with_fields(identity(), body_part="CHEST", kvp="100", patient_position="HFS")
    write_ct_series(volume, tmp_path / "chest", chest)
    ds = pydicom.dcmread(sorted((tmp_path / "chest").glob("*.dcm"))[0])
    assert (ds.BodyPartExamined, ds.KVP, ds.PatientPosition) == ("CHEST", "100", "HFS")
    source = scan(tmp_path / "chest").series[0]
    synthetic = with_fields(open_volume(tmp_path / "chest").volume, synthetic=True,
                            provenance={"model": "m", "model_version": "1"})
    out = write_synthetic_series(synthetic, source, tmp_path / "syn")
    ds = pydicom.dcmread(out[0])
    assert (ds.BodyPartExamined, ds.PatientPosition) == ("CHEST", "HFS") and not ds.KVP
