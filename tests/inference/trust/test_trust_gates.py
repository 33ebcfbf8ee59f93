"""Trust gates on the phantom: the shipped demo model passes; a model that predicts no
enhancement and one that 'enhances' everything above -200 HU by 260 HU (both card-valid, with
finite outputs inside the card's range) are flagged in the CLI, the run report, the DICOM
images and the SR, with the verdict 'real contrast recommended'."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest

from inference import provenance as labels
from inference.cli import main
from inference.io.loader import open_volume
from inference.synthesis.engine import synthesize
from inference.synthesis.runtime import load_model
from inference.trust.checks import check_synthetic
from inference.trust.findings import REAL_RECOMMENDED, REVIEW, TrustReport
from tests.support.onnx_models import demo_like_card, enhance_above_model


@pytest.fixture(scope="module")
def bad_models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad-models")
    return {"none": demo_like_card(enhance_above_model(root / "none.onnx", add_hu=0.0),
                                   "no-enhancement"),
            "all": demo_like_card(enhance_above_model(root / "all.onnx"), "enhance-everything")}


@pytest.fixture(scope="module")
def plain(small_case):
    return open_volume(small_case.noncontrast).volume


def statuses(trust: TrustReport) -> dict[str, str]:
    return {f.check: f.status for f in trust.findings}


def test_demo_model_is_not_flagged_on_the_phantom(plain):
    result = synthesize(plain, session=load_model())
    trust = result.trust
    assert trust.verdict == "consistent", trust.lines()
    s = statuses(trust)
    assert s["phase"] == "pass" and s["hu: aorta"] == "pass"
    assert s["unchanged: fat"] == "pass" and s["unchanged: cortical bone"] == "pass"
    assert s["flicker"] == "pass"
    aorta = next(f for f in trust.findings if f.check == "hu: aorta")
    assert 250 < aorta.value < 400  # the phantom's arterial lumen is 320 HU
    # Where it was measured: a voxel of the synthetic inside the bright lumen.
    k, j, i = aorta.where
    assert result.volume.array[k, j, i] > 200
    # The verdict travels with the pixels.
    assert labels.trust_verdict(result.volume.provenance) == "consistent"
    assert "Trust verdict: consistent" in labels.banner(result.volume.provenance)


def test_no_enhancement_model_is_flagged(plain, bad_models):
    trust = synthesize(plain, session=load_model(bad_models["none"])).trust
    s = statuses(trust)
    assert s["phase"] == "fail"  # it reads as non-contrast
    assert s["hu: aorta"] == "fail"
    assert trust.verdict == REAL_RECOMMENDED


def test_enhance_everything_model_is_flagged(plain, bad_models):
    trust = synthesize(plain, session=load_model(bad_models["all"])).trust
    s = statuses(trust)
    assert s["unchanged: fat"] == "fail" and s["unchanged: cortical bone"] == "fail"
    fat = next(f for f in trust.findings if f.check == "unchanged: fat")
    assert fat.value == pytest.approx(260, abs=5)
    assert s["phase"] in ("warn", "fail")  # everything bright: no clear arterial phase
    assert trust.verdict == REAL_RECOMMENDED


def test_cli_report_and_dicom_say_it(small_case, bad_models, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["synthesize", str(small_case.noncontrast), "-o", str(out), "--dicom",
                 "--model", str(bad_models["all"])]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1].startswith(f"Trust verdict: {REAL_RECOMMENDED}")
    assert any(line.startswith("FAILED: trust check unchanged: fat") for line in printed)
    report = json.loads((out / "report.json").read_text())
    assert report["trust"]["verdict"] == REAL_RECOMMENDED
    assert {f["check"] for f in report["trust"]["findings"] if f["status"] == "fail"} >= {
        "unchanged: fat", "unchanged: cortical bone"}
    first = sorted((out / "dicom").glob("*.dcm"))[0]
    ds = pydicom.dcmread(first)
    assert f"Trust verdict: {REAL_RECOMMENDED}" in str(ds.ImageComments)
    # A copy that lost the private block still says it, from the comment alone.
    synthetic, prov = labels.from_dicom("YES", tuple(ds.ImageType), "", str(ds.ImageComments),
                                        "")
    assert synthetic and labels.trust_verdict(prov) == REAL_RECOMMENDED
    assert "unchanged: fat" in {f["check"] for f in prov["trust"]["findings"]}
    # Reopened (series and NIfTI): the banner carries the verdict line.
    for path in (out / "dicom", out / "synthetic_digital_contrast.nii.gz"):
        reopened = open_volume(path).volume
        assert reopened.synthetic
        assert f"Trust verdict: {REAL_RECOMMENDED}" in labels.banner(reopened.provenance)
    if shutil.which("/usr/bin/dcmdump"):
        dump = subprocess.run(["/usr/bin/dcmdump", "+P", "ImageComments", str(first)],
                              capture_output=True, text=True, check=True).stdout
        assert "Trust verdict" in dump or "OUTSIDE" in dump or "SYNTHETIC" in dump


def test_sr_holds_the_verdict_as_a_qualitative_evaluation(small_case, plain, bad_models,
                                                          tmp_path):
    from inference.annotations.model import Annotation, Kind
    from inference.annotations.store import AnnotationSet
    from inference.dicom.measurement_report import write_report
    from inference.io.dicom.discovery import scan

    synthetic = synthesize(plain, session=load_model(bad_models["none"])).volume
    s = AnnotationSet()
    s.add(Annotation(Kind.RULER, ((0, 0, 60), (30, 40, 60)), text="width"))
    source = scan(small_case.noncontrast).series[0]
    path = write_report(s, source, {"digital contrast": synthetic}, tmp_path / "sr.dcm")
    sr = hd.sr.srread(path)
    groups = sr.content.get_image_measurement_groups()
    evaluations = {e.name.meaning: e.value.meaning for g in groups
                   for e in g.get_qualitative_evaluations()}
    assert evaluations["Digital contrast trust verdict"] == REAL_RECOMMENDED
    assert evaluations["Trust check phase"].startswith("fail")
    if shutil.which("/usr/bin/dsrdump"):
        dump = subprocess.run(["/usr/bin/dsrdump", str(path)], capture_output=True, text=True,
                              check=True).stdout
        assert "real contrast recommended" in dump


def test_flicker_and_uncertainty_are_measured(plain):
    """A synthetic whose slices jump by +-8 HU in turn, and an uncertainty map with 40 ml
    above the card's 50 HU: both flagged, each with where it was measured."""
    card = load_model().card
    steps = np.where(np.arange(plain.shape[0]) % 2 == 0, 8, -8).astype(np.int16)
    body = plain.array > -500
    flickering = replace(plain, array=(plain.array + body * steps[:, None, None]).astype(
        np.int16), synthetic=True)
    sx, sy, sz = plain.geometry.spacing
    unc = np.zeros(plain.shape, np.int16)
    n = int(40_000 / (sx * sy * sz)) + 1  # 40 ml of voxels
    unc.reshape(-1)[:n] = 80
    trust = check_synthetic(plain, flickering, card, replace(plain, array=unc))
    flicker = next(f for f in trust.findings if f.check == "flicker")
    # +8 against the mean of two -8 neighbours: 16 HU on every slice.
    assert flicker.status == "fail" and flicker.value == pytest.approx(16.0, rel=0.1)
    uncertainty = next(f for f in trust.findings if f.check == "uncertainty")
    assert uncertainty.status == "warn" and uncertainty.value == pytest.approx(40, rel=0.05)
    assert trust.verdict == REAL_RECOMMENDED


def test_unreadable_phase_is_never_called_consistent(plain):
    """Landmarks out of view (a few slices of air): the phase is 'not measured', and the
    verdict says review with care, not consistent."""
    card = load_model().card
    air = replace(plain, array=np.full(plain.shape, -1000, np.int16))
    trust = check_synthetic(air, replace(air, synthetic=True), card)
    assert statuses(trust)["phase"] == "not measured"
    assert trust.verdict == REVIEW


def test_a_card_declares_its_own_ranges(tmp_path, plain):
    """Card schema v2 'plausibility': a card that expects a portal-venous aorta (110-200 HU)
    sees the demo output's 320 HU aorta flagged."""
    from inference.synthesis.card import default_card, load_card

    data = json.loads(default_card().path.read_text())
    data["plausibility"] = {"landmarks_hu": {"aorta": [110, 200]},
                            "unchanged_max_hu": {"fat": 10}}
    onnx = default_card().onnx_path
    shutil.copy(onnx, tmp_path / onnx.name)
    path = tmp_path / "strict.card.json"
    path.write_text(json.dumps(data))
    card = load_card(path)
    result = synthesize(plain, session=load_model(card))
    s = statuses(result.trust)
    assert s["hu: aorta"] == "fail"
    assert "hu: liver" not in s  # the card lists the landmarks it wants
