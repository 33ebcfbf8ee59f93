"""Synthesis speed and memory: the demo model, a realistic-size network, and peak memory.

Speed: seconds per volume, slices/s, and pipeline overhead = total pipeline time / raw
session.run time on the same prepared batches, run back to back in the same process.
Realistic network: a ~31 M-parameter 2-D U-Net with random weights (benchmarks/unet_onnx.py),
whole-slice windows; on CUDA also in fp16 and with IO binding on and off.
Sampler: a 20-step, 2-sample rectified-flow card around a ~1.9 M-parameter U-Net denoiser
(random weights) on 256x256 slices: seconds per volume and per step, overhead = pipeline time
/ the same denoiser calls made raw (session.run on the same prepared windows).
Memory: peak RSS (VmHWM) of `dcreview synthesize` on the NIfTI input, in total and as growth
over the same command on the first 20 slices, per int16 byte of volume (floor: at most 3x).

    python benchmarks/synthesis.py [--slices 300] [--matrix 512] [--device cpu|cuda]
                                   [--unet-slices 8] [--skip-unet] [--skip-memory]
                                   [--sampler-slices 4] [--skip-sampler]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from reporting import finish  # noqa: E402


def input_path(matrix: int, slices: int) -> Path:
    """Phantom non-contrast volume at 384 mm field of view, 1.25 mm slices (cached on disk)."""
    from inference.io.image_file import write_image
    from inference.io.volume import Volume
    from inference.phantom.anatomy import Anatomy
    from inference.phantom.scan import centred_geometry, simulate_scan

    path = HERE / "data" / f"synthesis_input_{matrix}x{slices}.nii.gz"
    if not path.exists():
        print(f"generating a {matrix}x{matrix}x{slices} phantom ...", flush=True)
        g = centred_geometry(matrix, slices, 384.0 / matrix, 1.25)
        hu, _ = simulate_scan(Anatomy.create(7, vary=True), g, (slices, matrix, matrix), seed=3)
        write_image(Volume(hu, g), path)
    return path


def speed(session, volume) -> dict:
    """Pipeline time vs raw session.run on the same batches."""
    from inference.synthesis.engine import TILES_PER_CALL, _Grid, _Slices, synthesize
    from inference.synthesis.tiling import tiled_predict

    card = session.card
    # The first call at the tile's shape: where TensorRT builds its engine (minutes for a 3-D
    # network), CUDA its kernels; on the CPU it is a warm-up.
    t0 = time.perf_counter()
    session.run(np.zeros((1, card.channels, *card.tile), np.float32))
    first_run = time.perf_counter() - t0
    result = synthesize(volume, session=session)
    grid = _Grid(card, volume)
    slices = _Slices(grid, volume)
    batch = int(card.data["tiling"]["batch"])
    batches = [slices.prepare(list(range(k, min(volume.shape[0], k + batch))))
               for k in range(0, volume.shape[0], batch)]
    t0 = time.perf_counter()
    for x in batches:
        tiled_predict(x, session.run, card.tile, float(card.data["tiling"]["overlap"]),
                      TILES_PER_CALL)
    raw = time.perf_counter() - t0
    return {"model": f"{card.name} {card.version}", "provider": result.provider,
            "io_binding": session.io_binding, "input_dtype": card.input_dtype,
            "input": list(volume.shape), "model_grid": list(grid.padded), "batch": batch,
            "seconds_per_volume": result.seconds, "slices_per_second": result.slices_per_second,
            "first_run_seconds": first_run,
            "raw_session_run_seconds": raw, "overhead_vs_raw": result.seconds / raw,
            "trust_seconds": result.trust.seconds if result.trust else None,
            "trust_verdict": result.trust.verdict if result.trust else None}


def realistic(device: str, volume, slices: int) -> list[dict]:
    """The ~31 M-parameter U-Net: fp32 (and on a GPU fp16, IO binding on and off)."""
    from unet_onnx import build_unet, unet_card

    from inference.synthesis.card import load_card
    from inference.synthesis.runtime import create_session

    sub = replace(volume, array=np.ascontiguousarray(volume.array[:slices]))
    rows = []
    variants = [(False, None)]
    if device != "cpu":
        variants = [(False, True), (False, False), (True, True)]
    for fp16, binding in variants:
        path = HERE / "data" / f"unet31m{'_fp16' if fp16 else ''}.onnx"
        if not path.exists():
            params = build_unet(path, fp16=fp16)
            print(f"built {path.name}: {params / 1e6:.1f} M parameters", flush=True)
        card = load_card(unet_card(path, fp16, tile=512))
        session = create_session(card, device, io_binding=binding)
        rows.append(speed(session, sub))
    return rows


def sampler(device: str, volume, slices: int, steps: int = 20, samples: int = 2) -> dict:
    """A 20-step flow sampler: the pipeline against the same denoiser calls made raw."""
    from unet_onnx import build_unet, sampler_card

    from inference.synthesis.card import load_card
    from inference.synthesis.engine import TILES_PER_CALL, _Grid, _Slices, synthesize
    from inference.synthesis.runtime import create_session
    from inference.synthesis.tiling import tiled_predict

    path = HERE / "data" / "flow_denoiser.onnx"
    if not path.exists():
        params = build_unet(path, channels=2, widths=(32, 64, 128, 256), time_input="t")
        print(f"built {path.name}: {params / 1e6:.1f} M parameters", flush=True)
    card = load_card(sampler_card(path, steps, samples))
    session = create_session(card, device)
    sub = replace(volume, array=np.ascontiguousarray(volume.array[:slices]))
    t0 = time.perf_counter()
    session.step_once(np.zeros((1, 1, *card.tile), np.float32))  # first call (engine build)
    first_run = time.perf_counter() - t0
    import tracemalloc

    tracemalloc.start()  # numpy's host memory of the run (ONNX Runtime's own is not traced)
    result = synthesize(sub, session=session)
    host_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    grid = _Grid(card, sub)
    prepared = _Slices(grid, sub)
    batch = int(card.data["tiling"]["batch"])
    denoiser = session.roles["denoiser"]

    def raw(x: np.ndarray) -> np.ndarray:
        state = np.zeros((x.shape[0], 1, *x.shape[2:]), np.float32)
        t = np.zeros((x.shape[0],), np.float32)
        feeds = {"x": np.concatenate([state, x], axis=1), "t": t}
        for _ in range(steps * samples):
            y = denoiser.run(["pred"], feeds)[0]
        return np.repeat(y, samples, axis=1)

    batches = [prepared.prepare(list(range(k, min(slices, k + batch))))
               for k in range(0, slices, batch)]
    t0 = time.perf_counter()
    for x in batches:
        tiled_predict(x, raw, card.tile, float(card.data["tiling"]["overlap"]), TILES_PER_CALL)
    raw_s = time.perf_counter() - t0
    evaluations = result.volume.provenance["sampler"]["denoiser_evaluations"]
    return {"model": f"flow sampler {steps} steps x {samples}", "provider": result.provider,
            "io_binding": False, "input_dtype": card.input_dtype, "input": list(sub.shape),
            "model_grid": list(grid.padded), "batch": batch, "steps": steps,
            "samples": samples, "denoiser_evaluations": evaluations,
            "seconds_per_volume": result.seconds, "slices_per_second": result.slices_per_second,
            "seconds_per_step": result.seconds / (steps * samples),
            "first_run_seconds": first_run,
            "raw_session_run_seconds": raw_s, "overhead_vs_raw": result.seconds / raw_s,
            "uncertainty_mean_sd_hu": (float(result.uncertainty.array.mean())
                                       if result.uncertainty is not None else 0.0),
            "host_peak_mb": host_peak,
            "host_peak_per_volume_byte": host_peak / (sub.array.nbytes / 2**20)}


def _cli_peak_mb(path: Path, device: str) -> float:
    """Peak resident memory (VmHWM) of one `dcreview synthesize` process on ``path``."""
    code = ("import tempfile\nfrom inference.cli import main\n"
            f"main(['synthesize', {str(path)!r}, '-o', tempfile.mkdtemp(), '--device', "
            f"{device!r}])\n"
            # VmHWM, not ru_maxrss: a child's ru_maxrss keeps the peak of the (large) parent it
            # was forked from, even after exec; VmHWM belongs to the new process image.
            "for line in open('/proc/self/status'):\n"
            "    if line.startswith('VmHWM'):\n        print(int(line.split()[1]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=HERE.parent, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def peak_memory(path: Path, volume, device: str, small_slices: int = 20) -> dict:
    """Peak memory of the synthesize command: in total, and what grows with the volume.

    The same command on the first ``small_slices`` slices holds everything that does not
    depend on the scan's size (interpreter, libraries, the model and its working memory);
    the difference, per int16 byte added, is the cost the floor is about.
    """
    from inference.io.image_file import write_image

    small_path = HERE / "data" / f"synthesis_input_small_{small_slices}.nii.gz"
    small = replace(volume, array=np.ascontiguousarray(volume.array[:small_slices]))
    write_image(small, small_path)
    small_peak, full_peak = _cli_peak_mb(small_path, device), _cli_peak_mb(path, device)
    mb = 2 / 2**20
    full_mb, small_mb = volume.array.size * mb, small.array.size * mb
    return {"volume_int16_mb": full_mb, "small_volume_int16_mb": small_mb,
            "synthesize_peak_mb": full_peak, "small_synthesize_peak_mb": small_peak,
            "total_ratio_to_volume": full_peak / full_mb,
            "ratio_to_volume": (full_peak - small_peak) / (full_mb - small_mb)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", type=int, default=512)
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--unet-slices", type=int, default=8)
    parser.add_argument("--skip-unet", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--sampler-slices", type=int, default=4)
    parser.add_argument("--skip-sampler", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "synthesis.json")
    args = parser.parse_args()

    from inference.io.image_file import read_image
    from inference.synthesis.card import default_card
    from inference.synthesis.runtime import create_session

    path = input_path(args.matrix, args.slices)
    volume = read_image(path)
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform()}, "device": args.device}
    demo = speed(create_session(default_card(), args.device), volume)
    report["demo"] = demo
    rows = [demo]
    if not args.skip_unet:
        report["realistic"] = realistic(args.device, volume, args.unet_slices)
        rows += report["realistic"]
    if not args.skip_sampler:
        report["sampler"] = sampler(args.device, volume, args.sampler_slices)
        rows.append(report["sampler"])
    print(f"\ninput {'x'.join(map(str, volume.shape[::-1]))}, device {args.device}")
    print(f"{'model':<34}{'dtype':>8}{'iobind':>7}{'slices':>7}{'s/vol':>9}{'slices/s':>9}"
          f"{'overhead':>9}{'1st run s':>10}")
    for r in rows:
        first = r.get("first_run_seconds")
        print(f"{r['model'][:33]:<34}{r['input_dtype']:>8}{r['io_binding']!s:>7}"
              f"{r['input'][0]:>7}{r['seconds_per_volume']:>9.2f}{r['slices_per_second']:>9.2f}"
              f"{r['overhead_vs_raw']:>9.3f}" + ("" if first is None else f"{first:>10.2f}"))
    if demo["trust_seconds"] is not None:  # after the run, not inside its seconds
        print(f"trust checks of the demo output: {demo['trust_seconds']:.2f} s "
              f"({demo['trust_seconds'] / demo['seconds_per_volume']:.0%} of the synthesis), "
              f"verdict {demo['trust_verdict']}")
    if "sampler" in report:
        smp = report["sampler"]
        print(f"sampler: {smp['seconds_per_step']:.2f} s per step over "
              f"{smp['input'][0]} slices of {'x'.join(map(str, smp['model_grid']))}, "
              f"{smp['denoiser_evaluations']} denoiser calls, uncertainty mean SD "
              f"{smp['uncertainty_mean_sd_hu']:.1f} HU; numpy peak "
              f"{smp['host_peak_mb']:.0f} MB ({smp['host_peak_per_volume_byte']:.1f}x the "
              "int16 input)")
    floors = {"demo overhead <= 1.15": demo["overhead_vs_raw"] <= 1.15}
    if not args.skip_memory:
        mem = peak_memory(path, volume, args.device)
        report["memory"] = mem
        print(f"\npeak memory of synthesize: {mem['synthesize_peak_mb']:.0f} MB in all "
              f"({mem['total_ratio_to_volume']:.2f}x the {mem['volume_int16_mb']:.0f} MB int16 "
              f"volume, interpreter and model included); growth with the volume "
              f"{mem['ratio_to_volume']:.2f}x (vs the same command on "
              f"{mem['small_volume_int16_mb']:.0f} MB)")
        floors["synthesize peak <= 3x volume"] = mem["ratio_to_volume"] <= 3.0
    report["floors"] = floors
    return finish(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
