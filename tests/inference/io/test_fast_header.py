"""The fast header walk gives exactly what pydicom's reader gives, on every file it reads."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_files

from inference.io.dicom import rawscan
from inference.io.dicom.header import _WANTED, read_header, read_header_pydicom


def _same(path: str) -> bool:
    """True when the fast walk read the file; asserts its header equals pydicom's."""
    fast, slow = read_header(path), read_header_pydicom(path)
    assert fast == slow, path
    return isinstance(rawscan.scan(path, _WANTED), rawscan.RawHeader)


def _local_test_files() -> list[str]:
    """pydicom's and pydicom-data's files on disk (get_testdata_files tries to download)."""
    from pydicom.data import data_manager

    roots = [Path(data_manager.DATA_ROOT) / "test_files",
             *(Path(s.data_path) for s in data_manager.external_data_sources().values())]
    return sorted(str(f) for r in roots for f in r.rglob("*") if f.is_file())


def test_pydicom_test_files_agree_and_most_are_fast():
    files = _local_test_files()
    assert len(files) > 150
    fast = sum(_same(f) for f in files)
    # Big-endian, deflated and preamble-less files take pydicom's path; most files do not.
    assert fast > len(files) // 2


def test_phantom_and_synthetic_series_agree(tmp_path):
    from inference.phantom.demo_case import write_demo_case

    write_demo_case(tmp_path, matrix=32, slices=6)
    files = [str(f) for f in Path(tmp_path).rglob("*") if f.is_file()]
    assert files
    assert all(_same(f) for f in files if pydicom.misc.is_dicom(f))


@pytest.mark.parametrize("cut", [10, 131, 200, 400, 700, -100])
def test_truncated_files_agree(tmp_path, cut):
    src = get_testdata_files("CT_small.dcm")[0]
    data = Path(src).read_bytes()
    f = tmp_path / "cut.dcm"
    f.write_bytes(data[:cut])
    _same(str(f))


def test_sequences_of_undefined_length_are_stepped_over(tmp_path):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds = pydicom.dcmread(get_testdata_files("CT_small.dcm")[0])
    inner = Dataset()
    inner.CodeValue, inner.CodeMeaning = "X", "nested"
    item = Dataset()
    item.ConceptNameCodeSequence = Sequence([inner])
    ds.ContentSequence = Sequence([item, item])
    ds.SeriesDescription = "after the sequence"
    f = tmp_path / "seq.dcm"
    ds.save_as(f, enforce_file_format=True)
    # Rewrite with undefined lengths, as many scanners write sequences.
    ds = pydicom.dcmread(f)
    for elem in ds.iterall():
        if elem.VR == "SQ":
            elem.is_undefined_length = True
    ds.save_as(f, enforce_file_format=True)
    assert _same(str(f))
    assert read_header(f).series_description == "after the sequence"


def test_a_file_copied_without_its_pixels_tail_is_damaged_not_fast(tmp_path):
    src = Path(get_testdata_files("MR_small.dcm")[0])
    shutil.copy(src, tmp_path / "a.dcm")
    assert dataclasses.asdict(read_header(tmp_path / "a.dcm"))["rows"] == 64
