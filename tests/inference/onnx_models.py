"""Tiny real ONNX models for engine tests (built with the onnx package, run by ORT)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import onnx
from onnx import TensorProto, helper


def pointwise_model(path: Path, channels: int = 3, gain: float = 2.0, bias: float = 0.1) -> Path:
    """y = gain * centre_channel + bias, as a 1x1 convolution (tiling-exact)."""
    weights = [0.0] * channels
    weights[channels // 2] = gain
    w = helper.make_tensor("w", TensorProto.FLOAT, [1, channels, 1, 1], weights)
    b = helper.make_tensor("b", TensorProto.FLOAT, [1], [bias])
    node = helper.make_node("Conv", ["noncontrast", "w", "b"], ["arterial"])
    graph = helper.make_graph(
        [node], "pointwise",
        [helper.make_tensor_value_info("noncontrast", TensorProto.FLOAT,
                                       ["batch", channels, "height", "width"])],
        [helper.make_tensor_value_info("arterial", TensorProto.FLOAT,
                                       ["batch", 1, "height", "width"])],
        initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def write_card(onnx_path: Path, tile: int = 256, batch: int = 4,
               spacing: tuple[float, float, float] = (1.0, 1.0, 2.5), **extra) -> Path:
    """A valid card for ``onnx_path`` with its true checksum."""
    card = {
        "schema_version": 1, "name": "test-pointwise", "version": "0.0.1",
        "file": onnx_path.name,
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "task": "test", "inputs": [{"name": "noncontrast", "layout": "NCHW",
                                    "dtype": "float32", "channels": 3}],
        "outputs": [{"name": "arterial", "layout": "NCHW", "dtype": "float32", "channels": 1}],
        "spatial_multiple": 8, "expected_spacing_mm": list(spacing),
        "normalisation": {"input": {"clip_hu": [-1000, 2000], "subtract": 0, "divide": 1000},
                          "output": {"multiply": 1000, "add": 0, "clip_hu": [-1024, 3071]}},
        "tiling": {"tile": tile, "overlap": 0.25, "batch": batch},
        "intended_use": "unit tests only, not a medical model",
        "limits": ["test"], "training_data": {"provenance": "none",
                                              "synthetic_phantoms_only": True},
        "evaluation": {},
    }
    card.update(extra)
    path = onnx_path.with_name(onnx_path.name[:-5] + ".card.json")
    path.write_text(json.dumps(card))
    return path
