"""Find pairs in a catalogue: a non-contrast volume and a real contrast volume of the same
study and region (or, within a time window, of the same patient's studies), best match first,
each with a line saying why."""

from __future__ import annotations

import csv
from pathlib import Path

from inference.catalog import store
from inference.files import atomic

ENHANCED = ("arterial", "portal-venous", "delayed", "contrast")
PAIR_COLUMNS = ("study_uid", "patient", "site", "region", "noncontrast_series",
                "noncontrast_location", "real_series", "real_phase", "real_location",
                "real_study_uid", "days_apart", "score", "why")
DAY_PENALTY = 0.02  # a week between the scans weighs about as much as 3 mm of slice


def find_pairs(folder: str | Path, *, region: str | None = None, phase: str | None = None,
               max_slice_mm: float | None = None, target: str = "arterial",
               within_days: int | None = None) -> list[dict]:
    """One pair per study: its plain volume and the enhanced volume that fits best (the
    ``target`` phase first, then the same study, thin slices and many images); ``phase`` keeps
    only pairs whose enhanced series has that phase; ``region`` matches the series' region;
    ``within_days`` also pairs the same patient's studies at most that many days apart."""
    if phase is not None and phase not in ENHANCED:
        raise store.CatalogError(f"--phase is one of {', '.join(ENHANCED)}")
    if within_days is not None and not 0 <= within_days <= 3650:
        raise store.CatalogError("--within-days is between 0 and 3650")
    con = store.connect(folder, write=False)
    try:
        where_ce = "ce.phase = $phase" if phase else "ce.phase IN ('arterial', "\
            "'portal-venous', 'delayed', 'contrast')"
        rows = con.execute(f"""
            WITH v AS (SELECT *, try_strptime(study_date, '%Y%m%d') AS day FROM series
                       WHERE kind = 'volume' AND modality = 'CT'
                       AND NOT coalesce(synthetic, false)
                       AND ($slice IS NULL OR slice_mm IS NULL OR slice_mm <= $slice)),
            cand AS (
              SELECT nc.study_uid, nc.patient, nc.site,
                     coalesce(nullif(nc.region, ''), ce.region) AS region,
                     nc.series_uid AS nc_uid, nc.series_number AS nc_no,
                     nc.series_description AS nc_desc, nc.location AS nc_loc,
                     nc.phase_confidence AS nc_conf, nc.slice_mm AS nc_slice,
                     ce.series_uid AS ce_uid, ce.series_number AS ce_no,
                     ce.series_description AS ce_desc, ce.location AS ce_loc,
                     ce.phase AS ce_phase, ce.phase_confidence AS ce_conf,
                     ce.slice_mm AS ce_slice, ce.study_uid AS ce_study,
                     CASE WHEN nc.study_uid = ce.study_uid THEN 0
                          ELSE abs(date_diff('day', nc.day, ce.day)) END AS days,
                     (CASE WHEN ce.phase = $target THEN 2 WHEN ce.phase = 'contrast' THEN 1
                           ELSE 0.5 END)
                     + (CASE WHEN nc.region = ce.region AND nc.region <> '' THEN 1 ELSE 0 END)
                     + nc.phase_confidence + ce.phase_confidence
                     - 0.05 * coalesce(greatest(nc.slice_mm, ce.slice_mm), 5)
                     + 0.0001 * least(coalesce(nc.images, 0), coalesce(ce.images, 0))
                     AS score
              FROM v nc JOIN v ce ON (nc.study_uid = ce.study_uid
                  OR ($days IS NOT NULL AND coalesce(nc.patient, '') <> ''
                      AND nc.patient = ce.patient
                      AND abs(date_diff('day', nc.day, ce.day)) <= $days))
                AND nc.series_uid <> ce.series_uid
                AND (nc.region = ce.region OR coalesce(nc.region, '') = ''
                     OR coalesce(ce.region, '') = '')
              WHERE nc.phase = 'non-contrast' AND coalesce(nc.conflicts, '') = ''
                AND nc.phase_confidence >= 0.5 AND {where_ce}
                AND ($region IS NULL OR upper(nc.region) LIKE '%' || upper($region) || '%'
                     OR upper(ce.region) LIKE '%' || upper($region) || '%')),
            best AS (SELECT *, row_number() OVER (PARTITION BY study_uid
                                                   ORDER BY score - $penalty * days DESC,
                                                            nc_uid, ce_uid) r
                     FROM cand)
            SELECT * REPLACE (score - $penalty * days AS score) FROM best WHERE r = 1
            ORDER BY score DESC, study_uid""",
            {"slice": max_slice_mm, "target": target, "region": region, "days": within_days,
             "penalty": DAY_PENALTY,
             **({"phase": phase} if phase else {})}).fetchall()
        names = [d[0] for d in con.description]
    finally:
        con.close()
    return [_pair(dict(zip(names, r, strict=True)), target) for r in rows]


def _pair(r: dict, target: str) -> dict:
    def said(no, desc, phase, conf, sl):
        number = f"#{no} " if no is not None else ""
        slices = f", {sl:.1f} mm" if sl else ""
        return f"{phase} {number}{(desc or '(no description)')!r} ({conf:.2f}{slices})"
    days = r["days"]
    # A pair across studies is joined on its dates, so it always has its days apart.
    when = ("same study" if r["ce_study"] == r["study_uid"] else
            f"another study of the patient, {days} day(s) apart")
    why = (f"{said(r['nc_no'], r['nc_desc'], 'non-contrast', r['nc_conf'], r['nc_slice'])} "
           f"with {said(r['ce_no'], r['ce_desc'], r['ce_phase'], r['ce_conf'], r['ce_slice'])}"
           f", {when}" + (f", region {r['region']}" if r["region"] else ", region unknown")
           + ("" if r["ce_phase"] == target else f"; not the {target} phase"))
    return {"study_uid": r["study_uid"], "patient": r["patient"] or "", "site": r["site"] or "",
            "region": r["region"] or "", "noncontrast_series": r["nc_uid"],
            "noncontrast_location": r["nc_loc"] or "", "real_series": r["ce_uid"],
            "real_phase": r["ce_phase"], "real_location": r["ce_loc"] or "",
            "real_study_uid": r["ce_study"], "days_apart": days,
            "score": round(float(r["score"]), 3), "why": why}


def write_pairs(pairs: list[dict], out: str | Path) -> Path:
    """The pairs as CSV (PAIR_COLUMNS), written whole or not at all."""
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=PAIR_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(pairs)
    return atomic.write_text(out, buf.getvalue())


def read_pairs(path: str | Path) -> list[dict]:
    """Pairs written by write_pairs (or edited by hand: rows may be removed)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    missing = [c for c in ("noncontrast_series", "real_series") if rows and c not in rows[0]]
    if missing:
        raise store.CatalogError(f"{Path(path).name} is not a pairs file (no {missing[0]})")
    return rows
