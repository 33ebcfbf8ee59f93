"""The product deletes only what it made and reads only inside an input: hostile DICOMDIRs,
NRRD and MetaImage headers, user folders where the product writes, links out of its folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest

from inference.cli import main
from inference.errors import LoadError
from inference.files import atomic
from inference.files.owned import RemovalRefused, make_owned, mark_owned, remove_owned
from inference.io.dicom.discovery import OUTSIDE, scan
from inference.io.loader import open_volume


def test_removal_is_confined_to_folders_the_product_made(tmp_path):
    owner = make_owned(tmp_path / "owner")
    mine = make_owned(owner / "case-1")
    (mine / "a.nii.gz").write_bytes(b"x")
    users = owner / "users-folder"
    users.mkdir()
    (users / "keep.txt").write_text("keep")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (owner / "link").symlink_to(outside, target_is_directory=True)
    for path, within in ((users, owner), (owner, owner), (owner / "..", owner),
                         (outside, owner), (owner / "link" / "keep.txt", owner)):
        with pytest.raises(RemovalRefused):
            remove_owned(path, within)
    assert remove_owned(owner / "link", owner)  # the link only, never what it points to
    assert (outside / "keep.txt").read_text() == "keep" and not (owner / "link").exists()
    assert remove_owned(mine, owner) and not mine.exists()
    assert not remove_owned(mine, owner)  # nothing there any more
    assert (users / "keep.txt").read_text() == "keep"


def test_an_atomic_folder_appears_whole_or_not_at_all_and_stale_partials_are_swept(tmp_path):
    final = tmp_path / "series"
    with pytest.raises(RuntimeError), atomic.folder(final) as partial:
        (partial / "1.dcm").write_bytes(b"half")
        raise RuntimeError("killed")
    assert not final.exists() and list(tmp_path.iterdir()) == []
    with atomic.folder(final) as partial:
        (partial / "1.dcm").write_bytes(b"whole")
    assert (final / "1.dcm").read_bytes() == b"whole"
    # A partial folder left by a process that is gone is swept; one of a live writer is not.
    host = atomic._writer_tag().rpartition("-")[0]
    stale = tmp_path / f".series.{host}-{_dead_pid()}.0123456789ab.partial"
    stale.mkdir()
    mark_owned(stale)
    live = atomic.partial_folder(tmp_path / "other")
    assert atomic.sweep_partials(tmp_path) == [stale]
    assert live.exists() and not stale.exists()


def _dead_pid() -> int:
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_demo_data_never_deletes_a_users_folder(tmp_path, capsys):
    out = tmp_path / "my-data"
    (out / "noncontrast").mkdir(parents=True)
    (out / "noncontrast" / "patient-scan.dcm").write_bytes(b"the user's own file")
    args = ["demo-data", str(out), "--matrix", "32", "--slices", "8"]
    assert main(args) == 2
    assert "was not made by dcreview" in capsys.readouterr().err
    assert (out / "noncontrast" / "patient-scan.dcm").read_bytes() == b"the user's own file"
    shutil.rmtree(out / "noncontrast")
    assert main(args) == 0
    assert main(args) == 0  # its own earlier output is replaced
    assert len(list((out / "noncontrast").glob("*.dcm"))) == 8


def _dicomdir_media(tmp_path: Path, small_case) -> tuple[Path, Path, str]:
    """pydicom's DICOMDIR test media, with records pointing out of it: '..' into another
    folder holding a CT series, an absolute path, and a link inside pointing out."""
    from pydicom.data import get_testdata_file

    media = tmp_path / "media"
    shutil.copytree(Path(get_testdata_file("DICOMDIR", download=False)).parent, media)
    other = tmp_path / "other-patient"
    shutil.copytree(small_case.noncontrast, other)
    other_uid = pydicom.dcmread(next(other.glob("*.dcm"))).SeriesInstanceUID
    ds = pydicom.dcmread(media / "DICOMDIR")
    images = [r for r in ds.DirectoryRecordSequence if r.DirectoryRecordType == "IMAGE"]
    names = sorted(p.name for p in other.glob("*.dcm"))[:10]  # the rest stay inside
    for record, name in zip(images, names, strict=False):
        record.ReferencedFileID = ["..", "other-patient", name]
    images[len(names)].ReferencedFileID = ["/etc", "passwd"]
    (media / "LINKOUT").symlink_to(other / names[0])
    images[len(names) + 1].ReferencedFileID = ["LINKOUT"]
    ds.save_as(media / "DICOMDIR")
    return media / "DICOMDIR", other, other_uid


def test_a_dicomdir_cannot_make_the_loader_read_outside_its_folder(tmp_path, small_case):
    dicomdir, _other, other_uid = _dicomdir_media(tmp_path, small_case)
    study = scan(dicomdir)
    assert other_uid not in {s.series_uid for s in study.series}
    refused = [s for s in study.skipped if s.reason == OUTSIDE]
    assert len(refused) == 12 and any("passwd" in s.path for s in refused)
    assert study.series  # the media's own series are still found
    assert any(s.path == "LINKOUT" for s in refused)


def _raw(path: Path) -> Path:
    path.write_bytes(np.arange(64, dtype="<i2").tobytes())
    return path


NRRD = ("NRRD0004\ntype: short\ndimension: 3\nsizes: 4 4 4\nspacings: 1 1 1\n"
        "encoding: raw\nendian: little\n{data}\n\n")
MHD = ("ObjectType = Image\nNDims = 3\nDimSize = 4 4 4\nElementSpacing = 1 1 1\n"
       "ElementType = MET_SHORT\nElementByteOrderMSB = False\nElementDataFile = {data}\n")


@pytest.mark.parametrize("name, template, line", [
    ("vol.nhdr", NRRD, "data file: ../secret.raw"),
    ("vol.nhdr", NRRD, "datafile: {secret}"),
    ("vol.nhdr", NRRD, "data file: LIST\n../secret.raw"),
    ("vol.nhdr", NRRD, "data file: link.raw"),
    ("vol.mhd", MHD, "../secret.raw"),
    ("vol.mhd", MHD, "{secret}"),
    ("vol.mhd", MHD, "LIST\n../secret.raw"),
], ids=["nrrd-dotdot", "nrrd-absolute", "nrrd-list", "nrrd-link", "mhd-dotdot", "mhd-absolute",
        "mhd-list"])
def test_an_image_header_cannot_point_at_a_file_outside_its_folder(tmp_path, name, template,
                                                                   line):
    secret = _raw(tmp_path / "secret.raw")
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "link.raw").symlink_to(secret)
    data = line.format(secret=secret)
    header = folder / name
    header.write_text(template.format(data=data))
    with pytest.raises(LoadError, match="outside its own folder"):
        open_volume(header)


@pytest.mark.parametrize("name, template, line", [
    ("vol.nhdr", NRRD, "data file: vol.raw"), ("vol.mhd", MHD, "vol.raw")], ids=["nrrd", "mhd"])
def test_a_header_with_its_data_beside_it_still_opens(tmp_path, name, template, line):
    _raw(tmp_path / "vol.raw")
    (tmp_path / name).write_text(template.format(data=line))
    volume = open_volume(tmp_path / name).volume
    assert volume.shape == (4, 4, 4) and int(volume.array.max()) == 63
