"""NIfTI, NRRD and MetaImage volumes through SimpleITK (which keeps orientation in LPS)."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from inference import provenance
from inference.errors import ExportError, UnsupportedFormatError
from inference.files import atomic
from inference.files.confine import confined
from inference.io.geometry import Geometry
from inference.io.volume import SeriesMetadata, Volume, hu_dtype

SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")


def is_image_file(path: str | Path) -> bool:
    """True for the single-file volume formats this module reads."""
    name = str(path).lower()
    return any(name.endswith(s) for s in SUFFIXES)


HEADER_BYTES = 1 << 20  # a detached header is text; more than this is not a header


def _data_files(path: Path) -> list[str]:
    """The data files an NRRD or MetaImage header names (none for NIfTI or attached data)."""
    name = path.name.lower()
    if not name.endswith((".nrrd", ".nhdr", ".mha", ".mhd")):
        return []
    with open(path, "rb") as f:
        text = f.read(HEADER_BYTES).decode("latin-1")
    nrrd = name.endswith((".nrrd", ".nhdr"))
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if nrrd and not line.strip():
            return []  # the end of an attached header: the data follows in this file
        key, sep, value = line.partition(":" if nrrd else "=")
        if not sep or (nrrd and value.startswith("=")):
            continue
        key = key.strip().lower().replace(" ", "")
        if key not in ("datafile", "elementdatafile"):
            continue
        value = value.strip()
        words = value.split()
        if not words or words[0] == "LOCAL":
            return []
        if words[0] == "LIST":
            return [x.strip() for x in lines[n + 1:] if x.strip()]
        if "%" in words[0] and len(words) >= 3:  # a numbered pattern: FILE%03d.raw MIN MAX
            return [re.sub(r"%[0-9]*d", "0", words[0]), *_numbered(words)]
        return [value]
    return []


def _numbered(words: list[str]) -> list[str]:
    """The first and last names a numbered data-file pattern gives."""
    try:
        return [words[0] % int(words[1]), words[0] % int(words[2])]
    except (TypeError, ValueError):
        return []


def read_image(path: str | Path, modality: str = "CT") -> Volume:
    """Read a NIfTI/NRRD/MHA file as a Volume; integer data that fits stays int16. A header
    naming data outside its own folder ('..', absolute paths, links) is refused unread."""
    path = Path(path)
    try:
        for data_file in _data_files(path):
            confined(data_file, path.parent, path.name)
    except OSError as exc:
        raise UnsupportedFormatError(f"{path.name} cannot be read ({exc.strerror})") from exc
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise UnsupportedFormatError(f"{path.name} could not be read as an image volume") from exc
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise UnsupportedFormatError(
            f"{path.name} is not a single-channel 3-D volume "
            f"({image.GetDimension()}-D, {image.GetNumberOfComponentsPerPixel()} components)")
    array = sitk.GetArrayFromImage(image)
    integral = np.issubdtype(array.dtype, np.integer) or bool(
        array.size and np.array_equal(array, np.round(array)))
    target = hu_dtype(float(array.min()), float(array.max()), integral) if array.size else np.int16
    if array.dtype != target:
        array = array.astype(target)
    direction = np.asarray(image.GetDirection(), dtype=float).reshape(3, 3)
    geometry = Geometry(image.GetOrigin(), image.GetSpacing(), direction)
    suffix = next(s for s in SUFFIXES if str(path).lower().endswith(s))
    meta = SeriesMetadata(series_description=path.name[: -len(suffix)],
                          source_format=suffix.lstrip(".").upper())
    synthetic, found = _provenance(image, path)
    return Volume(array, geometry, modality=modality, metadata=meta, synthetic=synthetic,
                  provenance=found)


def sidecar_path(path: str | Path) -> Path:
    """The JSON beside an image file that holds its provenance (BIDS-style: same stem)."""
    path = Path(path)
    suffix = next((s for s in SUFFIXES if path.name.lower().endswith(s)), path.suffix)
    return path.with_name(path.name[: len(path.name) - len(suffix)] + ".json")


def _sidecar(path: Path) -> tuple[bool, dict]:
    try:
        data = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False, {}
    found = data.get(provenance.SIDECAR_KEY) if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return False, {}
    return True, provenance.travelling(found)


def _provenance(image: sitk.Image, path: Path) -> tuple[bool, dict]:
    """A file dcreview (or another product) wrote from a model stays labelled synthetic, with
    its warnings, when it is opened again: the description, the NRRD/MetaImage field and the
    sidecar each may say so, and none can take the label away."""
    def meta(key: str) -> str:
        return image.GetMetaData(key) if image.HasMetaDataKey(key) else ""

    notes = " ".join(meta(k) for k in ("descrip", "ITK_FileNotes"))
    found = [provenance.from_file_note(notes), _sidecar(path)]
    fields = provenance.from_json(meta(provenance.SIDECAR_KEY))
    if fields is not None:
        found.append((True, fields))
    return provenance.merged(*found)


def write_image(volume: Volume, path: str | Path) -> Path:
    """Write a Volume as NIfTI/NRRD/MHA (by suffix), keeping its geometry."""
    path = Path(path)
    if not is_image_file(path):
        raise UnsupportedFormatError(f"cannot write {path.name}: use one of {', '.join(SUFFIXES)}")
    g = volume.geometry
    if not g.is_orthogonal and path.name.lower().endswith((".nii", ".nii.gz")):
        # ITK would straighten the sheared grid of a gantry-tilted series and move every slice.
        raise ExportError(f"cannot write {path.name}: NIfTI cannot hold the sheared grid of a "
                          "gantry-tilted series; write .nrrd or .mha, which keep it exactly")
    image = sitk.GetImageFromArray(volume.array)
    image.SetOrigin(g.origin)
    image.SetSpacing(g.spacing)
    image.SetDirection(tuple(g.direction_matrix.ravel()))
    sidecar = sidecar_path(path)
    if volume.synthetic:
        # The label and a flag per warning travel in the pixels' own header (NIfTI keeps 80
        # characters); NRRD and MetaImage keep the whole provenance as a field; the sidecar
        # keeps it beside a NIfTI file.
        note = provenance.file_note(volume.provenance)
        image.SetMetaData("descrip", note)
        image.SetMetaData("ITK_FileNotes", note)
        image.SetMetaData(provenance.SIDECAR_KEY, provenance.to_json(volume.provenance))
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a private name, then renamed: a full disk or a kill leaves no file that
    # looks like a whole image (ITK picks the format by the name's ending, which is kept).
    suffix = next(s for s in SUFFIXES if path.name.lower().endswith(s))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{suffix}")
    try:
        sitk.WriteImage(image, str(tmp), useCompression=True)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if volume.synthetic:
        atomic.write_json(sidecar, {provenance.SIDECAR_KEY: provenance.travelling(
            volume.provenance), "image": path.name, "label": provenance.NOT_ACQUIRED},
            indent=1)
    elif _sidecar(path)[0]:
        sidecar.unlink()  # a synthetic image written here before: its sidecar goes with it
    return path
