"""Opening a whole study in the window: the non-contrast series becomes the base by itself,
the real contrast series is offered for comparison, and each choice says why."""

from __future__ import annotations

import shutil

from viewer.model.layout import Layout, Role
from viewer.review.main_window import MainWindow


def test_opening_a_study_takes_the_plain_series_and_offers_the_real_one(qtbot, settings,
                                                                         small_case):
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(900, 360)
    w.show()
    assert not w.loader.act_offer.isEnabled()
    w.load(small_case.root)
    qtbot.waitUntil(lambda: w.volume is not None, timeout=60000)
    assert "non-contrast" in w.windowTitle()
    status = w.statusBar().currentMessage()
    assert status.startswith("input: #2 'Abdomen non-contrast (PHANTOM)'")
    assert "Offered for comparison" in status and "arterial" in status
    assert w.loader.act_offer.isEnabled()
    assert w.loader.act_offer in w.menuBar().actions()[0].menu().actions()
    w.loader.act_offer.trigger()
    qtbot.waitUntil(lambda: w.state.volumes.get(Role.COMPARE) is not None, timeout=60000)
    real = w.state.volumes[Role.COMPARE]
    assert "arterial" in real.metadata.series_description and not real.synthetic
    assert w.state.layout is Layout.COMPARE


def test_a_study_without_a_plain_series_asks_and_says_what_each_is(qtbot, settings,
                                                                   small_case, tmp_path,
                                                                   monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    root = tmp_path / "enhanced"
    shutil.copytree(small_case.contrast, root / "a")
    shutil.copytree(small_case.contrast, root / "b")
    # The second copy is a second series of the same study.
    import pydicom
    from pydicom.uid import generate_uid

    uid = generate_uid()
    for f in (root / "b").glob("*.dcm"):
        ds = pydicom.dcmread(f)
        ds.SeriesInstanceUID, ds.SOPInstanceUID, ds.SeriesNumber = uid, generate_uid(), 9
        ds.save_as(f)
    asked = []

    def answer(parent, title, prompt, items, current, editable):
        asked.append((prompt, items))
        return items[0], False  # the user cancels

    monkeypatch.setattr(QInputDialog, "getItem", answer)
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    w.load(root)
    qtbot.waitUntil(lambda: bool(asked), timeout=60000)
    prompt, items = asked[0]
    assert "no series is a non-contrast volume beyond doubt" in prompt
    assert prompt.count("volume, arterial") == 2 and len(items) == 2
    assert w.volume is None
