"""Descriptive reader-study statistics (the exports feed the full MRMC analysis)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
from scipy.stats import norm

from inference.readerstudy.protocol import Protocol
from inference.readerstudy.scores import score


def auc_with_ci(negatives: list[float], positives: list[float],
                level: float = 0.95) -> dict:
    """Empirical AUC (Mann-Whitney U / n0 n1, ties count half) with DeLong's CI."""
    x0, x1 = np.asarray(negatives, float), np.asarray(positives, float)
    n0, n1 = len(x0), len(x1)
    if n0 == 0 or n1 == 0:
        return {"auc": None, "low": None, "high": None, "n0": n0, "n1": n1}
    psi = (x1[:, None] > x0[None, :]) + 0.5 * (x1[:, None] == x0[None, :])
    auc = float(psi.mean())
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = (v10.var(ddof=1) / n1 if n1 > 1 else 0.0) + (v01.var(ddof=1) / n0 if n0 > 1 else 0.0)
    half = float(norm.ppf(0.5 + level / 2) * math.sqrt(var))
    return {"auc": auc, "low": max(0.0, auc - half), "high": min(1.0, auc + half),
            "n0": n0, "n1": n1}


def auc_ci_reason(a: dict) -> str | None:
    """Why an AUC has no confidence interval (None: it has one). One rule for every table and
    plot: DeLong's interval needs 3 non-diseased and 3 diseased cases and a variance."""
    if a["auc"] is None:
        return f"needs non-diseased and diseased cases; n0={a['n0']}, n1={a['n1']}"
    if a["n0"] < 3 or a["n1"] < 3:
        return f"too few cases, n0={a['n0']}, n1={a['n1']}"
    if a["high"] - a["low"] < 1e-9:
        return f"its variance is 0 with these {a['n0'] + a['n1']} cases"
    return None


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if n == 0:
        return (0.0, 1.0)
    z = float(norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def fleiss_kappa(ratings: list[list[object]]) -> float | None:
    """Fleiss' kappa; ``ratings[i]`` holds every reader's category for item i."""
    items = [r for r in ratings if len(r) >= 2]
    if not items or len({len(r) for r in items}) != 1:
        return None
    categories = sorted({c for r in items for c in r}, key=str)
    n = len(items[0])
    table = np.array([[Counter(r)[c] for c in categories] for r in items], float)
    p_i = ((table * (table - 1)).sum(axis=1)) / (n * (n - 1))
    p_j = table.sum(axis=0) / table.sum()
    p_bar, p_e = p_i.mean(), float((p_j**2).sum())
    if math.isclose(p_e, 1.0):
        return None
    return float((p_bar - p_e) / (1 - p_e))


def cohen_kappa(a: list[object], b: list[object]) -> float | None:
    """Cohen's kappa of two readers' categories on the same items."""
    if len(a) != len(b) or not a:
        return None
    categories = sorted(set(a) | set(b), key=str)
    n = len(a)
    p_o = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[c] * cb[c] for c in categories) / (n * n)
    if math.isclose(p_e, 1.0):
        return None
    return (p_o - p_e) / (1 - p_e)


def summary(protocol: Protocol, rows: list[dict]) -> dict:
    """Per reader and arm: AUC, Turing accuracy, Likert counts, agreement, reading times."""
    truth = {c.id: c.truth for c in protocol.cases}
    qtype = {q.id: q.type for q in protocol.questions.values()}
    out: dict = {"note": "Per-reader figures are descriptive; the MRMC section below is the "
                         "multi-reader multi-case analysis (as iMRMC's U-statistics).",
                 "protocol_hash": protocol.hash, "auc": [], "turing": [], "likert": [],
                 "agreement": [], "reading_time_s": []}
    by = defaultdict(list)
    for r in rows:
        by[(r["reader"], r["arm"], r["question"])].append(r)
    roc = protocol.roc_question
    for (reader, arm, q), items in sorted(by.items()):
        if q == roc:
            scored = [(truth[r["case"]], s) for r in items if (s := score(r["value"])) is not None]
            neg = [s for t, s in scored if t == 0]
            pos = [s for t, s in scored if t == 1]
            out["auc"].append({"reader": reader, "arm": arm, **auc_with_ci(neg, pos)})
        if qtype.get(q) == "real_vs_synthetic":
            correct = sum(r["value"].get("choice") == r["shown"] for r in items)
            low, high = wilson_interval(correct, len(items))
            out["turing"].append({"reader": reader, "arm": arm, "n": len(items),
                                  "accuracy": correct / len(items), "low": low, "high": high})
        if qtype.get(q) == "likert":
            counts = Counter(int(r["value"]) for r in items)
            points = protocol.questions[q].points
            out["likert"].append({"reader": reader, "arm": arm, "question": q,
                                  "counts": [counts.get(p, 0) for p in range(1, points + 1)]})
    # Agreement between readers on categorical questions, item = (arm, case).
    readers = sorted({r["reader"] for r in rows})
    for q, t in qtype.items():
        if t not in ("real_vs_synthetic", "likert", "yes_no", "single_choice"):
            continue
        per_item: dict = defaultdict(dict)
        for r in rows:
            if r["question"] == q:
                value = r["value"].get("choice") if t == "real_vs_synthetic" else r["value"]
                per_item[(r["arm"], r["case"])][r["reader"]] = value
        complete = [v for v in per_item.values() if len(v) == len(readers) >= 2]
        if not complete:
            continue
        entry = {"question": q, "items": len(complete), "readers": len(readers),
                 "fleiss_kappa": fleiss_kappa([[v[x] for x in readers] for v in complete])}
        if len(readers) == 2:
            entry["cohen_kappa"] = cohen_kappa([v[readers[0]] for v in complete],
                                               [v[readers[1]] for v in complete])
        out["agreement"].append(entry)
    seen = {}
    for r in rows:
        seen[(r["reader"], r["arm"], r["session"], r["position"])] = r["active_seconds"]
    times = defaultdict(list)
    for (reader, arm, _s, _p), seconds in seen.items():
        times[(reader, arm)].append(seconds or 0.0)
    for (reader, arm), values in sorted(times.items()):
        out["reading_time_s"].append({"reader": reader, "arm": arm, "cases": len(values),
                                      "median": float(np.median(values)),
                                      "total": float(np.sum(values))})
    return out


def mrmc_section(protocol: Protocol, rows: list[dict]) -> dict:
    """The MRMC analysis of the ROC question over the arms that ask it, or why not yet."""
    from inference.readerstudy.imrmc_file import ScoreTable
    from inference.readerstudy.mrmc import analyse

    roc = protocol.roc_question
    if not roc:
        return {"why": "the protocol names no roc_question"}
    arms = [a.id for a in protocol.arms if roc in a.questions]
    scores = {(r["reader"], r["case"], r["arm"]): s for r in rows
              if r["question"] == roc and (s := score(r["value"])) is not None}
    truth = {c.id: c.truth for c in protocol.cases}
    normals = [c for c, t in truth.items() if t == 0]
    diseased = [c for c, t in truth.items() if t == 1]
    needed = len(protocol.readers) * len(truth) * len(arms)
    if len(scores) < needed:
        return {"why": f"waits for every reader to read every case in every arm "
                       f"({len(scores)} of {needed} scores so far)"}
    if len(protocol.readers) < 2 or len(normals) < 2 or len(diseased) < 2:
        return {"why": "needs at least 2 readers, 2 non-diseased and 2 diseased cases"}
    table = ScoreTable(list(protocol.readers), normals, diseased, arms)
    for arm in arms:
        table.scores[arm] = np.array([[scores[(r, c, arm)] for c in normals + diseased]
                                      for r in protocol.readers], dtype=float)
    return analyse(table)


def study_summary(store) -> dict:
    """Everything the coordinator's summary shows, read from the study folder (reads only)."""
    from inference.readerstudy.verify import witness_line

    rows = store.results()
    out = summary(store.protocol, rows)
    out["progress"] = store.progress()
    out["mrmc"] = mrmc_section(store.protocol, rows)
    report = store.verify()
    out["chain_head"] = report.chain_head
    out["verify_problems"] = report.problems
    out["verify_notes"] = report.notes
    out["verified"] = ("damage found" if report.problems else "intact") + "; " + witness_line(
        report)
    return out
