"""Study storage: many readers at once, one writer per reader, a verify that only reads and
names every kind of damage, protocols that cannot crash validation."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from inference.cli import main
from inference.errors import ReaderStudyError, StudyProtocolError
from inference.readerstudy.protocol import load_protocol
from inference.readerstudy.reader_log import reader_folder
from inference.readerstudy.store import Interaction, StudyStore
from inference.readerstudy.verify import verify_study
from tests.support.reader_process import value_for
from tests.support.studies import LATER, TODAY, answer_all, start_reader, write_protocol


def new_study(folder: Path, small_case) -> StudyStore:
    folder.mkdir(parents=True)
    store = StudyStore.create(folder / "study", load_protocol(write_protocol(folder, small_case)))
    store.assign()
    return store


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_readers_at_once_and_a_verify_loop_raise_no_false_alarm(tmp_path, small_case):
    alarms, checks = [], 0
    for run in range(20):
        store = new_study(tmp_path / f"run{run}", small_case)
        store.close()
        procs = [start_reader(store.dir, reader) for reader in ("alice", "bob")]
        while any(p.poll() is None for p in procs):
            report = verify_study(store.dir)
            checks += 1
            alarms += report.problems
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0 and out.strip().endswith("DONE"), err
        final = verify_study(store.dir)
        assert final.problems == [] and final.notes == []
        assert len(StudyStore(store.dir).results()) == 2 * 18 * 3
    print(f"{checks} verify runs during 20 runs of two concurrent readers: "
          f"{len(alarms)} alarms")
    assert alarms == []
    assert checks >= 20


def test_the_same_reader_twice_is_refused_with_a_reason(study):
    other = StudyStore(study.dir)
    study.login("alice")
    with pytest.raises(ReaderStudyError, match="already has this study open"):
        other.login("alice")
    other.login("bob")  # another reader is fine
    study.close()
    other.login("alice")  # once the first window is closed
    other.close()


def test_a_finished_reading_cannot_be_finished_again(study):
    r = study.next_reading("alice", TODAY)
    for q in study.protocol.arm(r.arm).questions:
        study.save_answer(r, q, value_for(r.case, q))
    study.finish(r, Interaction(3.0))
    with pytest.raises(ReaderStudyError, match="already finished"):
        study.finish(r, Interaction(3.0))
    with pytest.raises(ReaderStudyError, match="can no longer change"):
        study.save_answer(r, "aneurysm", False)


def test_answers_must_be_plain_finite_values(study):
    r = study.next_reading("alice", TODAY)
    with pytest.raises(ReaderStudyError, match="finite"):
        study.save_answer(r, "confidence", float("nan"))
    with pytest.raises(ReaderStudyError, match="too long"):
        study.save_answer(r, "aneurysm", "x" * 200_000)


def test_the_export_records_when_each_answer_changed(study):
    r = study.next_reading("alice", TODAY)
    study.save_answer(r, "confidence", 10)
    study.save_answer(r, "confidence", 80)
    rows = [row for row in [*study.results()] if row["question"] == "confidence"]
    assert rows == []  # not finished yet: nothing exported
    for q in study.protocol.arm(r.arm).questions:
        if q != "confidence":
            study.save_answer(r, q, value_for(r.case, q))
    study.finish(r, Interaction(2.0))
    row = next(x for x in study.results() if x["question"] == "confidence")
    assert row["value"] == 80 and row["changes"] == 2 and row["answered_at"]


@pytest.fixture
def read_study(study):
    """A study with session 1 of both readers read and the results exported (sealed)."""
    for reader in ("alice", "bob"):
        answer_all(study, reader, 1, TODAY)
    study.close()
    study.seal_results("export to test")
    assert verify_study(study.dir).problems == []
    return study.dir


def log_of(folder: Path, reader: str = "alice") -> Path:
    return reader_folder(folder, reader) / "audit.jsonl"


def _delete_log(f):
    log_of(f).unlink()


def _delete_coordinator_log(f):
    (f / "coordinator.jsonl").unlink()


def _drop_middle_records(f):
    lines = log_of(f).read_text().splitlines()
    log_of(f).write_text("\n".join(lines[:5] + lines[8:]) + "\n")


def _drop_last_records(f):
    lines = log_of(f).read_text().splitlines()
    log_of(f).write_text("\n".join(lines[:-3]) + "\n")


def _garbage_page(f):
    data = bytearray(log_of(f).read_bytes())
    data[200:4296] = os.urandom(4096).replace(b"\n", b"x")
    log_of(f).write_bytes(bytes(data))


def _empty_study_file(f):
    (f / "study.json").write_bytes(b"")


def _truncated_study_file(f):
    p = f / "study.json"
    p.write_bytes(p.read_bytes()[:100])


def _study_file_is_a_folder(f):
    (f / "study.json").unlink()
    (f / "study.json").mkdir()


def _log_is_a_folder(f):
    log_of(f).unlink()
    log_of(f).mkdir()


def _edited_lists(f):
    data = json.loads((f / "study.json").read_text())
    data["lists"][0][3], data["lists"][1][3] = data["lists"][1][3], data["lists"][0][3]
    (f / "study.json").write_text(json.dumps(data))


def _other_readers_record(f):
    bob = log_of(f, "bob").read_text().splitlines()
    with open(log_of(f), "a") as out:
        out.write(bob[3] + "\n")


def _resealed_forgery(f):
    lines = log_of(f).read_text().splitlines()
    n = next(i for i, line in enumerate(lines) if '"question":"confidence"' in line)
    record = json.loads(lines[n])
    record["data"]["value"] = 99
    body = {k: v for k, v in record.items() if k != "mac"}
    record["mac"] = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    lines[n] = json.dumps(record)
    log_of(f).write_text("\n".join(lines) + "\n")


DAMAGE = {
    "deleted log": (_delete_log, "missing or changed"),
    "deleted coordinator log": (_delete_coordinator_log, "coordinator's log"),
    "records deleted in the middle": (_drop_middle_records, "records missing or inserted"),
    "last records deleted": (_drop_last_records, "missing or changed"),
    "garbage page": (_garbage_page, "is not a record (damaged)"),
    "zero-byte study file": (_empty_study_file, "study.json is damaged"),
    "truncated study file": (_truncated_study_file, "study.json is damaged"),
    "study file is a folder": (_study_file_is_a_folder, "is a folder"),
    "log is a folder": (_log_is_a_folder, "is a folder, not a log file"),
    "reading lists edited": (_edited_lists, "differ from those the coordinator assigned"),
    "another reader's record": (_other_readers_record, "another reader's"),
    "forged answer, re-sealed without the key": (_resealed_forgery, "altered or forged"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_verify_names_every_damage_without_a_traceback(read_study, damage, capsys):
    do, reason = DAMAGE[damage]
    do(read_study)
    before = snapshot(read_study)
    assert main(["study", "verify", str(read_study)]) == 1
    err = capsys.readouterr().err
    assert "TAMPERING OR DAMAGE FOUND" in err and reason in err and "Traceback" not in err
    assert snapshot(read_study) == before  # verify only reads
    code = main(["study", "summary", str(read_study)])  # never a traceback either
    out, err = capsys.readouterr()
    assert code in (0, 2) and "Traceback" not in out + err
    if code == 0:
        assert "WARNING: verify reports damage" in out


def test_verify_works_on_a_read_only_copy(read_study, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(read_study, copy)
    for p in [copy, *copy.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        before = snapshot(copy)
        assert main(["study", "verify", str(copy)]) == 0
        assert "every seal and link intact" in capsys.readouterr().out
        assert main(["study", "summary", str(copy)]) == 0
        assert snapshot(copy) == before
    finally:
        for p in [copy, *copy.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_verify_without_the_coordinator_key_says_so(read_study, tmp_path, monkeypatch, capsys):
    key_dir = Path(os.environ.get("XDG_CONFIG_HOME", "")) / "dcreview" / "study-keys"
    monkeypatch.setenv("DCREVIEW_KEY_DIR", str(tmp_path / "no-keys"))
    assert main(["study", "verify", str(read_study)]) == 1
    assert "give --key FILE" in capsys.readouterr().err
    study_id = json.loads((read_study / "study.json").read_text())["study_id"]
    key = next(key_dir.glob(f"{study_id}.key"))
    assert main(["study", "verify", str(read_study), "--key", str(key)]) == 0


def test_a_reader_on_another_workstation_installs_their_key(read_study, tmp_path,
                                                            monkeypatch, capsys):
    assert main(["study", "key", str(read_study), "--reader", "bob", "--out",
                 str(tmp_path / "bob.key")]) == 0
    monkeypatch.setenv("DCREVIEW_KEY_DIR", str(tmp_path / "bob-workstation"))
    store = StudyStore(read_study)
    with pytest.raises(ReaderStudyError, match="no key for reader 'bob'"):
        store.login("bob")
    from inference.readerstudy.keys import install_reader_key

    install_reader_key(store.study_id, "bob", tmp_path / "bob.key")
    store.login("bob")
    r = store.next_reading("bob", LATER)
    store.save_answer(r, "aneurysm", True)
    store.close()
    monkeypatch.delenv("DCREVIEW_KEY_DIR")
    assert verify_study(read_study).problems == []  # sealed with bob's real key


PROTOCOL_TRAPS = {
    "utf-16 file": lambda text: text.encode("utf-16"),
    "latin-1 file": lambda text: text.replace("Comment", "Commentaire é").encode("latin-1"),
    "deeply nested array": lambda text: (text + "\n[study2]\nx = " + "[" * 5000
                                         + "]" * 5000 + "\n").encode(),
    "huge study name": lambda text: text.replace('name = "Phantom', 'name = "' + "x" * 10_000
                                                 + "Phantom").encode(),
    "nan lesion": lambda text: text.replace("position_mm = [12.0", "position_mm = [nan").encode(),
    "inf lesion": lambda text: text.replace("position_mm = [12.0", "position_mm = [inf").encode(),
    "seed 10^23": lambda text: text.replace("seed = 20261123",
                                            "seed = 100000000000000000000000").encode(),
    "300-character path": lambda text: text.replace('noncontrast = "',
                                                    'noncontrast = "' + "d" * 300 + "/", 1
                                                    ).encode(),
}


@pytest.mark.parametrize("trap", sorted(PROTOCOL_TRAPS))
def test_validate_answers_every_trap_with_a_reason(tmp_path, small_case, trap, capsys):
    path = write_protocol(tmp_path, small_case)
    data = PROTOCOL_TRAPS[trap](path.read_text())
    path.write_bytes(data)
    code = main(["study", "validate", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if trap == "utf-16 file":
        assert code == 0  # Windows editors' UTF-16 with a byte-order mark is read
    else:
        assert code == 2 and err.startswith("error: ") and len(err) < 4000, err
    if code:
        with pytest.raises(StudyProtocolError):
            load_protocol(path)
