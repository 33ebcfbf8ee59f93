"""Catalogue benchmark: a header scan of a DICOM tree and the IDC index into a catalogue.

Tree: a ~20,000-file tree of phantom series (copies of a few series under new UIDs, small
images: the header is what is read), catalogued by `catalog add` on the embedded Dask cluster
(two workers) against a plain `pydicom.dcmread(stop_before_pixels=True)` loop over the same
files, in the same run, page cache warm for both. IDC: the whole series index of PyPI
idc-index-data added, then `catalog pairs` over it. Prints a table, a projection for a
1M-case archive, and writes JSON.

    python benchmarks/catalog.py [--files 20000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.reporting import GapProbe, finish  # noqa: E402


def tree(files: int) -> Path:
    import pydicom
    from pydicom.uid import generate_uid

    from inference.phantom.demo_case import write_demo_case

    root = HERE / "data" / f"catalog_tree_{files}"
    if (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    print(f"generating a {files}-file tree ...", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        case = write_demo_case(tmp, matrix=32, slices=100, pixel_mm=12.0, slice_mm=3.0)
        template = [pydicom.dcmread(f) for f in sorted(case.noncontrast.glob("*.dcm"))]
    n = 0
    while n < files:
        study, series = generate_uid(), generate_uid()
        folder = root / f"s{n // 100:05d}"
        folder.mkdir(parents=True)
        for ds in template:
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
            ds.SOPInstanceUID = generate_uid()
            ds.save_as(folder / f"{n:06d}.dcm")
            n += 1
    (root / ".complete").write_text("")
    return root


def pydicom_loop(root: Path) -> float:
    import pydicom

    t = time.perf_counter()
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            if name.endswith(".dcm"):
                pydicom.dcmread(os.path.join(dirpath, name), stop_before_pixels=True)
    return time.perf_counter() - t


def catalog_scan(root: Path, workers: int) -> tuple[float, int]:
    from inference.batch.runner import local_cluster
    from inference.catalog.ingest import add_folder

    with tempfile.TemporaryDirectory() as tmp, local_cluster(workers) as client:
        client.run(__import__, "inference.catalog.chunks")  # up, the reader loaded
        t = time.perf_counter()
        result = add_folder(Path(tmp) / "cat", root, client=client)
        return time.perf_counter() - t, result.series


def idc_figures() -> dict | None:
    try:
        import idc_index_data
    except ImportError:
        return None
    from inference.catalog.ingest import add_table
    from inference.catalog.pairs import find_pairs

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        added = add_table(Path(tmp) / "idc", idc_index_data.IDC_INDEX_PARQUET_FILEPATH,
                          site_column="collection_id")
        add_s = time.perf_counter() - t
        t = time.perf_counter()
        pairs = find_pairs(Path(tmp) / "idc")
        pairs_s = time.perf_counter() - t
        browsing = repository_stall(Path(tmp) / "idc")
    return {"series": added.series, "add_s": round(add_s, 1), "pairs": len(pairs),
            "pairs_s": round(pairs_s, 2), "viewer_repository": browsing}


def repository_stall(folder: Path) -> dict:
    """The event loop while File > Open repository lists a catalogue's pairs (offscreen): the
    longest gap between 10 ms probes, from opening the dialog to the last row listed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from viewer.review.repository_dialog import RepositoryDialog
    from viewer.views.application import application

    application()  # the one QApplication, created before any widget
    probe = GapProbe()
    loader = type("Loader", (), {"target_phase": "arterial"})()
    t = time.perf_counter()
    dialog = RepositoryDialog(folder, loader)  # the catalogue's counts, on the GUI thread
    dialog.show()
    opening_ms = (time.perf_counter() - t) * 1000
    done = QTimer()
    loop = QEventLoop()
    done.timeout.connect(lambda: None if dialog.busy else loop.quit())
    done.start(20)
    probe.start()
    t = time.perf_counter()
    loop.exec()
    listed_s = time.perf_counter() - t
    gaps = probe.stop()
    done.stop()
    rows = dialog.table.rowCount()
    dialog.close()
    return {"opening_ms": round(opening_ms), "listed_s": round(listed_s, 2), "rows": rows,
            "max_gap_ms": round(gaps["max_gap_ms"]), "p95_gap_ms": round(gaps["p95_gap_ms"])}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--idc-only", action="store_true", help="only the IDC index figures")
    args = ap.parse_args()
    if args.idc_only:
        idc = idc_figures()
        print(idc)
        return 0 if idc else 1
    root = tree(args.files)
    pydicom_loop(root)  # warm the page cache for both
    loop_s = pydicom_loop(root)
    scan_s, series = catalog_scan(root, args.workers)
    speedup = loop_s / scan_s
    print(f"\n{'method':<44}{'files':>8}{'seconds':>9}{'files/s':>9}")
    print(f"{'pydicom dcmread(stop_before_pixels) loop':<44}{args.files:>8}{loop_s:>9.1f}"
          f"{args.files / loop_s:>9.0f}")
    print(f"{'catalog add, ' + str(args.workers) + ' Dask workers':<44}{args.files:>8}"
          f"{scan_s:>9.1f}{args.files / scan_s:>9.0f}   ({series} series; {speedup:.2f}x)")
    idc = idc_figures()
    if idc:
        print(f"\nIDC index: {idc['series']} series added in {idc['add_s']} s; "
              f"{idc['pairs']} pairs in {idc['pairs_s']} s")
        v = idc["viewer_repository"]
        print(f"File > Open repository on it: opened in {v['opening_ms']} ms, {v['rows']} pairs "
              f"listed in {v['listed_s']} s; event loop max gap {v['max_gap_ms']} ms "
              f"(p95 {v['p95_gap_ms']} ms)")
    rate = args.files / scan_s / args.workers  # files per second per worker
    images, cases = 500e6, 1e6
    projection = {str(n): round(images / (rate * n) / 3600, 1) for n in (2, 16, 64, 256)}
    print(f"\nprojection, {images:.0e} images / {cases:.0e} cases ({images / cases:.0f} "
          f"images a case): hours = images / (files/s per worker x workers), with {rate:.0f} "
          "files/s per worker measured here (headers only; storage bandwidth not modelled): "
          + ", ".join(f"{n} workers {h} h" for n, h in projection.items()))
    floors = {"tree: >= 3x the pydicom loop on 2 workers": speedup >= 3.0}
    if idc:
        floors["IDC: add + pairs <= 60 s"] = idc["add_s"] + idc["pairs_s"] <= 60
        floors["IDC: pairs query < 1 s"] = idc["pairs_s"] < 1.0
        floors["repository dialog: event loop never busy > 100 ms"] = (
            idc["viewer_repository"]["max_gap_ms"] <= 100
            and idc["viewer_repository"]["opening_ms"] <= 100)
    report = {"machine": platform.platform(), "cpus": os.cpu_count(),
              "tree": {"files": args.files, "series": series, "pydicom_loop_s": round(loop_s, 2),
                       "catalog_add_s": round(scan_s, 2), "speedup": round(speedup, 2)},
              "idc": idc, "projection_hours": projection, "floors": floors}
    return finish(report, HERE / "results" / "catalog.json", width=46)


if __name__ == "__main__":
    sys.exit(main())
