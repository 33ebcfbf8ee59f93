"""Start the Qt application: interactive, or render a screenshot offscreen and exit."""

from __future__ import annotations

import argparse
import sys

from inference.errors import DcreviewError
from inference.io.loader import open_volume
from viewer.review.settings import ephemeral_settings
from viewer.views.application import application


def _apply_view_options(window, args: argparse.Namespace) -> None:
    from viewer.model.layout import Layout
    from viewer.model.state import OverlayMode

    if args.layout:
        window.state.set_layout(next(lay for lay in Layout if lay.value == args.layout))
    if args.opacity is not None:
        window.state.set_overlay_opacity(args.opacity)
    if args.mode:
        window.state.set_overlay_mode(OverlayMode[{"synthetic": "SYNTHETIC",
                                                   "enhancement": "ENHANCEMENT",
                                                   "swipe": "SWIPE"}[args.mode]])
    if args.preset:
        window.apply_preset(args.preset, remember=False)


def screenshot(args: argparse.Namespace) -> int:
    """Load synchronously, render the window offscreen, write the PNG."""
    from viewer.model.layout import Role
    from viewer.review.main_window import MainWindow

    app = application()
    try:
        if args.path:
            base = open_volume(args.path, series=args.series)
        else:
            from inference.phantom.demo_case import ensure_demo_case

            base = open_volume(ensure_demo_case().noncontrast)
        extra = {role: open_volume(path) for role, path in
                 ((Role.OVERLAY, args.overlay), (Role.COMPARE, args.compare)) if path}
    except DcreviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Screenshots must not depend on (or change) the user's remembered layout and preset.
    window = MainWindow(ephemeral_settings())
    width, height = (int(v) for v in args.size.lower().split("x"))
    window.resize(width, height)
    window.show()
    app.processEvents()
    try:
        window.show_volume(base.volume, base.warnings)
        for role, result in extra.items():
            window.show_volume(result.volume, result.warnings, role)
    except DcreviewError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _apply_view_options(window, args)
    app.processEvents()
    path = window.save_screenshot(args.screenshot)
    for w in base.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(path)
    window.close()
    return 0


def display_problem(env: dict | None = None, platform: str | None = None) -> str | None:
    """Why a window cannot open here (no display on Linux), or None when it can."""
    import os

    env = os.environ if env is None else env
    platform = platform or sys.platform
    qpa = env.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or qpa.startswith(("offscreen", "minimal", "vnc")):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open a window on: start dcreview from a desktop session (or with "
            "ssh -X), or render without a window: dcreview view PATH --screenshot out.png "
            "(or set QT_QPA_PLATFORM=offscreen)")


def run_gui(args: argparse.Namespace) -> int:
    """Run the viewer (or the screenshot mode)."""
    if args.screenshot:
        import os

        # A screenshot needs no screen: render offscreen when there is none.
        if display_problem() is not None:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return screenshot(args)
    problem = display_problem()
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from viewer.model.layout import Role
    from viewer.review.main_window import MainWindow

    app = application()
    window = MainWindow()
    window.show()
    if args.path:
        window.load(args.path, series=args.series)
        for role, path in ((Role.OVERLAY, args.overlay), (Role.COMPARE, args.compare)):
            if path:
                window.queue_load(path, role)
    else:
        window.open_demo()
    _apply_view_options(window, args)
    return app.exec()
