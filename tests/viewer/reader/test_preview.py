"""`study preview`: every arm kind in every layout rendered as a reader sees it, blinding
audited on every surface; a leak is caught and named."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from inference.readerstudy.protocol import load_protocol
from inference.readerstudy.store import StudyStore
from tests.support.studies import write_protocol
from viewer.model import provenance
from viewer.reader.preview import main as preview_main
from viewer.reader.preview import preview
from viewer.views.application import application  # noqa: F401  (VTK's Qt binding first)

pytestmark = pytest.mark.gui

SHOWS = {"nc": "noncontrast", "dc": "noncontrast+synthetic", "syn": "synthetic",
         "real": "real", "turing": "real_or_synthetic"}
LAYOUTS = ("1x1", "1x3", "2x2")


def every_arm_protocol(folder, small_case):
    path = write_protocol(folder, small_case, **{"washout_days = 28": "washout_days = 0"})
    text = path.read_text()
    arms = []
    for short, show in SHOWS.items():
        for layout in LAYOUTS:
            questions = '["which"]' if show == "real_or_synthetic" else '["aneurysm", ' \
                                                                         '"confidence"]'
            arms.append(f'[[arms]]\nid = "{short}_{layout.replace("x", "by")}"\n'
                        f'show = "{show}"\nlayout = "{layout}"\nblinded = true\n'
                        f'questions = {questions}\n')
    text = re.sub(r"\[\[arms\]\].*?(?=\[\[questions\]\])", "\n".join(arms) + "\n", text,
                  flags=re.S)
    path.write_text(text)
    return load_protocol(path)


@pytest.fixture(scope="module")
def every_arm_study(tmp_path_factory, small_case, prepared_cases):
    folder = tmp_path_factory.mktemp("every-arm")
    store = StudyStore.create(folder / "study", every_arm_protocol(folder, small_case))
    shutil.copytree(prepared_cases, folder / "study" / "prepared")
    store.assign()
    store.close()
    return folder / "study"


def test_every_blinded_arm_in_every_layout_hides_provenance(every_arm_study, tmp_path):
    before = sorted(p.name for p in every_arm_study.rglob("*"))
    failures, _written = preview(every_arm_study, tmp_path)
    assert failures == []
    assert sorted(p.name for p in every_arm_study.rglob("*")) == before  # nothing recorded
    for short in SHOWS:
        for layout in LAYOUTS:
            arm = f"{short}_{layout.replace('x', 'by')}"
            report = json.loads((tmp_path / f"{arm}.texts.json").read_text())
            assert report["blinded"] and report["cues"] == []
            assert any("W " in s and " L " in s for s in report["surfaces"])  # views drawn
            pixels = np.asarray(Image.open(tmp_path / f"{arm}.png"))
            assert pixels.std() > 10  # real rendered anatomy, not a blank frame
            if short == "turing":
                assert report["variants"] == ["real", "synthetic"]
                assert report["differs_between_variants"] == []
                assert (tmp_path / f"{arm}-real.png").exists()
                assert any("real or synthetic" in f.lower() for f in report["form"])


def test_a_leak_is_named_by_arm_and_string(every_arm_study, tmp_path, monkeypatch, capsys):
    # The defect that was measured: the 3-D view labelled synthetic pixels whatever the arm.
    monkeypatch.setattr(provenance, "volume_banner",
                        lambda state, volume: provenance.synthetic_banner(volume)
                        if volume is not None and volume.synthetic else None)
    assert preview_main([str(every_arm_study), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "BLINDING FAILURE: arm syn_2by2: provenance cue on screen: 'SYNTHETIC" in err
    assert "arm syn_1by1" not in err  # no 3-D view there: nothing leaks


def test_the_turing_variants_share_their_grain_and_the_preview_shows_the_whole_screen(
        every_arm_study, tmp_path):
    failures, _written = preview(every_arm_study, tmp_path)
    assert failures == []
    report = json.loads((tmp_path / "turing_1by1.texts.json").read_text())
    cases = report["texture"]["cases"]
    assert len(cases) == 6 and all(c["within_band"] for c in cases)
    low, high = report["texture"]["band"]
    assert all(low <= c["ratio"] <= high for c in cases)
    # ARM.png is the reading window, not only its views: the form to the right of the views
    # (the question's text) and the toolbar above them are in the picture.
    shot = np.asarray(Image.open(tmp_path / "turing_1by1.png"))
    assert shot.shape[1] >= 1500 and shot.shape[0] >= 800
    form = shot[:, int(shot.shape[1] * 0.75):]
    assert form.std() > 10  # the form's widgets, not a black margin


def test_the_pixel_audit_catches_the_old_resampling(tmp_path, small_case, monkeypatch,
                                                    capsys):
    """Put back the old chain (the synthetic shown as predicted, the real as registered, the
    table and field of view as they come): preview fails, naming the arm and the case."""
    from inference.readerstudy import presentation
    from inference.readerstudy.prepare import prepare_study

    monkeypatch.setattr(presentation, "shifted", lambda volume, shift: volume)
    monkeypatch.setattr(presentation, "within", lambda volume, mask: volume)
    protocol = every_arm_protocol(tmp_path, small_case)
    store = StudyStore.create(tmp_path / "study", protocol)
    prepared = tmp_path / "study" / "prepared"
    prepare_study(replace(protocol, cases=protocol.cases[:1]), prepared, log=lambda _m: None)
    for case in protocol.cases[1:]:  # the same phantom: prepared once
        shutil.copytree(prepared / protocol.cases[0].id, prepared / case.id)
    store.assign()
    store.close()
    assert preview_main([str(tmp_path / "study"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert re.search(r"BLINDING FAILURE: arm turing_1by1, case case-1: the synthetic and the "
                     r"real variant differ in grain \(texture ratio 1\.[5-9]", err), err
