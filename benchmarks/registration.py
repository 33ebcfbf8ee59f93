"""Registration time and accuracy on a 512x512x300 phantom pair with a known rigid motion.

The reference in the same process is one linear resampling of the moving volume onto the
fixed grid (the unavoidable last step); the table gives both seconds and the ratio.

    python benchmarks/registration.py [--matrix 512] [--slices 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from reporting import finish  # noqa: E402

MOTION = dict(rotation_deg=(1.2, -0.8, 1.8), translation_mm=(3.5, -2.5, 4.0))


def make_pair(matrix: int, slices: int):
    """Non-contrast and arterial phantom scans (cached NIfTI), the second moved by MOTION."""
    from inference.io.image_file import read_image, write_image
    from inference.io.volume import Volume
    from inference.phantom.anatomy import Anatomy
    from inference.phantom.scan import Motion, centred_geometry, simulate_scan

    paths = [HERE / "data" / f"reg_{name}_{matrix}x{slices}.nii.gz" for name in ("nc", "art")]
    if not all(p.exists() for p in paths):
        print(f"generating a {matrix}x{matrix}x{slices} phantom pair ...", flush=True)
        g = centred_geometry(matrix, slices, 384.0 / matrix, 1.0)
        shape = (slices, matrix, matrix)
        anatomy = Anatomy.create(11, vary=True)
        plain, _ = simulate_scan(anatomy, g, shape, noise_sd=14.0, seed=5)
        write_image(Volume(plain, g), paths[0])
        del plain
        art, _ = simulate_scan(anatomy, g, shape, phase="arterial", motion=Motion(**MOTION),
                               noise_sd=12.0, seed=6)
        write_image(Volume(art, g), paths[1])
    return read_image(paths[0]), read_image(paths[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", type=int, default=512)
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "registration.json")
    args = parser.parse_args()

    import SimpleITK as sitk

    from inference.compare.registration import register, resample_onto
    from inference.phantom.scan import Motion

    fixed, moving = make_pair(args.matrix, args.slices)
    t0 = time.perf_counter()
    resample_onto(moving, fixed, sitk.Euler3DTransform())
    reference = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = register(fixed, moving)
    seconds = time.perf_counter() - t0

    motion = Motion(**MOTION)
    pts = np.array([[x, y, z] for x in (-120, 120) for y in (-90, 90) for z in (-130, 130)],
                   float)
    expected = pts @ motion.matrix.T + np.array(motion.translation_mm)
    got = np.array([result.transform.TransformPoint(tuple(p)) for p in pts])
    error = float(np.linalg.norm(got - expected, axis=1).max())
    rot_err = float(np.abs(np.asarray(result.parameters["rotation_deg"])
                           - np.asarray(MOTION["rotation_deg"])).max())
    report = {
        "cpus": os.cpu_count(), "shape": list(fixed.shape),
        "spacing_mm": list(fixed.geometry.spacing), "true_motion": MOTION,
        "seconds": seconds, "reference_resample_seconds": reference,
        "ratio_to_resample": seconds / reference, "iterations": result.iterations,
        "max_point_error_mm": error, "max_rotation_error_deg": rot_err,
        "surface_distance_mm": result.surface_distance_mm,
        "floors": {"registration <= 3x one resampling": seconds / reference <= 3.0,
                   "error < 0.2 mm": error < 0.2},
    }
    print(f"\n{args.matrix}x{args.matrix}x{args.slices} pair, {os.cpu_count()} CPUs")
    print(f"{'registration seconds':<34}{seconds:>8.1f}")
    print(f"{'one resampling (reference) s':<34}{reference:>8.2f}")
    print(f"{'ratio to reference':<34}{seconds / reference:>8.1f}")
    print(f"{'max point error mm (body box)':<34}{error:>8.3f}")
    print(f"{'max rotation error deg':<34}{rot_err:>8.3f}")
    print(f"{'body surface distance mm':<34}{result.surface_distance_mm:>8.2f}")
    return finish(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
