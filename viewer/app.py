"""Start the Qt application: interactive, or render a screenshot offscreen and exit."""

from __future__ import annotations

import argparse
import sys

from viewer.vtk_setup import configure_rendering

configure_rendering()

from PySide6.QtWidgets import QApplication  # noqa: E402

from inference.errors import StudyError  # noqa: E402
from inference.study_loader import open_volume  # noqa: E402


def application() -> QApplication:
    """The QApplication (created once)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("dcreview")
        app.setOrganizationName("dcreview")
    return app  # type: ignore[return-value]


def _load_for_screenshot(args: argparse.Namespace):
    if args.path:
        return open_volume(args.path, series=args.series)
    from inference.demo_case import ensure_demo_case

    return open_volume(ensure_demo_case().noncontrast)


def screenshot(args: argparse.Namespace) -> int:
    """Load synchronously, render the window offscreen, write the PNG."""
    from viewer.main_window import MainWindow
    from viewer.screenshot import save_png

    app = application()
    try:
        result = _load_for_screenshot(args)
    except StudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    window = MainWindow()
    width, height = (int(v) for v in args.size.lower().split("x"))
    window.resize(width, height)
    window.show()
    app.processEvents()
    window.show_volume(result.volume, result.warnings)
    if args.preset:
        window.apply_preset(args.preset)
    app.processEvents()
    path = save_png(window.capture(), args.screenshot)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(path)
    window.close()
    return 0


def run_gui(args: argparse.Namespace) -> int:
    """Run the viewer (or the screenshot mode)."""
    if args.screenshot:
        return screenshot(args)
    from viewer.main_window import MainWindow

    app = application()
    window = MainWindow()
    window.show()
    if args.path:
        window.load(args.path, series=args.series)
    else:
        window.open_demo()
    return app.exec()
