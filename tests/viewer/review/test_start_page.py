"""The start screen and what the window offers before a study is open.

Before: the hint sat off-centre in the first of three black views, Recent listed basenames,
export/send/annotation tools were enabled with nothing to act on, "Open a study to begin" stayed
while a study named on the command line was loading, and the chrome was light grey.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QToolBar

from tests.support.viewer import empty_window, open_window
from viewer.model.layout import Role
from viewer.review.main_window import MainWindow
from viewer.review.start_page import INVITATION, recent_label

pytestmark = pytest.mark.gui


def _empty_window(qtbot, settings, size=(1366, 768)) -> MainWindow:
    return empty_window(qtbot, settings, size)


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_the_start_page_is_centred_and_lists_recent_studies_in_full(qtbot, settings, size):
    long = "/data/hospital-a/2026/CT-ABDOMEN-0001/series-2-portal-venous"
    settings.add_recent(long)
    settings.add_recent("/home/reader/studies/case12.zip")
    w = _empty_window(qtbot, settings, size)
    assert w.start.on_start_page and not w.grid.isVisible()
    page = w.start.page
    centre = w.centralWidget().geometry().center()
    title = page.title.mapTo(w, page.title.rect().center())
    assert abs(title.x() - centre.x()) <= 0.02 * size[0]
    assert page.title.text() == INVITATION
    assert [b.text() for b in page.recent_buttons] == ["/home/reader/studies/case12.zip", long]
    assert all(b.isVisible() for b in page.recent_buttons)
    assert [b.toolTip() for b in page.recent_buttons][1] == long


def test_a_long_recent_path_keeps_both_ends():
    path = "/mnt/archive/" + "x" * 120 + "/CT-0001"
    label = recent_label(path, 60)
    assert len(label) == 60 and label.startswith("/mnt/arch") and label.endswith("/CT-0001")


def test_actions_wait_for_what_they_need(qtbot, settings, phantom_volumes):
    w = _empty_window(qtbot, settings)
    a = w.file_actions
    needs_study = [a["compare"], a["overlay"], a["send"], w.act_screenshot, w.act_synthesize,
                   w.annotate.act_import, *w.annotate.tool_actions.values(),
                   *w.annotate.export_actions]
    needs_digital = [w.act_export_dicom, w.act_export_dicom_deid, w.act_export_image]
    needs_real = [w.compare.act_register, w.compare.act_revert, w.compare.act_manual]
    assert not any(act.isEnabled() for act in needs_study + needs_digital + needs_real)
    assert a["folder"].isEnabled() and a["pacs"].isEnabled() and a["demo"].isEnabled()
    assert "open a study first" in w.act_export_dicom.toolTip() or \
        "digital contrast first" in w.act_export_dicom.toolTip()
    w.show_volume(phantom_volumes[0])
    assert not w.start.on_start_page and w.grid.isVisible()
    assert all(act.isEnabled() for act in needs_study)
    assert not any(act.isEnabled() for act in needs_digital + needs_real)
    w.show_volume(phantom_volumes[1], role=Role.OVERLAY)
    assert all(act.isEnabled() for act in needs_digital)
    w.show_volume(phantom_volumes[1], role=Role.COMPARE)
    assert all(act.isEnabled() for act in needs_real)


def test_a_loading_study_is_said_and_a_failed_one_returns_to_the_invitation(
        qtbot, settings, small_case, tmp_path):
    w = _empty_window(qtbot, settings)
    w.load(small_case.noncontrast)
    assert w.start.page.title.text() == f"Opening {small_case.noncontrast}..."
    assert not w.start.page.buttons[0].isEnabled()
    qtbot.waitUntil(lambda: w.state.base is not None, timeout=60_000)
    assert not w.start.on_start_page
    # The study opened is listed in full on the next start.
    w2 = _empty_window(qtbot, settings)
    assert w2.start.page.recent_buttons[0].toolTip() == str(small_case.noncontrast)
    w2.show_error = lambda title, text: None
    w2.load(tmp_path / "missing")
    qtbot.waitUntil(lambda: w2.start.page.title.text() == INVITATION, timeout=30_000)
    assert w2.start.page.buttons[0].isEnabled()


def _pixels(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(),
                                                              image.bytesPerLine())
    return rows[:, : image.width() * 3]


def test_the_chrome_is_dark(qtbot, settings, phantom_volumes):
    w = open_window(qtbot, settings, phantom_volumes[0])
    w.annotate.panel.show()
    QApplication.processEvents()
    # Menu bar, toolbars, a dock and the status bar (grab cannot see the VTK views): no light
    # grey Qt chrome; almost nothing is as light as Qt's default grey.
    chrome = [w.menuBar(), w.statusBar(), w.annotate.panel, *w.findChildren(QToolBar)]
    for widget in chrome:
        pixels = _pixels(widget)
        assert np.median(pixels) < 60, widget
        assert (pixels > 200).mean() < 0.05, widget


def test_views_first_shown_after_the_start_page_keep_rendering(qtbot, settings,
                                                               phantom_volumes):
    """Views first exposed when a study opened (behind the start page until then) crashed
    OSMesa after a later resize: the session below segfaulted every time at 1366x768."""
    from dataclasses import replace

    from inference.annotations.model import Annotation, Kind
    from viewer.model.layout import Layout
    from viewer.model.state import OverlayMode
    from viewer.views.screenshot import capture_window

    plain, arterial = phantom_volumes
    w = _empty_window(qtbot, settings)
    flagged = replace(arterial, synthetic=True, provenance={
        **arterial.provenance, "trust": {"verdict": "review with care",
                                         "findings": [{"status": "warn"}]}})
    w.show_volume(plain)
    w.show_volume(flagged, role=Role.OVERLAY)  # the trust dock opens: the views narrow
    for layout, mode in ((Layout.ROW, OverlayMode.ENHANCEMENT), (Layout.ONE, None),
                         (Layout.GRID, OverlayMode.SYNTHETIC), (Layout.ROW, None)):
        w.state.set_layout(layout)
        if mode is not None:
            w.state.set_overlay_mode(mode)
        for _ in range(4):
            QApplication.processEvents()
            w.grid.render_all()
        capture_window(w, w.grid.visible_widgets())
    c = np.array(w.state.cursor)
    w.state.annotations.add(Annotation(Kind.ELLIPSE, (tuple(c), tuple(c + np.array(
        [12.0, 0, 0])), tuple(c + np.array([0, 9.0, 0])))))  # the annotation dock opens
    for _ in range(4):
        QApplication.processEvents()
        w.grid.render_all()
    pixels = capture_window(w, w.grid.visible_widgets())
    assert pixels.max() > 100
