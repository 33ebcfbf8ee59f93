"""Human-readable description of a study or volume for `dcreview info` (no pixels decoded)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from inference.errors import DcreviewError
from inference.io.dicom.discovery import SeriesInfo, scan
from inference.io.dicom.enhanced import frame_headers
from inference.io.dicom.stack import build_stack
from inference.io.geometry import Geometry, orientation_label
from inference.io.image_file import is_image_file, read_image


def describe_geometry(geometry: Geometry, shape: tuple[int, int, int]) -> list[str]:
    """Lines describing grid size, spacing, origin and axis directions."""
    nk, nj, ni = shape
    d = geometry.direction_matrix
    axes = " ".join(f"{n}->{orientation_label(d[:, c]) or '?'}" for c, n in enumerate("ijk"))
    ext = geometry.extent_mm(shape)
    return [
        f"grid {ni} x {nj} x {nk} voxels, spacing "
        f"{geometry.spacing[0]:.3f} x {geometry.spacing[1]:.3f} x {geometry.spacing[2]:.3f} mm, "
        f"extent {ext[0]:.0f} x {ext[1]:.0f} x {ext[2]:.0f} mm",
        "origin (LPS) " + ", ".join(f"{v:.2f}" for v in geometry.origin) + f" mm; axes {axes}",
    ]


def _series_lines(s: SeriesInfo, index: int, extra=None) -> tuple[list[str], bool]:
    lines = [f"[{index}] {s.summary()}"]
    if extra is not None:
        lines += ["    " + ln for ln in extra(s)]
    lines.append(f"    transfer syntax: {', '.join(s.transfer_syntaxes)}")
    if s.localizers:
        lines.append(f"    {s.localizers} localizer image(s) (excluded from the volume)")
    if not s.headers:
        lines.append("    no volume images (localizers only)")
        return lines, False
    if s.modality != "CT":
        lines.append(f"    not loadable as CT: series is {s.modality or 'unknown'}, not CT")
        return lines, False
    try:
        headers = [f for h in s.headers
                   for f in (frame_headers(h) if h.number_of_frames > 1 else [h])]
        stack = build_stack(headers)
    except DcreviewError as exc:
        lines.append(f"    not loadable: {exc}")
        return lines, False
    lines += ["    " + ln for ln in describe_geometry(stack.geometry,
                                                       (len(stack.slots), *s.size))]
    lines += [f"    warning: {w}" for w in stack.warnings]
    return lines, True


def describe_path(path: str | Path, extra: Callable[[SeriesInfo], list[str]] | None = None
                  ) -> tuple[list[str], bool]:
    """Report lines for a path and whether at least one CT volume can be loaded from it;
    ``extra`` adds lines of its own under each series (what it is: kind and phase)."""
    path = Path(path)
    if path.is_file() and is_image_file(path):
        vol = read_image(path)
        lines = [f"{path.name}: {vol.metadata.source_format} volume, {vol.array.dtype}, "
                 f"values {int(np.min(vol.array))}..{int(np.max(vol.array))}"]
        return lines + ["    " + ln for ln in describe_geometry(vol.geometry, vol.shape)], True
    study = scan(path)
    lines = [f"{path.name}: {len(study.series)} series, {len(study.skipped)} file(s) skipped"]
    any_ok = False
    for n, s in enumerate(study.series, 1):
        series_lines, ok = _series_lines(s, n, extra)
        lines += series_lines
        any_ok |= ok
    for skipped in study.skipped[:20]:
        lines.append(f"skipped {Path(skipped.path).name}: {skipped.reason}")
    if len(study.skipped) > 20:
        lines.append(f"... and {len(study.skipped) - 20} more skipped")
    return lines, any_ok
