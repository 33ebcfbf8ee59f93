"""A whole study classified, and the pair picked for the user: the plain input a model takes
(never a contrast series), the real contrast series to compare with, each with its reason."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pydicom
import pytest

from inference.cli import main
from inference.io.dicom.discovery import scan
from inference.phantom.demo_case import write_demo_case
from inference.series.model import Phase
from inference.series.pairing import choose_pair
from inference.series.study import PIXEL_SLICES, after_enhanced, classify_study, subsample

SMALL = dict(matrix=96, slices=40, pixel_mm=4.0, slice_mm=7.5)
TEXT = ("SeriesDescription", "StudyDescription", "ProtocolName", "ContrastBolusAgent",
        "ContrastBolusRoute", "ContrastBolusVolume", "ContrastBolusStartTime",
        "ContrastBolusIngredient", "ImageComments")


@pytest.fixture(scope="module")
def four_phases(tmp_path_factory) -> Path:
    """The phantom study: non-contrast, arterial, portal-venous and delayed series."""
    return write_demo_case(tmp_path_factory.mktemp("study"), seed=3,
                           phases=("arterial", "portal-venous", "delayed"), **SMALL).root


def blanked(src: Path, dst: Path, folders: list[str]) -> Path:
    """A copy of series folders with every description and contrast attribute removed."""
    for name in folders:
        (dst / name).mkdir(parents=True)
        for f in sorted((src / name).glob("*.dcm")):
            ds = pydicom.dcmread(f)
            for keyword in TEXT:
                if keyword in ds:
                    delattr(ds, keyword)
            ds.save_as(dst / name / f.name)
    return dst


def _by_folder(found):
    return {Path(c.series.headers[0].path).parent.name: c for c in found}


def test_every_series_of_a_four_phase_study_from_pixels_alone(four_phases, tmp_path):
    root = blanked(four_phases, tmp_path / "blank", ["noncontrast", "contrast_arterial",
                                                      "contrast_portal_venous",
                                                      "contrast_delayed"])
    found = _by_folder(classify_study(scan(root)))
    assert {k: c.cls.phase for k, c in found.items()} == {
        "noncontrast": Phase.NON_CONTRAST, "contrast_arterial": Phase.ARTERIAL,
        "contrast_portal_venous": Phase.PORTAL_VENOUS, "contrast_delayed": Phase.DELAYED}
    assert all(not c.cls.conflicts for c in found.values())
    assert all("pixels" in c.cls.why() for c in found.values())


def test_the_pair_follows_the_models_target_phase(four_phases):
    found = classify_study(scan(four_phases))
    for target, folder in (("arterial", "contrast_arterial"),
                           ("portal-venous", "contrast_portal_venous"),
                           ("delayed", "contrast_delayed")):
        pair = choose_pair(found, target)
        assert Path(pair.input.series.headers[0].path).parent.name == "noncontrast"
        assert Path(pair.comparison.series.headers[0].path).parent.name == folder
        assert "target phase" in pair.comparison_reason
        assert pair.input_reason.startswith("input: #2") and "non-contrast" in pair.input_reason


def test_no_plain_series_means_no_input_and_the_candidates_listed(four_phases):
    found = [c for c in classify_study(scan(four_phases)) if c.cls.phase.enhanced]
    pair = choose_pair(found, "arterial")
    assert pair.input is None
    assert "none is taken" in pair.input_reason and "arterial" in pair.input_reason


def test_a_series_acquired_after_an_enhanced_one_is_not_plain(four_phases):
    from dataclasses import replace

    found = classify_study(scan(four_phases), pixels=False)
    by = _by_folder(found)
    late = by["contrast_delayed"]
    # Its text and pixels unread: headers say nothing, but it was made after the arterial.
    unknown = replace(late, cls=replace(late.cls, phase=Phase.UNKNOWN, phase_confidence=0.0))
    plain = replace(late, cls=replace(late.cls, phase=Phase.NON_CONTRAST))
    out = after_enhanced([by["contrast_arterial"], unknown])[1]
    assert out.cls.phase is Phase.CONTRAST
    assert any("after the enhanced series #3 (09:04)" in e.value for e in out.cls.evidence)
    out = after_enhanced([by["contrast_arterial"], plain])[1]
    assert out.cls.conflicts and not out.cls.usable_as_input
    # The plain scan made before the contrast keeps its call.
    first = after_enhanced([by["noncontrast"], by["contrast_arterial"]])[0]
    assert first.cls.usable_as_input


def test_pixels_are_read_from_a_few_dozen_evenly_spaced_slices(tmp_path):
    case = write_demo_case(tmp_path / "tall", matrix=64, slices=130, pixel_mm=6.0, slice_mm=2.5)
    series = scan(case.noncontrast).series[0]
    small = subsample(series)
    assert len(small.headers) <= PIXEL_SLICES and len(small.headers) >= PIXEL_SLICES // 2
    z = sorted(h.position[2] for h in small.headers)
    steps = {round(b - a, 3) for a, b in itertools.pairwise(z)}
    assert len(steps) == 1  # even: no gap for the loader to fill


def test_synthesize_on_a_study_picks_the_plain_series_by_itself(small_case, tmp_path, capsys):
    root = blanked(small_case.root, tmp_path / "study", ["contrast_arterial", "noncontrast"])
    nc_uid = pydicom.dcmread(next((root / "noncontrast").glob("*.dcm"))).SeriesInstanceUID
    assert main(["synthesize", str(root), "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "note: input: #2" in err and "non-contrast" in err and "pixels" in err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["input"]["series_uid"] == nc_uid
    assert report["series_choice"][0].startswith("input: #2")


def test_synthesize_refuses_a_study_without_a_plain_series(four_phases, tmp_path, capsys):
    root = tmp_path / "enhanced"
    for name in ("contrast_arterial", "contrast_portal_venous"):
        shutil.copytree(four_phases / name, root / name)
    assert main(["synthesize", str(root), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no series is a non-contrast volume beyond doubt" in err
    assert "arterial" in err and "portal-venous" in err and "--series" in err
    assert not (tmp_path / "out" / "report.json").exists()


def test_info_prints_kind_and_phase_and_json_gives_the_evidence(four_phases, capsys):
    assert main(["info", str(four_phases)]) == 0
    out = capsys.readouterr().out
    assert out.count("what it is: volume,") == 4
    assert "volume, portal-venous" in out and "input: #2" in out and "compare with: #3" in out
    assert main(["info", "--json", "--headers-only", str(four_phases)]) == 0
    data = json.loads(capsys.readouterr().out)
    phases = {s["series_number"]: s["phase"] for s in data["series"]}
    assert phases == {2: "non-contrast", 3: "arterial", 4: "portal-venous", 5: "delayed"}
    first = next(s for s in data["series"] if s["series_number"] == 2)
    assert {"source": "SeriesDescription", "value": "NON-CONTRAST",
            "says": "phase=non-contrast", "weight": 0.95} in first["evidence"]
    assert data["input"] == first["series_uid"]


def test_demo_data_writes_the_phases_asked_for(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo-data", str(out), "--matrix", "64", "--slices", "16", "--pixel-mm", "6",
                 "--slice-mm", "10", "--phases", "delayed", "portal-venous"]) == 0
    printed = capsys.readouterr().out
    for folder in ("noncontrast", "contrast_arterial", "contrast_delayed",
                   "contrast_portal_venous"):
        assert (out / folder).is_dir() and str(out / folder) in printed
    truth = json.loads((out / "truth.json").read_text())
    assert truth["phases"] == ["non-contrast", "arterial", "delayed", "portal-venous"]
    assert truth["mean_hu"]["urine"]["delayed"] > 500
    numbers = {pydicom.dcmread(next((out / f).glob("*.dcm"))).SeriesNumber
               for f in ("noncontrast", "contrast_arterial", "contrast_delayed",
                         "contrast_portal_venous")}
    assert numbers == {2, 3, 4, 5}


def test_one_case_from_a_study_folder_for_both_roles(small_case, tmp_path):
    from inference.pipeline.case import run_case
    from inference.pipeline.settings import CaseSettings, CaseSpec

    root = str(small_case.root)
    result = run_case(CaseSpec("s1", root, real=root), tmp_path / "out",
                      CaseSettings(evaluate=True))
    assert result.choices[0].startswith("input: #2")
    assert result.choices[1].startswith("compare with: #3") and "target phase" in result.choices[1]
    assert result.evaluation is not None
    assert result.report["series_choice"] == result.choices
