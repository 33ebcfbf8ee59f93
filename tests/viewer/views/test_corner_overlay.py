"""The PACS four-corner overlay: who the patient is and where the slice lies, on every view
outside a blinded arm and on none inside one; every text box inside its view, none over
another, at the window sizes radiologists use."""

import numpy as np
import pytest
from vtkmodules.vtkRenderingCore import vtkTextActor

from tests.support.viewer import open_window
from viewer.model.layout import Layout
from viewer.model.orientation import Plane
from viewer.views.screen_text import ScreenText

pytestmark = pytest.mark.gui


def _boxes(view) -> dict[str, tuple[float, float, float, float]]:
    """Display boxes (x0, y0, x1, y1) of the visible, non-empty texts of a view."""
    out = {}
    props = view.renderer.GetViewProps()
    for n in range(props.GetNumberOfItems()):
        actor = props.GetItemAsObject(n)
        if isinstance(actor, vtkTextActor) and actor.GetVisibility() and actor.GetInput():
            b = [0.0] * 4
            actor.GetBoundingBox(view.renderer, b)  # around the anchor, in pixels
            x, y = actor.GetPositionCoordinate().GetComputedDisplayValue(view.renderer)
            out[f"{n}:{actor.GetInput()[:20]!r}"] = (x + b[0], y + b[2], x + b[1], y + b[3])
        elif (text := ScreenText.of(actor)) is not None and text.GetVisibility():
            out[f"{n}:{text.GetInput()[:20]!r}"] = text.box()
    return out


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_identification_and_slice_position_in_the_corners(qtbot, settings, phantom_volumes):
    w = open_window(qtbot, settings, phantom_volumes[0])
    axial = w.views[Plane.AXIAL]
    text = axial.texts.identity.GetInput()
    assert "PHANTOM, ABDOMEN" in text and "ID PHANTOM-0000" in text
    assert "DOB 1960-01-01" in text and "2026-01-01" in text  # the study date
    info = axial.info.GetInput()
    z = float(w.state.cursor[2])
    assert f"Pos {'S' if z >= 0 else 'I'} {abs(z):.1f} mm" in info
    assert f"Thk {phantom_volumes[0].geometry.spacing[2]:g} mm" in info
    sagittal = w.views[Plane.SAGITTAL].info.GetInput()
    x = float(w.state.cursor[0])
    assert f"Pos {'L' if x >= 0 else 'R'} {abs(x):.1f} mm" in sagittal
    # Identification never reaches a log line or a repr.
    for shown in (repr(phantom_volumes[0]), repr(phantom_volumes[0].identity),
                  str(phantom_volumes[0].identity)):
        assert "PHANTOM-0000" not in shown and "PHANTOM^ABDOMEN" not in shown


def test_a_file_without_identification_says_so(qtbot, settings, phantom_volumes):
    from dataclasses import replace

    w = open_window(qtbot, settings, replace(phantom_volumes[0], identity=None))
    assert w.views[Plane.AXIAL].texts.identity.GetInput() in (
        "No patient identification in this file", "No patient ID")


def test_blinded_arm_shows_no_identification(qtbot, settings, phantom_volumes):
    w = open_window(qtbot, settings, phantom_volumes[0])
    w.state.blinded = True
    for view in w.grid.slice_views():
        view.refresh_overlay()
        view.render()
        assert not view.texts.identity.GetVisibility() or not view.texts.identity.GetInput()
        assert "PHANTOM" not in " ".join(_boxes(view))


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
@pytest.mark.parametrize("layout", [Layout.ONE, Layout.ROW, Layout.GRID])
def test_no_text_box_leaves_its_view_or_covers_another(qtbot, settings, phantom_volumes,
                                                       size, layout):
    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, overlay=arterial, size=size)
    w.state.set_layout(layout)
    qtbot.wait(50)
    for view in w.grid.slice_views():
        view.render()
        width, height = view.render_window.GetSize()
        boxes = _boxes(view)
        assert any("PHANTOM, ABDOMEN" in k for k in boxes), boxes.keys()
        assert any("SYNTHETIC" in k for k in boxes)
        for name, (x0, y0, x1, y1) in boxes.items():
            assert x0 >= -1 and y0 >= -1 and x1 <= width + 1 and y1 <= height + 1, (name, size)
        names = list(boxes)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                assert not _overlap(boxes[a], boxes[b]), (a, b, view.plane, size, layout)
    assert np.isfinite(w.state.cursor).all()


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_opening_a_dock_refits_the_views(qtbot, settings, phantom_volumes, size):
    """A dock that takes width refits every view (nothing cropped); closing it refits again;
    a zoom is kept relative to the fit."""
    from PySide6.QtCore import Qt

    plain = phantom_volumes[0]
    w = open_window(qtbot, settings, plain, size=size)
    w.state.set_layout(Layout.ROW)
    qtbot.wait(50)
    w.reset_view()

    def whole(view) -> bool:
        ext = np.asarray(plain.geometry.extent_mm(plain.shape))
        c = plain.geometry.center(plain.shape)
        x0, _ = view.display_of_world(c - view.frame.right * ext[0] / 2)
        x1, _ = view.display_of_world(c + view.frame.right * ext[0] / 2)
        width = view.render_window.GetSize()[0]
        return min(x0, x1) >= -2 and max(x0, x1) <= width + 2

    axial = w.grid.view(Plane.AXIAL)
    assert whole(axial)
    w.annotate.panel.show()
    w.resizeDocks([w.annotate.panel], [w.width() // 3], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: whole(axial), timeout=3000)
    assert axial.width() < 0.3 * w.width()  # the dock really took room
    zoom = axial.fit_scale() / axial.camera.GetParallelScale()
    w.annotate.panel.hide()
    qtbot.waitUntil(lambda: abs(axial.fit_scale() / axial.camera.GetParallelScale() - zoom)
                    < 1e-6 and axial.width() > 0.3 * w.width(), timeout=3000)
