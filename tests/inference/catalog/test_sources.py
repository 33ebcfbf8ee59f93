"""Catalogue sources beyond folders: a real PACS (Orthanc, by C-FIND and by QIDO-RS), and
pairs across a patient's studies within a time window."""

from __future__ import annotations

import json
import shutil

import pydicom
import pytest

from inference.catalog.pacs_source import add_pacs, date_windows
from inference.catalog.pairs import find_pairs
from inference.catalog.store import connect
from inference.cli import main
from inference.pacs.nodes import PacsError, PacsNode, save_nodes
from tests.support.catalog import policy_file
from tests.support.orthanc import PASSWORD, USER


@pytest.fixture
def nodes(fresh_orthanc, tmp_path, monkeypatch):
    """The session's Orthanc (holding the small phantom study) configured twice: DIMSE and
    DICOMweb, with its own retrieval cache."""
    monkeypatch.setenv("DCREVIEW_PACS_NODES", str(tmp_path / "nodes.json"))
    monkeypatch.setenv("DCREVIEW_PACS_CACHE", str(tmp_path / "pacs-cache"))
    found = {"hosp": PacsNode("hosp", ae_title="ORTHANC", port=fresh_orthanc.dicom_port),
             "hospweb": PacsNode("hospweb", kind="dicomweb",
                                 url=f"{fresh_orthanc.url}/dicom-web", username=USER,
                                 password=PASSWORD)}
    save_nodes(found)
    return found


@pytest.mark.parametrize("name", ["hosp", "hospweb"])
def test_a_pacs_is_catalogued_at_series_level_and_its_pair_exported(nodes, name, tmp_path,
                                                                    capsys):
    cat = tmp_path / "catalog"
    assert main(["catalog", "add", str(cat), f"pacs://{name}", "--site", "hospital-a"]) == 0
    out = capsys.readouterr().out
    assert "2 series catalogued; 1 study(ies) read" in out
    con = connect(cat, write=False)
    rows = dict(con.execute("SELECT phase, location FROM series").fetchall())
    patient = con.execute("SELECT DISTINCT patient FROM series").fetchall()
    con.close()
    assert sorted(rows) == ["arterial", "non-contrast"]
    assert rows["arterial"].startswith(f"pacs://{name}/")
    assert len(patient) == 1 and patient[0][0] and "PHANTOM" not in patient[0][0]
    # Nothing was retrieved to catalogue it.
    assert not (tmp_path / "pacs-cache").exists() or not any((tmp_path / "pacs-cache").iterdir())
    # A rescan does not ask again for a study catalogued whole.
    again = add_pacs(cat, nodes[name])
    assert again.files_read == 0 and again.files_unchanged == 1
    assert main(["catalog", "pairs", str(cat), "-o", str(tmp_path / "pairs.csv")]) == 0
    assert "1 pair(s)" in capsys.readouterr().out
    policy = policy_file(tmp_path, "hospital-a", consent="opt-out")
    dataset = tmp_path / "dataset"
    assert main(["catalog", "export", str(cat), "--pairs", str(tmp_path / "pairs.csv"), "-o",
                 str(dataset), "--policy", str(policy), "--deidentify"]) == 0
    card = json.loads((dataset / "dataset.json").read_text())
    assert card["counts"]["cases"] == 1 and len(card["files"]) == 80
    ds = pydicom.dcmread(next((dataset / "cases").rglob("*.dcm")))
    assert ds.PatientIdentityRemoved == "YES" and "PHANTOM" not in str(ds.PatientID)


def test_an_unknown_node_and_a_bad_date_range_are_one_line(nodes, tmp_path, capsys):
    assert main(["catalog", "add", str(tmp_path / "c"), "pacs://nowhere"]) == 2
    assert "no PACS node named 'nowhere'" in capsys.readouterr().err
    assert main(["catalog", "add", str(tmp_path / "c"), "pacs://hosp", "--study-date",
                 "20240131-20240101"]) == 2
    assert "first date is after the last" in capsys.readouterr().err


def test_date_ranges_are_asked_a_week_at_a_time():
    assert date_windows("20240101-20240120") == ["20240101-20240107", "20240108-20240114",
                                                 "20240115-20240120"]
    assert date_windows("20240101") == ["20240101"] and date_windows("") == [""]
    with pytest.raises(PacsError):
        date_windows("2024-01-01")


def test_a_study_date_window_finds_only_the_studies_inside_it(nodes, tmp_path):
    # The phantom's study date is the day it was written: a window a year earlier is empty.
    assert add_pacs(tmp_path / "c", nodes["hosp"], study_date="19990101-19990220").series == 0


def _restudy(src, dest, study_uid: str, date: str) -> None:
    dest.mkdir(parents=True)
    for f in sorted(src.glob("*.dcm")):
        ds = pydicom.dcmread(f)
        ds.StudyInstanceUID, ds.StudyDate = study_uid, date
        ds.save_as(dest / f.name)


def test_pairs_across_a_patients_studies_within_a_time_window(small_case, tmp_path, capsys):
    archive = tmp_path / "archive"
    _restudy(small_case.noncontrast, archive / "a", "1.2.826.0.1.3680043.8.498.1", "20240101")
    _restudy(small_case.contrast, archive / "b", "1.2.826.0.1.3680043.8.498.2", "20240110")
    cat = tmp_path / "catalog"
    assert main(["catalog", "add", str(cat), str(archive), "--serial"]) == 0
    assert find_pairs(cat) == []  # not the same study
    assert find_pairs(cat, within_days=5) == []
    pairs = find_pairs(cat, within_days=30)
    assert len(pairs) == 1 and pairs[0]["days_apart"] == 9
    assert "another study of the patient, 9 day(s) apart" in pairs[0]["why"]
    assert pairs[0]["real_study_uid"] == "1.2.826.0.1.3680043.8.498.2"
    # The same pair inside one study scores higher than across studies.
    shutil.rmtree(archive / "b")
    _restudy(small_case.contrast, archive / "b", "1.2.826.0.1.3680043.8.498.1", "20240101")
    assert main(["catalog", "add", str(cat), str(archive), "--serial"]) == 0
    same = find_pairs(cat, within_days=30)
    assert len(same) == 1 and "same study" in same[0]["why"]
    assert same[0]["score"] > pairs[0]["score"]
    capsys.readouterr()
    assert main(["catalog", "pairs", str(cat), "--within-days", "9999", "-o",
                 str(tmp_path / "p.csv")]) == 2
    assert "--within-days is between 0 and 3650" in capsys.readouterr().err
