"""A research-ready dataset from catalogue pairs: each pair copied and de-identified with
the one de-identifier, a manifest `batch` and `study init` take as it is, and a dataset card
(sources by pseudonymous site, counts, the policy of each source, versions, every file's hash).

A case is written whole or not at all (a private folder renamed when done); a re-run writes
only the cases that are missing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from collections import Counter
from pathlib import Path

import pydicom

from inference import __version__
from inference.catalog import store
from inference.catalog.pairs import read_pairs
from inference.files import atomic
from inference.pacs.nodes import SCHEME, load_nodes
from inference.pseudonym import pseudonymise

CASES_DIR = "cases"
POLICY_KEYS = ("licence", "consent", "usage")


def load_policy(path: str | Path) -> dict[str, dict]:
    """Per-source policy: {"sites": {SITE: {"licence": ..., "consent": ..., "usage": ...}}}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise store.CatalogError(f"policy file {Path(path).name} cannot be read: {exc}") from exc
    sites = data.get("sites") if isinstance(data, dict) else None
    if not isinstance(sites, dict) or not sites:
        raise store.CatalogError(f"policy file {Path(path).name} names no site "
                                 '(write {"sites": {"SITE": {"licence": ..., "consent": ..., '
                                 '"usage": ...}}})')
    for site, policy in sites.items():
        missing = [k for k in POLICY_KEYS if not isinstance(policy, dict) or k not in policy]
        if missing:
            raise store.CatalogError(f"policy for site {site!r} has no {missing[0]!r}")
    return sites


def _site_id(site: str) -> str:
    return "site-" + pseudonymise("site", site)[:8]


def _case_id(study_uid: str) -> str:
    return "case-" + pseudonymise("case", study_uid)[:10]


def _series_files(con, uid: str, location: str) -> list[str] | str:
    """A series' catalogued files, or for a PACS source its ``pacs://`` location (retrieved
    when its case is written)."""
    if location and location.startswith(SCHEME):
        return location
    return [p for (p,) in con.execute("SELECT path FROM files WHERE series_uid = ? AND reason "
                                      "IS NULL ORDER BY path", [uid]).fetchall()]


def _local(files: list[str] | str, nodes: dict) -> list[str]:
    """The files of one side of a pair, retrieved into the PACS cache first if need be."""
    if isinstance(files, list):
        return files
    from inference.pacs import cache, client

    return [str(f) for f in cache.instances(Path(client.resolve(files, nodes)))]


def date_shift(patient: str, case: str) -> int:
    """Days a patient's dates move back (30 to 3650): keyed, so the same patient moves alike
    in every case and every re-run, and nobody without the site's key can undo it."""
    return 30 + int(pseudonymise("date-shift", patient or case)[:8], 16) % 3621


def _write_case(case_dir: Path, parts: dict[str, list[str]], patient: str,
                deidentify: bool, shift_dates: bool = False) -> None:
    from inference.dicom.deidentify import Deidentifier

    shift = date_shift(patient, case_dir.name) if shift_dates else None
    deid = Deidentifier(pseudonym=f"{patient or 'ANONYMOUS'}^", date_shift_days=shift) \
        if deidentify else None
    with atomic.folder(case_dir) as partial:
        for role, files in parts.items():
            (partial / role).mkdir()
            for n, f in enumerate(files, 1):
                ds = pydicom.dcmread(f)
                if deid is not None:
                    deid.apply(ds)
                ds.save_as(partial / role / f"{n:05d}.dcm", enforce_file_format=True)


def export_pairs(folder: str | Path, pairs_csv: str | Path, out: str | Path, *,
                 policy_file: str | Path, deidentify: bool = True, shift_dates: bool = False,
                 log=print) -> dict:
    """Write the dataset for the pairs of ``pairs_csv``; returns the dataset card.
    ``shift_dates`` keeps the intervals between a patient's dates (PS3.15 Retain Longitudinal
    Temporal Information with Modified Dates) instead of removing the dates."""
    if shift_dates and not deidentify:
        raise store.CatalogError("--shift-dates goes with --deidentify (without it the real "
                                 "dates are kept)")
    out = Path(out)
    policies = load_policy(policy_file)
    pairs = read_pairs(pairs_csv)
    con = store.connect(folder, write=False)
    rows, refused = [], []
    try:
        for p in pairs:
            meta = {u: con.execute("SELECT site, patient, region, phase, manufacturer, "
                                   "location FROM series WHERE series_uid = ?", [u]).fetchone()
                    for u in (p["noncontrast_series"], p["real_series"])}
            nc, real = meta[p["noncontrast_series"]], meta[p["real_series"]]
            if nc is None or real is None:
                refused.append(f"{p['noncontrast_series'][:24]}...: not in this catalogue")
                continue
            if nc[0] not in policies:
                refused.append(f"a pair of site {nc[0]!r}: the policy file has no entry for "
                               "this source (its licence and consent must be known)")
                continue
            files = {"noncontrast": _series_files(con, p["noncontrast_series"], nc[5]),
                     "real": _series_files(con, p["real_series"], real[5])}
            if not files["noncontrast"] or not files["real"]:
                refused.append(f"a pair of site {nc[0]!r}: its series have no local files "
                               "(a header-table source); retrieve them first")
                continue
            rows.append((p, nc, real, files))
    finally:
        con.close()
    if refused and not rows:
        raise store.CatalogError("nothing to export: " + "; ".join(refused[:3]))
    (out / CASES_DIR).mkdir(parents=True, exist_ok=True)
    atomic.sweep_partials(out / CASES_DIR)
    written = 0
    cases = []
    nodes = load_nodes() if any(isinstance(f, str) for *_r, fs in rows for f in fs.values()) \
        else {}
    for p, nc, real, files in rows:
        case = _case_id(p["study_uid"])
        case_dir = out / CASES_DIR / case
        if not case_dir.exists():
            files = {role: _local(f, nodes) for role, f in files.items()}
            _write_case(case_dir, files, nc[1], deidentify, shift_dates)
            written += 1
            log(f"  {case}: {len(files['noncontrast'])} + {len(files['real'])} images")
        cases.append({"case": case, "site": _site_id(nc[0]), "region": nc[2] or real[2] or "",
                      "real_phase": real[3], "scanner": real[4] or "", "policy_site": nc[0]})
    card = _card(out, cases, policies, deidentify, shift_dates)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["case", "noncontrast", "real"])
    for c in cases:
        w.writerow([c["case"], f"{CASES_DIR}/{c['case']}/noncontrast",
                    f"{CASES_DIR}/{c['case']}/real"])
    atomic.write_text(out / "manifest.csv", buf.getvalue())
    atomic.write_json(out / "dataset.json", card, indent=2)  # last: it says the set is whole
    card["written"], card["refused"] = written, refused
    return card


def _card(out: Path, cases: list[dict], policies: dict, deidentify: bool,
          shift_dates: bool) -> dict:
    from inference.dicom.deidentify import METHOD, Deidentifier

    hashes = {}
    for c in cases:
        for f in sorted((out / CASES_DIR / c["case"]).rglob("*.dcm")):
            hashes[f.relative_to(out).as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()
    by_site = Counter(c["site"] for c in cases)
    sources = []
    for site_id, n in sorted(by_site.items()):
        name = next(c["policy_site"] for c in cases if c["site"] == site_id)
        sources.append({"site": site_id, "cases": n,
                        **{k: policies[name][k] for k in POLICY_KEYS}})
    codes = [v for v, _m in Deidentifier(date_shift_days=30 if shift_dates else None)
             .options()] if deidentify else []
    return {
        "dataset_version": 1, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "made_by": f"dcreview {__version__}", "catalog_version": store.VERSION,
        "classifier": f"dcreview {__version__} inference.series",
        "deidentification": ({"method": METHOD, "codes": codes, "options": [
            "PS3.15 Basic Application Level Confidentiality Profile",
            ("Retain Longitudinal Temporal Information with Modified Dates: each patient's "
             "dates moved back by one keyed number of days (30 to 3650), times of day kept, "
             "birth date removed" if shift_dates else
             "dates and times removed (no longitudinal temporal information kept)"),
            "UIDs replaced consistently within each case", "private attributes removed",
            "descriptions removed (the phases are in this card and the manifest)"]}
            if deidentify else {"method": "none: the sources' identifiers are kept"}),
        "sources": sources,
        "counts": {"cases": len(cases),
                   "real_phase": dict(Counter(c["real_phase"] for c in cases)),
                   "region": dict(Counter(c["region"] for c in cases)),
                   "scanner": dict(Counter(c["scanner"] for c in cases))},
        "cases": [{k: c[k] for k in ("case", "site", "region", "real_phase")} for c in cases],
        "files": hashes,
    }
