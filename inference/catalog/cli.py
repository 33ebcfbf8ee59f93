"""`dcreview catalog`: classify a whole archive's header table."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    """Register `catalog classify`."""
    cat = sub.add_parser("catalog", help="catalogue whole archives from their header tables")
    csub = cat.add_subparsers(dest="catalog_command", required=True)
    cl = csub.add_parser("classify", help="add kind, phase, region, confidence and evidence "
                                          "columns to a table of series headers (CSV/Parquet, "
                                          "columns named by DICOM keyword as in the IDC index)")
    cl.add_argument("table", help="CSV or Parquet, one row per series")
    cl.add_argument("-o", "--output", required=True,
                    help="CSV, or Parquet when the name ends .parquet")
    cl.add_argument("--limit", type=int, help="classify the first N rows only")


def run(args: argparse.Namespace) -> int:
    """Execute a parsed `catalog` command."""
    from inference.catalog.classify_table import classify_table

    if args.catalog_command == "classify":
        print(classify_table(args.table, args.output, limit=args.limit).summary())
        return 0
    raise AssertionError(args.catalog_command)
