"""Synthesis speed of the demo model: seconds per volume, slices/s, pipeline overhead.

Overhead = total pipeline time / sum of raw session.run time on the same batches, where the
raw batches are prepared beforehand and run back to back in the same process.

    python benchmarks/synthesis.py [--slices 300] [--matrix 512] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from reporting import finish  # noqa: E402


def make_input(matrix: int, slices: int):
    """Phantom non-contrast volume at 0.75 mm pixels, 1.25 mm slices (cached on disk)."""
    from inference.io.image_file import read_image, write_image
    from inference.io.volume import Volume
    from inference.phantom.anatomy import Anatomy
    from inference.phantom.scan import centred_geometry, simulate_scan

    path = HERE / "data" / f"synthesis_input_{matrix}x{slices}.nii.gz"
    if path.exists():
        return read_image(path)
    print(f"generating a {matrix}x{matrix}x{slices} phantom ...", flush=True)
    g = centred_geometry(matrix, slices, 384.0 / matrix, 1.25)
    hu, _ = simulate_scan(Anatomy.create(7, vary=True), g, (slices, matrix, matrix), seed=3)
    write_image(Volume(hu, g), path)
    return read_image(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", type=int, default=512)
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "synthesis.json")
    args = parser.parse_args()

    from inference.synthesis.card import default_card
    from inference.synthesis.engine import _Pipeline, synthesize
    from inference.synthesis.runtime import create_session
    from inference.synthesis.tiling import tiled_predict

    volume = make_input(args.matrix, args.slices)
    session = create_session(default_card(), args.device)
    card = session.card
    session.run(np.zeros((1, card.channels, 64, 64), np.float32))  # warm-up
    result = synthesize(volume, session=session)

    pipe = _Pipeline(card, volume)
    batch = int(card.data["tiling"]["batch"])
    batches = [pipe.prepare(volume, list(range(k, min(volume.shape[0], k + batch))))
               for k in range(0, volume.shape[0], batch)]
    t0 = time.perf_counter()
    for x in batches:
        tiled_predict(x, session.run, pipe.tile, pipe.overlap)
    raw = time.perf_counter() - t0

    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "model": f"{card.name} {card.version}", "provider": result.provider,
        "input": {"shape": list(volume.shape), "spacing_mm": list(volume.geometry.spacing)},
        "model_grid": list(pipe.padded), "batch": batch,
        "seconds_per_volume": result.seconds, "slices_per_second": result.slices_per_second,
        "run_seconds_inside_pipeline": result.run_seconds,
        "raw_session_run_seconds": raw,
        "overhead_vs_raw": result.seconds / raw,
    }
    report["floors"] = {"overhead <= 1.15": report["overhead_vs_raw"] <= 1.15,
                        "512x512x300 under 60 s on CPU": result.seconds < 60}
    print(f"\n{card.name} {card.version} on {result.provider}, input "
          f"{'x'.join(map(str, volume.shape[::-1]))}, model grid {pipe.padded}, batch {batch}")
    print(f"{'seconds per volume':<34}{result.seconds:>9.2f}")
    print(f"{'slices per second':<34}{result.slices_per_second:>9.1f}")
    print(f"{'raw session.run, same batches (s)':<34}{raw:>9.2f}")
    print(f"{'pipeline overhead (x raw)':<34}{report['overhead_vs_raw']:>9.3f}")
    return finish(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
