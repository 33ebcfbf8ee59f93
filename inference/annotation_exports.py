"""Exporting and importing a study's annotations: CSV, JSON, DICOM SR (the one home of it).

The viewer's Annotate menu and `dcreview annotations export|import` both call these.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inference.annotations.store import AnnotationSet
from inference.errors import ExportError
from inference.io.volume import Volume

FORMATS = {"csv": ("CSV", "*.csv"), "json": ("JSON", "*.json"), "sr": ("DICOM SR", "*.dcm")}


def export_annotations(annotations: AnnotationSet, layers: dict[str, Volume], fmt: str,
                       path: str | Path, deidentify: bool = False,
                       source: Path | None = None, series_uid: str = "") -> Path:
    """Write annotations with measurements and per-layer ROI statistics.

    De-identified exports drop free text (a typed note may name someone); the DICOM SR is
    also de-identified per PS3.15 Basic profile. CSV and JSON never hold identifiers.
    """
    if not annotations.items:
        raise ExportError("there are no annotations to export")
    if deidentify:
        annotations = annotations.without_text()
    path = Path(path)
    if fmt == "csv":
        return annotations.export_csv(path, layers)
    if fmt == "json":
        return annotations.export_json(path, layers)
    if fmt == "sr":
        if source is None or not series_uid:
            raise ExportError("a DICOM SR needs the non-contrast series opened from DICOM")
        from inference.dicom.measurement_report import write_report
        from inference.dicom.synthetic_series import find_source_series

        series = find_source_series(source, series_uid)
        return write_report(annotations, series, layers, path, deidentify=deidentify)
    raise ExportError(f"unknown export format {fmt!r} (csv, json or sr)")


def import_annotations(path: str | Path) -> AnnotationSet:
    """Annotations from a DICOM SR (as written by dcreview) or a dcreview JSON file."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return AnnotationSet.load(path)
    from inference.dicom.measurement_report_reader import read_report

    return read_report(path)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """`dcreview annotations export|import`."""
    ann = sub.add_parser("annotations", help="export annotations (CSV, JSON, DICOM SR) or "
                                             "import them from an SR, headless")
    asub = ann.add_subparsers(dest="annotations_command", required=True)
    exp = asub.add_parser("export", help="write ANNOTATIONS.json as csv, json or sr")
    exp.add_argument("annotations", help="annotations JSON (as dcreview saves them)")
    exp.add_argument("--source", required=True, help="the non-contrast DICOM series")
    exp.add_argument("--series", help="series UID or number if the folder holds several")
    exp.add_argument("--format", choices=tuple(FORMATS), required=True)
    exp.add_argument("-o", "--out", required=True)
    exp.add_argument("--deidentify", action="store_true")
    imp = asub.add_parser("import", help="read an SR's annotations into a JSON file")
    imp.add_argument("sr")
    imp.add_argument("-o", "--out", required=True)


def run(args: argparse.Namespace) -> int:
    """Execute `dcreview annotations ...`."""
    if args.annotations_command == "import":
        annotations = import_annotations(args.sr)
        annotations.save(Path(args.out))
        print(f"wrote {args.out}: {len(annotations.items)} annotations")
        return 0
    from inference.io.loader import open_volume

    annotations = import_annotations(args.annotations)
    volume = open_volume(args.source, series=args.series).volume
    out = export_annotations(annotations, {"non_contrast": volume}, args.format, args.out,
                             args.deidentify, Path(args.source), volume.metadata.series_uid)
    print(f"wrote {out}")
    return 0
