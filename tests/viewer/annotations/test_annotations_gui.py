"""Annotation tools driven through the real window: draw, measure, edit, undo, save, export."""

from __future__ import annotations

import csv
import json

import numpy as np
import pydicom
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from inference.annotations.model import Kind
from inference.annotations.store import store_path, study_key
from tests.support.viewer import AORTA, drag, mouse, open_window, qt_pos
from viewer.model.layout import Layout
from viewer.model.orientation import Plane
from viewer.views.screenshot import capture

LEFT = Qt.MouseButton.LeftButton


def at(dx: float, dy: float, dz: float) -> np.ndarray:
    """A point offset (mm, LPS) from the aorta."""
    return AORTA + np.array([dx, dy, dz])


def click(view, point) -> None:
    pos = qt_pos(view, point)
    mouse(view.canvas, QEvent.Type.MouseButtonPress, pos, LEFT, LEFT)
    mouse(view.canvas, QEvent.Type.MouseButtonRelease, pos, LEFT, Qt.MouseButton.NoButton)


def draw(view, start, end) -> None:
    drag(view.canvas, qt_pos(view, start), qt_pos(view, end), LEFT)


def shows_selected(view, point) -> bool:
    """Whether some pixel near ``point`` has the selected-annotation colour (cyan)."""
    pixels = capture(view.render_window).astype(int)
    x, y = view.display_of_world(point)
    row, col = pixels.shape[0] - 1 - round(y), round(x)
    patch = pixels[row - 2:row + 3, col - 2:col + 3].reshape(-1, 3)
    return bool(np.any((patch[:, 1] > 180) & (patch[:, 2] > 180) & (patch[:, 0] < 120)))


def press_keys(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, key, modifiers)


@pytest.fixture
def layered(qtbot, settings, phantom_volumes):
    """Non-contrast with the arterial scan as overlay (synthetic) and as the real scan."""
    plain, arterial = phantom_volumes
    w = open_window(qtbot, settings, plain, overlay=arterial, compare=arterial)
    w.state.set_layout(Layout.ROW)
    QApplication.processEvents()
    w.state.set_cursor(AORTA)
    w.grid.render_all()
    return w


def test_ruler_of_known_length_is_measured_drawn_and_undoable(window, qtbot):
    axial = window.views[Plane.AXIAL]
    press_keys(qtbot, window, Qt.Key.Key_L)
    assert window.state.annotations.tool is Kind.RULER
    a, b = at(-30.0, 0, 0), at(30.0, 0, 0)
    draw(axial, a, b)
    (ruler,) = window.state.annotations.items
    mm_per_px = axial.mm_per_px()
    assert ruler.measurement()["length_mm"] == pytest.approx(60.0, abs=2 * mm_per_px)
    assert np.allclose(ruler.array[:, 2], AORTA[2])  # on the slice it was drawn on
    mid = at(10.0, 0, 0)
    assert shows_selected(axial, mid)  # drawn, selected
    labels = [t.GetInput() for t in axial.annotation_drawing.labels if t.GetVisibility()]
    assert labels and labels[0].startswith(("59.", "60.", "61."))
    # Other slices do not show it; the coronal view through it shows it edge-on.
    axial.scroll(3)
    assert not shows_selected(axial, mid)
    axial.scroll(-3)
    press_keys(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.state.annotations.items == []
    assert not shows_selected(axial, mid)
    press_keys(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
               | Qt.KeyboardModifier.ShiftModifier)
    assert [r.id for r in window.state.annotations.items] == [ruler.id]


def test_select_move_reshape_delete_with_one_undo_step_each(window, qtbot):
    axial = window.views[Plane.AXIAL]
    window.annotate.tool_actions[Kind.RULER].trigger()
    draw(axial, at(-20.0, 0, 0), at(20.0, 0, 0))
    press_keys(qtbot, window, Qt.Key.Key_Escape)
    assert window.state.annotations.tool is None
    (ruler,) = window.state.annotations.items
    window.state.annotations.select(None)
    cursor_before = window.state.cursor.copy()
    # Drag the body: the ruler moves, the crosshair does not.
    draw(axial, at(5.0, 0, 0), at(5.0, 15.0, 0))
    (moved,) = window.state.annotations.items
    assert moved.id == ruler.id
    assert np.allclose(moved.array - ruler.array, [0, 15, 0], atol=2 * axial.mm_per_px())
    assert np.allclose(window.state.cursor, cursor_before)
    # Drag an end handle: the ruler gets longer.
    end = moved.array[1]
    draw(axial, end, end + np.array([10.0, 0, 0]))
    (longer,) = window.state.annotations.items
    assert longer.measurement()["length_mm"] == pytest.approx(50, abs=2 * axial.mm_per_px())
    window.state.annotations.undo()
    assert window.state.annotations.items == [moved]
    window.state.annotations.undo()
    assert window.state.annotations.items == [ruler]
    window.state.annotations.select(ruler.id)
    press_keys(qtbot, window, Qt.Key.Key_Delete)
    assert window.state.annotations.items == []


def test_roi_in_the_aorta_has_hu_statistics_in_every_layer(layered, qtbot):
    w = layered
    axial = w.grid.view(Plane.AXIAL)
    w.annotate.tool_actions[Kind.ELLIPSE].trigger()
    draw(axial, at(-6.0, -6.0, 0), at(6.0, 6.0, 0))
    (roi,) = w.state.annotations.items
    stats = w.state.annotations.stats(roi, w.state.layers())
    assert set(stats) == {"non_contrast", "synthetic", "real_contrast"}
    # Independent check: voxel centres inside the ellipse on the drawn slice.
    plain, arterial = w.state.base, w.state.volumes[w.state.roles()[1]]
    centre, a1, a2 = roi.array
    rx, ry = np.linalg.norm(a1 - centre), np.linalg.norm(a2 - centre)
    k = int(np.rint(plain.world_to_index(centre)[2]))
    j, i = np.mgrid[0:plain.shape[1], 0:plain.shape[2]]
    ijk = np.stack([i, j, np.full_like(i, k)], axis=-1).astype(float)
    xyz = plain.index_to_world(ijk)
    inside = (((xyz[..., 0] - centre[0]) / rx) ** 2 + ((xyz[..., 1] - centre[1]) / ry) ** 2) <= 1
    for name, vol in (("non_contrast", plain), ("synthetic", arterial)):
        values = vol.array[k][inside].astype(float)
        assert stats[name]["voxels"] == values.size
        assert stats[name]["mean"] == pytest.approx(values.mean())
        assert stats[name]["sd"] == pytest.approx(values.std(ddof=1))
        assert (stats[name]["min"], stats[name]["max"]) == (values.min(), values.max())
    assert 10 < stats["non_contrast"]["mean"] < 80  # unenhanced blood
    assert stats["synthetic"]["mean"] > 200  # arterial phase lumen
    assert stats["real_contrast"]["mean"] == pytest.approx(stats["synthetic"]["mean"])
    # The list shows the same numbers, and the label in the view too.
    w.annotate.panel.show()
    row = w.annotate.panel.row_texts()[0]
    assert row[1] == "Ellipse ROI" and row[2].endswith("mm²")
    nc = stats["non_contrast"]
    assert row[3].split("\n")[0] == (f"NC {nc['mean']:.1f} ± {nc['sd']:.1f} [{nc['min']:.0f}, "
                                     f"{nc['max']:.0f}]")
    assert [line.split()[0] for line in row[3].split("\n")] == ["NC", "SYN", "REAL"]
    # Unselected: one compact line of mean HU per layer; selected: every figure.
    w.state.annotations.select(None)
    axial.render()
    label = next(t.GetInput() for t in axial.annotation_drawing.labels if t.GetVisibility())
    assert label.count("\n") == 0 and f"SYN {stats['synthetic']['mean']:.0f}" in label
    w.state.annotations.select(w.state.annotations.items[0].id)
    axial.render()
    label = next(t.GetInput() for t in axial.annotation_drawing.labels if t.GetVisibility())
    assert f"SYN (synthetic) {stats['synthetic']['mean']:.0f} ±" in label


def test_list_click_jumps_every_view_there(window, qtbot):
    axial = window.views[Plane.AXIAL]
    window.annotate.tool_actions[Kind.POINT].trigger()
    target = at(0, 0, -20.0)
    window.state.set_cursor(target)
    click(axial, target)
    window.state.set_cursor(AORTA)
    assert axial.slice_index() != int(np.rint(window.state.base.world_to_index(target)[2]))
    window.annotate.panel.show()
    table = window.annotate.panel.table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualItemRect(table.item(0, 1)).center())
    assert np.allclose(window.state.cursor, window.state.annotations.items[0].array[0])
    for view in window.views.values():
        assert np.allclose(view.cursor @ view.frame.look, window.state.cursor @ view.frame.look)


def test_angle_polygon_sphere_and_note(window, qtbot):
    axial = window.views[Plane.AXIAL]
    ann = window.state.annotations
    ann.set_tool(Kind.ANGLE)
    for p in (at(30.0, 0, 0), AORTA, at(0, 30.0, 0)):
        click(axial, p)
    assert ann.items[-1].measurement()["angle_deg"] == pytest.approx(90, abs=2)
    ann.set_tool(Kind.POLYGON)
    for p in (at(-20.0, -20, 0), at(20.0, -20, 0), at(20.0, 20, 0)):
        click(axial, p)
    qtbot.keyClick(axial.canvas, Qt.Key.Key_Return)
    polygon = ann.items[-1]
    assert polygon.kind is Kind.POLYGON
    assert polygon.measurement()["area_mm2"] == pytest.approx(800, rel=0.05)
    ann.set_tool(Kind.SPHERE)
    draw(axial, AORTA, at(8.0, 0, 0))
    sphere = ann.items[-1]
    assert sphere.measurement()["radius_mm"] == pytest.approx(8, abs=1)
    coronal = window.views[Plane.CORONAL]  # a sphere shows in every plane through it
    coronal.render()
    assert sphere.id in coronal.annotation_drawing.shown_ids
    window.annotate.ask_text = lambda current: "thrombus?"
    ann.set_tool(Kind.NOTE)
    click(axial, at(0, 10.0, 0))
    assert ann.items[-1].kind is Kind.NOTE and ann.items[-1].text == "thrombus?"
    labels = [t.GetInput() for t in axial.annotation_drawing.labels if t.GetVisibility()]
    assert "thrombus?" in labels


def test_annotations_are_saved_and_restored_with_the_study(qtbot, settings, phantom_volumes):
    plain = phantom_volumes[0]
    w = open_window(qtbot, settings, plain)
    w.annotate.tool_actions[Kind.RULER].trigger()
    draw(w.views[Plane.AXIAL], AORTA, at(25.0, 0, 0))
    saved = store_path(study_key(plain))
    assert saved.exists()
    assert study_key(plain) in saved.name and plain.metadata.study_uid not in saved.read_text()
    (ruler,) = w.state.annotations.items
    w.close()
    again = open_window(qtbot, settings, plain)
    assert [a.points for a in again.state.annotations.items] == [ruler.points]
    assert again.annotate.panel.isVisible()


def test_screenshot_shows_annotations_and_synthetic_label(layered, tmp_path):
    w = layered
    w.state.set_layout(Layout.ONE)
    QApplication.processEvents()
    axial = w.grid.view(Plane.AXIAL)
    w.annotate.tool_actions[Kind.RULER].trigger()
    draw(axial, at(-30.0, 10, 0), at(30.0, 10, 0))
    path = w.save_screenshot(tmp_path / "shot.png")
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    px = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(),
                                                             image.bytesPerLine())
    px = px[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)
    cyan = (px[..., 1] > 180) & (px[..., 2] > 180) & (px[..., 0] < 120)
    red = (px[..., 0] > 200) & (px[..., 1] < 90) & (px[..., 2] < 90)
    assert cyan.sum() > 40  # the ruler
    assert red[: px.shape[0] // 5].sum() > 40  # the SYNTHETIC banner at the top
    assert np.array_equal(capture(axial.render_window).shape[:2], px.shape[:2])


def test_exports_round_trip_and_deidentify_free_text(layered, small_case, tmp_path):
    w = layered
    w.base_source = small_case.noncontrast
    axial = w.grid.view(Plane.AXIAL)
    ann = w.state.annotations
    ann.set_tool(Kind.ELLIPSE)
    draw(axial, at(-5.0, -5.0, 0), at(5.0, 5.0, 0))
    w.annotate.ask_text = lambda current: "Mr Smith's aorta"
    ann.set_tool(Kind.NOTE)
    click(axial, at(0, 15.0, 0))
    with open(w.annotate.export("csv", tmp_path / "a.csv")) as f:
        rows = list(csv.DictReader(f))
    assert {r["kind"] for r in rows} == {"ellipse", "note"}
    roi_row = next(r for r in rows if r["kind"] == "ellipse")
    assert float(roi_row["synthetic_mean"]) > 200 and float(roi_row["non_contrast_mean"]) < 80
    assert "Mr Smith" in (tmp_path / "a.csv").read_text()
    w.annotate.panel.deidentify.setChecked(True)
    for fmt, name in (("csv", "d.csv"), ("json", "d.json"), ("sr", "d.dcm")):
        out = w.annotate.export(fmt, tmp_path / name)
        assert b"Smith" not in out.read_bytes()
    data = json.loads((tmp_path / "d.json").read_text())
    assert data["coordinates"] == "LPS mm" and len(data["measurements"]) == 2
    sr = pydicom.dcmread(tmp_path / "d.dcm")
    assert sr.Modality == "SR" and sr.PatientIdentityRemoved == "YES"
    # The marks open on another workstation: import the plain SR into an empty study.
    plain_sr = w.annotate.panel.deidentify.setChecked(False) or w.annotate.export(
        "sr", tmp_path / "p.dcm")
    before = {a.kind: a.array for a in ann.items}
    ann.open_study(None)
    assert not ann.items
    assert w.annotate.import_file(plain_sr) == 2
    after = {a.kind: a.array for a in ann.items}
    assert set(after) == set(before)
    assert all(np.abs(after[k] - before[k]).max() < 1e-3 for k in before)
    assert any("Import annotations" in act.text() for act in w.menuBar().actions()[0].menu()
               .actions())


def test_labels_of_neighbouring_shapes_do_not_cover_each_other(window):
    from inference.annotations.model import Annotation

    axial = window.views[Plane.AXIAL]
    ann = window.state.annotations
    for dx in (0.0, 2.0):  # two rulers almost on top of each other
        ann.add(Annotation(Kind.RULER, (tuple(at(dx, 0, 0)), tuple(at(dx + 30.0, 0, 0)))))
    axial.render()
    shown = [t for t in axial.annotation_drawing.labels if t.GetVisibility()]
    assert len(shown) == 2
    ys = []
    for t in shown:
        axial.renderer.SetWorldPoint(*t.GetPositionCoordinate().GetValue(), 1.0)
        axial.renderer.WorldToDisplay()
        ys.append(axial.renderer.GetDisplayPoint()[1])
    assert abs(ys[0] - ys[1]) >= 15  # at least one text line apart
