"""Train the demo model on phantom pairs and export it to ONNX with its model card.

    python -m inference.training.train_demo --out inference/data/models [--steps 2500]

Deterministic for a given machine: fixed seeds, fixed thread count, fixed data.
The result is a demonstration trained on synthetic phantoms only, not for clinical use.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from inference.phantom.labels import Tissue
from inference.synthesis.domain import HISTOGRAM_EDGES_HU, body_histogram
from inference.training.pairs import MODEL_PIXEL_MM, MODEL_SLICE_MM, make_pair
from inference.training.unet import UNet25D

NAME = "dcreview-demo-phantom"
VERSION = "2.0.0"
CHANNELS = 3
HU_MIN, HU_MAX, SCALE = -1000.0, 2000.0, 1000.0
TRAIN_SEEDS = range(1, 33)
HELD_OUT_SEEDS = range(101, 105)


def normalise(hu: np.ndarray) -> np.ndarray:
    """HU to network units (the card records the same numbers)."""
    return (np.clip(hu.astype(np.float32), HU_MIN, HU_MAX) / SCALE).astype(np.float32)


KIDNEY = (Tissue.KIDNEY_CORTEX, Tissue.KIDNEY_MEDULLA)


def samples(pairs, crop: int, batch: int, rng: np.random.Generator):
    """Random 2.5-D crops: (x, enhancement, weight) tensors."""
    xs, ys, ws = [], [], []
    for _ in range(batch):
        p = pairs[rng.integers(len(pairs))]
        k = int(rng.integers(1, p.plain.shape[0] - 1))
        n = p.plain.shape[1]
        # Crops centred near the aorta and the kidneys, so that the rare lumen and the thin
        # cortex (whose difference from the medulla a reader looks for) are seen often.
        u = rng.uniform()
        target = p.lumen[k] if u < 0.4 else np.isin(p.labels[k], KIDNEY) if u < 0.65 else None
        if target is not None and target.any():
            jj, ii = np.nonzero(target)
            c = int(rng.integers(len(jj)))
            j0 = int(np.clip(jj[c] - crop // 2 + rng.integers(-24, 25), 0, n - crop))
            i0 = int(np.clip(ii[c] - crop // 2 + rng.integers(-24, 25), 0, n - crop))
        else:
            j0, i0 = (int(v) for v in rng.integers(0, n - crop + 1, size=2))
        sl = (slice(j0, j0 + crop), slice(i0, i0 + crop))
        xs.append(normalise(p.plain[k - 1:k + 2][(slice(None), *sl)]))
        ys.append((p.enhancement[k][sl].astype(np.float32) / SCALE)[None])
        kidney = np.isin(p.labels[k][sl], KIDNEY)
        ws.append((1.0 + 4.0 * p.lumen[k][sl] + 2.0 * kidney).astype(np.float32)[None])
    return (torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys)),
            torch.from_numpy(np.stack(ws)))


def train(steps: int, seed: int = 0, crop: int = 96, batch: int = 8,
          log_every: int = 100) -> tuple[UNet25D, dict]:
    """Train on TRAIN_SEEDS phantoms; returns the model (eval mode) and training facts."""
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    rng = np.random.default_rng(seed)
    t0 = time.time()
    pairs = [make_pair(s) for s in TRAIN_SEEDS]
    print(f"generated {len(pairs)} phantom pairs in {time.time() - t0:.0f} s", flush=True)
    histogram = np.mean([body_histogram(p.plain) for p in pairs], axis=0).tolist()
    model = UNet25D(CHANNELS)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    model.train()
    t0 = time.time()
    running = 0.0
    for step in range(1, steps + 1):
        x, y, w = samples(pairs, crop, batch, rng)
        loss = (w * (model(x) - y).abs()).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running += float(loss.detach())
        if step % log_every == 0:
            print(f"step {step}/{steps} loss {running / log_every:.4f} "
                  f"({time.time() - t0:.0f} s)", flush=True)
            running = 0.0
    model.eval()
    facts = {"steps": steps, "batch": batch, "crop": crop, "seed": seed,
             "train_phantoms": len(pairs), "train_seconds": round(time.time() - t0),
             "parameters": sum(p.numel() for p in model.parameters()),
             "reference_histogram": histogram}
    return model, facts


def export(model: UNet25D, path: Path) -> str:
    """Write ONNX (opset 17, dynamic batch/height/width); returns its sha256."""
    dummy = torch.zeros(1, CHANNELS, 64, 64)
    torch.onnx.export(model, dummy, str(path), input_names=["noncontrast"],
                      output_names=["enhancement"], opset_version=17, dynamo=False,
                      dynamic_axes={"noncontrast": {0: "batch", 2: "height", 3: "width"},
                                    "enhancement": {0: "batch", 2: "height", 3: "width"}})
    return hashlib.sha256(path.read_bytes()).hexdigest()


def card(sha256: str, onnx_name: str, facts: dict) -> dict:
    """The model card for the exported demo model (evaluation is added by evaluate_demo)."""
    facts = dict(facts)
    histogram = facts.pop("reference_histogram")
    return {
        "schema_version": 2,
        "name": NAME,
        "version": VERSION,
        "files": [{"file": onnx_name, "sha256": sha256}],
        "task": "non-contrast CT to arterial-phase contrast-enhanced CT (digital contrast)",
        "inputs": [{"name": "noncontrast", "layout": "NCHW", "dtype": "float32",
                    "channels": CHANNELS,
                    "channel_meaning": "neighbouring axial slices k-1, k, k+1"}],
        "outputs": [{"name": "enhancement", "layout": "NCHW", "dtype": "float32", "channels": 1,
                     "kind": "enhancement", "valid_range_hu": [-300.0, 1500.0]}],
        "spatial_multiple": 8,
        "expected_spacing_mm": [MODEL_PIXEL_MM, MODEL_PIXEL_MM, MODEL_SLICE_MM],
        "normalisation": {"input": {"clip_hu": [HU_MIN, HU_MAX], "subtract": 0.0,
                                    "divide": SCALE},
                          "output": {"multiply": SCALE, "add": 0.0,
                                     "clip_hu": [-1024.0, 3071.0]}},
        "tiling": {"tile": 256, "overlap": 0.25, "batch": 8},
        "domain": {"body_region": ["ABDOMEN"], "phase": "non-contrast",
                   "pixel_spacing_mm": [0.5, 1.6], "slice_spacing_mm": [0.5, 5.0],
                   "field_of_view_mm": [280.0, 500.0], "kvp": [80.0, 140.0], "min_slices": 16,
                   "reference_histogram": {"edges_hu": list(HISTOGRAM_EDGES_HU),
                                           "fraction": histogram, "max_distance": 0.3}},
        "intended_use": ("Demonstration of the dcreview workflow only. Trained on synthetic "
                         "phantoms; NOT for clinical use and not validated on patients."),
        "limits": ["trained on procedurally generated abdominal phantoms only",
                   "arterial phase only", "axial acquisitions; 2.5-D (three slices) context",
                   "predicts the iodine enhancement, added to the acquired scan (its noise "
                   "texture is kept)",
                   "outputs are synthetic images and must be labelled as such"],
        "training_data": {"provenance": "dcreview phantom generator (inference.phantom), "
                                        f"seeds {TRAIN_SEEDS.start}-{TRAIN_SEEDS.stop - 1}, "
                                        "varied anatomy, non-contrast noise SD 9-18 HU, "
                                        "noise-free enhancement targets (arterial minus "
                                        "non-contrast); no patient data",
                          "synthetic_phantoms_only": True, **facts},
        "evaluation": {},
    }


def main(argv: list[str] | None = None) -> int:
    """Train, export, write the card."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("inference/data/models"))
    parser.add_argument("--steps", type=int, default=4000)
    args = parser.parse_args(argv)
    model, facts = train(args.steps)
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / f"{NAME}.onnx"
    sha = export(model, onnx_path)
    card_path = args.out / f"{NAME}.card.json"
    card_path.write_text(json.dumps(card(sha, onnx_path.name, facts), indent=2) + "\n")
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB) and {card_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
