"""Viewer responsiveness: slice scroll, overlay fade and layout switch times; memory.

Renders offscreen (Qt offscreen + OSMesa software rendering) with three 512x512x400 series
loaded (non-contrast, a digital-contrast stand-in as overlay, a real-contrast stand-in).
Times are per update and include the render; the reference is a bare re-render of the same
view in the same process. Scrolling is timed back to back (no idle time at all) and at a
wheel's pace (a notch every 25 ms, the event loop running in between). Prints a table and
writes JSON.

    python benchmarks/viewer.py [--updates 200] [--slices 400]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkOSOpenGLRenderWindow")

import numpy as np  # noqa: E402
from reporting import GapProbe, finish, status_mb  # noqa: E402


def rss_mb() -> float:
    """Current resident memory of this process."""
    return status_mb("VmRSS")


def make_volumes(n: int, slices: int):
    """Three int16 series on one grid: body-like ellipses with noise, and an enhanced aorta."""
    from inference.io.geometry import Geometry
    from inference.io.volume import SeriesMetadata, Volume

    g = Geometry((-192.0, -192.0, -200.0), (0.75, 0.75, 1.0))
    j, i = np.mgrid[0:n, 0:n]
    body = ((i - n / 2) / (0.42 * n)) ** 2 + ((j - n / 2) / (0.32 * n)) ** 2 <= 1
    aorta = (i - 0.53 * n) ** 2 + (j - 0.55 * n) ** 2 <= (0.03 * n) ** 2
    rng = np.random.default_rng(0)
    out = []
    for name, lumen in (("non-contrast", 40), ("digital", 300), ("real", 320)):
        a = np.empty((slices, n, n), dtype=np.int16)
        for k in range(slices):
            s = np.where(body, 40, -1000).astype(np.int16)
            s[aorta] = lumen
            s += rng.integers(-15, 16, size=(n, n), dtype=np.int16)
            a[k] = s
        out.append(Volume(a, g, metadata=SeriesMetadata(series_description=f"bench {name}")))
    return out


def timed(fn, n: int, wait) -> list[float]:
    """Per-call milliseconds of ``fn`` followed by ``wait`` (render completion)."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        wait()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def rounds(fns: list, n: int, wait, interval_ms: int | None = None) -> list[list[float]]:
    """Per-call milliseconds of each of ``fns`` (each followed by ``wait``), called in turn
    ``n`` times, so that every operation and its reference see the same load on a shared
    machine. With ``interval_ms`` the calls come at a wheel's pace (one every ``interval_ms``)
    with the event loop running in between, as for a real wheel."""
    times: list[list[float]] = [[] for _ in fns]

    def call(k: int) -> None:
        t0 = time.perf_counter()
        fns[k]()
        wait()
        times[k].append((time.perf_counter() - t0) * 1000)

    if interval_ms is None:
        for _ in range(n):
            for k in range(len(fns)):
                call(k)
        return times
    from PySide6.QtCore import QEventLoop, QTimer

    loop, ticks = QEventLoop(), [0]

    def step() -> None:
        call(ticks[0] % len(fns))
        ticks[0] += 1
        if ticks[0] >= n * len(fns):
            timer.stop()
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(interval_ms)
    loop.exec()
    return times


def summary(times: list[float]) -> dict:
    """Median and 95th percentile (ms)."""
    s = sorted(times)
    return {"median_ms": statistics.median(s), "p95_ms": s[int(0.95 * (len(s) - 1))],
            "n": len(s)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--slices", type=int, default=400)
    parser.add_argument("--matrix", type=int, default=512)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "viewer.json")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from viewer.model.layout import Layout, Role
    from viewer.review.main_window import MainWindow
    from viewer.review.settings import ViewerSettings
    from viewer.views.application import application

    app: QApplication = application()
    rss_start = rss_mb()
    base, digital, real = make_volumes(args.matrix, args.slices)
    data_mb = 3 * base.nbytes / 2**20
    rss_loaded = rss_mb()
    settings = ViewerSettings(QSettings(str(HERE / "results" / "viewer-settings.ini"),
                                        QSettings.Format.IniFormat))
    window = MainWindow(settings)
    window.state.set_layout(Layout.ONE)
    window.resize(700, 700)
    window.show()
    app.processEvents()
    window.show_volume(base)
    window.show_volume(digital, role=Role.OVERLAY)
    window.show_volume(real, role=Role.COMPARE)
    window.state.set_layout(Layout.ONE)
    for _ in range(5):
        app.processEvents()
    view = window.grid.slice_views()[0]
    # Size the window so that the view itself is 512 x 512 pixels.
    for _ in range(5):
        dw = args.matrix - view.canvas.width()
        dh = args.matrix - view.canvas.height()
        if not dw and not dh:
            break
        window.resize(window.width() + dw, window.height() + dh)
        app.processEvents()
    size = (view.canvas.width(), view.canvas.height())
    rw = view.render_window
    wait = rw.WaitForCompletion if hasattr(rw, "WaitForCompletion") else (lambda: None)
    window.state.set_overlay_opacity(0.5)
    app.processEvents()

    direction = [1]

    def scroll() -> None:
        if not 5 < view.slice_index() < view.slice_count() - 5:
            direction[0] = -direction[0]
        view.scroll(direction[0])

    values = iter(np.tile(np.linspace(0.0, 1.0, 21), 2 * args.updates))
    reference, scroll_t, opacity_t = rounds(
        [view.render, scroll, lambda: window.state.set_overlay_opacity(next(values))],
        args.updates, wait)
    wheel_reference, wheel_t = rounds([view.render, scroll], args.updates, wait, 25)
    # The same scroll with the overlay hidden: what changing slices costs by itself (a new
    # texture, the corner text), so that the overlay's own share can be told apart.
    window.state.set_overlay_visible(False)
    app.processEvents()
    plain_reference, plain_t = rounds([view.render, scroll], args.updates, wait)
    window.state.set_overlay_visible(True)
    app.processEvents()
    cycle = iter([Layout.ROW, Layout.COMPARE, Layout.ONE] * args.updates)
    layout_t = timed(lambda: (window.state.set_layout(next(cycle)), app.processEvents()),
                     min(30, args.updates), wait)
    window.state.set_layout(Layout.ONE)
    app.processEvents()
    view = window.grid.slice_views()[0]
    rss_before = rss_mb()
    timed(scroll, 500, wait)
    rss_after = rss_mb()
    peak = status_mb("VmHWM")
    stall = synthesis_stall(app, window, view) if window.synthesis.card else None
    window.state.set_layout(Layout.ONE)
    app.processEvents()
    registering = registration_stall(app, window, window.grid.slice_views()[0], real)

    report = {
        "view_px": list(size), "series": 3, "matrix": args.matrix, "slices": args.slices,
        "reference_render": summary(reference),
        "scroll_with_overlay": summary(scroll_t),
        "reference_render_at_wheel_pace": summary(wheel_reference),
        "scroll_at_wheel_pace": summary(wheel_t),
        "opacity_change": summary(opacity_t),
        "reference_render_overlay_hidden": summary(plain_reference),
        "scroll_without_overlay": summary(plain_t),
        "layout_switch": summary(layout_t),
        "memory_mb": {"start": rss_start, "three_series_loaded": rss_loaded,
                      "data": data_mb, "peak": peak,
                      "before_500_updates": rss_before, "after_500_updates": rss_after,
                      "growth_over_500_updates": rss_after - rss_before},
    }
    if stall is not None:
        report["event_loop_during_synthesis"] = stall
    report["event_loop_during_registration"] = registering
    ref_ms = report["reference_render"]["median_ms"]
    report["floors"] = {
        "scroll back to back <= 1.3x bare render": (
            report["scroll_with_overlay"]["median_ms"] <= 1.3 * ref_ms),
        "scroll at wheel pace <= 1.3x bare render": (
            report["scroll_at_wheel_pace"]["median_ms"]
            <= 1.3 * report["reference_render_at_wheel_pace"]["median_ms"]),
        "fade <= 1.3x bare render": report["opacity_change"]["median_ms"] <= 1.3 * ref_ms,
        "scroll median <= 16 ms": report["scroll_with_overlay"]["median_ms"] <= 16,
        "opacity median <= 16 ms": report["opacity_change"]["median_ms"] <= 16,
        "memory flat over 500 updates (< 20 MB)": report["memory_mb"][
            "growth_over_500_updates"] < 20,
    }
    if stall is not None:
        report["floors"]["event loop never stalls > 100 ms during synthesis"] = (
            stall["max_gap_ms"] <= 100)
    report["floors"]["event loop never stalls > 100 ms during registration"] = (
        registering["max_gap_ms"] <= 100)
    print(f"\nview {size[0]}x{size[1]} px, three {args.matrix}x{args.matrix}x{args.slices} "
          f"series ({data_mb:.0f} MB), software rendering")
    print(f"{'operation':<30}{'median ms':>9}{'p95 ms':>9}{'x reference':>13}")
    ref = report["reference_render"]["median_ms"]
    wheel_ref = report["reference_render_at_wheel_pace"]["median_ms"]
    plain_ref = report["reference_render_overlay_hidden"]["median_ms"]
    for name, base in (("reference_render", ref), ("scroll_with_overlay", ref),
                       ("opacity_change", ref), ("layout_switch", ref),
                       ("reference_render_at_wheel_pace", wheel_ref),
                       ("scroll_at_wheel_pace", wheel_ref),
                       ("reference_render_overlay_hidden", plain_ref),
                       ("scroll_without_overlay", plain_ref)):
        r = report[name]
        print(f"{name:<32}{r['median_ms']:>7.2f}{r['p95_ms']:>9.2f}{r['median_ms'] / base:>13.2f}")
    # Each against its own interleaved reference, then one against the other.
    report["overlay_scroll_over_plain_scroll"] = (
        report["scroll_with_overlay"]["median_ms"] / ref) / (
        report["scroll_without_overlay"]["median_ms"] / plain_ref)
    ratio = report["overlay_scroll_over_plain_scroll"]
    print(f"{'scroll with overlay / without':<32}{ratio:>29.2f}")
    m = report["memory_mb"]
    print(f"\nRSS: start {m['start']:.0f} MB, with 3 series {m['three_series_loaded']:.0f} MB "
          f"(data {m['data']:.0f} MB), peak {m['peak']:.0f} MB; "
          f"500 scroll updates: {m['before_500_updates']:.0f} -> {m['after_500_updates']:.0f} MB")
    if stall is not None:
        print(f"event loop while synthesising {stall['slices']} slices (scrolling every 40 ms): "
              f"median gap {stall['median_gap_ms']:.0f} ms, p95 {stall['p95_gap_ms']:.0f} ms, "
              f"max {stall['max_gap_ms']:.0f} ms")
    print(f"event loop while registering {registering['slices']} slices (scrolling every 40 ms): "
          f"median gap {registering['median_gap_ms']:.0f} ms, p95 "
          f"{registering['p95_gap_ms']:.0f} ms, max {registering['max_gap_ms']:.0f} ms")
    window.close()
    return finish(report, args.out, width=52)


def _subset(volume, slices: int):
    return type(volume)(np.ascontiguousarray(volume.array[:slices]), volume.geometry,
                        volume.modality, volume.metadata)


def stall_while(app, view, start, finished) -> dict:
    """Event-loop gaps (probed every 10 ms) while ``start()`` runs its job in the background
    and the user scrolls, until one of the ``finished`` signals: the GUI must stay
    responsive. Measured here, never asserted in a test."""
    from PySide6.QtCore import QEventLoop, QTimer

    app.processEvents()
    probe = GapProbe()
    step = [1]

    def scroll() -> None:
        if not 2 < view.slice_index() < view.slice_count() - 2:
            step[0] = -step[0]
        view.scroll(step[0])

    scroll_timer = QTimer()
    scroll_timer.timeout.connect(scroll)
    scroll_timer.start(40)
    loop = QEventLoop()
    for signal in finished:
        signal.connect(lambda *_: QTimer.singleShot(300, loop.quit))  # and what follows it
    probe.start()
    start()
    loop.exec()
    scroll_timer.stop()
    return probe.stop()


def synthesis_stall(app, window, view, slices: int = 48) -> dict:
    """The event loop while the model runs on ``slices`` slices (and the result is shown)."""
    from viewer.model.layout import Role

    window.show_volume(_subset(window.state.base, slices))
    window.state.set_volume(Role.OVERLAY, None)
    out = stall_while(app, view, window.start_synthesis,
                      [window.synthesis.finished, window.synthesis.failed])
    return {"slices": slices, **out}


def registration_stall(app, window, view, real, slices: int = 48) -> dict:
    """The event loop while the real scan is registered (and the result is shown)."""
    from viewer.model.layout import Role

    base = window.state.base
    window.show_volume(_subset(base, slices))
    window.show_volume(_subset(real, slices), role=Role.COMPARE)
    window.state.set_layout(window.state.layout)
    out = stall_while(app, view, window.compare.start_registration,
                      [window.registration.finished, window.registration.failed])
    return {"slices": slices, **out}


if __name__ == "__main__":
    sys.exit(main())
