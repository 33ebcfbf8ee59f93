"""`dcreview study ...` end to end on the phantom study."""

from __future__ import annotations

import json
import shutil

from inference.cli import main
from inference.readerstudy.reader_log import reader_folder
from inference.readerstudy.store import StudyStore
from tests.support.studies import TODAY, answer_all, write_protocol


def test_init_assign_summary_export_verify(tmp_path, small_case, prepared_cases, capsys):
    protocol = write_protocol(tmp_path, small_case)
    assert main(["study", "validate", str(protocol)]) == 0
    assert "protocol OK" in capsys.readouterr().out
    folder = tmp_path / "study"
    shutil.copytree(prepared_cases, folder / "prepared")  # init skips prepared cases
    assert main(["study", "init", str(protocol), "--dir", str(folder)]) == 0
    assert main(["study", "assign", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "alice: 18 readings in 3 session(s), seed" in out and "washout: 28 days" in out
    store = StudyStore(folder)
    answer_all(store, "alice", 1, TODAY)
    answer_all(store, "bob", 1, TODAY)
    store.close()
    assert main(["study", "summary", str(folder), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["note"].startswith("Per-reader figures are descriptive")
    assert "waits for every reader" in summary["mrmc"]["why"]  # only session 1 is read
    assert len(summary["chain_head"]) == 16
    assert {t["arm"] for t in summary["turing"]} <= {"TURING"}
    assert main(["study", "summary", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "AUC  reader alice" in out
    assert "reader alice    6/18 read; next: session 2 opens on" in out
    assert main(["study", "export", str(folder), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "results.imrmc").exists()
    err = capsys.readouterr().err
    assert "not fully crossed yet" in err  # only session 1 is read
    assert main(["study", "verify", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "every seal and link intact" in out
    head = out.split("chain head ")[1].split()[0]
    exported = (tmp_path / "out" / "results_long.csv").read_text().splitlines()
    assert exported[0].startswith("protocol_hash,chain_head,") and "answered_at" in exported[0]
    assert all(f",{head}," in row for row in exported[1:])
    log = reader_folder(folder, "alice") / "audit.jsonl"
    lines = log.read_text().splitlines()
    del lines[5]  # a deleted record breaks the chain
    log.write_text("\n".join(lines) + "\n")
    assert main(["study", "verify", str(folder)]) == 1
    assert "TAMPERING" in capsys.readouterr().err
    assert main(["study", "export", str(folder), "--out", str(tmp_path / "o2")]) == 2
    assert "verify reports damage" in capsys.readouterr().err
    # The protocol on disk changed after results: validate against the study says so.
    write_protocol(tmp_path, small_case, **{'text = "Comment"': 'text = "Remarks"'})
    assert main(["study", "validate", str(protocol), "--dir", str(folder)]) == 1
    assert main(["study", "init", str(protocol), "--dir", str(folder)]) == 2
    assert "new study" in capsys.readouterr().err


def test_init_prepares_on_dask_and_a_rerun_skips_prepared_cases(tmp_path, small_case, capsys):
    """Study preparation goes through the batch job runner: on a LocalCluster here, with the
    ledger's semantics (a re-run skips cases prepared from the same inputs and model)."""
    import sqlite3

    protocol = write_protocol(tmp_path, small_case, n_cases=2)
    folder = tmp_path / "study"
    assert main(["study", "init", str(protocol), "--dir", str(folder), "--workers", "2"]) == 0
    prepared = folder / "prepared"
    for case in ("case-1", "case-2"):
        assert (prepared / case / "syn.nii.gz").exists() and (prepared / case / "real.nii.gz")
    db = sqlite3.connect(prepared / "ledger.sqlite")
    assert db.execute("SELECT case_id, status FROM cases ORDER BY case_id").fetchall() == [
        ("case-1", "done"), ("case-2", "done")]
    db.close()
    mtime = (prepared / "case-1" / "syn.nii.gz").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["study", "init", str(protocol), "--dir", str(folder)]) == 0
    assert capsys.readouterr().out.count("already prepared") == 2
    assert (prepared / "case-1" / "syn.nii.gz").stat().st_mtime_ns == mtime
