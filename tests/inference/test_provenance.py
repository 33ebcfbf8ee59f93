"""A synthetic volume keeps its label and its warnings wherever it travels: written as DICOM
(plain and de-identified), NIfTI (with and without its sidecar), NRRD and MetaImage, and read
back; another product's image marked Synthetic Data = YES is synthetic here too."""

from __future__ import annotations

import shutil

import pydicom
import pytest

from inference import provenance as labels
from inference.cli import main
from inference.io.image_file import sidecar_path, write_image
from inference.io.loader import open_volume


@pytest.fixture(scope="module")
def outputs(small_case, tmp_path_factory):
    """`dcreview synthesize --dicom` of the small case (outside the demo model's domain: 4 mm
    pixels, 7.5 mm slices), plain and de-identified."""
    out = tmp_path_factory.mktemp("provenance")
    for name, extra in (("plain", []), ("deid", ["--deidentify"])):
        assert main(["synthesize", str(small_case.noncontrast), "-o", str(out / name),
                     "--dicom", *extra]) == 0
    return out


def _travelled(volume) -> None:
    """What every reopened copy must still say."""
    assert volume.synthetic
    p = volume.provenance
    assert p["model"] == "dcreview-demo-phantom" and p["synthetic_phantoms_only"] is True
    assert p["domain"]["reasons"] == ["pixel spacing", "slice spacing"]
    assert any("pixel spacing 4 mm" in w for w in p["domain"]["warnings"])
    banner = labels.banner(p)
    assert banner.startswith(labels.SYNTHETIC_TEXT) and "not for clinical use" in banner
    assert "OUTSIDE MODEL DOMAIN: pixel spacing, slice spacing" in banner


@pytest.mark.parametrize("name", ["plain", "deid"])
def test_every_synthetic_dicom_file_says_so_and_reads_back(outputs, name):
    files = sorted((outputs / name / "dicom").glob("*.dcm"))
    assert len(files) == 40
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        assert ds.SyntheticData == "YES"
        assert list(ds.ImageType)[:2] == ["DERIVED", "SECONDARY"]
        code = ds.DerivationCodeSequence[0]
        assert (code.CodeValue, code.CodingSchemeDesignator) == labels.DERIVATION_CODE[:2]
        purpose = ds.SourceImageSequence[0].PurposeOfReferenceCodeSequence[0]
        assert purpose.CodeValue == "121322"
        assert "ContrastBolusAgent" not in ds  # no agent was given to the patient
    # De-identification drops the private provenance block; the standard attributes carry it.
    has_private = any(e.tag.group == labels.PRIVATE_GROUP for e in pydicom.dcmread(files[0]))
    assert has_private == (name == "plain")
    _travelled(open_volume(outputs / name / "dicom").volume)


def test_nifti_carries_it_in_its_header_and_its_sidecar(outputs, tmp_path):
    nifti = outputs / "plain" / "synthetic_digital_contrast.nii.gz"
    assert sidecar_path(nifti).exists()
    _travelled(open_volume(nifti).volume)
    # Copied alone, the NIfTI's own description still labels it and flags the warning.
    alone = tmp_path / "copied.nii.gz"
    shutil.copy(nifti, alone)
    volume = open_volume(alone).volume
    assert volume.synthetic and volume.provenance["synthetic_phantoms_only"]
    assert labels.domain_lines(volume.provenance)[0].startswith("OUTSIDE MODEL DOMAIN")


@pytest.mark.parametrize("suffix", [".nrrd", ".mha"])
def test_nrrd_and_metaimage_carry_the_whole_provenance(outputs, tmp_path, suffix):
    volume = open_volume(outputs / "plain" / "synthetic_digital_contrast.nii.gz").volume
    path = write_image(volume, tmp_path / f"dc{suffix}")
    sidecar_path(path).unlink()  # the file's own fields alone
    _travelled(open_volume(path).volume)


def test_an_acquired_image_written_over_a_synthetic_one_loses_the_old_sidecar(outputs,
                                                                              tmp_path):
    synthetic = open_volume(outputs / "plain" / "synthetic_digital_contrast.nii.gz").volume
    path = write_image(synthetic, tmp_path / "x.nii.gz")
    from dataclasses import replace

    write_image(replace(synthetic, synthetic=False, provenance={}), path)
    assert not sidecar_path(path).exists()
    assert not open_volume(path).volume.synthetic


def test_another_products_synthetic_image_is_labelled(small_case, tmp_path):
    folder = tmp_path / "other"
    folder.mkdir()
    for f in sorted(small_case.noncontrast.glob("*.dcm")):
        ds = pydicom.dcmread(f)
        ds.SyntheticData = "YES"  # nothing else says so: no dcreview text, no private block
        ds.save_as(folder / f.name)
    volume = open_volume(folder).volume
    assert volume.synthetic and volume.provenance["source"] == labels.OTHER_PRODUCT
    assert labels.banner(volume.provenance) == labels.SYNTHETIC_TEXT
    assert not open_volume(small_case.noncontrast).volume.synthetic


def test_one_synthetic_slice_labels_the_whole_series(small_case, tmp_path):
    folder = tmp_path / "mixed"
    shutil.copytree(small_case.noncontrast, folder)
    first = sorted(folder.glob("*.dcm"))[7]
    ds = pydicom.dcmread(first)
    ds.SyntheticData = "YES"
    ds.save_as(first)
    assert open_volume(folder).volume.synthetic


def test_provenance_written_into_files_holds_no_identifier():
    written = labels.to_json({"model": "m", "input_series_uid": "1.2.3.4", "domain": {
        "warnings": ["w"], "reasons": ["r"], "figures": {"x": 1}}, "path": "/home/doe/scan"})
    assert "1.2.3.4" not in written and "/home" not in written and "figures" not in written
