"""A realistic-size 2-D U-Net (Ronneberger widths 64-1024, ~31 M parameters) with random
weights, built as ONNX with onnx.helper (no torch), plus its model card: what a consortium's
model costs to run, for benchmarks only."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WIDTHS = (64, 128, 256, 512, 1024)


class _Graph:
    def __init__(self, rng: np.random.Generator, fp16: bool) -> None:
        self.nodes: list = []
        self.inits: list = []
        self.rng = rng
        self.dtype = np.float16 if fp16 else np.float32
        self.params = 0
        self.n = 0

    def _name(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _weight(self, shape: tuple[int, ...], fan_in: int) -> str:
        name = self._name("w")
        w = self.rng.normal(0, np.sqrt(2.0 / fan_in), size=shape).astype(self.dtype)
        self.inits.append(numpy_helper.from_array(w, name))
        self.params += w.size
        return name

    def conv(self, x: str, cin: int, cout: int, k: int = 3, relu: bool = True) -> str:
        w = self._weight((cout, cin, k, k), cin * k * k)
        b = self._weight((cout,), 1e9)  # ~zero bias
        y = self._name("c")
        self.nodes.append(helper.make_node("Conv", [x, w, b], [y], pads=[k // 2] * 4))
        if not relu:
            return y
        r = self._name("r")
        self.nodes.append(helper.make_node("Relu", [y], [r]))
        return r

    def pool(self, x: str) -> str:
        y = self._name("p")
        self.nodes.append(helper.make_node("MaxPool", [x], [y], kernel_shape=[2, 2],
                                           strides=[2, 2]))
        return y

    def up(self, x: str, cin: int, cout: int) -> str:
        w = self._weight((cin, cout, 2, 2), cin * 4)
        y = self._name("u")
        self.nodes.append(helper.make_node("ConvTranspose", [x, w], [y], strides=[2, 2]))
        return y

    def concat(self, a: str, b: str) -> str:
        y = self._name("cat")
        self.nodes.append(helper.make_node("Concat", [a, b], [y], axis=1))
        return y


def build_unet(path: Path, channels: int = 3, fp16: bool = False, seed: int = 0,
               widths: tuple[int, ...] = WIDTHS, time_input: str | None = None) -> int:
    """Write the U-Net to ``path``; returns its parameter count. With ``time_input`` it is a
    sampler's denoiser: input "x" (state and conditioning) and a time input, added as a
    learned-looking bias so the runtime keeps it."""
    g = _Graph(np.random.default_rng(seed), fp16)
    first = "x" if time_input else "noncontrast"
    x, skips, cin = first, [], channels
    for w in widths[:-1]:
        x = g.conv(g.conv(x, cin, w), w, w)
        skips.append(x)
        x, cin = g.pool(x), w
    x = g.conv(g.conv(x, cin, widths[-1]), widths[-1], widths[-1])
    cin = widths[-1]
    for w, skip in zip(reversed(widths[:-1]), reversed(skips), strict=True):
        x = g.concat(g.up(x, cin, w), skip)
        x = g.conv(g.conv(x, 2 * w, w), w, w)
        cin = w
    y = g.conv(x, cin, 1, k=1, relu=False)
    elem = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info(first, elem, ["batch", channels, "h", "w"])]
    if time_input:
        g.inits.append(numpy_helper.from_array(np.array([-1, 1, 1, 1], np.int64), "t_shape"))
        g.inits.append(numpy_helper.from_array(np.array([1e-3], np.float32), "t_gain"))
        g.nodes += [helper.make_node("Reshape", [time_input, "t_shape"], ["t_col"]),
                    helper.make_node("Mul", ["t_col", "t_gain"], ["t_bias"]),
                    helper.make_node("Add", [y, "t_bias"], ["pred"])]
        inputs.append(helper.make_tensor_value_info(time_input, TensorProto.FLOAT, ["batch"]))
        out = "pred"
    else:
        g.nodes.append(helper.make_node("Identity", [y], ["arterial"]))
        out = "arterial"
    graph = helper.make_graph(
        g.nodes, path.stem, inputs,
        [helper.make_tensor_value_info(out, elem, ["batch", 1, "h", "w"])],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return g.params


def sampler_card(onnx_path: Path, steps: int = 20, samples: int = 2, tile: int = 256) -> Path:
    """A flow (Euler) sampler card for a ``build_unet(..., time_input="t")`` denoiser."""
    path = unet_card(onnx_path, False, tile)
    card = json.loads(path.read_text())
    card.update(kind="flow", sampler={"schedule": "euler", "steps": steps, "samples": samples,
                                      "prediction": "velocity", "time_input": "t", "seed": 0})
    card["files"][0]["role"] = "denoiser"
    card["inputs"][0].update(name="x", channels=1)
    card["outputs"][0]["name"] = "pred"
    card["expected_spacing_mm"] = [1.5, 1.5, 1.25]
    path.write_text(json.dumps(card))
    return path


def unet_card(onnx_path: Path, fp16: bool, tile: int = 256) -> Path:
    """A version 2 card for the benchmark U-Net (random weights: not a model, a load)."""
    dtype = "float16" if fp16 else "float32"
    card = {
        "schema_version": 2, "name": onnx_path.stem, "version": "0.0.1",
        "files": [{"file": onnx_path.name,
                   "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest()}],
        "task": "benchmark load only",
        "inputs": [{"name": "noncontrast", "layout": "NCHW", "dtype": dtype, "channels": 3}],
        "outputs": [{"name": "arterial", "layout": "NCHW", "dtype": dtype, "channels": 1,
                     "kind": "image", "valid_range_hu": [-1e9, 1e9]}],
        "spatial_multiple": 16, "expected_spacing_mm": [0.75, 0.75, 1.25],
        "normalisation": {"input": {"clip_hu": [-1000, 2000], "subtract": 0, "divide": 1000},
                          "output": {"multiply": 1, "add": 0, "clip_hu": [-1024, 3071]}},
        "tiling": {"tile": tile, "overlap": 0.25, "batch": 4}, "allow_fp16": True,
        "domain": {"body_region": ["ABDOMEN"], "phase": "non-contrast",
                   "pixel_spacing_mm": [0.3, 3], "slice_spacing_mm": [0.3, 10],
                   "field_of_view_mm": [100, 600], "min_slices": 2},
        "intended_use": "benchmark only: random weights, produces no meaningful image",
        "limits": ["random weights"],
        "training_data": {"provenance": "none (random weights)",
                          "synthetic_phantoms_only": True},
        "evaluation": {},
    }
    path = onnx_path.with_name(onnx_path.stem + ".card.json")
    path.write_text(json.dumps(card))
    return path
