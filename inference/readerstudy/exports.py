"""Reader-study exports: long CSV, iMRMC, MRMCaov CSV and a JAFROC workbook.

Readers and cases are numbered by their order in the protocol (1, 2, ...): no names, paths or
patient identifiers leave the study, and every row carries the protocol hash.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from inference.errors import ReaderStudyError
from inference.files import atomic
from inference.readerstudy.protocol import Protocol
from inference.readerstudy.scores import score


def _numbers(protocol: Protocol) -> tuple[dict[str, int], dict[str, int]]:
    return ({r: n for n, r in enumerate(protocol.readers, 1)},
            {c.id: n for n, c in enumerate(protocol.cases, 1)})


def export_long_csv(protocol: Protocol, rows: list[dict], path: Path,
                    chain_head: str = "") -> Path:
    """One row per finished reading and question, with when the answer was last changed,
    how many times, and the audit chain head the results were read from."""
    readers, cases = _numbers(protocol)
    columns = ("protocol_hash", "chain_head", "reader", "session", "position", "case", "arm",
               "shown", "question", "value", "answered_at", "answer_changes",
               "active_seconds", "wl_changes", "slices_viewed", "overlay_toggles")
    f = io.StringIO(newline="")
    writer = csv.writer(f)
    writer.writerow(columns)
    for r in rows:
        value = r["value"]
        writer.writerow([r["protocol_hash"], chain_head, readers[r["reader"]],
                         r["session"], r["position"], cases[r["case"]], r["arm"],
                         r["shown"], r["question"],
                         value if isinstance(value, str | int | float) and not isinstance(
                             value, bool) else json.dumps(value),
                         r.get("answered_at", ""), r.get("changes", ""),
                         f"{r['active_seconds'] or 0:.1f}", r["wl_changes"],
                         r["slices_viewed"], r["overlay_toggles"]])
    return atomic.write_text(path, f.getvalue())


def _scores(protocol: Protocol, rows: list[dict]) -> list[tuple[int, int, str, float]]:
    question = protocol.roc_question
    if question is None:
        raise ReaderStudyError("the protocol names no roc_question: nothing to export for ROC")
    readers, cases = _numbers(protocol)
    out = []
    for r in rows:
        if r["question"] == question and (s := score(r["value"])) is not None:
            out.append((readers[r["reader"]], cases[r["case"]], r["arm"], s))
    return out


def _header_text(text: str) -> str:
    # iMRMC's parser reacts to these keys wherever a line starts with them; keep free text
    # free of them (and of colons, which could make a key).
    return re.sub(r"(NR|N0|N1|NM|BEGIN DATA)", lambda m: m.group(0).lower(), text).replace(
        ":", " -")


def export_imrmc(protocol: Protocol, rows: list[dict], path: Path) -> Path:
    """iMRMC input (also read by RJafroc): truth rows, then reader,case,modality,score."""
    scores = _scores(protocol, rows)
    _readers, cases = _numbers(protocol)
    truth = {cases[c.id]: c.truth for c in protocol.cases}
    used_cases = sorted({c for _r, c, _m, _s in scores})
    lines = ["dcreview reader study export",
             _header_text(f"study {protocol.name}"),
             _header_text(f"protocol hash {protocol.hash}"),
             _header_text(f"score question {protocol.roc_question}"),
             f"NR: {len({r for r, _c, _m, _s in scores})}",
             f"N0: {sum(1 for c in used_cases if truth[c] == 0)}",
             f"N1: {sum(1 for c in used_cases if truth[c] == 1)}",
             f"NM: {len({m for _r, _c, m, _s in scores})}",
             "BEGIN DATA:"]
    lines += [f"-1,{c},0,{truth[c]}" for c in used_cases]
    lines += [f"{r},{c},{m},{s:g}" for r, c, m, s in sorted(scores)]
    return atomic.write_text(path, "\n".join(lines) + "\n")


def roc_export_warnings(protocol: Protocol, rows: list[dict]) -> list[str]:
    """What would make iMRMC or RJafroc reject or ignore parts of the ROC exports."""
    if protocol.roc_question is None:
        return []
    scores = _scores(protocol, rows)
    _readers, cases = _numbers(protocol)
    truth = {cases[c.id]: c.truth for c in protocol.cases}
    unscored = sum(1 for r in rows if r["question"] == protocol.roc_question
                   and score(r["value"]) is None)
    out = [f"{unscored} reading(s) hold no ROC score and are left out (a score is never "
           "given for the reader)"] if unscored else []
    cells: dict[tuple, set] = defaultdict(set)
    for r, c, m, _s in scores:
        cells[(r, m)].add(c)
    for (r, m), read in sorted(cells.items()):
        normal = sum(1 for c in read if truth[c] == 0)
        diseased = len(read) - normal
        if normal < 3 or diseased < 3:
            out.append(f"reader {r}, arm {m}: {normal} normal and {diseased} diseased cases "
                       "scored; iMRMC needs at least 3 of each")
    all_cases = {c for _r, c, _m, _s in scores}
    if any(read != all_cases for read in cells.values()):
        out.append("not fully crossed yet (some reader/arm/case readings missing): RJafroc "
                   "will refuse the .imrmc file until every reading is done")
    return out


def export_mrmcaov(protocol: Protocol, rows: list[dict], path: Path) -> Path:
    """MRMCaov long CSV: reader,treatment,case,truth,rating."""
    _readers, cases = _numbers(protocol)
    truth = {cases[c.id]: c.truth for c in protocol.cases}
    f = io.StringIO(newline="")
    writer = csv.writer(f)
    writer.writerow(["reader", "treatment", "case", "truth", "rating"])
    for r, c, m, s in sorted(_scores(protocol, rows)):
        writer.writerow([r, m, c, truth[c], f"{s:g}"])
    return atomic.write_text(path, f.getvalue())


def export_jafroc(protocol: Protocol, rows: list[dict], path: Path) -> Path:
    """JAFROC workbook for localisation questions: Truth, NL (false) and LL (lesion) marks."""
    from openpyxl import Workbook

    readers, cases = _numbers(protocol)
    loc = [q.id for q in protocol.questions.values() if q.type == "localisation"]
    if not loc:
        raise ReaderStudyError("the protocol asks no localisation question: no JAFROC export")
    wb = Workbook()
    truth = wb.active
    truth.title = "Truth"
    truth.append(["CaseID", "LesionID", "Weight"])
    for case in protocol.cases:
        if not case.lesions:
            truth.append([cases[case.id], 0, 0])
        total = sum(le.weight for le in case.lesions)
        for n, le in enumerate(case.lesions, 1):
            truth.append([cases[case.id], n, le.weight / total])
    nl, ll = wb.create_sheet("NL"), wb.create_sheet("LL")
    nl.append(["ReaderID", "ModalityID", "CaseID", "FP_Rating"])
    ll.append(["ReaderID", "ModalityID", "CaseID", "LesionID", "TP_Rating"])
    best: dict[tuple, float] = defaultdict(lambda: -np.inf)
    for r in rows:
        if r["question"] not in loc:
            continue
        case = protocol.case(r["case"])
        for mark in r["value"] or []:
            rating = score(mark)
            if rating is None:
                continue  # a mark without a rating is left out, never rated for the reader
            p = np.asarray(mark["position_mm"], float)
            hit = None
            for n, le in enumerate(case.lesions, 1):
                if np.linalg.norm(p - np.asarray(le.position_mm)) <= le.radius_mm:
                    hit = n
                    break
            key = (readers[r["reader"]], r["arm"], cases[case.id])
            if hit is None:
                nl.append([*key, rating])
            else:
                best[(*key, hit)] = max(best[(*key, hit)], rating)
    for key, rating in sorted(best.items()):
        ll.append([*key, rating])
    buffer = io.BytesIO()
    wb.save(buffer)
    return atomic.write_bytes(path, buffer.getvalue())




def export_all(protocol: Protocol, rows: list[dict], folder: Path,
               chain_head: str = "") -> list[Path]:
    """Every export that applies to this protocol, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = [export_long_csv(protocol, rows, folder / "results_long.csv", chain_head)]
    if protocol.roc_question:
        out.append(export_imrmc(protocol, rows, folder / "results.imrmc"))
        out.append(export_mrmcaov(protocol, rows, folder / "results_mrmcaov.csv"))
    if any(q.type == "localisation" for q in protocol.questions.values()):
        out.append(export_jafroc(protocol, rows, folder / "results_jafroc.xlsx"))
    return out
