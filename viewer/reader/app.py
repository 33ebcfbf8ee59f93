"""`dcreview study read STUDY [--reader ID]`: log in and read."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from inference.errors import DcreviewError


def choose_reader(readers: Sequence[str]) -> str | None:
    """Ask which reader is logging in (no password: each reader's results stay separate)."""
    from PySide6.QtWidgets import QInputDialog

    name, ok = QInputDialog.getItem(None, "dcreview reader study", "Reader:", list(readers),
                                    0, False)
    return name if ok else None


def main(argv: Sequence[str]) -> int:
    """Open the reading window for a study folder."""
    parser = argparse.ArgumentParser(prog="dcreview study read")
    parser.add_argument("dir")
    parser.add_argument("--reader")
    parser.add_argument("--key", help="install this reader key (from the coordinator) first")
    args = parser.parse_args(argv)
    from inference.readerstudy.store import StudyStore
    from viewer.reader.reading_window import ReadingWindow
    from viewer.views.application import application

    app = application()
    try:
        store = StudyStore(Path(args.dir))
        reader = args.reader or choose_reader(store.protocol.readers)
        if reader is None:
            return 1
        if args.key:
            from inference.readerstudy.keys import install_reader_key

            install_reader_key(store.study_id, reader, args.key)
        window = ReadingWindow(store, reader)
    except DcreviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    window.show()
    return app.exec()
