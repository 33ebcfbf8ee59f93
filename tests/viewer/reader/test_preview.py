"""`study preview`: every arm kind in every layout rendered as a reader sees it, blinding
audited on every surface; a leak is caught and named."""

from __future__ import annotations

import json
import re
import shutil

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
