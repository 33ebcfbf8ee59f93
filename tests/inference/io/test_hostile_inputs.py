"""Hostile and broken inputs end in one readable line each, quickly: named pipes, damaged or
encrypted zip members, images that claim sizes no memory holds."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import JPEG2000Lossless, RLELossless

from inference.errors import LoadError
from inference.io.dicom.discovery import NOT_REGULAR, scan
from inference.io.dicom.limits import TooLarge
from inference.io.loader import open_volume

REPO = Path(__file__).resolve().parents[3]


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "inference", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def test_a_named_pipe_in_a_study_folder_is_skipped_not_waited_on(small_case, tmp_path):
    folder = tmp_path / "study"
    shutil.copytree(small_case.noncontrast, folder)
    os.mkfifo(folder / "pipe.dcm")
    study = scan(folder)  # opening the pipe would wait for a writer forever
    assert [s.reason for s in study.skipped] == [NOT_REGULAR]
    assert study.series[0].image_count == 40
    proc = _run("info", str(folder / "pipe.dcm"), timeout=60)
    assert proc.returncode != 0 and "not a regular file" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def _patch_member(data: bytearray, name: bytes, local_offset: int, central_offset: int,
                  value: int, size: int) -> None:
    """Set a field of a member's local and central headers (zip records, PKWARE APPNOTE)."""
    local = data.find(b"PK\x03\x04")
    while local >= 0:
        n = struct.unpack("<H", data[local + 26:local + 28])[0]
        if data[local + 30:local + 30 + n] == name:
            data[local + local_offset:local + local_offset + size] = value.to_bytes(size, "little")
            break
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        n = struct.unpack("<H", data[central + 28:central + 30])[0]
        if data[central + 46:central + 46 + n] == name:
            data[central + central_offset:central + central_offset + size] = value.to_bytes(
                size, "little")
            break
        central = data.find(b"PK\x01\x02", central + 4)


def test_a_zip_with_broken_members_reads_the_rest_and_names_each(small_case, tmp_path):
    path = tmp_path / "study.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(small_case.noncontrast.glob("*.dcm")):
            zf.write(f, f"series/{f.name}")
        for name in ("crc.dcm", "encrypted.dcm", "method.dcm"):
            zf.writestr(name, b"x" * 5000)
        zf.writestr("n" * 300 + ".dcm", b"a name no file system takes")
    data = bytearray(path.read_bytes())
    crc = data.find(b"crc.dcm") + len("crc.dcm")
    data[crc + 10] ^= 0xFF  # one byte of its compressed data
    _patch_member(data, b"encrypted.dcm", 6, 8, 0x0001, 2)  # the encryption flag
    _patch_member(data, b"method.dcm", 8, 10, 97, 2)  # a compression method nobody knows
    path.write_bytes(bytes(data))
    study = scan(path)
    assert study.series[0].image_count == 40  # the rest of the archive is read
    reasons = {s.path.split(":", 1)[1][:20]: s.reason for s in study.skipped
               if ":" in s.path}
    assert "damaged in the archive" in reasons["crc.dcm"]
    assert "encrypted" in reasons["encrypted.dcm"]
    assert "method" in reasons["method.dcm"]
    assert "cannot be written" in reasons["n" * 20]
    proc = _run("info", str(path))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr


def _claiming(small_case, folder: Path, rows: int, columns: int, frames: int = 1,
              syntax=RLELossless) -> Path:
    """A few compressed slices whose headers claim another size."""
    folder.mkdir()
    for f in sorted(small_case.noncontrast.glob("*.dcm"))[:3]:
        ds = pydicom.dcmread(f)
        ds.compress(syntax)
        ds.Rows, ds.Columns = rows, columns
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.save_as(folder / f.name)
    return folder


@pytest.mark.parametrize("rows, columns, frames, claim", [
    (65535, 65535, 1, "65535 x 65535"),
    (16384, 16384, 1, "16384 x 16384"),
    (96, 96, 100_000, "100000 frames"),
])
def test_an_image_claiming_more_than_memory_is_refused_at_once(small_case, tmp_path, rows,
                                                               columns, frames, claim):
    folder = _claiming(small_case, tmp_path / "bomb", rows, columns, frames)
    with pytest.raises(TooLarge, match=claim):
        open_volume(folder)
    proc = _run("synthesize", str(folder), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2 and "refused before reading it" in proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr


def test_a_codestream_claiming_another_size_is_refused_before_decoding(small_case, tmp_path):
    folder = tmp_path / "j2k"
    folder.mkdir()
    for f in sorted(small_case.noncontrast.glob("*.dcm"))[:3]:
        ds = pydicom.dcmread(f)
        ds.compress(JPEG2000Lossless)
        frame = bytearray(next(pydicom.encaps.generate_frames(ds.PixelData,
                                                              number_of_frames=1)))
        frame[8:16] = struct.pack(">II", 60000, 60000)  # SIZ: Xsiz, Ysiz
        ds.PixelData = pydicom.encaps.encapsulate([bytes(frame)])
        ds.save_as(folder / f.name)
    with pytest.raises(LoadError, match="declares 60000 x 60000 pixels, its header 96 x 96"):
        open_volume(folder)
