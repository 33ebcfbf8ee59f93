"""Reader-study engine without a screen: protocol, lists, washout, answers, audit, exports."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import timedelta

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy.stats import binomtest, mannwhitneyu

from inference.errors import DcreviewError, StudyProtocolError
from inference.readerstudy import statistics as st
from inference.readerstudy.audit import canonical
from inference.readerstudy.design import assign
from inference.readerstudy.exports import export_all
from inference.readerstudy.protocol import load_protocol
from inference.readerstudy.reader_log import reader_folder
from inference.readerstudy.store import Interaction, ProtocolChangedError, StudyStore, WashoutError
from tests.support.studies import TODAY, answer_all, write_protocol


def test_protocol_mistakes_are_all_listed(tmp_path, small_case):
    path = write_protocol(tmp_path, small_case, **{
        'text = "Overall image quality"': 'text = "Overall image quality"\nmaximum = 1\n'
                                          'minimum = 5',
        'questions = ["which", "lesions", "comment"]': 'questions = ["which", "nope"]',
        'seed = 20261123': 'seed = "x"'})
    with pytest.raises(StudyProtocolError) as err:
        load_protocol(path)
    assert any("seed" in p and "integer" in p for p in err.value.problems)
    path = write_protocol(tmp_path, small_case, **{
        'questions = ["which", "lesions", "comment"]': 'questions = ["which", "nope"]',
        'labels = ["non-diagnostic", "poor", "fair", "good", "excellent"]': 'labels = ["a"]',
        'id = "bob"': 'id = "alice"'})
    with pytest.raises(StudyProtocolError) as err:
        load_protocol(path)
    text = str(err.value)
    assert "unknown question 'nope'" in text and "1 labels for a 5-point scale" in text
    assert "reader id 'alice' is used more than once" in text


def test_lists_are_random_per_reader_reproducible_and_latin_square(tmp_path, small_case):
    protocol = load_protocol(write_protocol(tmp_path, small_case))
    lists = assign(protocol)
    assert lists == assign(protocol)  # the recorded seed reproduces them
    alice, bob = lists["alice"], lists["bob"]
    assert [(r.case, r.arm) for r in alice] != [(r.case, r.arm) for r in bob]
    for readings in lists.values():
        for s in (1, 2, 3):
            session = [r for r in readings if r.session == s]
            assert sorted(r.case for r in session) == sorted(c.id for c in protocol.cases)
        for case in protocol.cases:
            assert sorted(r.arm for r in readings if r.case == case.id) == ["DC", "NC", "TURING"]
        shown = [r.shown for r in readings if r.arm == "TURING"]
        assert sorted(shown) == ["real"] * 3 + ["synthetic"] * 3
    other = load_protocol(write_protocol(tmp_path, small_case,
                                         **{"seed = 20261123": "seed = 7"}))
    assert assign(other)["alice"] != alice


def test_washout_refuses_an_early_session_and_required_answers(study):
    r = study.next_reading("alice", TODAY)
    study.login("alice")
    study.start(r)
    study.save_answer(r, "aneurysm", True)
    with pytest.raises(DcreviewError, match="please answer"):
        study.finish(r, Interaction())
    assert study.next_reading("alice", TODAY) == r  # resumes on the same case
    assert study.answers(r) == {"aneurysm": True}
    answer_all(study, "alice", 1)
    with pytest.raises(WashoutError, match=r"Session 2 opens on .*28-day washout"):
        study.next_reading("alice", TODAY)
    # The washout counts from the day session 1 was really finished (the clock may have
    # passed midnight since TODAY was read): refused the day before, open that day.
    opens = study.session_finished("alice", 1).date() + timedelta(days=28)
    assert study.opens_on("alice", 2) == opens
    with pytest.raises(WashoutError):
        study.next_reading("alice", opens - timedelta(days=1))
    later = study.next_reading("alice", opens)
    assert later.session == 2 and later.position == 1
    assert study.next_reading("bob", TODAY).session == 1  # readers are separate
    with pytest.raises(DcreviewError, match="not a reader"):
        study.login("mallory")


def test_protocol_change_after_readings_is_refused(study, tmp_path, small_case):
    changed = load_protocol(write_protocol(tmp_path, small_case,
                                           **{'text = "Comment"': 'text = "Remarks"'}))
    assert changed.hash != study.protocol_hash
    same_dir = study.dir
    answer_all(study, "alice", 1)
    with pytest.raises(ProtocolChangedError, match="new study"):
        StudyStore.create(same_dir, changed)
    rows = study.results()
    assert rows and {r["protocol_hash"] for r in rows} == {study.protocol_hash}


def test_verify_finds_an_edited_answer_even_when_resealed_without_the_key(study):
    answer_all(study, "alice", 1)
    study.close()
    assert study.verify().problems == []
    log = reader_folder(study.dir, "alice") / "audit.jsonl"
    lines = log.read_text().splitlines()
    n = next(i for i, line in enumerate(lines) if '"event":"answer"' in line)
    record = json.loads(lines[n])
    record["data"]["value"] = not record["data"]["value"] if isinstance(
        record["data"]["value"], bool) else 0
    # A forger recomputes a plain SHA-256 "seal": without the study key it cannot match.
    body = {k: v for k, v in record.items() if k != "mac"}
    record["mac"] = hashlib.sha256(canonical(body).encode()).hexdigest()
    log.write_text("\n".join([*lines[:n], canonical(record), *lines[n + 1:]]) + "\n")
    problems = study.verify().problems
    assert any("altered or forged" in p for p in problems)
    log.write_text("\n".join(lines) + "\n")
    assert study.verify().problems == []


def test_exports_follow_the_format_rules(study, tmp_path):
    for reader in ("alice", "bob"):
        for s in (1, 2, 3):  # each session on the day its washout ends
            answer_all(study, reader, s, max(TODAY, study.opens_on(reader, s)),
                       np.random.default_rng(hash(reader) % 100))
    files = {p.name: p for p in export_all(study.protocol, study.results(), tmp_path / "out")}
    assert set(files) == {"results_long.csv", "results.imrmc", "results_mrmcaov.csv",
                          "results_jafroc.xlsx"}
    with open(files["results_long.csv"]) as f:
        long = list(csv.DictReader(f))
    assert {r["protocol_hash"] for r in long} == {study.protocol_hash}
    text = files["results_long.csv"].read_text()
    assert "alice" not in text and "case-1" not in text and str(study.dir) not in text
    from inference.readerstudy.exports import roc_export_warnings

    assert roc_export_warnings(study.protocol, study.results()) == []  # complete, 3 + 3 cases
    parsed = parse_imrmc(files["results.imrmc"].read_text())
    assert parsed["NR"] == 2 and parsed["NM"] == 2 and parsed["N0"] == 3 and parsed["N1"] == 3
    with open(files["results_mrmcaov.csv"]) as f:
        mrmc = list(csv.DictReader(f))
    assert len(mrmc) == len([r for r in long if r["question"] == "confidence"]) == 2 * 2 * 6
    assert set(mrmc[0]) == {"reader", "treatment", "case", "truth", "rating"}
    wb = load_workbook(files["results_jafroc.xlsx"])
    assert wb.sheetnames == ["Truth", "NL", "LL"]
    ll = list(wb["LL"].iter_rows(values_only=True))
    assert ll[0] == ("ReaderID", "ModalityID", "CaseID", "LesionID", "TP_Rating")
    assert len(ll) - 1 == 2 * 3  # each reader marked the lesion of 3 diseased TURING cases
    summary = st.summary(study.protocol, study.results())
    assert {(a["reader"], a["arm"]) for a in summary["auc"]} == {
        (r, a) for r in ("alice", "bob") for a in ("NC", "DC")}
    assert all(a["auc"] == 1.0 for a in summary["auc"])  # confidence separates perfectly


def parse_imrmc(text: str) -> dict:
    """A strict reader of the .imrmc rules in the notes."""
    lines = text.splitlines()
    head = lines[: lines.index("BEGIN DATA:")]
    keys = {}
    for line in head[1:]:
        for key in ("NR", "N0", "N1", "NM"):
            if line.startswith(f"{key}:"):
                keys[key] = int(line.split(":")[1])
            else:
                assert f"{key}:" not in line, f"{key}: in free header text"
    assert set(keys) == {"NR", "N0", "N1", "NM"}
    truth, seen, modalities, readers = {}, set(), set(), set()
    for line in lines[lines.index("BEGIN DATA:") + 1:]:
        reader, case, modality, value = line.split(",")
        if reader == "-1":
            assert value in ("0", "1") and case not in truth
            truth[int(case)] = int(value)
            continue
        assert " " not in modality and int(reader) > 0 and int(case) > 0
        assert (reader, case, modality) not in seen
        seen.add((reader, case, modality))
        modalities.add(modality)
        readers.add(reader)
        assert int(case) in truth
        float(value)
    assert keys["NR"] == len(readers) and keys["NM"] == len(modalities)
    assert keys["N0"] == sum(v == 0 for v in truth.values())
    assert keys["N1"] == sum(v == 1 for v in truth.values())
    # Fully crossed: every reader x modality x case.
    assert len(seen) == len(readers) * len(modalities) * len(truth)
    return keys


def test_statistics_match_independent_computations():
    neg, pos = [1, 2, 3, 3, 5, 6], [3, 4, 6, 7, 8]
    auc = st.auc_with_ci(neg, pos)
    u = mannwhitneyu(pos, neg, alternative="two-sided").statistic
    assert auc["auc"] == pytest.approx(u / (len(neg) * len(pos)))
    assert auc["low"] < auc["auc"] < auc["high"]
    ci = binomtest(17, 30).proportion_ci(method="wilson")
    assert st.wilson_interval(17, 30) == pytest.approx((ci.low, ci.high))
    # Fleiss' original example (Wikipedia): 10 items, 14 raters, 5 categories -> 0.210.
    counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
              [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
              [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings = [[c for c, k in enumerate(row) for _ in range(k)] for row in counts]
    assert st.fleiss_kappa(ratings) == pytest.approx(0.210, abs=0.001)
    a = ["y", "y", "n", "n", "y", "n", "y", "y"]
    b = ["y", "n", "n", "n", "y", "n", "y", "n"]
    # p_o = 6/8; p_e = (5*3 + 3*5)/64
    assert st.cohen_kappa(a, b) == pytest.approx((6 / 8 - 30 / 64) / (1 - 30 / 64))


def test_a_degenerate_auc_says_why_it_has_no_ci():
    from inference.readerstudy.cli import auc_text

    assert auc_text({"auc": 0.5, "low": 0.5, "high": 0.5, "n0": 2, "n1": 1}) == \
        "0.500 (no CI: too few cases, n0=2, n1=1)"
    assert "variance is 0" in auc_text({"auc": 1.0, "low": 1.0, "high": 1.0, "n0": 5, "n1": 5})
    assert auc_text({"auc": 0.8, "low": 0.6, "high": 0.95, "n0": 5, "n1": 5}) == \
        "0.800 (0.600-0.950)"
