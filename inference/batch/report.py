"""The cohort report: per-case CSV and JSON, and an HTML summary with plots (PNG).

Plots: metric distributions (synthetic vs identity), a per-case scatter of synthetic against
identity MAE, Bland-Altman plots of ROI means and of maximum aortic diameters (synthetic vs
real), and the energy totals with the avoided-contrast-CT scenario; the trust checks' counts
and calibration (``trust_report``). Identifiers are the manifest's case identifiers only.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

import numpy as np

from inference.batch.agreement import bland_altman
from inference.batch.agreement import plot as agreement_plot
from inference.batch.trust_report import (
    AORTA_COLUMNS,
    TRUST_COLUMNS,
    calibration,
    check_counts,
    diameter_agreement,
    trust_fields,
    trust_html,
    verdict_counts,
)
from inference.files import atomic

COLUMNS = ("case", "status", "reason", "mae_hu", "identity_mae_hu", "psnr_db",
           "identity_psnr_db", "ssim", "identity_ssim", "lumen_dice", "identity_lumen_dice",
           "roi_mean_synthetic_hu", "roi_mean_real_hu", *AORTA_COLUMNS, *TRUST_COLUMNS,
           "domain_warnings", "joules", "g_co2e", "seconds", "synthesis_seconds", "provider",
           "worker", "output")


def flat_row(result: dict) -> dict:
    """One case's result as a flat row of the CSV."""
    row = {k: result.get(k) for k in ("case", "status", "reason", "seconds",
                                      "synthesis_seconds", "provider", "worker", "output")}
    row.update(result.get("evaluation") or {})
    energy = result.get("energy") or {}
    row["joules"], row["g_co2e"] = energy.get("joules"), energy.get("g_co2e")
    row["domain_warnings"] = "; ".join((result.get("domain") or {}).get("warnings") or [])
    row.update(trust_fields(result))
    return {c: row.get(c) for c in COLUMNS}


def _values(rows: list[dict], key: str) -> np.ndarray:
    return np.array([r[key] for r in rows if r.get(key) is not None], dtype=float)


def _plots(rows: list[dict], folder: Path) -> list[str]:
    """Write the PNG plots; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    names = []
    evaluated = [r for r in rows if r.get("mae_hu") is not None]
    if evaluated:
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
        for ax, (metric, unit) in zip(axes, (("mae_hu", "MAE (HU)"), ("psnr_db", "PSNR (dB)"),
                                             ("ssim", "SSIM")), strict=True):
            ax.hist([_values(evaluated, metric), _values(evaluated, f"identity_{metric}")],
                    label=["synthetic vs real", "identity (non-contrast vs real)"], bins=10)
            ax.set_xlabel(unit)
            ax.set_ylabel("cases")
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / "metrics.png", dpi=100)
        plt.close(fig)
        names.append("metrics.png")
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        x, y = _values(evaluated, "identity_mae_hu"), _values(evaluated, "mae_hu")
        ax.scatter(x, y)
        lim = [0, float(max(x.max(), y.max()) * 1.1)]
        ax.plot(lim, lim, "k--", lw=0.8, label="no better than identity")
        ax.set_xlabel("identity MAE (HU)")
        ax.set_ylabel("synthetic MAE (HU)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / "mae_scatter.png", dpi=100)
        plt.close(fig)
        names.append("mae_scatter.png")
    roi = [r for r in evaluated if r.get("roi_mean_synthetic_hu") is not None]
    roi_agreement = bland_altman(_values(roi, "roi_mean_synthetic_hu"),
                                 _values(roi, "roi_mean_real_hu"))
    if roi_agreement is not None:
        names.append(agreement_plot(roi_agreement, folder / "bland_altman.png", "ROI", "HU"))
    agreement = diameter_agreement(evaluated)
    if agreement is not None:
        names.append(agreement_plot(agreement, folder / "aorta_bland_altman.png",
                                    "maximum aortic diameter", "mm"))
    return names


def _stat(rows: list[dict], key: str) -> str:
    v = _values(rows, key)
    return f"{v.mean():.2f} (median {np.median(v):.2f}, n={v.size})" if v.size else "-"


def write_report(results: list[dict], outdir: str | Path, title: str = "dcreview batch") -> dict:
    """Write cohort.csv, cohort.json and summary.html (+ PNGs); returns the totals."""
    outdir = Path(outdir)
    rows = sorted((flat_row(r) for r in results), key=lambda r: str(r["case"]))
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    atomic.write_text(outdir / "cohort.csv", table.getvalue())
    ok = [r for r in rows if r["status"] == "ok"]
    joules = float(_values(ok, "joules").sum())
    grams = float(_values(ok, "g_co2e").sum())
    avoided = float(sum((r.get("energy") or {}).get("avoided_kg_co2e") or 0.0
                        for r in results if r.get("status") == "ok"))
    totals = {"cases": len(rows), "ok": len(ok), "failed": len(rows) - len(ok),
              "energy_joules": joules, "operational_g_co2e": grams,
              "avoided_kg_co2e_if_each_replaces_a_contrast_ct": avoided,
              "out_of_domain": sum(1 for r in ok if r["domain_warnings"]),
              "trust": {"verdicts": verdict_counts([r for r in results
                                                    if r.get("status") == "ok"]),
                        "checks": check_counts(results), "calibration": calibration(ok)},
              "aorta_diameter_agreement": {k: v for k, v in (diameter_agreement(ok) or {}).items()
                                           if k not in ("mean", "difference")} or None}
    atomic.write_json(outdir / "cohort.json", {"totals": totals, "cases": results}, indent=2)
    plots = _plots(ok, outdir)
    failures = "".join(f"<tr><td>{html.escape(str(r['case']))}</td>"
                       f"<td>{html.escape(str(r['reason']))}</td></tr>"
                       for r in rows if r["status"] != "ok")
    summary = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:left}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p><b>SYNTHETIC</b> digital contrast: AI-generated, "
        "not acquired images.</p>"
        f"<p>{totals['ok']} of {totals['cases']} cases done, {totals['failed']} failed, "
        f"{totals['out_of_domain']} outside the model's domain (see cohort.csv).</p>"
        "<table><tr><th>metric</th><th>synthetic vs real</th><th>identity</th></tr>"
        + "".join(f"<tr><td>{m}</td><td>{_stat(ok, m)}</td><td>{_stat(ok, 'identity_' + m)}"
                  "</td></tr>" for m in ("mae_hu", "psnr_db", "ssim", "lumen_dice"))
        + "</table>"
        + trust_html([r for r in results if r.get("status") == "ok"], ok)
        + f"<p>Energy: {joules / 1000:.2f} kJ, {grams:.2f} g CO2e operational; if each case "
        f"replaced a contrast CT, about {avoided:.1f} kg CO2e avoided.</p>"
        + "".join(f"<p><img src='{p}' alt='{p}'></p>" for p in plots)
        + (f"<h2>Failed cases</h2><table>{failures}</table>" if failures else "")
        + "</body></html>\n")
    atomic.write_text(outdir / "summary.html", summary)
    return totals
