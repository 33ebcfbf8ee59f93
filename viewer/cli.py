"""`dcreview` entry point: the viewer, plus the headless commands of inference.cli."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from inference import __version__
from inference import cli as engine_cli

LAYOUTS = ("1x1", "1x3", "2x2", "compare")
MODES = {"synthetic": "SYNTHETIC", "enhancement": "ENHANCEMENT", "swipe": "SWIPE"}


def build_parser() -> argparse.ArgumentParser:
    """Parser of the viewer's own arguments (`dcreview [view] PATH ...`)."""
    commands = ", ".join(engine_cli.COMMANDS)
    parser = argparse.ArgumentParser(
        prog="dcreview",
        description="Review workstation for digital contrast CT. With no PATH, opens the built-in "
                    "demo case (a synthetic phantom, not a patient).",
        epilog=f"Headless commands: dcreview {{{commands}}} ... (dcreview info -h for details)")
    parser.add_argument("--version", action="version", version=f"dcreview {__version__}")
    parser.add_argument("path", nargs="?", help="DICOM folder, DICOMDIR, zip, NIfTI or NRRD file")
    parser.add_argument("--series", help="series UID or number when the folder holds several")
    parser.add_argument("--compare", metavar="PATH", help="real contrast scan to compare with")
    parser.add_argument("--overlay", metavar="PATH",
                        help="digital contrast volume on the same grid (shown as SYNTHETIC)")
    parser.add_argument("--layout", choices=LAYOUTS, help="screen layout")
    parser.add_argument("--opacity", type=float, help="overlay opacity 0..1")
    parser.add_argument("--mode", choices=tuple(MODES), help="overlay display mode")
    parser.add_argument("--preset", help="window preset (abdomen, soft_tissue, angio, bone, "
                                         "lung, dicom)")
    parser.add_argument("--screenshot", metavar="FILE",
                        help="render the views offscreen to a PNG and exit")
    parser.add_argument("--size", default="1500x620", help="window size for --screenshot")
    parser.add_argument("--smoke-test", action="store_true",
                        help="check this installation (model checksum, a tiny synthesis, one "
                             "rendered frame), print JSON, exit 0 when all work")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to a headless command or open the viewer."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--smoke-test"]:
        from viewer.smoke_test import run

        return run()
    if argv[:2] == ["study", "summary"] and "--gui" in argv:
        from viewer.reader.summary_window import main as summary_main

        return summary_main(next(a for a in argv[2:] if not a.startswith("-")))
    if argv[:2] == ["study", "preview"]:
        from viewer.reader.preview import main as preview_main

        return preview_main(argv[2:])
    if argv[:2] == ["study", "read"]:
        from viewer.reader.app import main as read_main

        return read_main(argv[2:])
    if argv and argv[0] in engine_cli.COMMANDS:
        return engine_cli.main(argv)
    if argv and argv[0] == "view":
        argv = argv[1:]
    args = build_parser().parse_args(argv)
    engine_cli.configure_logging(args.verbose)
    from viewer.app import run_gui

    return run_gui(args)
