"""What `dcreview info` says a series is: kind, phase, region, why, and the pair it picks."""

from __future__ import annotations

from pathlib import Path

from inference.io.dicom.discovery import SeriesInfo, scan
from inference.io.image_file import is_image_file
from inference.series.pairing import choose_pair
from inference.series.study import classify_study


def info_lines(path: str | Path, *, pixels: bool = True, target: str | None = None
               ) -> tuple[list[str], bool]:
    """`dcreview info` lines: each series' geometry with its kind and phase, then the pair
    picked for synthesis and comparison."""
    from inference.io.series_report import describe_path

    path = Path(path)
    if path.is_file() and is_image_file(path):
        return describe_path(path)
    study = scan(path)
    found = {c.series.series_uid: c for c in classify_study(study, pixels=pixels)}

    def extra(s: SeriesInfo) -> list[str]:
        c = found[s.series_uid]
        lines = [f"what it is: {c.cls.label()}" + (f", {c.cls.region}" if c.cls.region else ""),
                 f"why: {c.cls.why()}"]
        return lines + [f"CONFLICT: {x}" for x in c.cls.conflicts]

    lines, ok = describe_path(path, extra)
    if len(study.series) > 1:
        pair = choose_pair(list(found.values()), target or "contrast")
        lines += pair.lines()
    return lines, ok


def info_json(path: str | Path, *, pixels: bool = True, target: str | None = None) -> dict:
    """`dcreview info --json`: every series with its kind, phase, region, confidences and
    evidence, and the pair picked."""
    path = Path(path)
    if path.is_file() and is_image_file(path):
        return {"path": path.name, "series": [], "note": "an image file holds one volume; "
                "its phase is read from DICOM headers and pixels of DICOM series only"}
    study = scan(path)
    found = classify_study(study, pixels=pixels)
    pair = choose_pair(found, target or "contrast")
    return {
        "path": path.name,
        "series": [{"series_uid": c.series.series_uid, "series_number": c.series.series_number,
                    "description": c.series.description, "modality": c.series.modality,
                    "images": c.series.image_count, "localizers": c.series.localizers,
                    **c.cls.as_dict()} for c in found],
        "input": pair.input.series.series_uid if pair.input else None,
        "input_reason": pair.input_reason,
        "comparison": pair.comparison.series.series_uid if pair.comparison else None,
        "comparison_reason": pair.comparison_reason,
        "skipped": len(study.skipped),
    }

