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


def conv_model(path: Path, *, channels: int = 3, gain: float = 2.0, bias: float = 0.1,
               dims: int = 2, input_name: str = "noncontrast", output_name: str = "arterial",
               out_channels: int = 1, fixed: tuple[int, ...] | None = None,
               fp16: bool = False) -> Path:
    """y = gain * centre channel + bias as a 1x1 (x1) convolution, in many shapes of graph.

    ``fixed`` fixes the spatial axes; ``fp16`` takes and returns half floats (cast inside, so
    the CPU provider runs it); ``out_channels`` > 1 makes a graph dcreview must refuse.
    """
    kernel = [1] * dims
    weights = []
    for o in range(out_channels):
        row = [0.0] * channels
        row[channels // 2] = gain * (o + 1)
        weights.extend(row)
    w = helper.make_tensor("w", TensorProto.FLOAT, [out_channels, channels, *kernel], weights)
    b = helper.make_tensor("b", TensorProto.FLOAT, [out_channels], [bias] * out_channels)
    spatial = list(fixed) if fixed else (["depth", "height", "width"][-dims:])
    io_type = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
    nodes = []
    conv_in, conv_out = input_name, output_name
    if fp16:
        nodes.append(helper.make_node("Cast", [input_name], ["x32"], to=TensorProto.FLOAT))
        conv_in, conv_out = "x32", "y32"
    nodes.append(helper.make_node("Conv", [conv_in, "w", "b"], [conv_out]))
    if fp16:
        nodes.append(helper.make_node("Cast", ["y32"], [output_name], to=TensorProto.FLOAT16))
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info(input_name, io_type, ["batch", channels, *spatial])],
        [helper.make_tensor_value_info(output_name, io_type, ["batch", out_channels, *spatial])],
        initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def write_card_v2(onnx_paths: Path | list[Path], *, kind: str = "image", dims: int = 2,
                  channels: int = 3, tile: int | list[int] = 64, batch: int = 4,
                  dtype: str = "float32", spacing: tuple[float, float, float] = (1.0, 1.0, 2.5),
                  valid_range: tuple[float, float] = (-2000.0, 5000.0),
                  input_name: str = "noncontrast", output_name: str = "arterial",
                  flips: list[str] | None = None, domain: dict | None = None,
                  name: str = "test-conv", **extra) -> Path:
    """A valid version 2 card for one ONNX file or an ensemble, with true checksums."""
    paths = onnx_paths if isinstance(onnx_paths, list) else [onnx_paths]
    layout = "NCDHW" if dims == 3 else "NCHW"
    card = {
        "schema_version": 2, "name": name, "version": "0.0.1",
        "files": [{"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
                  for p in paths],
        "task": "test",
        "inputs": [{"name": input_name, "layout": layout, "dtype": dtype, "channels": channels}],
        "outputs": [{"name": output_name, "layout": layout, "dtype": dtype, "channels": 1,
                     "kind": kind, "valid_range_hu": list(valid_range)}],
        "spatial_multiple": 8, "expected_spacing_mm": list(spacing),
        "normalisation": {"input": {"clip_hu": [-1000, 2000], "subtract": 0, "divide": 1000},
                          "output": {"multiply": 1000, "add": 0, "clip_hu": [-1024, 3071]}},
        "tiling": {"tile": tile, "overlap": 0.25, "batch": batch},
        "domain": domain or {"body_region": ["ABDOMEN"], "phase": "non-contrast",
                             "pixel_spacing_mm": [0.3, 3.0], "slice_spacing_mm": [0.5, 5.0],
                             "field_of_view_mm": [10, 600], "min_slices": 2},
        "intended_use": "unit tests only, not a medical model",
        "limits": ["test"], "training_data": {"provenance": "none",
                                              "synthetic_phantoms_only": True},
        "evaluation": {},
    }
    if flips:
        card["test_time_augmentation"] = {"flips": flips}
    card.update(extra)
    path = paths[0].with_name(paths[0].name[:-5] + ".card.json")
    path.write_text(json.dumps(card))
    return path


def enhance_above_model(path: Path, *, above_hu: float = -200.0, add_hu: float = 260.0,
                        channels: int = 3) -> Path:
    """An 'enhancement' model that adds ``add_hu`` to every voxel whose centre-slice input is
    above ``above_hu`` (with the demo card's normalisation, HU / 1000): fat, muscle and bone
    'enhance' like the aorta. add_hu=0 is the model that predicts no enhancement at all."""
    c = channels // 2
    starts = helper.make_tensor("starts", TensorProto.INT64, [1], [c])
    ends = helper.make_tensor("ends", TensorProto.INT64, [1], [c + 1])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    level = helper.make_tensor("level", TensorProto.FLOAT, [], [above_hu / 1000.0])
    gain = helper.make_tensor("gain", TensorProto.FLOAT, [], [add_hu / 1000.0])
    nodes = [helper.make_node("Slice", ["noncontrast", "starts", "ends", "axes"], ["centre"]),
             helper.make_node("Greater", ["centre", "level"], ["above"]),
             helper.make_node("Cast", ["above"], ["above_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["above_f", "gain"], ["enhancement"])]
    graph = helper.make_graph(
        nodes, "enhance-above",
        [helper.make_tensor_value_info("noncontrast", TensorProto.FLOAT,
                                       ["batch", channels, "height", "width"])],
        [helper.make_tensor_value_info("enhancement", TensorProto.FLOAT,
                                       ["batch", 1, "height", "width"])],
        initializer=[starts, ends, axes, level, gain])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def demo_like_card(onnx_path: Path, name: str, **extra) -> Path:
    """A card like the shipped demo model's (enhancement output, its domain and scaling) for
    another ONNX file: card-valid, so only the trust checks can tell it apart."""
    from inference.synthesis.card import default_card

    card = json.loads(default_card().path.read_text())
    card.update(name=name, version="0.0.1",
                files=[{"file": onnx_path.name,
                        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest()}],
                evaluation={}, **extra)
    card["outputs"][0]["name"] = "enhancement"
    path = onnx_path.with_name(onnx_path.name[:-5] + ".card.json")
    path.write_text(json.dumps(card))
    return path
