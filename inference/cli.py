"""Headless command line: `dcreview info|demo-data ...` (also `python -m inference`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from inference import __version__
from inference.errors import StudyError

COMMANDS = ("info", "demo-data")


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for the headless commands."""
    parser = argparse.ArgumentParser(prog="dcreview", description="dcreview headless engine")
    parser.add_argument("--version", action="version", version=f"dcreview {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="list the series in a folder/DICOMDIR/zip/file and "
                                       "their geometry")
    info.add_argument("path")
    demo = sub.add_parser("demo-data", help="write the synthetic phantom demo case "
                                            "(non-contrast + arterial DICOM, ground truth)")
    demo.add_argument("outdir")
    demo.add_argument("--matrix", type=int, default=320, help="in-plane pixels (default 320)")
    demo.add_argument("--slices", type=int, default=112, help="number of slices (default 112)")
    demo.add_argument("--pixel-mm", type=float, default=1.2)
    demo.add_argument("--slice-mm", type=float, default=2.5)
    demo.add_argument("--seed", type=int, default=0,
                      help="0 is the fixed demo patient; other seeds vary the anatomy")
    return parser


def configure_logging(verbose: bool) -> None:
    """Log to stderr; patient identifiers are never passed to the logger."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def run(args: argparse.Namespace) -> int:
    """Execute a parsed headless command; returns the process exit code."""
    if args.command == "info":
        from inference.series_report import describe_path

        lines, ok = describe_path(args.path)
        print("\n".join(lines))
        if not ok:
            print("error: no loadable CT volume found", file=sys.stderr)
        return 0 if ok else 1
    if args.command == "demo-data":
        from inference.demo_case import DEMO_NOTICE, write_demo_case

        case = write_demo_case(args.outdir, matrix=args.matrix, slices=args.slices,
                               pixel_mm=args.pixel_mm, slice_mm=args.slice_mm, seed=args.seed)
        print(f"wrote demo case to {case.root}\n  {case.noncontrast}\n  {case.contrast}\n"
              f"  {case.labels}\n  {case.truth}\n{DEMO_NOTICE}")
        return 0
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m inference`."""
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        return run(args)
    except StudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
