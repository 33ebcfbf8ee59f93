"""What a cohort report says of the trust checks and the aneurysm metrics: counts per check
with the cases listed, the verdicts, a calibration table (the measured error of cases flagged
and not flagged, where real scans were compared: what a verdict means on this cohort) and a
Bland-Altman of maximum aortic diameters, synthetic against real."""

from __future__ import annotations

import html

import numpy as np

from inference.batch.agreement import bland_altman
from inference.trust.findings import VERDICTS

TRUST_COLUMNS = ("trust_verdict", "trust_flagged")
AORTA_COLUMNS = ("aorta_max_diameter_synthetic_mm", "aorta_max_diameter_real_mm",
                 "lumen_max_diameter_synthetic_mm", "lumen_max_diameter_real_mm",
                 "lumen_area_mae_mm2")


def trust_fields(result: dict) -> dict:
    """A case's verdict and its flagged checks ('check status; ...'), for the CSV row."""
    trust = result.get("trust") or {}
    checks = trust.get("checks") or {}
    flagged = [f"{name} {c['status']}" for name, c in sorted(checks.items())
               if c.get("status") in ("warn", "fail")]
    return {"trust_verdict": trust.get("verdict"), "trust_flagged": "; ".join(flagged)}


def check_counts(results: list[dict]) -> dict[str, dict]:
    """Per check: how many cases it warned on and failed, and which."""
    out: dict[str, dict] = {}
    for r in results:
        for name, c in ((r.get("trust") or {}).get("checks") or {}).items():
            entry = out.setdefault(name, {"warn": 0, "fail": 0, "cases": []})
            if c.get("status") in ("warn", "fail"):
                entry[c["status"]] += 1
                entry["cases"].append(str(r.get("case")))
    return out


def verdict_counts(results: list[dict]) -> dict[str, int]:
    """How many cases got each verdict (and how many were not checked)."""
    out = dict.fromkeys((*VERDICTS, "not checked"), 0)
    for r in results:
        out[(r.get("trust") or {}).get("verdict") or "not checked"] += 1
    return out


def calibration(rows: list[dict]) -> list[dict]:
    """Measured error (MAE against the real scan, and its ratio to the identity baseline) of
    cases per verdict, where a real scan was compared."""
    out = []
    for verdict in VERDICTS:
        group = [r for r in rows if r.get("trust_verdict") == verdict
                 and r.get("mae_hu") is not None]
        mae = np.array([r["mae_hu"] for r in group], float)
        ratio = np.array([r["mae_hu"] / r["identity_mae_hu"] for r in group
                          if r.get("identity_mae_hu")], float)
        diam = np.array([abs(r["aorta_max_diameter_synthetic_mm"]
                             - r["aorta_max_diameter_real_mm"]) for r in group
                         if r.get("aorta_max_diameter_synthetic_mm") is not None], float)
        out.append({"verdict": verdict, "cases": len(group),
                    "mae_hu_mean": float(mae.mean()) if mae.size else None,
                    "mae_hu_median": float(np.median(mae)) if mae.size else None,
                    "mae_ratio_to_identity_mean": float(ratio.mean()) if ratio.size else None,
                    "aorta_diameter_abs_error_mm_mean": float(diam.mean()) if diam.size
                    else None})
    return out


def diameter_agreement(rows: list[dict]) -> dict | None:
    """Bland-Altman figures of the maximum aortic diameter, synthetic minus real (mm)."""
    pairs = np.array([(r["aorta_max_diameter_synthetic_mm"], r["aorta_max_diameter_real_mm"])
                      for r in rows if r.get("aorta_max_diameter_synthetic_mm") is not None
                      and r.get("aorta_max_diameter_real_mm") is not None], float)
    return bland_altman(pairs[:, 0], pairs[:, 1]) if len(pairs) else None


def _num(v, fmt: str = ".1f") -> str:
    return "-" if v is None else format(v, fmt)


def trust_html(results: list[dict], rows: list[dict]) -> str:
    """The report's trust section: verdicts, checks with their cases, calibration."""
    verdicts = verdict_counts(results)
    counts = check_counts(results)
    parts = ["<h2>Trust checks</h2><p>" + ", ".join(
        f"{n} {html.escape(v)}" for v, n in verdicts.items() if n) + "</p>",
        "<table><tr><th>check</th><th>warned</th><th>failed</th><th>cases</th></tr>"]
    for name, c in sorted(counts.items()):
        parts.append(f"<tr><td>{html.escape(name)}</td><td>{c['warn']}</td><td>{c['fail']}"
                     f"</td><td>{html.escape(', '.join(c['cases']))}</td></tr>")
    parts.append("</table>")
    table = calibration(rows)
    if any(t["cases"] for t in table):
        parts.append("<h3>Calibration: measured error by verdict</h3><table><tr><th>verdict"
                     "</th><th>cases</th><th>MAE HU (mean)</th><th>MAE HU (median)</th>"
                     "<th>MAE / identity</th><th>|aortic diameter error| mm</th></tr>")
        parts += [f"<tr><td>{html.escape(t['verdict'])}</td><td>{t['cases']}</td>"
                  f"<td>{_num(t['mae_hu_mean'])}</td><td>{_num(t['mae_hu_median'])}</td>"
                  f"<td>{_num(t['mae_ratio_to_identity_mean'], '.2f')}</td>"
                  f"<td>{_num(t['aorta_diameter_abs_error_mm_mean'])}</td></tr>"
                  for t in table]
        parts.append("</table>")
    return "".join(parts)
