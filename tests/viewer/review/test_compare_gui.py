"""Comparing with a real contrast scan in the viewer: registration, metrics, difference map."""

from dataclasses import replace

import pytest

from inference.io.volume import SeriesMetadata
from tests.support.viewer import open_window
from viewer.model.layout import Role
from viewer.model.orientation import Plane
from viewer.model.state import OverlayMode

pytestmark = pytest.mark.gui


@pytest.fixture
def comparing(qtbot, settings, phantom_volumes):
    plain, arterial = phantom_volumes
    real = arterial.with_array(arterial.array)  # the acquired real scan (moved patient)
    return open_window(qtbot, settings, plain, overlay=arterial, compare=real,
                       size=(1300, 800))


def test_register_then_metrics_and_difference_map(comparing, qtbot, tmp_path):
    w = comparing
    from viewer.model.layout import Layout

    w.state.set_layout(Layout.ROW)  # overlays (and the difference map) draw in these views
    w.state.set_overlay_mode(OverlayMode.DIFFERENCE)
    assert w.state.overlay_mode is not OverlayMode.DIFFERENCE  # not before registration
    w.compare.start_registration()
    assert w.registration.running and w.registration.status.bar.isVisible()
    qtbot.waitUntil(lambda: not w.registration.running, timeout=120_000)
    w.state.set_overlay_mode(OverlayMode.DIFFERENCE)
    assert w.state.overlay_mode is OverlayMode.DIFFERENCE
    assert "Registered (rigid): body outlines agree to" in w.statusBar().currentMessage()
    assert w.state.compare_on_grid
    registered = w.state.volumes[Role.COMPARE]
    assert registered.provenance["registered_to"] == w.state.base.metadata.series_uid
    qtbot.waitUntil(lambda: w.comparison.figures is not None, timeout=120_000)
    assert w.comparison.isVisible()
    figures = w.comparison.figures
    from inference.compare.metrics import body_mask, mae

    mask = body_mask(registered.array)
    expected = mae(registered.array, w.state.base.array, mask)
    assert figures["identity_baseline"]["mae_hu"] == pytest.approx(expected)
    assert w.comparison.table.item(0, 1).text() == f"{expected:.1f}"
    png = w.comparison.export_png(tmp_path / "plots.png")
    assert png.stat().st_size > 5000
    info = w.grid.view(Plane.AXIAL, Role.BASE).info.GetInput()
    # The views are narrow here (a dock open, the legend's margin): the mode's short name,
    # never overlapping.
    assert ("Overlay: difference" in info or "Difference" in info) and "register" not in info
    computed = w.grid.pixels.difference.computed  # once per (real, digital) pair
    for opacity in (0.2, 0.6, 0.9):
        w.state.set_overlay_opacity(opacity)
    assert w.grid.pixels.difference.computed == computed
    # The map's own noise band, in the threshold box; the legend in ΔHU.
    assert "Noise band" in w.overlay.threshold_label.text()
    assert w.overlay.threshold_spin.value() == pytest.approx(40.0)
    enhancement = w.state.enhancement_threshold
    w.overlay.threshold_spin.setValue(80.0)
    assert w.state.difference_threshold == 80.0
    assert w.state.enhancement_threshold == enhancement  # its own threshold, untouched
    w.grid.render_all()
    axial = w.grid.view(Plane.AXIAL, Role.BASE)
    assert axial.texts.colour_bar.kind == "difference"
    assert axial.texts.colour_bar.actor.GetTitle() == "\u0394HU"


def test_manual_adjust_moves_the_real_scan(comparing, qtbot):
    w = comparing
    w.compare.start_registration()
    qtbot.waitUntil(lambda: not w.registration.running, timeout=120_000)
    before = w.state.volumes[Role.COMPARE]
    w.compare.act_manual.trigger()
    assert all(a.isEnabled() for a in w.compare.manual_actions)
    w.compare.nudge((0, 0, 0), (4.0, 0, 0))
    after = w.state.volumes[Role.COMPARE]
    assert after is not before and w.state.compare_on_grid
    # Shifting by 4 mm (one voxel here) changes the resampled image.
    assert (after.array != before.array).mean() > 0.01
    w.compare.revert()
    assert w.state.volumes[Role.COMPARE] is w.registration.original


def test_difference_needs_registration_and_other_patient_is_refused(qtbot, settings,
                                                                      phantom_volumes):
    plain, arterial = phantom_volumes
    someone_else = replace(arterial, metadata=SeriesMetadata(patient_pseudonym="ffff0000"))
    shifted = replace(someone_else, geometry=replace(arterial.geometry,
                                                     origin=(0.0, 0.0, 0.0)))
    w = open_window(qtbot, settings, replace(plain, metadata=SeriesMetadata(
        patient_pseudonym="aaaa1111")), overlay=arterial, compare=shifted)
    from viewer.model.layout import Layout

    w.state.set_layout(Layout.ROW)
    w.state.set_overlay_mode(OverlayMode.DIFFERENCE)
    assert w.state.overlay_mode is not OverlayMode.DIFFERENCE
    w.compare.start_registration()
    qtbot.waitUntil(lambda: w.last_error is not None, timeout=60_000)
    assert "different patients" in w.last_error


def test_profile_follows_a_drawn_ruler_and_bland_altman_of_roi_means(comparing, qtbot):
    import numpy as np

    from inference.annotations.model import Annotation, Kind
    from inference.compare.profiles import line_profile
    from tests.support.viewer import AORTA

    w = comparing
    w.compare.act_affine.trigger()  # checks it
    assert w.registration.affine
    w.compare.start_registration()
    qtbot.waitUntil(lambda: not w.registration.running, timeout=120_000)
    assert "Registered (rigid + affine)" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: w.comparison.figures is not None, timeout=120_000)
    ann = w.state.annotations
    a, b = AORTA + np.array([-40.0, 0, 0]), AORTA + np.array([40.0, 0, 0])
    ann.add(Annotation(Kind.RULER, (tuple(a), tuple(b))))
    start, end, label = w.comparison.profile_line()
    assert np.allclose(start, a) and np.allclose(end, b) and label == "mm along ruler 1"
    _x, hu = w.comparison.figure.axes[0].lines[0].get_data()
    assert np.allclose(hu, line_profile(w.state.base, a, b)[1])
    centres = (AORTA, AORTA + np.array([60.0, 0, 0]), AORTA + np.array([-60.0, -20, 0]))
    for c in centres:  # aorta, left kidney side, liver side: three different enhancements
        ann.add(Annotation(Kind.ELLIPSE, (tuple(c), tuple(c + np.array([6.0, 0, 0])),
                                          tuple(c + np.array([0, 6.0, 0])))))
    data = w.comparison.bland_altman_data
    assert data is not None and data["roi"] == [2, 3, 4]
    layers = w.state.layers()
    syn = [ann.stats(r, layers)["synthetic"]["mean"] for r in ann.items[1:]]
    real = [ann.stats(r, layers)["real_contrast"]["mean"] for r in ann.items[1:]]
    assert np.allclose(data["difference"], np.subtract(syn, real))
    assert data["bias"] == pytest.approx(np.mean(np.subtract(syn, real)))


def test_metrics_of_replaced_series_are_never_shown(comparing, qtbot):
    w = comparing
    w.compare.start_registration()
    qtbot.waitUntil(lambda: not w.registration.running, timeout=120_000)
    qtbot.waitUntil(lambda: w.comparison.worker is None, timeout=120_000)
    registered = w.state.volumes[Role.COMPARE]
    w.comparison.compute()
    # The real scan changes before the result arrives (results come through the event loop).
    w.state.set_volume(Role.COMPARE, registered.with_array(registered.array.copy()))
    qtbot.waitUntil(lambda: w.comparison.worker is None, timeout=120_000)
    assert w.comparison.figures is None
    assert "changed while computing" in w.comparison.note.text()


def test_no_difference_map_before_registration_even_on_the_same_grid(comparing):
    """The phantom's real scan lies on the very grid of the non-contrast one, the patient
    moved between the two: until it is registered, no difference map and no metrics (motion
    rims would look like the model's errors)."""
    from viewer.model.layout import Layout

    w = comparing
    assert w.state.compare_on_grid and not w.state.compare_registered
    w.state.set_layout(Layout.ROW)
    combo = w.overlay.mode_combo
    item = combo.model().item(list(OverlayMode).index(OverlayMode.DIFFERENCE))
    assert not item.isEnabled() and "registered" in item.toolTip()  # offered only after
    w.state.set_overlay_mode(OverlayMode.DIFFERENCE)
    assert w.state.overlay_mode is not OverlayMode.DIFFERENCE
    for _ in OverlayMode:  # the M key cycles past it too
        w.state.next_overlay_mode()
        assert w.state.overlay_mode is not OverlayMode.DIFFERENCE
    w.grid.render_all()
    assert not w.comparison.ready() and w.comparison.compute() is None
