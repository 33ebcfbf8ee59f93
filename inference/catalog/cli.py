"""`dcreview catalog`: catalogue archives, search them, find pairs, export datasets."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

TABLE_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".tsv")


def add_parser(sub) -> None:
    """Register `catalog` and its subcommands."""
    cat = sub.add_parser("catalog", help="catalogue whole archives, find pairs, export "
                                         "research-ready datasets")
    csub = cat.add_subparsers(dest="catalog_command", required=True)
    cl = csub.add_parser("classify", help="add kind, phase, region, confidence and evidence "
                                          "columns to a table of series headers (CSV/Parquet, "
                                          "columns named by DICOM keyword as in the IDC index)")
    cl.add_argument("table", help="CSV or Parquet, one row per series")
    cl.add_argument("-o", "--output", required=True,
                    help="CSV, or Parquet when the name ends .parquet")
    cl.add_argument("--limit", type=int, help="classify the first N rows only")
    add = csub.add_parser("add", help="catalogue DICOM folders, zips, DICOMDIRs or header "
                                      "tables (only new or changed files are read)")
    add.add_argument("catalog", help="the catalogue folder (made if needed)")
    add.add_argument("sources", nargs="+", help="folders, zips, DICOMDIRs, CSV/Parquet "
                                                "header tables such as the IDC index, or "
                                                "pacs://NODE (a configured PACS node)")
    add.add_argument("--site", default="", help="the source's site name (default: a "
                                                "pseudonym of its path)")
    add.add_argument("--site-column", default="", help="for a table: the column naming each "
                                                       "row's site (e.g. collection_id)")
    add.add_argument("--pixels", action="store_true",
                     help="read a few dozen slices of each series for the phase too")
    add.add_argument("--workers", type=int, help="embedded Dask workers (default: one per "
                                                 "core)")
    add.add_argument("--scheduler", help="a running Dask scheduler (tcp://HOST:PORT)")
    add.add_argument("--serial", action="store_true", help="no Dask: read here, in order")
    add.add_argument("--study-date", default="", help="for a PACS: YYYYMMDD or "
                                                      "YYYYMMDD-YYYYMMDD (asked a week at a "
                                                      "time)")
    add.add_argument("--modality", default="CT", help="for a PACS: studies holding this "
                                                      "modality (default CT; '' for all)")
    add.add_argument("--full", action="store_true", help="for a PACS: ask again for studies "
                                                         "already catalogued whole")
    st = csub.add_parser("stats", help="counts by site, kind, phase, region and scanner")
    st.add_argument("catalog")
    se = csub.add_parser("search", help="series matching filters")
    se.add_argument("catalog")
    for name in ("site", "kind", "phase", "region", "modality"):
        se.add_argument(f"--{name}")
    se.add_argument("--text", help="words in the series or study description")
    se.add_argument("--limit", type=int, default=50)
    sq = csub.add_parser("sql", help="any DuckDB query over the tables series and files")
    sq.add_argument("catalog")
    sq.add_argument("query")
    pa = csub.add_parser("pairs", help="studies holding a non-contrast and a real contrast "
                                       "series of the same region, best first, with why")
    pa.add_argument("catalog")
    pa.add_argument("--region")
    pa.add_argument("--phase", help="keep only this enhanced phase (arterial, portal-venous, "
                                    "delayed, contrast)")
    pa.add_argument("--target", default="arterial", help="the phase ranked first")
    pa.add_argument("--max-slice-mm", type=float)
    pa.add_argument("--within-days", type=int, help="also pair the same patient's studies at "
                                                    "most this many days apart")
    pa.add_argument("-o", "--output", required=True, help="pairs CSV")
    ex = csub.add_parser("export", help="copy (and de-identify) pairs into a research-ready "
                                        "dataset: manifest.csv and dataset.json")
    ex.add_argument("catalog")
    ex.add_argument("--pairs", required=True, help="a CSV written by `catalog pairs`")
    ex.add_argument("-o", "--output", required=True, help="the dataset folder")
    ex.add_argument("--policy", required=True,
                    help='per-source policy JSON: {"sites": {SITE: {"licence", "consent", '
                         '"usage"}}}; a source without one is refused')
    ex.add_argument("--deidentify", action="store_true",
                    help="de-identify (PS3.15 Basic profile); without it identifiers are kept")
    ex.add_argument("--shift-dates", action="store_true",
                    help="with --deidentify: move each patient's dates back by a keyed number "
                         "of days instead of removing them (intervals between studies kept)")


def _table(rows: list[tuple], names: list[str]) -> str:
    text = [[("" if v is None else str(v)) for v in r] for r in rows]
    widths = [max([len(n)] + [len(r[i]) for r in text]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines += ["  ".join(v[:80].ljust(w) for v, w in zip(r, widths, strict=True)) for r in text]
    return "\n".join(lines)


def _cluster(args):
    if args.serial:
        return contextlib.nullcontext(None)
    from inference.batch.runner import local_cluster, scheduler

    return scheduler(args.scheduler) if args.scheduler else local_cluster(args.workers)


def run(args: argparse.Namespace) -> int:
    """Execute a parsed `catalog` command."""
    from inference.catalog import store

    command = args.catalog_command
    if command == "classify":
        from inference.catalog.classify_table import classify_table

        print(classify_table(args.table, args.output, limit=args.limit).summary())
        return 0
    if command == "add":
        from inference.catalog.ingest import add_folder, add_table
        from inference.pacs.nodes import SCHEME
        from inference.progress import TerminalProgress

        tables = [s for s in args.sources if s.lower().endswith(TABLE_SUFFIXES)]
        nodes = [s for s in args.sources if s.startswith(SCHEME)]
        folders = [s for s in args.sources if s not in tables and s not in nodes]
        if nodes:
            from inference.catalog.pacs_source import add_pacs
            from inference.pacs.nodes import get_node

            for n in nodes:
                print(add_pacs(args.catalog, get_node(n[len(SCHEME):].strip("/")),
                               site=args.site, study_date=args.study_date,
                               modality=args.modality, full=args.full,
                               progress=TerminalProgress()).summary())
        for t in tables:
            print(add_table(args.catalog, t, site_column=args.site_column,
                            site=args.site).summary())
        if folders:
            with _cluster(args) as client:
                for f in folders:
                    print(add_folder(args.catalog, f, site=args.site, client=client,
                                     pixels=args.pixels,
                                     progress=TerminalProgress()).summary())
        return 0
    if command == "pairs":
        from inference.catalog.pairs import find_pairs, write_pairs

        pairs = find_pairs(args.catalog, region=args.region, phase=args.phase,
                           max_slice_mm=args.max_slice_mm, target=args.target,
                           within_days=args.within_days)
        write_pairs(pairs, args.output)
        print(f"{len(pairs)} pair(s), best first; wrote {args.output}")
        for p in pairs[:10]:
            print(f"  {p['score']:.2f}  {p['why']}")
        return 0
    if command == "export":
        from inference.catalog.export import export_pairs

        card = export_pairs(args.catalog, args.pairs, args.output, policy_file=args.policy,
                            deidentify=args.deidentify, shift_dates=args.shift_dates)
        for why in card["refused"]:
            print(f"refused: {why}")
        print(f"{card['counts']['cases']} case(s) in {args.output} ({card['written']} written "
              f"now); {Path(args.output) / 'manifest.csv'} runs with `dcreview batch`")
        return 0
    con = store.connect(args.catalog, write=False)
    try:
        if command == "stats":
            total = con.execute("SELECT count(*), count(DISTINCT study_uid), "
                                "count(DISTINCT patient) FROM series").fetchone()
            print(f"{total[0]} series, {total[1]} studies, {total[2]} patients")
            for col in ("site", "kind", "phase", "region", "manufacturer"):
                rows = con.execute(f"SELECT coalesce({col}, ''), count(*) n FROM series "
                                   "GROUP BY 1 ORDER BY n DESC LIMIT 15").fetchall()
                print(f"\nby {col}\n" + _table(rows, [col, "series"]))
            return 0
        if command == "search":
            where, params = [], []
            for col in ("site", "kind", "phase", "region", "modality"):
                value = getattr(args, col)
                if value:
                    where.append(f"upper({col}) = upper(?)")
                    params.append(value)
            if args.text:
                where.append("(series_description ILIKE ? OR study_description ILIKE ?)")
                params += [f"%{args.text}%"] * 2
            sql = ("SELECT site, study_uid, series_number, series_description, kind, phase, "
                   "region, images FROM series" + (" WHERE " + " AND ".join(where)
                                                   if where else "")
                   + " ORDER BY site, study_uid, series_number LIMIT ?")
            cur = con.execute(sql, [*params, args.limit])
            print(_table(cur.fetchall(), [d[0] for d in cur.description]))
            return 0
        if command == "sql":
            try:
                cur = con.execute(args.query)
            except Exception as exc:  # duckdb's errors: one line
                raise store.CatalogError(f"query failed: {str(exc).splitlines()[0]}") from exc
            if cur.description:
                print(_table(cur.fetchall(), [d[0] for d in cur.description]))
            return 0
    finally:
        con.close()
    raise AssertionError(command)
