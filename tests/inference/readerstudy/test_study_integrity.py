"""Data loss and integrity of a study folder: ids that would become paths, deletions confined
to what the product made, removals that a hash chain alone cannot see (witnesses outside the
folder), an edited root, and washouts beyond the calendar."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from inference.cli import main
from inference.errors import StudyProtocolError
from inference.readerstudy import witness
from inference.readerstudy.layout import reader_log_path
from inference.readerstudy.protocol import load_protocol
from inference.readerstudy.store import StudyStore
from inference.readerstudy.verify import verify_study
from tests.support.studies import TODAY, answer_all, write_protocol


def _user_files(folder: Path) -> dict[str, bytes]:
    """Files a coordinator keeps in the study folder that dcreview did not write."""
    (folder / "notes").mkdir(parents=True, exist_ok=True)
    (folder / "notes" / "ethics-approval.txt").write_text("approved 2026-11-02")
    (folder / "cohort.xlsx").write_bytes(b"PK\x03\x04 the coordinator's spreadsheet")
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}


@pytest.mark.parametrize("where, bad", [("case", ".."), ("case", "."), ("reader", ".."),
                                        ("case", ".hidden"), ("case", "CON"),
                                        ("case", "x" * 65)])
def test_an_id_that_would_become_a_path_is_refused_and_init_deletes_nothing(
        tmp_path, small_case, capsys, where, bad):
    old = 'id = "case-1"' if where == "case" else 'id = "alice"'
    protocol = write_protocol(tmp_path, small_case, n_cases=2, **{old: f'id = "{bad}"'})
    folder = tmp_path / "study"
    folder.mkdir()
    before = _user_files(folder)
    with pytest.raises(StudyProtocolError, match=r"cannot be|too long"):
        load_protocol(protocol)
    assert main(["study", "init", str(protocol), "--dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and ("cannot be" in err or "too long" in err)
    after = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
             if p.is_file()}
    assert after == before  # the folder and the user's files are untouched


def test_init_keeps_the_users_files_and_never_removes_a_folder_it_did_not_make(
        tmp_path, small_case, prepared_cases, capsys):
    protocol = write_protocol(tmp_path, small_case, n_cases=2)
    folder = tmp_path / "study"
    folder.mkdir()
    mine = _user_files(folder)
    # The user's own folder where a case would go, and a link out of the study folder.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "precious.txt").write_text("not dcreview's")
    (folder / "prepared").mkdir()
    (folder / "prepared" / "case-1").mkdir()
    (folder / "prepared" / "case-1" / "my-notes.txt").write_text("keep me")
    (folder / "prepared" / "case-2").symlink_to(outside, target_is_directory=True)
    assert main(["study", "init", str(protocol), "--dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "was not made by dcreview" in err and "Traceback" not in err
    assert (folder / "prepared" / "case-1" / "my-notes.txt").read_text() == "keep me"
    assert (outside / "precious.txt").read_text() == "not dcreview's"
    for name, data in mine.items():
        assert (folder / name).read_bytes() == data
    # Once the user moves their folder away, init prepares the cases; the link is replaced by
    # a real folder without following it, and whatever it pointed to is left alone.
    shutil.rmtree(folder / "prepared" / "case-1")
    shutil.copytree(prepared_cases / "case-1", folder / "prepared" / "case-1")
    assert main(["study", "init", str(protocol), "--dir", str(folder)]) == 0
    assert (folder / "prepared" / "case-2" / "prepared.json").exists()
    assert not (folder / "prepared" / "case-2").is_symlink()
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
    for name, data in mine.items():
        assert (folder / name).read_bytes() == data


@pytest.fixture
def sealed_study(study):
    """Session 1 of both readers read, the results exported once (sealed and witnessed)."""
    for reader in ("alice", "bob"):
        answer_all(study, reader, 1, TODAY)
    study.close()
    assert main(["study", "export", str(study.dir), "--out", str(study.dir.parent / "x")]) == 0
    return study.dir


def _drop_tail(log: Path, n: int) -> None:
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:-n]) + "\n")


def _delete_reader(folder: Path) -> None:
    shutil.rmtree(reader_log_path(folder, "alice").parent)


def _delete_log(folder: Path) -> None:
    reader_log_path(folder, "alice").unlink()


def _drop_three(folder: Path) -> None:
    _drop_tail(reader_log_path(folder, "alice"), 3)


def _drop_seal(folder: Path) -> None:
    _drop_tail(folder / "coordinator.jsonl", 1)


def _drop_seal_and_tail(folder: Path) -> None:
    _drop_seal(folder)
    _drop_three(folder)


REMOVALS = {
    "reader folder deleted": (_delete_reader, "the log was deleted"),
    "reader log deleted": (_delete_log, "the log was deleted"),
    "last 3 records dropped": (_drop_three, "removed from its end"),
    "export seal deleted": (_drop_seal, "the coordinator's log ends at record"),
    "seal deleted and tail dropped": (_drop_seal_and_tail, "removed from its end"),
}


@pytest.mark.parametrize("removal", sorted(REMOVALS))
def test_verify_sees_removed_records_through_a_witness(sealed_study, removal, capsys):
    capsys.readouterr()
    do, reason = REMOVALS[removal]
    do(sealed_study)
    assert main(["study", "verify", str(sealed_study)]) == 1
    err = capsys.readouterr().err
    assert "TAMPERING OR DAMAGE FOUND" in err and reason in err, err
    assert "checked against: the coordinator's store on this machine" in err
    assert main(["study", "export", str(sealed_study), "--out",
                 str(sealed_study.parent / "again")]) == 2
    assert "verify reports damage" in capsys.readouterr().err
    assert main(["study", "summary", str(sealed_study)]) == 0
    out = capsys.readouterr().out
    assert "WARNING: verify reports damage" in out and reason in out
    # A damaged study's heads are never written down: a second verify still sees the loss.
    assert main(["study", "verify", str(sealed_study)]) == 1
    assert reason in capsys.readouterr().err


def test_a_readers_receipt_witnesses_records_no_export_has_sealed(study, tmp_path, capsys):
    answer_all(study, "alice", 1, TODAY)
    study.close()
    # Only the reader's workstation saw these records: no export, no verify yet.
    receipt = witness.receipt_path(study.study_id, "alice")
    assert json.loads(receipt.read_text())["head"]["seq"] == len(
        reader_log_path(study.dir, "alice").read_text().splitlines())
    carried = tmp_path / "alice-receipt.json"
    shutil.copy(receipt, carried)
    _drop_three(study.dir)
    assert main(["study", "verify", str(study.dir)]) == 1
    err = capsys.readouterr().err
    assert "reader 'alice''s receipt on this machine saw record" in err
    # On the coordinator's own machine the receipt is not there; brought along, it is used.
    receipt.unlink()
    assert main(["study", "verify", str(study.dir), "--witness", str(carried)]) == 1
    err = capsys.readouterr().err
    assert "witness file alice-receipt.json saw record" in err


def test_verify_says_plainly_when_no_witness_is_reachable(sealed_study, tmp_path, monkeypatch,
                                                          capsys):
    study_id = json.loads((sealed_study / "study.json").read_text())["study_id"]
    key = witness.coordinator_store(study_id).with_name(f"{study_id}.key")
    elsewhere = tmp_path / "another-machine"
    elsewhere.mkdir()
    shutil.copy(key, elsewhere / key.name)
    monkeypatch.setenv("DCREVIEW_KEY_DIR", str(elsewhere))  # the key, but no witness
    capsys.readouterr()
    assert main(["study", "verify", str(sealed_study)]) == 0
    out = capsys.readouterr().out
    assert "every seal and link intact" in out
    assert "no witness of the chain heads is reachable" in out
    assert "checked against: nothing" in out


def test_an_edited_root_is_damage(study, tmp_path, capsys):
    data = json.loads((study.dir / "study.json").read_text())
    other = tmp_path / "other-cases"
    other.mkdir()
    data["root"] = str(other)
    (study.dir / "study.json").write_text(json.dumps(data))
    report = verify_study(study.dir)
    assert any("(root)" in p and "edited" in p for p in report.problems), report.problems


def test_verify_never_writes_into_the_study_folder(sealed_study):
    before = {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sealed_study.rglob("*")
              if p.is_file()}
    assert main(["study", "verify", str(sealed_study)]) == 0
    assert main(["study", "summary", str(sealed_study)]) == 0
    after = {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sealed_study.rglob("*")
             if p.is_file()}
    assert after == before


def test_a_washout_beyond_the_calendar_is_refused_and_never_overflows(tmp_path, small_case,
                                                                      capsys):
    path = write_protocol(tmp_path, small_case, **{"washout_days = 28":
                                                   "washout_days = 1000000000"})
    assert main(["study", "validate", str(path)]) == 2
    assert "washout_days" in capsys.readouterr().err
    # A study whose folder already holds one (written by an older version) never crashes.
    store = StudyStore.create(tmp_path / "s", load_protocol(write_protocol(tmp_path, small_case)))
    store.assign()
    answer_all(store, "alice", 1, TODAY)
    store.protocol.washout_days = 1_000_000_000
    assert store.opens_on("alice", 2).year == 9999
    progress = {p["reader"]: p for p in store.progress()}
    assert progress["alice"]["next"].startswith("session 2 opens on 9999")
    store.close()


def test_a_forged_reader_folder_and_a_deleted_prepared_case_are_reported(
        tmp_path, small_case, prepared_cases, capsys):
    protocol = write_protocol(tmp_path, small_case)
    folder = tmp_path / "study"
    shutil.copytree(prepared_cases, folder / "prepared")
    assert main(["study", "init", str(protocol), "--dir", str(folder)]) == 0
    assert main(["study", "assign", str(folder)]) == 0
    capsys.readouterr()
    assert verify_study(folder).problems == []
    (folder / "readers" / "0123456789abcdef").mkdir(parents=True)
    shutil.rmtree(folder / "prepared" / "case-2")
    (folder / "prepared" / "case-3" / "prepared.json").write_text("{}")
    problems = verify_study(folder).problems
    assert any("readers/0123456789abcdef is not the folder of any reader" in p
               for p in problems), problems
    assert any("case 'case-2': its prepared images are missing" in p for p in problems)
    assert any("case 'case-3': prepared file(s) prepared.json missing or changed" in p
               for p in problems)
