"""Cohort throughput: serial engine calls vs `dcreview batch` on a LocalCluster of the same
total core count, plus the cohort's energy estimate against codecarbon's offline tracker.

Serial: one process runs load -> synthesise -> write for every case, with 1 and with all
cores as ONNX Runtime threads (the best is the reference). Batch: run_cohort with N workers of
one thread each (N = cores), cluster start-up included. Floor: batch throughput >= 0.9x the
best serial configuration.

    python benchmarks/batch.py [--cases 12] [--matrix 128] [--slices 40] [--skip-codecarbon]
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

from reporting import finish  # noqa: E402


def cohort(n: int, matrix: int, slices: int) -> Path:
    """``n`` phantom cases (different anatomy) as DICOM, cached on disk."""
    from inference.phantom.demo_case import write_demo_case

    root = HERE / "data" / f"batch_cohort_{n}x{matrix}x{slices}"
    if not (root / f"p{n:02d}" / "truth.json").exists():
        print(f"generating {n} phantom cases ...", flush=True)
        for seed in range(1, n + 1):
            write_demo_case(root / f"p{seed:02d}", matrix=matrix, slices=slices,
                            pixel_mm=384.0 / matrix, slice_mm=2.5, seed=seed)
    return root


def serial(cases, threads: int) -> float:
    """Seconds for the whole cohort, one case after another in this process."""
    from inference.io.image_file import write_image
    from inference.io.loader import open_volume
    from inference.synthesis.card import default_card
    from inference.synthesis.engine import synthesize
    from inference.synthesis.runtime import create_session

    out = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    session = create_session(default_card(), "cpu", threads)
    for c in cases:
        result = synthesize(open_volume(c.noncontrast).volume, session=session)
        write_image(result.volume, out / f"{c.case_id}.nii.gz")
    seconds = time.perf_counter() - t0
    shutil.rmtree(out)
    return seconds


def batch(cases, workers: int) -> tuple[float, float]:
    """Seconds for the cohort through run_cohort on a LocalCluster (start-up included), and
    its joules."""
    import inference

    out = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    with inference.local_cluster(workers, threads=1) as client:
        outcome = inference.run_cohort(cases, out, inference.CaseSettings(device="cpu",
                                                                          threads=1), client)
    seconds = time.perf_counter() - t0
    joules = sum(r["energy"]["joules"] for r in outcome.results if r["status"] == "ok")
    shutil.rmtree(out)
    return seconds, joules


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=12)
    parser.add_argument("--matrix", type=int, default=128)
    parser.add_argument("--slices", type=int, default=40)
    parser.add_argument("--skip-codecarbon", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "batch.json")
    args = parser.parse_args()

    from inference.batch.manifest import read_manifest

    cases = read_manifest(cohort(args.cases, args.matrix, args.slices))
    cores = os.cpu_count() or 2
    serial_runs = {t: serial(cases, t) for t in sorted({1, cores})}
    best_threads = min(serial_runs, key=serial_runs.get)
    tracker = None
    if not args.skip_codecarbon:
        from codecarbon import OfflineEmissionsTracker

        tracker = OfflineEmissionsTracker(country_iso_code="GBR", log_level="error",
                                          save_to_file=False, measure_power_secs=1)
        tracker.start()
    batch_s, joules = batch(cases, cores)
    report: dict = {"machine": {"cpus": cores, "python": platform.python_version(),
                                "platform": platform.platform()},
                    "cases": len(cases), "matrix": args.matrix, "slices": args.slices,
                    "serial_seconds": {str(t): s for t, s in serial_runs.items()},
                    "batch_seconds": batch_s, "batch_workers": cores,
                    "per_case_seconds_serial_best": serial_runs[best_threads] / len(cases)}
    n = len(cases)
    best = n / serial_runs[best_threads] * 60
    report["cases_per_min"] = {"serial_best": best, "batch": n / batch_s * 60}
    report["batch_over_best_serial"] = report["cases_per_min"]["batch"] / best
    report["estimated_joules"] = joules
    if tracker is not None:
        tracker.stop()
        data = tracker.final_emissions_data
        cc_joules = float(data.energy_consumed) * 3.6e6
        report["codecarbon"] = {"joules": cc_joules, "cpu_model": data.cpu_model,
                                "tracking_mode": getattr(data, "tracking_mode", ""),
                                "ratio_dcreview_over_codecarbon": joules / cc_joules
                                if cc_joules else None}
    print(f"\n{n} cases {args.matrix}x{args.matrix}x{args.slices}, {cores} cores")
    for t, s in serial_runs.items():
        print(f"{'serial, ' + str(t) + ' thread(s)':<34}{n / s * 60:>9.2f} cases/min")
    print(f"{'batch, ' + str(cores) + ' workers x 1 thread':<34}{n / batch_s * 60:>9.2f} "
          f"cases/min ({report['batch_over_best_serial']:.2f}x the best serial)")
    if "codecarbon" in report:
        cc = report["codecarbon"]
        print(f"energy: dcreview estimate {joules:.0f} J, codecarbon {cc['joules']:.0f} J "
              f"(ratio {cc['ratio_dcreview_over_codecarbon']:.2f})")
    report["floors"] = {"batch >= 0.9x best serial": report["batch_over_best_serial"] >= 0.9}
    return finish(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
