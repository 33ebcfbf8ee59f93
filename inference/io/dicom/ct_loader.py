"""Load one CT series into a Volume: order, check, decode (in parallel when compressed), rescale."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from inference.errors import DecodeError, NoImagesError, WrongModalityError
from inference.io.dicom.decode_pool import decode_many
from inference.io.dicom.decoders import decode_hu_into
from inference.io.dicom.discovery import SeriesInfo
from inference.io.dicom.enhanced import frame_headers
from inference.io.dicom.header import FileHeader
from inference.io.dicom.limits import TooLarge, check_image, check_volume
from inference.io.dicom.rescale import integral_rescale, rescale_into
from inference.io.dicom.stack import build_stack
from inference.io.identity import read_identity
from inference.io.volume import SeriesMetadata, Volume
from inference.progress import CancelToken, ProgressCallback, ProgressReporter
from inference.provenance import from_dicom, merged

log = logging.getLogger(__name__)

AIR_HU = -1024


@dataclass
class LoadResult:
    """A loaded volume plus everything the user should be told about how it was built, and
    the DICOM series it came from (a writer of derived series reuses it: no second scan)."""

    volume: Volume
    warnings: list[str] = field(default_factory=list)
    series: SeriesInfo | None = None
    choice: str = ""  # why this series was picked from a study, when it was picked for the user


def series_provenance(headers: list[FileHeader]) -> tuple[bool, dict]:
    """Whether a series is synthetic, and its provenance: synthetic if any image says so (a
    label is never dropped because some slices lack it)."""
    found = [from_dicom(h.synthetic_data, h.image_type, h.derivation, h.comments,
                        h.provenance_json) for h in headers]
    return merged(*found) if found else (False, {})


def _expand_frames(headers: list[FileHeader]) -> list[FileHeader]:
    out: list[FileHeader] = []
    for h in headers:
        out.extend(frame_headers(h) if h.number_of_frames > 1 else [h])
    return out


def _metadata(h: FileHeader, fmt: str) -> SeriesMetadata:
    return SeriesMetadata(
        series_description=h.series_description, study_uid=h.study_uid, series_uid=h.series_uid,
        frame_of_reference_uid=h.frame_of_reference_uid, acquisition_time=h.acquisition_time,
        series_number=h.series_number, manufacturer=h.manufacturer,
        convolution_kernel=h.convolution_kernel, patient_pseudonym=h.patient_pseudonym,
        window_center=h.window_center, window_width=h.window_width, source_format=fmt,
        body_part=h.body_part, kvp=h.kvp, contrast_agent=h.contrast_agent,
    )


def load_ct_series(series: SeriesInfo, *, allow_gaps: bool = False, require_ct: bool = True,
                   progress: ProgressCallback | None = None,
                   cancel: CancelToken | None = None) -> LoadResult:
    """Decode a discovered series into a Volume of HU (int16 when the values allow)."""
    if not series.headers:
        raise NoImagesError(series.description or "the series (only localizer images)")
    if require_ct and series.modality != "CT":
        raise WrongModalityError(series.modality)
    for h in series.headers:  # what each header claims, before anything is read or allocated
        check_image(h.rows, h.columns, h.number_of_frames)
    check_volume(series.image_count, *series.size)
    warnings = []
    if series.localizers:
        warnings.append(f"{series.localizers} localizer (scout) image(s) excluded")
    stack = build_stack(_expand_frames(series.headers), allow_gaps=allow_gaps)
    warnings.extend(stack.warnings)
    first = next(h for h in stack.slots if h is not None)
    present = [h for h in stack.slots if h is not None]
    dtype = np.int16 if all(integral_rescale(h) for h in present) else np.float32
    check_volume(len(stack.slots), first.rows, first.columns, np.dtype(dtype).itemsize)
    # Filling up front touches every page in one streaming pass, which is several times
    # cheaper than faulting pages in one by one inside the per-file reads; it also blanks
    # any missing slices.
    array = np.full((len(stack.slots), first.rows, first.columns), AIR_HU, dtype=dtype)

    reporter = ProgressReporter("Loading slices", len(present), progress, cancel)
    native = [(k, h) for k, h in enumerate(stack.slots) if h is not None and h.native_pixels]
    coded = [(k, h, h.frame_index or 0) for k, h in enumerate(stack.slots)
             if h is not None and not h.native_pixels]
    done = 0
    for k, h in native:
        if not decode_hu_into(h, array[k], h.frame_index or 0):
            array = array.astype(np.float32)
            decode_hu_into(h, array[k], h.frame_index or 0)
        done += 1
        reporter.step(done)
    if coded:
        multi = {h.path for _, h, _ in coded if h.number_of_frames > 1}
        if multi:
            done, array = _load_multiframe(coded, array, reporter, done)
        else:
            for k, raw in decode_many(coded, cancel):
                h = stack.slots[k]
                if not rescale_into(raw, h, array[k]):
                    array = array.astype(np.float32)
                    rescale_into(raw, h, array[k])
                done += 1
                reporter.step(done)
    if array.dtype == np.float32:
        warnings.append("values do not fit 16-bit integers; stored as 32-bit float")
    log.info("loaded CT volume %s (%s), %d warning(s)", array.shape, array.dtype, len(warnings))
    synthetic, provenance = series_provenance(present)
    volume = Volume(array, stack.geometry, modality=first.modality or "CT",
                    metadata=_metadata(first, "DICOM"), synthetic=synthetic,
                    provenance=provenance, identity=read_identity(first.path))
    return LoadResult(volume, warnings, series)


def _load_multiframe(coded: list[tuple[int, FileHeader, int]], array: np.ndarray,
                     reporter: ProgressReporter, done: int) -> tuple[int, np.ndarray]:
    """Decode each multi-frame file once, then place its frames (promoting to float32 when
    a frame's values do not fit 16 bits, like single-frame series)."""
    from inference.io.dicom.decode_pydicom import decode_all_frames

    by_path: dict[str, list[tuple[int, FileHeader, int]]] = {}
    for job in coded:
        by_path.setdefault(job[1].path, []).append(job)
    for path, jobs in by_path.items():
        try:
            frames = decode_all_frames(path)
        except TooLarge:
            raise
        except Exception as exc:
            raise DecodeError(f"cannot decode the multi-frame image ({exc})") from exc
        for k, h, frame in jobs:
            if not rescale_into(frames[frame], h, array[k]):
                array = array.astype(np.float32)
                rescale_into(frames[frame], h, array[k])
            done += 1
            reporter.step(done)
    return done, array
