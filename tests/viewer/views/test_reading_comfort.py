"""What a radiologist sees all day: the body fills its view in every layout, fits ignore the
cursor, swipe fades and shows its divider, the start screen says what to do."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QLabel

from tests.support.viewer import open_window
from viewer.model.layout import Layout, Role
from viewer.model.orientation import Plane
from viewer.views.screenshot import capture

pytestmark = pytest.mark.gui


def body_width_fraction(view) -> float:
    """Widest run of body pixels (brighter than air) across the view, as a fraction."""
    view.render()
    rgb = capture(view.render_window).astype(int)
    middle = rgb[rgb.shape[0] // 4: 3 * rgb.shape[0] // 4]
    # Grey anatomy only: coloured lines and letters do not count, nor thin marks.
    grey = (middle[..., 0] > 40) & (np.abs(middle[..., 0] - middle[..., 2]) < 25)
    cols = np.flatnonzero(grey.sum(axis=0) >= 8)
    # Relative to the view's shorter side: a fit fills that side, whatever the aspect.
    return (cols.max() - cols.min() + 1) / min(rgb.shape[:2]) if cols.size else 0.0


@pytest.mark.parametrize("layout", [Layout.COMPARE, Layout.ROW, Layout.GRID, Layout.ONE])
def test_every_layout_fits_the_body_to_its_view(qtbot, settings, phantom_volumes, layout):
    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, compare=arterial, size=(1600, 1200))
    for lay in Layout:  # visit every layout first: hidden views must not spoil the fit
        w.state.set_layout(lay)
        QApplication.processEvents()
    w.state.set_layout(layout)
    QApplication.processEvents()
    w.reset_view()
    QApplication.processEvents()
    axial = w.grid.view(Plane.AXIAL, Role.BASE)
    assert body_width_fraction(axial) >= 0.6


def test_fit_centres_the_volume_not_the_cursor(qtbot, settings, phantom_volumes):
    plain = phantom_volumes[0]
    w = open_window(qtbot, settings, plain, size=(1200, 900))
    w.state.set_layout(Layout.GRID)
    QApplication.processEvents()
    corner = plain.index_to_world(np.array([[35, 10, 10]]))[0]  # far from the centre
    w.state.set_cursor(corner)
    w.grid.reset_cameras()
    centre = plain.geometry.center(plain.shape)
    for view in w.grid.slice_views():
        focal = view.cursor
        in_plane = (focal - centre) - view.frame.look * np.dot(view.frame.look, focal - centre)
        assert np.linalg.norm(in_plane) < 1e-6  # in-plane centre: the volume's
        assert abs(np.dot(view.frame.look, focal - corner)) < 1e-6  # slice: the cursor's


def test_the_cli_compare_screenshot_is_not_postage_stamps(small_case, tmp_path):
    from PIL import Image

    from viewer.cli import main

    out = tmp_path / "compare.png"
    assert main(["view", str(small_case.noncontrast), "--compare", str(small_case.contrast),
                 "--layout", "compare", "--screenshot", str(out), "--size", "1600x1200"]) == 0
    rgb = np.asarray(Image.open(out))[..., :3].astype(int)
    h, w, _ = rgb.shape
    tile = rgb[: h // 2 - 5, : w // 3 - 5]  # the non-contrast axial view
    middle = tile[tile.shape[0] // 4: 3 * tile.shape[0] // 4]
    # Grey anatomy only: the coloured crosshair and orientation letters do not count.
    grey = (middle[..., 0] > 40) & (np.abs(middle[..., 0] - middle[..., 2]) < 25)
    cols = np.flatnonzero(grey.sum(axis=0) >= 8)  # letters and lines are thinner than this
    # Measured on the old code: the body spanned about 0.3 of the view.
    assert (cols.max() - cols.min() + 1) / tile.shape[1] >= 0.6


def test_no_display_gives_one_line_not_a_core_dump(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    run = subprocess.run([sys.executable, "-m", "viewer"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().startswith("error: no display to open a window on")
    assert "--screenshot" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_an_overlay_from_nifti_shares_the_base_grid_exactly(qtbot, settings, small_case,
                                                            phantom_volumes, tmp_path):
    from inference.annotations.model import Annotation, Kind
    from inference.annotations.stats import roi_stats
    from inference.io.image_file import read_image, write_image

    plain, arterial = phantom_volumes
    from dataclasses import replace

    in_app = replace(arterial, synthetic=True)
    from_file = read_image(write_image(in_app, tmp_path / "dc.nii.gz"))
    w = open_window(qtbot, settings, plain, overlay=from_file)
    overlay = w.state.overlay
    assert overlay.geometry is w.state.base.geometry  # one grid for all layers
    c = plain.geometry.center(plain.shape)
    sp = np.asarray(plain.geometry.spacing)
    for k in range(-8, 9):  # points on voxel boundaries land in the same voxel of each layer
        q = c + np.array([0.5 * sp[0] * k, 0.5 * sp[1] * k, 0.0])
        assert np.array_equal(np.rint(plain.world_to_index(q)), np.rint(overlay.world_to_index(q)))
    roi = Annotation(Kind.RECTANGLE, (tuple(c - sp * 3.5), tuple(c + sp * 3.5)))
    stats = roi_stats(roi, w.state.layers())
    assert stats["non_contrast"]["voxels"] == stats["synthetic"]["voxels"]


def _box(actor, renderer) -> tuple[float, float, float, float]:
    b = [0.0] * 4
    actor.GetBoundingBox(renderer, b)
    return b[0], b[2], b[1], b[3]  # x0, y0, x1, y1


def test_corner_texts_fit_and_never_overlap(qtbot, settings, phantom_volumes):
    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, overlay=arterial, size=(1000, 420))
    for view in w.grid.slice_views():
        view.render()
        width = view.render_window.GetSize()[0]
        info, banner = view.info.box(), _box(view.synthetic_label, view.renderer)
        bar_left = min(view.scale_bar.points.GetPoint(n)[0] for n in range(4))
        assert info[2] < bar_left - 4  # the corner text ends before the scale bar begins
        assert banner[2] <= width  # the banner wraps instead of being cut
        assert "SYNTHETIC" in view.synthetic_label.GetInput()
        assert "%" in view.info.GetInput()  # the opacity survives any shortening


def test_a_single_slice_says_why_the_reformats_are_empty(qtbot, settings, pydicom_file):
    from inference.io.loader import open_volume

    single = open_volume(pydicom_file("CT_small.dcm")).volume
    assert single.shape[0] == 1
    w = open_window(qtbot, settings, single, size=(1200, 420))
    hints = {v.plane: v.hint.GetInput() for v in w.grid.slice_views()
             if v.hint.GetVisibility()}
    assert set(hints) == {Plane.CORONAL, Plane.SAGITTAL}
    assert all("One slice only" in h for h in hints.values())


def test_colour_maps_have_a_colour_bar_and_a_noise_aware_threshold(qtbot, settings,
                                                                    phantom_volumes):
    from viewer.model.state import OverlayMode
    from viewer.pixels.enhancement import noise_threshold

    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, overlay=arterial)
    assert w.state.enhancement_threshold == noise_threshold(plain, arterial)
    axial = w.grid.view(Plane.AXIAL)
    axial.render()
    assert not axial.colour_bar.actor.GetVisibility()  # greyscale: no colour bar
    w.state.set_overlay_mode(OverlayMode.ENHANCEMENT)
    axial.render()
    bar = axial.colour_bar
    assert bar.actor.GetVisibility() and "HU" in bar.actor.GetTitle()
    assert bar.lut.GetRange() == pytest.approx((w.state.enhancement_threshold, 400.0))


def test_status_messages_are_not_cut_off_by_the_position_readout(qtbot, settings,
                                                                 phantom_volumes):
    """The registration result and its 'Accept, or use Compare > Manual adjust' were cut off by
    the position readout beside them."""
    w = open_window(qtbot, settings, phantom_volumes[0], size=(1200, 460))
    w._on_hover(w.state.cursor)
    readout = w.position_label
    assert readout.isVisible() and "HU" in readout.text()
    message = ("Registered (rigid): body outlines agree to 1.2 mm (mean surface distance), "
               "Mattes MI -0.512; rotation (0.8, -0.5, 1.5) deg, translation (2.5, -1.8, 3.0) "
               "mm. Accept, or use Compare > Manual adjust")
    w.show_status(message, 30000)
    w._on_hover(w.state.cursor)  # the mouse keeps moving while the message is new
    QApplication.processEvents()
    room = w.statusBar().width() - sum(
        c.width() for c in w.statusBar().findChildren(QLabel) if c.isVisible()
        and c is not readout and c.text())
    assert not readout.isVisible()
    assert w.statusBar().fontMetrics().horizontalAdvance(message) < room
    assert w.statusBar().toolTip() == message  # kept whole for later
    w.status_line._since -= 10  # after the message's first seconds, hovering shows it again
    w._on_hover(w.state.cursor)
    assert readout.isVisible()
    w.statusBar().clearMessage()
    assert readout.isVisible() and w.statusBar().toolTip() == ""


def _speckle(rgb: np.ndarray) -> int:
    """Faint non-background pixels away from the spine and the marker: rendered noise."""
    h, wd, _ = rgb.shape
    background = rgb[5, wd // 2]
    faint = (np.abs(rgb - background).max(axis=-1) > 6) & (rgb.max(axis=-1) < 90)
    faint[:, int(0.42 * wd): int(0.58 * wd)] = False  # the spine column
    faint[:, int(0.78 * wd):] = False  # the orientation marker
    faint[: int(0.1 * h)] = faint[int(0.9 * h):] = False  # banner and title
    return int(faint.sum())


def test_the_3d_view_has_no_noise_box_and_fits_its_title(qtbot, settings, small_case,
                                                          phantom_volumes):
    """Noise in soft tissue drew a faint speckled box around the body; a long synthetic
    series title ran out of the view."""
    from dataclasses import replace

    from inference.io.loader import open_volume

    full = open_volume(small_case.noncontrast).volume
    w = open_window(qtbot, settings, full, size=(900, 700))
    w.state.set_layout(Layout.GRID)
    QApplication.processEvents()
    view = w.grid.volume_view
    view.render_now()
    smooth = _speckle(capture(view.render_window).astype(int))
    strided = replace(full, array=full.array[::1].copy())  # same pixels, no smoothing
    from viewer.views import volume_view

    original = volume_view.decimated
    volume_view.decimated = lambda v: v  # the old behaviour: raw voxels
    try:
        view.show_volume(strided, None, "raw")
        view.render_now()
        raw = _speckle(capture(view.render_window).astype(int))
    finally:
        volume_view.decimated = original
    assert smooth * 3 < raw, (smooth, raw)
    long = "SYNTHETIC digital contrast (a-consortium-model 3.1.4) of " + "Abdomen " * 12
    view.show_volume(replace(full, array=full.array.copy()), None, long)
    view.render_now()
    title = view.title.GetInput()
    assert title.endswith("\u2026") and len(title) * 7.4 < 0.8 * view.render_window.GetSize()[0]


def test_colour_maps_are_smoothed_by_default(qtbot, settings, phantom_volumes):
    """In-plane smoothing, on from the start, calms a noisy subtraction's speckle; it can be
    switched off to see the map voxel by voxel."""
    from viewer.model.state import OverlayMode

    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, overlay=arterial)
    w.state.set_overlay_mode(OverlayMode.ENHANCEMENT)
    assert w.overlay.smooth_action.isVisible() and w.overlay.smooth_check.isChecked()
    assert w.state.map_smoothing_mm == pytest.approx(1.5)
    smooth = w.grid.pixels.source(w.state).copy()
    w.overlay.smooth_check.setChecked(False)
    raw = w.grid.pixels.source(w.state).copy()
    w.overlay.smooth_check.setChecked(True)
    # Speckle: voxels above the threshold whose neighbours are mostly below it.
    def isolated(m):
        above = m > w.state.enhancement_threshold
        neighbours = sum(np.roll(above, s, axis=a) for a in (1, 2) for s in (-1, 1))
        return int((above & (neighbours <= 1)).sum())
    assert isolated(smooth) * 3 < isolated(raw)
    # The aortic lumen still stands out after smoothing.
    from tests.support.viewer import AORTA

    k, j, i = np.rint(plain.geometry.world_to_index(np.asarray(AORTA))).astype(int)[::-1]
    assert smooth[k, j, i] > 150
    w.state.set_map_smoothing(0.0)
    assert not w.overlay.smooth_check.isChecked()
    assert np.array_equal(w.grid.pixels.source(w.state), raw)


def test_menus_say_w_l_not_window(qtbot, settings, phantom_volumes):
    """'Window' read as window management; the presets live under 'W/L'."""
    w = open_window(qtbot, settings, phantom_volumes[0])
    titles = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert "W/L" in titles and "Window" not in titles
    wl = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == "W/L")
    assert any("Angio" in a.text() or "angio" in a.text().lower() for a in wl.actions())


def test_energy_report_is_a_table_with_headers():
    """The energy dialog was a cramped table without column headers."""
    from inference.energy.meter import EnergyMeter
    from viewer.review.energy_dialog import energy_html

    meter = EnergyMeter(country="UK")
    meter.start()
    sum(range(200_000))
    html = energy_html(meter.stop("CPUExecutionProvider"))
    headers = [h.rsplit(">", 1)[1] for h in html.split("</th>")[:-1]]
    assert headers == ["Component", "Energy", "Status", "Method"]
    assert html.count("<tr>") >= 2 and "g CO2e" in html


def test_energy_dialog_totals_in_plain_words_and_agrees_with_the_status_bar():
    """The dialog had no total, said 'CPUExecutionProvider', and gave another run time than
    the status bar's line."""
    from inference.energy.meter import Component, EnergyReport
    from inference.synthesis.engine import SynthesisResult
    from viewer.review.energy_dialog import energy_html
    from viewer.review.synthesis import SynthesisOutcome, ready_message

    report = EnergyReport(12.34, "CUDAExecutionProvider",
                          [Component("cpu", 100.0, "estimated", "x"),
                           Component("gpu", 260.0, "measured", "y"),
                           Component("ram", 8.0, "estimated", "z")], {"g_per_kwh": 200.0,
                          "country": "UK", "source": "s", "year": 2024})
    html = energy_html(report)
    assert "ExecutionProvider" not in html and "NVIDIA GPU (CUDA)" in html
    assert "<b>Total</b></td><td nowrap><b>368.0 J (0.102 Wh)" in html
    assert "Processor (CPU)" in html and "Memory (RAM)" in html
    result = SynthesisResult.__new__(SynthesisResult)
    object.__setattr__(result, "slices", 40)
    object.__setattr__(result, "seconds", 9.0)  # the model's part of the run only
    object.__setattr__(result, "provider", "CUDAExecutionProvider")
    object.__setattr__(result, "notes", [])
    object.__setattr__(result, "domain", type("D", (), {"in_domain": True})())
    object.__setattr__(result, "trust", None)
    line = ready_message(SynthesisOutcome(result, report))
    assert "in 12.3 s on NVIDIA GPU (CUDA)" in line and "Run: 12.3 s" in html
