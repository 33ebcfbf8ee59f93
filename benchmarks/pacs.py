"""Retrieval from a loopback Orthanc: dcreview's C-GET and WADO-RS of a 512x512 series
against dcmtk's getscu on the same series in the same run, and the time from "retrieve" in
the viewer (offscreen) to the first image on screen.

Floor: dcreview's C-GET and WADO-RS each at most 1.3x getscu's time, and its C-MOVE at most
1.3x dcmtk movescu's (C-MOVE to getscu is printed too). Orthanc and
getscu run with TCP_NODELAY=1 (Debian's DCMTK otherwise stalls ~45 ms per instance).

    python benchmarks/pacs.py [--slices 300] [--matrix 512] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkOSOpenGLRenderWindow")

from reporting import finish  # noqa: E402


def series(matrix: int, slices: int) -> Path:
    """A non-contrast phantom series as DICOM (cached)."""
    from inference.phantom.demo_case import write_demo_case

    root = HERE / "data" / f"pacs_{matrix}x{slices}"
    if not (root / "truth.json").exists():
        print(f"generating a {matrix}x{matrix}x{slices} series ...", flush=True)
        write_demo_case(root, matrix=matrix, slices=slices, pixel_mm=384 / matrix,
                        slice_mm=1.25)
    return root / "noncontrast"


STALLS: list[float] = []  # the longest event-loop gap (ms) of each viewer retrieval


def to_first_image(node, study: str, uid: str, count: int, cache: Path) -> float:
    """Seconds from File > Open from PACS's retrieve to the first rendered, non-blank image;
    the longest time the event loop was busy meanwhile goes to ``STALLS``."""
    os.environ["DCREVIEW_PACS_CACHE"] = str(cache)
    from PySide6.QtWidgets import QApplication

    from viewer.review.main_window import MainWindow
    from viewer.review.settings import ephemeral_settings
    from viewer.views.application import application

    app = application()
    window = MainWindow(ephemeral_settings())
    window.resize(900, 400)
    window.show()
    app.processEvents()
    t0 = time.perf_counter()
    window.loader.load_from_pacs(node, study, uid, count)
    longest = 0.0
    while window.state.base is None:
        t = time.perf_counter()
        QApplication.processEvents()  # the GUI thread's share of the retrieval and opening
        longest = max(longest, (time.perf_counter() - t) * 1000)
        time.sleep(0.002)
    STALLS.append(longest)
    pixels = window.grid.capture()
    elapsed = time.perf_counter() - t0
    assert pixels.std() > 0, "blank view"
    window.close()
    app.processEvents()
    shutil.rmtree(cache, ignore_errors=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", type=int, default=512)
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "pacs.json")
    args = parser.parse_args()

    from inference.io.loader import open_volume
    from inference.pacs import dicomweb, dimse, retrieval
    from inference.pacs.nodes import PacsNode
    from tests.support.orthanc import PASSWORD, USER, start_orthanc

    folder = series(args.matrix, args.slices)
    work = Path(tempfile.mkdtemp())
    server = start_orthanc(work / "orthanc")
    try:
        node = PacsNode("bench", ae_title="ORTHANC", port=server.dicom_port)
        mover = PacsNode("bench", ae_title="ORTHANC", port=server.dicom_port, retrieve="move",
                         own_storage_port=server.own_port)
        web = PacsNode("web", kind="dicomweb", url=f"{server.url}/dicom-web", username=USER,
                       password=PASSWORD)
        files = sorted(folder.glob("*.dcm"))
        dimse.store(node, files)
        study = dimse.find(node, "STUDY")[0]["StudyInstanceUID"]
        uid = dimse.find(node, "SERIES", StudyInstanceUID=study)[0]["SeriesInstanceUID"]
        times: dict[str, list[float]] = {"getscu": [], "movescu": [], "dcreview C-GET": [],
                                         "dcreview C-MOVE": [], "dcreview WADO-RS": [],
                                         "C-GET + open": []}
        query = ["-k", "QueryRetrieveLevel=SERIES", "-k", f"StudyInstanceUID={study}",
                 "-k", f"SeriesInstanceUID={uid}"]
        dcmtk = {"getscu": ["/usr/bin/getscu", "-aet", "DCREVIEW", "-aec", "ORTHANC", "-S"],
                 "movescu": ["/usr/bin/movescu", "-aet", "DCREVIEW", "-aec", "ORTHANC",
                             "-aem", "DCREVIEW", "--port", str(server.own_port), "-S"]}
        for _ in range(args.repeats):  # interleaved, so drift hits every method alike
            for name, command in dcmtk.items():
                out = work / name
                out.mkdir(exist_ok=True)
                t0 = time.perf_counter()
                subprocess.run([*command, *query, "-od", str(out), "127.0.0.1",
                                str(server.dicom_port)], check=True, capture_output=True,
                               env={**os.environ, "TCP_NODELAY": "1"})
                times[name].append(time.perf_counter() - t0)
                assert len(list(out.iterdir())) == len(files), name
                shutil.rmtree(out)
            for name, fn, target in (("dcreview C-GET", retrieval.get_series, node),
                                     ("dcreview C-MOVE", retrieval.move_series, mover),
                                     ("dcreview WADO-RS", dicomweb.get_series, web)):
                root = work / "cache"
                t0 = time.perf_counter()
                got = fn(target, study, uid, cache_root=root)
                times[name].append(time.perf_counter() - t0)
                assert len(list(got.glob("*.dcm"))) == len(files), name
                if name == "dcreview C-GET":
                    open_volume(got)
                    times["C-GET + open"].append(time.perf_counter() - t0)
                shutil.rmtree(root)
        for name, target in (("viewer: C-GET to first image", node),
                             ("viewer: WADO-RS to first image", web)):
            times[name] = [to_first_image(target, study, uid, len(files), work / "viewer")
                           for _ in range(args.repeats)]
    finally:
        server.process.kill()
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
              "series": {"matrix": args.matrix, "slices": args.slices,
                         "mb": sum(f.stat().st_size for f in files) / 1e6},
              "median_seconds": med, "all_seconds": times,
              "c_get_over_getscu": med["dcreview C-GET"] / med["getscu"],
              "c_move_over_getscu": med["dcreview C-MOVE"] / med["getscu"],
              "c_move_over_movescu": med["dcreview C-MOVE"] / med["movescu"],
              "wado_over_getscu": med["dcreview WADO-RS"] / med["getscu"],
              "viewer_event_loop_max_busy_ms": max(STALLS)}
    print(f"\n{args.slices} slices {args.matrix}x{args.matrix} from a loopback Orthanc "
          f"(median of {args.repeats})")
    for k, v in med.items():
        print(f"{k:<34}{v:>9.2f} s")
    print(f"{'C-GET / getscu':<34}{report['c_get_over_getscu']:>9.2f}")
    print(f"{'C-MOVE / getscu':<34}{report['c_move_over_getscu']:>9.2f}")
    print(f"{'C-MOVE / movescu':<34}{report['c_move_over_movescu']:>9.2f}")
    print(f"{'WADO-RS / getscu':<34}{report['wado_over_getscu']:>9.2f}")
    print(f"{'viewer: event loop busy, max':<34}{max(STALLS):>9.0f} ms")
    report["floors"] = {"C-GET <= 1.3x getscu": report["c_get_over_getscu"] <= 1.3,
                        "C-MOVE <= 1.3x movescu": report["c_move_over_movescu"] <= 1.3,
                        "WADO-RS <= 1.3x getscu": report["wado_over_getscu"] <= 1.3,
                        "viewer event loop never busy > 100 ms while retrieving": max(
                            STALLS) <= 100}
    return finish(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
