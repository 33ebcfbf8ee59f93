"""Find DICOM series in a folder tree, a DICOMDIR or a zip, reading headers only."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom

from inference import userdirs
from inference.errors import LoadError, NoImagesError, NotDicomError, UnsupportedFormatError
from inference.files import atomic, capped
from inference.files.confine import OutsideInput, confined, inside
from inference.io.dicom.header import (
    NATIVE_SYNTAXES,
    FileHeader,
    looks_like_dicom,
    pixels_complete,
    read_header,
)
from inference.progress import CancelToken, ProgressCallback, ProgressReporter

log = logging.getLogger(__name__)
DAMAGED = "truncated or damaged DICOM file (its header cannot be read)"
TRUNCATED = "DICOM file is truncated (image data incomplete)"


@dataclass(frozen=True)
class SkippedFile:
    """A file left out of a scan, and why (shown to the user, never logged)."""

    path: str
    reason: str


@dataclass
class SeriesInfo:
    """One series found by a scan: a description for a picker plus the headers to load it."""

    series_uid: str
    study_uid: str
    modality: str
    description: str
    series_number: int | None
    headers: list[FileHeader]
    localizers: int = 0

    @property
    def image_count(self) -> int:
        """Number of images (frames) excluding localizers."""
        return sum(h.number_of_frames for h in self.headers)

    @property
    def size(self) -> tuple[int, int]:
        """(rows, columns) of the most common image size."""
        sizes = [(h.rows, h.columns) for h in self.headers]
        return max(set(sizes), key=sizes.count) if sizes else (0, 0)

    @property
    def pixel_spacing(self) -> tuple[float, float] | None:
        """In-plane spacing (row, column) in mm, if the header gives it."""
        return next((h.pixel_spacing for h in self.headers if h.pixel_spacing), None)

    @property
    def slice_spacing(self) -> float | None:
        """Median distance between neighbouring slice positions along the normal, in mm."""
        pos = [h for h in self.headers if h.position and h.orientation]
        if len(pos) < 2:
            return next((h.slice_thickness for h in self.headers if h.slice_thickness), None)
        o = np.asarray(pos[0].orientation)
        normal = np.cross(o[:3], o[3:])
        d = np.sort(np.asarray([np.dot(normal, h.position) for h in pos]))
        steps = np.diff(d)
        steps = steps[steps > 1e-3]
        return float(np.median(steps)) if steps.size else None

    @property
    def compressed(self) -> bool:
        """True when any image needs a pixel decoder."""
        return any(h.transfer_syntax not in NATIVE_SYNTAXES for h in self.headers)

    @property
    def transfer_syntaxes(self) -> list[str]:
        """Names of the transfer syntaxes used in the series."""
        names = {pydicom.uid.UID(h.transfer_syntax).name for h in self.headers}
        return sorted(names)

    def summary(self) -> str:
        """One line for a picker or the terminal."""
        rows, cols = self.size
        ps = self.pixel_spacing
        ss = self.slice_spacing
        spacing = (f"{ps[1]:.2f} x {ps[0]:.2f} x {ss:.2f} mm" if ps and ss
                   else f"{ps[1]:.2f} x {ps[0]:.2f} mm" if ps else "spacing unknown")
        number = f"#{self.series_number} " if self.series_number is not None else ""
        desc = self.description or "(no description)"
        return (f"{number}{desc}: {self.modality or '?'}, {self.image_count} images "
                f"{cols}x{rows}, {spacing}")


@dataclass
class StudyScan:
    """What a scan found: series (largest first) and files skipped with their reasons."""

    root: str
    series: list[SeriesInfo] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def find(self, key: str | int) -> SeriesInfo:
        """Series by UID, by series number or by position in ``series``."""
        from inference.errors import SeriesNotFoundError

        for s in self.series:
            if key in (s.series_uid, str(s.series_number)) or (
                isinstance(key, int) and s.series_number == key
            ):
                return s
        if isinstance(key, int) and 0 <= key < len(self.series):
            return self.series[key]
        raise SeriesNotFoundError(f"no series {key!r} in {Path(self.root).name}")


NOT_REGULAR = "not a regular file (a named pipe, device or socket): never opened"


def _walk_files(root: Path) -> tuple[list[str], list[SkippedFile]]:
    """Regular files under ``root`` (hidden ones left out); anything else is listed as
    skipped: opening a named pipe would wait forever."""
    files, skipped = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            try:
                regular = stat.S_ISREG(os.stat(path).st_mode)
            except OSError:
                regular = False
            if regular:
                files.append(path)
            else:
                skipped.append(SkippedFile(path, NOT_REGULAR))
    return files, skipped


OUTSIDE = "referenced by the DICOMDIR outside its own folder (refused: never read)"


def _dicomdir_files(dicomdir: Path) -> tuple[list[str], list[SkippedFile]]:
    """Files referenced by a DICOMDIR's image records (case-insensitive on case-sensitive
    disks), and references that lead outside the DICOMDIR's folder ('..', absolute paths,
    links), which are refused."""
    ds = pydicom.dcmread(dicomdir)
    base = dicomdir.parent
    out, refused = [], []
    for rec in ds.get("DirectoryRecordSequence", []):
        ref = rec.get("ReferencedFileID")
        if not ref:
            continue
        parts = [ref] if isinstance(ref, str) else list(ref)
        try:
            confined("/".join(parts), base, "the DICOMDIR")
        except OutsideInput:
            refused.append(SkippedFile("/".join(parts)[:200], OUTSIDE))
            continue
        path = _resolve_case_insensitive(base, parts)
        if not inside(path, base):  # a link inside the folder leading out of it
            refused.append(SkippedFile("/".join(parts)[:200], OUTSIDE))
            continue
        if path.exists() and not path.is_file():
            refused.append(SkippedFile("/".join(parts)[:200], NOT_REGULAR))
            continue
        out.append(str(path))
    return out, refused


def _resolve_case_insensitive(base: Path, parts: list[str]) -> Path:
    path = base
    for part in parts:
        exact = path / part
        if exact.exists():
            path = exact
            continue
        try:
            match = next((p for p in path.iterdir() if p.name.lower() == part.lower()), None)
        except OSError:
            match = None
        path = match if match is not None else exact
    return path


UNZIP_CAP_GB = 10.0  # DCREVIEW_UNZIP_CACHE_GB overrides it
SKIPPED_NAME = ".skipped.json"


def _unpack_member(zf: zipfile.ZipFile, member: zipfile.ZipInfo, folder: Path) -> str | None:
    """Extract one member; the reason it cannot be (None: extracted)."""
    dest = (folder / member.filename).resolve()
    if not dest.is_relative_to(folder.resolve()):
        return "its name leads outside the archive's folder (refused)"
    try:
        if member.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            return None
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(member) as src, open(dest, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    except NotImplementedError:  # (a RuntimeError: caught first)
        reason = "compressed with a method dcreview cannot read"
    except RuntimeError:  # zipfile says "encrypted, password required" this way
        reason = "encrypted (dcreview reads no password-protected archive)"
    except (zipfile.BadZipFile, zlib.error, EOFError):
        reason = "damaged in the archive (its checksum or its compressed data is wrong)"
    except OSError as exc:
        reason = f"cannot be written here ({exc.strerror or type(exc).__name__})"
    else:
        return None
    with contextlib.suppress(OSError):  # a name too long for the file system never existed
        dest.unlink(missing_ok=True)
    return reason


def unpack_zip(zip_path: Path) -> tuple[Path, list[SkippedFile]]:
    """Extract a zip into the user cache (once per zip content; the cache kept under its cap)
    and return the folder and the members that could not be extracted, each with its reason
    (an encrypted or damaged member leaves the rest readable)."""
    st = zip_path.stat()
    key = hashlib.sha256(f"v2|{zip_path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    root = userdirs.unzip_dir()
    target = root / key.hexdigest()[:16]
    if not (target / SKIPPED_NAME).exists():
        atomic.sweep_partials(root)
        skipped = []
        try:
            with atomic.folder(target) as partial, zipfile.ZipFile(zip_path) as zf:
                for member in zf.infolist():
                    reason = _unpack_member(zf, member, partial)
                    if reason:
                        skipped.append({"path": member.filename[:200], "reason": reason})
                atomic.write_json(partial / SKIPPED_NAME, skipped)
        except zipfile.BadZipFile as exc:
            raise UnsupportedFormatError(f"{zip_path.name} is a damaged zip archive") from exc
        capped.evict(root, capped.cap_from_env("DCREVIEW_UNZIP_CACHE_GB", UNZIP_CAP_GB),
                     keep=target)
    capped.used(target)
    listed = json.loads((target / SKIPPED_NAME).read_text())
    return target, [SkippedFile(f"{zip_path.name}:{s['path']}", s["reason"]) for s in listed]


def candidate_files(path: Path) -> tuple[list[str], list[SkippedFile]]:
    """Files to look at for a folder, DICOMDIR, zip or single file, and what was refused."""
    if path.is_dir():
        return _walk_files(path)
    if not path.exists():
        raise UnsupportedFormatError(f"{path.name} does not exist")
    if not path.is_file():
        raise UnsupportedFormatError(f"{path.name} is {NOT_REGULAR}")
    if path.name.upper() == "DICOMDIR":
        return _dicomdir_files(path)
    if zipfile.is_zipfile(path):
        folder, refused = unpack_zip(path)
        files, skipped = _walk_files(folder)
        return files, refused + skipped
    return [str(path)], []


def _truncated(h: FileHeader) -> bool:
    if not h.native_pixels:
        return h.pixel_length is None and not pixels_complete(h)  # fragments cut short
    needed = h.rows * h.columns * h.number_of_frames * h.bits_allocated // 8
    try:
        return os.path.getsize(h.path) < h.pixel_offset + needed
    except OSError:
        return True


def judge_file(f: str) -> FileHeader | SkippedFile | None:
    """One file's header, or why it is left out (None: a DICOMDIR, which is no image)."""
    header = read_header(f)
    if header is None:
        if Path(f).name.upper() == "DICOMDIR":
            return None
        # A DICOM file that cannot be parsed is damaged, not "not DICOM": say which.
        return SkippedFile(f, DAMAGED if looks_like_dicom(f) else "not a DICOM file")
    if not header.has_pixels:
        # Rows and columns declared but no pixel data: the file was cut short.
        return SkippedFile(f, TRUNCATED if header.rows and header.columns
                           else "DICOM object without an image")
    if not header.series_uid:
        return SkippedFile(f, "no SeriesInstanceUID")
    if _truncated(header):
        return SkippedFile(f, TRUNCATED)
    return header


def group_series(headers: list[FileHeader]) -> list[SeriesInfo]:
    """Headers grouped into series, localizer images counted apart."""
    groups: dict[str, list[FileHeader]] = defaultdict(list)
    for h in headers:
        groups[h.series_uid].append(h)
    out = []
    for uid, members in groups.items():
        images = [h for h in members if not h.is_localizer]
        first = (images or members)[0]
        out.append(SeriesInfo(
            series_uid=uid, study_uid=first.study_uid, modality=first.modality,
            description=first.series_description, series_number=first.series_number,
            headers=images, localizers=len(members) - len(images),
        ))
    return out


def scan(path: str | Path, progress: ProgressCallback | None = None,
         cancel: CancelToken | None = None) -> StudyScan:
    """Group the DICOM images under ``path`` by series without decoding any pixels."""
    path = Path(path)
    files, refused = candidate_files(path)
    reporter = ProgressReporter("Reading headers", len(files), progress, cancel)
    result = StudyScan(root=str(path), skipped=list(refused))
    headers: list[FileHeader] = []
    for n, f in enumerate(files, 1):
        judged = judge_file(f)
        if isinstance(judged, SkippedFile):
            result.skipped.append(judged)
        elif judged is not None:
            headers.append(judged)
        reporter.step(n)
    result.series.extend(group_series(headers))
    # Localizer-only series stay listed (so the user sees them) but sort last.
    result.series.sort(key=lambda s: (-s.image_count, s.series_number or 0))
    log.info("scan found %d series, skipped %d files", len(result.series), len(result.skipped))
    if not result.series:
        if path.is_file() and len(files) == 1 and result.skipped:
            reason = result.skipped[0].reason
            if reason == "not a DICOM file":
                raise NotDicomError(path.name)
            raise LoadError(f"file {path.name} cannot be used: {reason}")
        raise NoImagesError(path.name, skipped=len(result.skipped))
    return result
