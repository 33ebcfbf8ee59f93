"""Series-understanding benchmark: seconds per series from pixels and headers rows per second.

Pixels: a phantom study (non-contrast, arterial, portal-venous, delayed) at 512x512xN is
classified series by series (headers, a subsample of slices decoded, landmarks measured); the
reference is a full load of the same series from a warm page cache, timed in the same run
(what opening the series costs anyway). Headers: rows of the IDC
index (PyPI idc-index-data) classified per second, against DuckDB reading the same rows into
Python. Prints a table and writes JSON.

    python benchmarks/series.py [--slices 300] [--repeats 3] [--rows 200000]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.reporting import finish  # noqa: E402
from inference.io.dicom.ct_loader import load_ct_series  # noqa: E402
from inference.io.dicom.discovery import scan  # noqa: E402
from inference.phantom.demo_case import write_demo_case  # noqa: E402
from inference.series.study import classify_series  # noqa: E402

PHASES = ("arterial", "portal-venous", "delayed")


def study(slices: int) -> Path:
    root = HERE / "data" / f"study_512x{slices}"
    if not (root / "truth.json").exists():
        print(f"generating a four-phase phantom study, 512x512x{slices} ...", flush=True)
        write_demo_case(root, matrix=512, slices=slices, pixel_mm=0.8, slice_mm=1.0,
                        seed=7, phases=PHASES)
    return root


def pixel_figures(root: Path, repeats: int) -> dict:
    found = scan(root)
    rows = []
    for series in found.series:
        classify_s, load_s, call = [], [], None
        for _ in range(repeats):  # interleaved: the page cache is warm for both
            t = time.perf_counter()
            call = classify_series(series)
            classify_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            load_ct_series(series)
            load_s.append(time.perf_counter() - t)
        c, lo = statistics.median(classify_s), statistics.median(load_s)
        rows.append({"series": series.description, "images": series.image_count,
                     "phase": call.cls.phase.value, "classify_s": round(c, 3),
                     "full_load_s": round(lo, 3), "ratio": round(c / lo, 3)})
    return {"series": rows,
            "median_classify_s": statistics.median(r["classify_s"] for r in rows),
            "median_ratio": statistics.median(r["ratio"] for r in rows)}


def header_figures(rows: int) -> dict | None:
    try:
        import idc_index_data
    except ImportError:
        return None
    import duckdb

    from inference.catalog.classify_table import classify_table

    src = str(idc_index_data.IDC_INDEX_PARQUET_FILEPATH)
    t = time.perf_counter()
    con = duckdb.connect()
    cur = con.execute("SELECT * FROM read_parquet(?) LIMIT ?", [src, rows])
    n = 0
    while chunk := cur.fetchmany(20000):
        n += len(chunk)
    read_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        result = classify_table(src, Path(tmp) / "out.csv", limit=rows)
    return {"rows": result.rows, "classify_s": round(result.seconds, 2),
            "rows_per_s": round(result.rows / result.seconds),
            "duckdb_read_s": round(read_s, 2), "ratio": round(result.seconds / read_s, 1),
            "million_rows_min": round(1e6 / (result.rows / result.seconds) / 60, 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slices", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rows", type=int, default=200000)
    args = ap.parse_args()
    px = pixel_figures(study(args.slices), args.repeats)
    print(f"\n{'series':<44}{'images':>7}{'phase':>15}{'classify s':>11}{'load s':>8}"
          f"{'ratio':>7}")
    for r in px["series"]:
        print(f"{r['series'][:43]:<44}{r['images']:>7}{r['phase']:>15}{r['classify_s']:>11.2f}"
              f"{r['full_load_s']:>8.2f}{r['ratio']:>7.2f}")
    hd = header_figures(args.rows)
    if hd:
        print(f"\nheaders: {hd['rows']} IDC rows in {hd['classify_s']} s = {hd['rows_per_s']} "
              f"rows/s ({hd['ratio']}x DuckDB's plain read of them); a million rows in "
              f"{hd['million_rows_min']} min")
    floors = {
        # The floor is "every series of a study on this CPU": a 15-series study
        # in half a minute at most.
        "pixels: <= 2 s per series": px["median_classify_s"] <= 2.0,
        "pixels: every phase right": [r["phase"] for r in px["series"]] == [
            "non-contrast", "arterial", "portal-venous", "delayed"],
    }
    if hd:
        floors["headers: 1M rows in <= 10 min"] = hd["million_rows_min"] <= 10
    report = {"machine": platform.platform(), "cpus": __import__("os").cpu_count(),
              "pixels": px, "headers": hd, "floors": floors}
    return finish(report, HERE / "results" / "series.json", width=40)


if __name__ == "__main__":
    sys.exit(main())
