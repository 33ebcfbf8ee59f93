"""The repository: folders and the IDC index into a catalogue, pairs found, a de-identified
research dataset exported that `batch --evaluate` runs as it is, with no source identifier
left in any byte."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pydicom
import pytest

from inference.catalog.ingest import add_folder, add_table
from inference.catalog.pairs import find_pairs
from inference.catalog.store import CatalogError, connect
from inference.cli import main
from inference.phantom.demo_case import write_demo_case
from tests.support.catalog import policy_file

SMALL = dict(matrix=96, slices=24, pixel_mm=4.0, slice_mm=7.5)
PEOPLE = [("KOWALSKA^ANNA", "MRN90210417", "19570312", "ACC7781203"),
          ("PAPADOPOULOS^NIKOS", "GR-4471-2291", "19490101", "ACC5510097"),
          ("DUBOIS^MARIE CLAIRE", "FR88120551", "19620729", "ACC3320458")]
HOSPITAL = "Szpital Wojewodzki Im. Sw. Lukasza"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """Three phantom studies with real-looking identifiers, in folders named without hints."""
    root = tmp_path_factory.mktemp("archive")
    for n, (name, pid, birth, accession) in enumerate(PEOPLE, 1):
        case = write_demo_case(root / f"gen{n}", seed=n, **SMALL)
        for k, folder in enumerate((case.noncontrast, case.contrast)):
            dest = root / "data" / f"d{n}{k}x"
            dest.mkdir(parents=True)
            for f in sorted(folder.glob("*.dcm")):
                ds = pydicom.dcmread(f)
                ds.PatientName, ds.PatientID, ds.PatientBirthDate = name, pid, birth
                ds.AccessionNumber, ds.InstitutionName = accession, HOSPITAL
                ds.ReferringPhysicianName, ds.StudyDate = "NOWAK^JAN", "20240517"
                ds.save_as(dest / f"IM{f.stem[-4:]}")
        shutil.rmtree(root / f"gen{n}")
    return root / "data"


def _identifiers(archive: Path) -> list[bytes]:
    out = []
    for name, pid, birth, accession in PEOPLE:
        out += [name.split("^")[0].encode(), pid.encode(), birth.encode(), accession.encode()]
    out += [HOSPITAL.encode(), b"NOWAK", b"20240517", b"PHANTOM-000", str(archive).encode()]
    for folder in archive.iterdir():
        ds = pydicom.dcmread(next(folder.iterdir()))
        out += [str(ds.StudyInstanceUID).encode(), str(ds.SeriesInstanceUID).encode(),
                str(ds.FrameOfReferenceUID).encode(), folder.name.encode()]
    return out


def test_scan_pair_export_and_batch_evaluate(archive, tmp_path, capsys):
    cat = tmp_path / "catalog"
    assert main(["catalog", "add", str(cat), str(archive), "--site", "hospital-a",
                 "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "6 series catalogued" in out and "0 left out" in out
    assert main(["catalog", "pairs", str(cat), "-o", str(tmp_path / "pairs.csv")]) == 0
    assert "3 pair(s)" in capsys.readouterr().out
    policy = policy_file(tmp_path, "hospital-a", licence="CC-BY-NC-4.0")
    dataset = tmp_path / "dataset"
    assert main(["catalog", "export", str(cat), "--pairs", str(tmp_path / "pairs.csv"),
                 "-o", str(dataset), "--policy", str(policy), "--deidentify"]) == 0
    card = json.loads((dataset / "dataset.json").read_text())
    assert card["counts"]["cases"] == 3 and card["counts"]["real_phase"] == {"arterial": 3}
    assert card["sources"][0]["licence"] == "CC-BY-NC-4.0"
    assert card["sources"][0]["site"].startswith("site-")
    assert len(card["files"]) == 6 * SMALL["slices"]
    # No identifier of the sources in any byte of the dataset.
    needles = [*_identifiers(archive), b"hospital-a"]
    for f in dataset.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            found = [n for n in needles if n in data]
            assert not found, (f.relative_to(dataset), found)
    ds = pydicom.dcmread(next((dataset / "cases").rglob("*.dcm")))
    assert ds.PatientIdentityRemoved == "YES"
    # The manifest runs through batch --evaluate as it is.
    assert main(["batch", str(dataset / "manifest.csv"), "-o", str(tmp_path / "run"),
                 "--evaluate", "--in-process"]) == 0
    assert "for 3 of 3 case(s)" in capsys.readouterr().out
    # ... and a reader-study protocol takes it as it is, its cases written out.
    from inference.readerstudy.protocol import load_protocol
    from tests.support.studies import PROTOCOL

    protocol = tmp_path / "protocol.toml"
    protocol.write_text(f'cases = "{dataset / "manifest.csv"}"\n'
                        + PROTOCOL.replace("{cases}", "").replace(
                            'roc_question = "confidence"', ""))
    assert main(["study", "validate", str(protocol)]) == 0
    loaded = load_protocol(protocol)
    assert [c.id for c in loaded.cases] == [c["case"] for c in card["cases"]]
    assert all(c.real and c.real.is_dir() for c in loaded.cases)
    assert isinstance(loaded.raw["cases"], list)  # written out, not a reference to the file
    # A re-run completes only what is missing.
    shutil.rmtree(next((dataset / "cases").iterdir()))
    assert main(["catalog", "export", str(cat), "--pairs", str(tmp_path / "pairs.csv"),
                 "-o", str(dataset), "--policy", str(policy), "--deidentify"]) == 0
    assert "(1 written now)" in capsys.readouterr().out


def test_a_source_without_a_policy_is_refused(archive, tmp_path):
    cat = tmp_path / "catalog"
    add_folder(cat, archive, site="hospital-b")
    from inference.catalog.pairs import write_pairs

    write_pairs(find_pairs(cat), tmp_path / "pairs.csv")
    policy = policy_file(tmp_path, "other")
    with pytest.raises(CatalogError, match="no entry for this source"):
        from inference.catalog.export import export_pairs

        export_pairs(cat, tmp_path / "pairs.csv", tmp_path / "ds", policy_file=policy)
    assert not (tmp_path / "ds" / "dataset.json").exists()


def test_a_rescan_reads_only_what_changed_and_lists_what_it_cannot_read(archive, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(archive, src)
    cat = tmp_path / "catalog"
    first = add_folder(cat, src)
    assert first.files_read == 6 * SMALL["slices"] and first.series == 6
    again = add_folder(cat, src)
    assert again.files_read == 0 and again.files_unchanged == 6 * SMALL["slices"]
    (src / "notes.txt").write_text("not an image")
    victim = next(next(src.iterdir()).iterdir())
    victim.write_bytes(victim.read_bytes()[:2000])  # cut short
    third = add_folder(cat, src)
    assert third.files_read == 2 and third.series == 1
    reasons = dict(third.skipped)
    assert reasons[str(src / "notes.txt")] == "not a DICOM file"
    assert "truncated" in reasons[str(victim)]
    con = connect(cat, write=False)
    assert con.execute("SELECT count(*) FROM series").fetchone()[0] == 6
    con.close()


def test_hostile_inputs_write_nothing_outside_the_catalogue(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../escaped.dcm", b"DICM")
        z.writestr("ok.txt", b"hello")
    loop = tmp_path / "loop"
    loop.mkdir()
    (loop / "self").symlink_to(loop, target_is_directory=True)
    cat = tmp_path / "catalog"
    result = add_folder(cat, evil)
    assert any("outside the archive" in why for _f, why in result.skipped)
    assert not (tmp_path.parent / "escaped.dcm").exists()
    assert add_folder(cat, loop).series == 0  # a link loop is not followed
    assert sorted(p.name for p in cat.iterdir()) == ["catalog.duckdb", "series.parquet"]


def test_a_second_writer_is_refused_with_a_plain_message(tmp_path):
    cat = tmp_path / "catalog"
    con = connect(cat, create=True)
    try:
        code = ("import sys; sys.path.insert(0, sys.argv[2]); from inference.catalog.store "
                "import connect; connect(sys.argv[1])")
        proc = subprocess.run([sys.executable, "-c", code, str(cat),
                               str(Path(__file__).parents[3])], capture_output=True, text=True)
    finally:
        con.close()
    assert proc.returncode != 0
    assert "is being written by another process" in proc.stderr


def test_the_idc_index_pairs_find_the_kits_studies_curators_labelled(tmp_path):
    idc = pytest.importorskip("idc_index_data")
    cat = tmp_path / "idc"
    result = add_table(cat, idc.IDC_INDEX_PARQUET_FILEPATH, site_column="collection_id")
    assert result.series > 1_000_000
    pairs = find_pairs(cat)
    con = duckdb.connect(str(cat / "catalog.duckdb"), read_only=True)
    truth = {u for (u,) in con.execute(
        "SELECT study_uid FROM series WHERE site = 'c4kc_kits' GROUP BY study_uid HAVING "
        "bool_or(series_description = 'noncontrast') AND "
        "bool_or(series_description IN ('arterial', 'late'))").fetchall()}
    patients = con.execute("SELECT count(*) FROM series WHERE patient IS NULL OR "
                           "patient = ''").fetchone()[0]
    clear = con.execute("SELECT count(*) FROM series s JOIN read_parquet(?) i ON "
                        "s.patient = i.PatientID", [str(idc.IDC_INDEX_PARQUET_FILEPATH)]
                        ).fetchone()[0]
    con.close()
    found = {p["study_uid"] for p in pairs}
    assert len(truth) >= 100
    assert len(truth & found) / len(truth) >= 0.95
    assert clear == 0 and patients < result.series * 0.01  # pseudonyms, never clear IDs


def test_shifted_dates_keep_intervals_and_leak_no_real_date(archive, tmp_path, capsys):
    """PS3.15 Retain Longitudinal Temporal Information with Modified Dates: each patient's
    dates move back by one keyed number of days; the real dates and birth dates are gone."""
    from inference.catalog.export import date_shift
    from tests.inference.dicom.test_conformance import DCIODVFY, validator_findings

    cat = tmp_path / "catalog"
    add_folder(cat, archive, site="hospital-a")
    from inference.catalog.pairs import write_pairs

    write_pairs(find_pairs(cat), tmp_path / "pairs.csv")
    policy = policy_file(tmp_path, "hospital-a")
    dataset = tmp_path / "dataset"
    assert main(["catalog", "export", str(cat), "--pairs", str(tmp_path / "pairs.csv"), "-o",
                 str(dataset), "--policy", str(policy), "--shift-dates"]) == 2
    assert "--shift-dates goes with --deidentify" in capsys.readouterr().err
    assert main(["catalog", "export", str(cat), "--pairs", str(tmp_path / "pairs.csv"), "-o",
                 str(dataset), "--policy", str(policy), "--deidentify", "--shift-dates"]) == 0
    card = json.loads((dataset / "dataset.json").read_text())
    assert "113107" in card["deidentification"]["codes"]
    assert "Modified Dates" in " ".join(card["deidentification"]["options"])
    shifts = set()
    for case in (dataset / "cases").iterdir():
        dates = set()
        for f in case.rglob("*.dcm"):
            ds = pydicom.dcmread(f)
            assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
            assert ds.PatientBirthDate == "" and ds.StudyDate != "20240517"
            dates.add(ds.StudyDate)
        assert len(dates) == 1  # both series of a case moved alike
        from datetime import date

        moved = date(2024, 5, 17) - date(int(ds.StudyDate[:4]), int(ds.StudyDate[4:6]),
                                         int(ds.StudyDate[6:]))
        assert moved.days == date_shift(str(ds.PatientID), case.name)
        shifts.add(moved.days)
    assert len(shifts) == 3 and all(30 <= s <= 3650 for s in shifts)  # one per patient
    needles = [n for n in _identifiers(archive)]
    for f in dataset.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert not [n for n in needles if n in data], f.relative_to(dataset)
    if DCIODVFY:
        errors, _unexpected = validator_findings(next((dataset / "cases").rglob("*.dcm")))
        assert errors == []
