"""Load-speed and memory benchmark: dcreview's loader vs SimpleITK and plain pydicom.

Generates a 512x512x500 CT series (uncompressed, and a JPEG 2000 lossless copy) from the
phantom, then times each method in its own subprocess (so peak RSS is per method), repeated and
interleaved, with the page cache warm for all. Prints a table and writes JSON.

    python benchmarks/load.py [--matrix 512] [--slices 500] [--repeats 3] [--skip-j2k]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# Each method runs in a fresh interpreter: imports first, then baseline RSS, then the timed load.
CHILD = r'''
import json, sys, time
sys.path.insert(0, {root!r})
method, folder = sys.argv[1], sys.argv[2]
import numpy as np
import pydicom, SimpleITK as sitk
from inference.io.loader import open_volume

def status_mb(key):
    # VmHWM is this process's own peak; ru_maxrss can carry the parent's peak across exec.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024

def dcreview():
    return open_volume(folder).volume.array

def simpleitk():
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(folder))
    image = reader.Execute()
    globals()["_keep"] = image  # the array view below is only valid while the image lives
    return sitk.GetArrayViewFromImage(image)

def pydicom_plain():
    import os
    datasets = [pydicom.dcmread(os.path.join(folder, f)) for f in sorted(os.listdir(folder))
                if not f.startswith(".")]
    datasets.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    return np.stack([ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
                     for ds in datasets]).astype(np.int16)

base = status_mb("VmRSS")
t0 = time.perf_counter()
arr = {{"dcreview": dcreview, "simpleitk": simpleitk, "pydicom": pydicom_plain}}[method]()
elapsed = time.perf_counter() - t0
peak = status_mb("VmHWM")
checksum = int(np.asarray(arr, dtype=np.int64).sum())
print(json.dumps({{"seconds": elapsed, "baseline_mb": base, "peak_mb": peak,
                  "shape": list(arr.shape), "checksum": checksum}}))
'''


def make_series(folder: Path, matrix: int, slices: int) -> None:
    """Phantom non-contrast series, 0.75 mm pixels, 0.6 mm slices (cached between runs)."""
    if folder.exists() and len(list(folder.glob("*.dcm"))) == slices:
        return
    from pydicom.uid import generate_uid

    from inference.dicom.ct_writer import SeriesIdentity, write_ct_series
    from inference.io.volume import Volume
    from inference.phantom.anatomy import Anatomy
    from inference.phantom.scan import centred_geometry, simulate_scan

    print(f"generating {matrix}x{matrix}x{slices} phantom series ...", flush=True)
    g = centred_geometry(matrix, slices, 0.75, 0.6)
    hu, _ = simulate_scan(Anatomy.create(0), g, (slices, matrix, matrix), seed=1)
    ident = SeriesIdentity(patient_name="BENCH^PHANTOM", patient_id="BENCH",
                           study_uid=generate_uid(), series_uid=generate_uid(),
                           frame_of_reference_uid=generate_uid(), series_number=1,
                           series_description="benchmark phantom")
    write_ct_series(Volume(hu, g), folder, ident)


def _compress_one(args: tuple[str, str]) -> None:
    import pydicom
    from pydicom.uid import JPEG2000Lossless

    src, dst = args
    ds = pydicom.dcmread(src)
    ds.compress(JPEG2000Lossless)
    ds.save_as(dst)


def make_j2k(src: Path, dst: Path) -> None:
    """JPEG 2000 lossless copy of a series (encoded in parallel, cached)."""
    files = sorted(src.glob("*.dcm"))
    if dst.exists() and len(list(dst.glob("*.dcm"))) == len(files):
        return
    print("encoding the JPEG 2000 lossless copy ...", flush=True)
    dst.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor() as pool:
        list(pool.map(_compress_one, [(str(f), str(dst / f.name)) for f in files], chunksize=8))


def warm(folder: Path) -> None:
    """Read every file once so that all methods start with the page cache warm."""
    for f in folder.iterdir():
        f.read_bytes()


def run(method: str, folder: Path) -> dict:
    code = CHILD.format(root=str(HERE.parent))
    proc = subprocess.run([sys.executable, "-c", code, method, str(folder)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(methods: list[str], folder: Path, repeats: int) -> dict[str, dict]:
    warm(folder)
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    for _ in range(repeats):
        for m in methods:  # interleaved, so machine noise hits every method alike
            runs[m].append(run(m, folder))
    out = {}
    for m, rs in runs.items():
        out[m] = {
            "median_s": statistics.median(r["seconds"] for r in rs),
            "all_s": [round(r["seconds"], 3) for r in rs],
            "peak_rss_mb": max(r["peak_mb"] for r in rs),
            "peak_over_baseline_mb": max(r["peak_mb"] - r["baseline_mb"] for r in rs),
            "shape": rs[0]["shape"], "checksum": rs[0]["checksum"],
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", type=int, default=512)
    parser.add_argument("--slices", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-j2k", action="store_true")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "load.json")
    args = parser.parse_args()

    plain = args.data / f"ct_{args.matrix}x{args.slices}_raw"
    # Generate in a child so this process stays small while it spawns the measurements.
    subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(HERE)!r}); "
                    f"from load import make_series; from pathlib import Path; "
                    f"make_series(Path({str(plain)!r}), {args.matrix}, {args.slices})"],
                   check=True)
    volume_mb = args.matrix * args.matrix * args.slices * 2 / 2**20
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform()},
                    "volume_int16_mb": volume_mb, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    raw = measure(["dcreview", "simpleitk", "pydicom"], plain, args.repeats)
    if len({r["checksum"] for r in raw.values()}) != 1:
        raise SystemExit(f"methods disagree on the voxel values: {raw}")
    report["uncompressed"] = raw
    ours = raw["dcreview"]
    report["uncompressed_time_vs_simpleitk"] = ours["median_s"] / raw["simpleitk"]["median_s"]
    report["uncompressed_peak_over_volume"] = ours["peak_over_baseline_mb"] / volume_mb
    if not args.skip_j2k:
        j2k = args.data / f"ct_{args.matrix}x{args.slices}_j2k"
        make_j2k(plain, j2k)
        comp = measure(["dcreview", "pydicom"], j2k, args.repeats)
        if comp["dcreview"]["checksum"] != raw["dcreview"]["checksum"]:
            raise SystemExit("JPEG 2000 lossless decode differs from the uncompressed series")
        report["jpeg2000"] = comp
        report["jpeg2000_speedup_vs_pydicom"] = (comp["pydicom"]["median_s"]
                                                 / comp["dcreview"]["median_s"])
    floors = {
        "uncompressed_time_vs_simpleitk": ("<=", 0.6),
        "uncompressed_peak_over_volume": ("<=", 1.3),
        "jpeg2000_speedup_vs_pydicom": (">=", 1.7),
    }
    report["floors"] = {}
    print(f"\n{args.matrix}x{args.matrix}x{args.slices} CT, int16 volume {volume_mb:.0f} MB, "
          f"{os.cpu_count()} CPUs, median of {args.repeats}")
    print(f"{'series':<13}{'method':<11}{'median s':>10}{'peak RSS MB':>13}{'over base MB':>14}")
    for kind in ("uncompressed", "jpeg2000"):
        for m, r in report.get(kind, {}).items():
            print(f"{kind:<13}{m:<11}{r['median_s']:>10.3f}{r['peak_rss_mb']:>13.0f}"
                  f"{r['peak_over_baseline_mb']:>14.0f}")
    print()
    for name, (op, limit) in floors.items():
        if name not in report:
            continue
        value = report[name]
        ok = value <= limit if op == "<=" else value >= limit
        report["floors"][name] = {"value": value, "floor": f"{op} {limit}", "met": ok}
        print(f"{name:<34}{value:>7.2f}  (floor {op} {limit})  {'OK' if ok else 'NOT MET'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
