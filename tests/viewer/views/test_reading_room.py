"""Reading-room conventions on the views: the active viewport framed, legends in their own
margin, the domain banner in its own warning style with the orientation letters fixed at the
edges, the crosshair in coarse reformats, the 3-D marker's S."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.support.viewer import mouse, open_window
from viewer.model.layout import Layout, Role
from viewer.model.orientation import Plane
from viewer.model.state import OverlayMode
from viewer.views.crosshair import line_colours
from viewer.views.screenshot import capture, capture_window
from viewer.views.theme import ACCENT

pytestmark = pytest.mark.gui

ACCENT_RGB = np.array([int(ACCENT[i:i + 2], 16) for i in (1, 3, 5)])


def _framed(window, view) -> bool:
    """Whether the pixels just around the view's canvas are the accent colour, as seen in
    the window (Qt paints the frame, VTK the canvas)."""
    px = capture_window(window, window.grid.slice_views()).astype(int)
    corner = view.mapTo(window, QPoint(0, 0))
    x0, y0 = corner.x(), corner.y()
    x1, y1 = x0 + view.width() - 1, y0 + view.height() - 1
    edges = np.concatenate([px[y0, x0:x1], px[y1, x0:x1], px[y0:y1, x0], px[y0:y1, x1]])
    return bool((np.abs(edges - ACCENT_RGB).sum(axis=1) < 40).mean() > 0.9)


def test_the_active_viewport_is_framed_and_follows_the_click(qtbot, settings, phantom_volumes):
    w = open_window(qtbot, settings, phantom_volumes[0])
    axial, sagittal = w.views[Plane.AXIAL], w.views[Plane.SAGITTAL]
    assert _framed(w, axial) and not _framed(w, sagittal)
    centre = QPointF(sagittal.canvas.width() / 2, sagittal.canvas.height() / 2)
    mouse(sagittal.canvas, QEvent.Type.MouseButtonPress, centre, Qt.MouseButton.LeftButton,
          Qt.MouseButton.LeftButton)
    mouse(sagittal.canvas, QEvent.Type.MouseButtonRelease, centre, Qt.MouseButton.LeftButton)
    assert _framed(w, sagittal) and not _framed(w, axial)
    assert w.grid.active_view is sagittal


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
@pytest.mark.parametrize("layout", [Layout.ONE, Layout.ROW])
def test_legends_sit_in_a_margin_of_their_own(qtbot, settings, phantom_volumes, size, layout):
    """The colour bar was drawn over the anatomy and the L/P letters, its labels cut at 1366."""
    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, overlay=arterial, size=size)
    w.state.set_layout(layout)
    w.state.set_overlay_mode(OverlayMode.ENHANCEMENT)
    for _ in range(3):  # the margin, then the refit it asks for
        w.grid.render_all()
        QApplication.processEvents()
    for view in w.grid.slice_views():
        bar = view.texts.colour_bar
        assert bar.kind == "enhancement" and bar.fraction > 0
        image_vp, legend_vp = view.renderer.GetViewport(), bar.renderer.GetViewport()
        assert image_vp[2] <= legend_vp[0] + 1e-9  # side by side, never over each other
        view.render()
        px = capture(view.render_window).astype(int)
        x_legend = round(legend_vp[0] * px.shape[1])
        legend = px[:, x_legend:]
        coloured = (legend[..., 0] - legend[..., 2]) > 80
        assert coloured.sum() > 200  # the bar is drawn
        assert legend[:, -2:].max() < 40 and legend[:, :2].max() < 40  # no label cut
        # At the fit, the whole slice lies left of the margin.
        b = view.actor.GetBounds()
        xs = [view.display_of_world(np.array([x, y, z]))[0]
              for x in b[:2] for y in b[2:4] for z in b[4:]]
        assert max(xs) <= x_legend + 1
        # The right orientation letter is in the image's part, left of the margin.
        right = view.texts.edges["right"]
        x_letter = right.GetPositionCoordinate().GetComputedDisplayValue(view.renderer)[0]
        assert x_letter < x_legend
    w.state.set_overlay_mode(OverlayMode.SYNTHETIC)
    w.grid.render_all()
    assert all(v.texts.colour_bar.fraction == 0 for v in w.grid.slice_views())


def _outside_domain(volume):
    from dataclasses import replace

    provenance = {**volume.provenance, "synthetic_phantoms_only": True,
                  "domain": {"warnings": ["pixel spacing 4 mm is outside 0.5-1.0 mm",
                                          "field of view 384 mm is outside 300-360 mm"],
                             "reasons": ["pixel spacing", "field of view"]}}
    return replace(volume, synthetic=True, provenance=provenance)


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_the_domain_warning_is_one_caution_line_and_letters_stay_at_the_edges(
        qtbot, settings, phantom_volumes, size):
    """A 5-line banner pushed the A and S letters onto the patient; the domain line looked
    like the rest."""
    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, size=size)
    bare = {v.plane: v.texts.edges["top"].GetPositionCoordinate().GetComputedDisplayValue(
        v.renderer)[1] for v in w.grid.slice_views()}
    w.show_volume(_outside_domain(arterial), role=Role.OVERLAY)
    w.grid.render_all()
    for view in w.grid.slice_views():
        texts = view.texts
        assert "OUTSIDE MODEL DOMAIN" not in texts.banner.GetInput()  # not in the red label
        shown = texts.warning.GetInput()
        assert shown.startswith("OUTSIDE MODEL DOMAIN") and "\n" not in shown
        assert texts.warning.GetTextProperty().GetBackgroundOpacity() > 0.5  # its own band
        top = texts.edges["top"].GetPositionCoordinate().GetComputedDisplayValue(view.renderer)
        height = view.render_window.GetSize()[1]
        assert top[1] == bare[view.plane] and top[1] >= height - 20  # fixed at the edge
    # A click on the warning opens the findings in full.
    axial = w.views[Plane.AXIAL]
    axial.render()
    box = [0.0] * 4
    axial.texts.warning.GetBoundingBox(axial.renderer, box)
    ax, ay = axial.texts.warning.GetPositionCoordinate().GetComputedDisplayValue(axial.renderer)
    x, y = ax + (box[0] + box[1]) / 2, ay + (box[2] + box[3]) / 2
    cursor = w.state.cursor.copy()
    ratio = axial.devicePixelRatioF()
    at = QPointF(x / ratio, axial.canvas.height() - 1 - y / ratio)
    mouse(axial.canvas, QEvent.Type.MouseButtonPress, at, Qt.MouseButton.LeftButton,
          Qt.MouseButton.LeftButton)
    mouse(axial.canvas, QEvent.Type.MouseButtonRelease, at, Qt.MouseButton.LeftButton)
    boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "Model and input check" in boxes[0].windowTitle()
    assert np.array_equal(w.state.cursor, cursor)  # the click did not move the crosshair


@pytest.mark.parametrize("offset_voxels", [0.0, -0.45, 0.45])
def test_the_crosshair_shows_in_coarse_reformats(qtbot, settings, phantom_volumes,
                                                 offset_voxels):
    """With 4 mm pixels the sagittal slice shown lies up to 2 mm from the cursor: the lines
    were drawn 1 mm in front of the cursor, behind that slice, and vanished from the whole
    view; at the volume's centre (where a series opens) it was half a voxel."""
    plain = phantom_volumes[0]
    w = open_window(qtbot, settings, plain, crosshair=True)
    sagittal = w.views[Plane.SAGITTAL]
    centre = plain.geometry.center(plain.shape)
    spacing_x = plain.geometry.spacing[0]
    w.state.set_cursor(centre + np.array([offset_voxels * spacing_x, 0.0, 0.0]))
    w.grid.render_all()
    px = capture(sagittal.render_window).astype(int)
    colours = [np.array(c) * 255 for c in line_colours(sagittal.frame, plain)]
    for colour in colours:
        near = np.abs(px - colour).sum(axis=2) < 60
        assert near.sum() > 0.5 * min(px.shape[:2]), colour


def test_the_3d_marker_shows_its_s(qtbot, settings, phantom_volumes):
    """The 3-D view's L/P/S marker: its corner was wide and short, and the superior arrow ran
    out of it, with no S."""
    w = open_window(qtbot, settings, phantom_volumes[0], size=(1366, 768))
    w.state.set_layout(Layout.GRID)
    QApplication.processEvents()
    view = w.grid.volume_view
    view.render_now()
    rgb = capture(view.render_window).astype(int)
    vp = view.marker.GetViewport()
    height, width = rgb.shape[:2]
    assert (vp[2] - vp[0]) * width == pytest.approx((vp[3] - vp[1]) * height, abs=1.0)
    corner = rgb[height - round(vp[3] * height):, round(vp[0] * width):]
    blue = (corner[..., 2] > 150) & (corner[..., 0] < 80) & (corner[..., 1] < 80)
    red = (corner[..., 0] > 150) & (corner[..., 1] < 80) & (corner[..., 2] < 80)
    assert red.sum() > 20  # the L axis
    rows = np.where(blue.any(axis=1))[0]
    assert rows.size and rows.min() > 3  # the S arrow ends inside its corner
    white = corner.min(axis=2) > 170
    assert white[: rows.min()].sum() > 5  # and its letter is drawn above it


def _mm(*xyz: float) -> np.ndarray:
    return np.array(xyz)


def _label_boxes(view) -> list[tuple[float, float, float, float]]:
    boxes = []
    for t in view.annotation_drawing.labels:
        if not t.GetVisibility():
            continue
        b = [0.0] * 4
        t.GetBoundingBox(view.renderer, b)
        x, y = t.GetPositionCoordinate().GetComputedDisplayValue(view.renderer)
        boxes.append((x + b[0], y + b[2], x + b[1], y + b[3]))
    return boxes


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_crowded_annotation_labels_neither_collide_nor_leave_the_view(
        qtbot, settings, phantom_volumes, size):
    from inference.annotations.model import Annotation, Kind

    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, overlay=arterial, size=size)
    ann = w.state.annotations
    z = w.state.cursor[2]
    centre = plain.geometry.center(plain.shape)
    right_edge = centre + np.array([150.0, 0.0, 0.0])  # the body's side, near the view's edge
    for n, base in enumerate([centre, centre + _mm(8.0, 6.0, 0.0), right_edge,
                              right_edge + _mm(-6.0, 8.0, 0.0)]):
        base = np.array([base[0], base[1], z])
        ann.add(Annotation(Kind.ELLIPSE, (tuple(base), tuple(base + _mm(10.0, 0, 0)),
                                          tuple(base + _mm(0, 8.0, 0)))))
        ann.add(Annotation(Kind.RULER, (tuple(base + _mm(0, -12.0, 0)),
                                        tuple(base + _mm(25.0, -12.0, 0)))))
        ann.add(Annotation(Kind.NOTE, (tuple(base + _mm(4.0, 4.0, 0)),), text=f"finding {n + 1}"))
    ann.select(ann.items[0].id)  # one label with every figure: the largest
    _labels_are_clear(w)
    assert len(_label_boxes(w.views[Plane.AXIAL])) == 12
    # Far more than fit: the labels that fit are drawn, apart and inside; the rest are left
    # out (their shapes stay, their figures are in the list), never piled off the view.
    for n in range(30):
        base = centre + _mm(-40.0 + 3 * n, -30.0 + 2 * n, 0.0)
        ann.add(Annotation(Kind.RULER, (tuple(base), tuple(base + _mm(20.0, 0.0, 0.0)))))
    _labels_are_clear(w)
    assert 12 <= len(_label_boxes(w.views[Plane.AXIAL])) < len(ann.items)


def _labels_are_clear(w) -> None:
    def overlap(a, b) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    for view in w.grid.slice_views():
        view.render()
        view.render()  # the corner texts are placed in the frame: labels keep off them next
        boxes = _label_boxes(view)
        texts = view.texts.boxes()
        vw, vh = view.renderer.GetSize()
        for n, a in enumerate(boxes):
            assert a[0] >= 0 and a[2] <= vw and a[1] >= 0 and a[3] <= vh, (view.plane, a)
            assert not any(overlap(a, b) for b in boxes[n + 1:] + texts), (view.plane, a)


def test_the_annotation_list_shows_every_layers_figures_without_scrolling(
        qtbot, settings, phantom_volumes):
    """Three wide per-layer columns hid the statistics behind a horizontal scroll bar."""
    from inference.annotations.model import Annotation, Kind

    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, overlay=arterial, compare=arterial,
                    size=(1366, 768))
    c = np.array(w.state.cursor)
    w.state.annotations.add(Annotation(Kind.ELLIPSE, (tuple(c), tuple(c + _mm(12.0, 0, 0)),
                                                      tuple(c + _mm(0, 9.0, 0)))))
    QApplication.processEvents()
    panel = w.annotate.panel
    assert panel.isVisible()
    table = panel.table
    text = table.item(0, 3).text()
    assert [line.split()[0] for line in text.split("\n")] == ["NC", "SYN", "REAL"]
    metrics = table.fontMetrics()
    needed = max(metrics.horizontalAdvance(line) for line in text.split("\n"))
    assert table.columnWidth(3) >= needed  # every figure readable, none elided
    assert table.rowHeight(0) >= 3 * metrics.height()  # a line per layer
    last = table.columnViewportPosition(3) + table.columnWidth(3)
    assert last <= table.viewport().width()  # nothing beyond the visible width
