"""Study validity: a first pilot summarises without a traceback, one rule for a missing ROC
score, names a protocol refers to are checked at validate, answers that contradict each other
are caught by the protocol's own rule."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from inference.cli import main
from inference.errors import StudyProtocolError
from inference.readerstudy.protocol import load_protocol
from inference.readerstudy.store import StudyStore
from tests.support.studies import LATER, answer_all, write_protocol


@pytest.fixture
def pilot(tmp_path, small_case, prepared_cases) -> StudyStore:
    """The smallest study a coordinator runs first: 2 readers, 2 normal + 2 diseased cases,
    every reading done, every reader separating the cases perfectly."""
    protocol = load_protocol(write_protocol(tmp_path, small_case, n_cases=4))
    store = StudyStore.create(tmp_path / "pilot", protocol)
    shutil.rmtree(tmp_path / "pilot" / "prepared", ignore_errors=True)
    shutil.copytree(prepared_cases, tmp_path / "pilot" / "prepared")
    store.assign()
    for reader in ("alice", "bob"):
        for session in (1, 2, 3):
            answer_all(store, reader, session, LATER, np.random.default_rng(0))
    store.close()
    return store


def test_a_finished_pilot_summarises_without_a_traceback(pilot, capsys):
    assert main(["study", "summary", str(pilot.dir)]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "no test: the variance estimate is 0" in out
    assert main(["study", "summary", str(pilot.dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)  # valid JSON: no NaN
    test = data["mrmc"]["modalities"][0]["test"]
    assert test["p_bdg"] is None and test["ci_bdg"] is None and "variance" in test["why"]


def test_the_roc_question_must_be_required(tmp_path, small_case):
    path = write_protocol(tmp_path, small_case, **{
        'text = "Confidence that an aneurysm is present (0-100)"':
        'text = "Confidence that an aneurysm is present (0-100)"\nrequired = false'})
    with pytest.raises(StudyProtocolError, match="roc_question 'confidence' must be required"):
        load_protocol(path)


@pytest.mark.parametrize("old, new, reason", [
    ('preset = "angio"', 'preset = "angoi"', "preset 'angoi' is not a window preset"),
    ('roc_question = "confidence"', 'roc_question = "confidance"',
     "roc_question 'confidance' is not a question"),
])
def test_every_name_a_protocol_refers_to_is_checked_at_validate(tmp_path, small_case, old,
                                                                 new, reason, capsys):
    path = write_protocol(tmp_path, small_case, **{old: new})
    assert main(["study", "validate", str(path)]) == 2
    assert reason in capsys.readouterr().err


CHECK = """
[[checks]]
when = {{ question = "aneurysm", equals = false }}
then = {{ question = "confidence", at_most = 50 }}
action = "{action}"
comment = "comment"
message = "no aneurysm, but a confidence above 50 that there is one"
"""


def _reading_asking(store, question: str):
    return next(r for r in store.readings("alice")
                if question in store.protocol.arm(r.arm).questions)


@pytest.mark.parametrize("action", ["warn", "comment"])
def test_answers_that_contradict_each_other_are_caught(tmp_path, small_case, prepared_cases,
                                                       action):
    from inference.readerstudy.store import Interaction

    path = write_protocol(tmp_path, small_case)
    path.write_text(path.read_text() + CHECK.format(action=action))
    if action == "comment":  # the comment must be asked wherever the rule applies
        path.write_text(path.read_text().replace(
            'questions = ["aneurysm", "confidence", "quality"]',
            'questions = ["aneurysm", "confidence", "quality", "comment"]'))
    protocol = load_protocol(path)
    store = StudyStore.create(tmp_path / "s", protocol)
    store.assign()
    try:
        r = _reading_asking(store, "aneurysm")
        store.login("alice")
        store.start(r)
        store.save_answer(r, "aneurysm", False)
        store.save_answer(r, "confidence", 80)
        store.save_answer(r, "quality", 4)
        assert [c.message for c in store.failed_checks(r)] == [
            "no aneurysm, but a confidence above 50 that there is one"]
        if action == "comment":
            assert store.missing(r) == ["comment"]
            with pytest.raises(Exception, match="please answer: Comment"):
                store.finish(r, Interaction())
            store.save_answer(r, "comment", "small sac behind the IVC, not an aneurysm")
        assert store.missing(r) == []
        store.finish(r, Interaction())
        record = store._writer("alice").records[-1]
        assert record["data"]["warned"] == [
            "no aneurysm, but a confidence above 50 that there is one"]
    finally:
        store.close()


def test_a_rule_must_name_questions_the_arms_ask(tmp_path, small_case):
    path = write_protocol(tmp_path, small_case)
    path.write_text(path.read_text() + CHECK.format(action="comment"))
    with pytest.raises(StudyProtocolError, match="ask 'aneurysm' and 'confidence' but not the "
                                                 "comment 'comment'"):
        load_protocol(path)


def test_a_missing_score_is_never_invented(tmp_path, small_case):
    """One rule everywhere: the per-reader AUC, the iMRMC/MRMCaov export and JAFROC leave an
    unscored reading (or mark) out, and the exports say how many."""
    from inference.readerstudy.exports import _scores, export_jafroc, roc_export_warnings
    from inference.readerstudy.scores import score
    from inference.readerstudy.statistics import summary

    assert [score(v) for v in (80, 0, 12.5, None, "", {"choice": "real"},
                               {"confidence": 40}, float("nan"), True)] == [
        80.0, 0.0, 12.5, None, None, None, 40.0, None, None]
    protocol = load_protocol(write_protocol(tmp_path, small_case, n_cases=6))
    base = {"reader": "alice", "arm": "NC", "session": 1, "position": 1, "shown": "noncontrast",
            "active_seconds": 1.0}
    rows = [{**base, "case": f"case-{n}", "question": "confidence",
             "value": None if n == 6 else 90 if n % 2 else 10} for n in range(1, 7)]
    auc = summary(protocol, rows)["auc"][0]
    assert (auc["n0"], auc["n1"], auc["auc"]) == (2, 3, 1.0)  # case-6 (truth 0) left out
    assert [s[1] for s in _scores(protocol, rows)] == [1, 2, 3, 4, 5]
    assert any("1 reading(s) hold no ROC score" in w for w in roc_export_warnings(protocol,
                                                                                  rows))
    marks = [{**base, "case": "case-1", "question": "lesions",
              "value": [{"position_mm": [12.0, 28.0, -20.0]}]}]
    from openpyxl import load_workbook

    book = load_workbook(export_jafroc(protocol, marks, tmp_path / "j.xlsx"))
    assert book["LL"].max_row == 1 and book["NL"].max_row == 1  # the unrated mark: left out


@pytest.mark.parametrize("target, why", [("/etc/passwd", "is not CT data"),
                                         ("empty-folder", "holds no DICOM or image file")])
def test_a_case_path_that_is_not_ct_data_is_refused_at_validate(tmp_path, small_case, capsys,
                                                                 target, why):
    (tmp_path / "empty-folder").mkdir()
    path = write_protocol(tmp_path, small_case, n_cases=2)
    path.write_text(path.read_text().replace(f'noncontrast = "{small_case.noncontrast}"',
                                             f'noncontrast = "{target}"', 1))
    assert main(["study", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"case 'case-1': noncontrast path {target!r} {why}" in err
