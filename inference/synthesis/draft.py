"""A model card drafted from an ONNX graph: what the graph says (names, layout, dtype, shapes,
checksums), marked placeholders for what only the model's author knows. `model init` and the
MONAI bundle import both start from it."""

from __future__ import annotations

from pathlib import Path

from inference.errors import ModelError
from inference.synthesis.card import file_sha256

ONNX_TYPES = {1: "float32", 10: "float16"}
DRAFT = "DRAFT - "


def _dims(value_info) -> list:
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in value_info.type.tensor_type.shape.dim]


def draft_card(onnx_paths: list[Path], name: str | None = None, kind: str = "image") -> dict:
    """A schema-valid draft: what the graph says, and marked placeholders for the rest."""
    import onnx

    graph = onnx.load(str(onnx_paths[0]), load_external_data=False).graph
    initialisers = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initialisers]
    if len(inputs) != 1:
        raise ModelError(f"{onnx_paths[0].name} has {len(inputs)} inputs; dcreview feeds one")
    inp, out = inputs[0], graph.output[0]
    shape = _dims(inp)
    if len(shape) not in (4, 5):
        raise ModelError(f"{onnx_paths[0].name}: input rank {len(shape)} ({shape}); dcreview "
                         "runs NCHW (2-D, 2.5-D) and NCDHW (3-D) models")
    layout = "NCHW" if len(shape) == 4 else "NCDHW"
    dtype = ONNX_TYPES.get(inp.type.tensor_type.elem_type)
    if dtype is None:
        raise ModelError(f"{onnx_paths[0].name}: input element type "
                         f"{inp.type.tensor_type.elem_type} is neither float32 nor float16")
    channels = shape[1] if isinstance(shape[1], int) and shape[1] > 0 else 1
    spatial = shape[2:]
    fixed = [s for s in spatial if isinstance(s, int) and s > 0]
    if len(fixed) == len(spatial):
        tile: int | list[int] = list(spatial) if layout == "NCDHW" else int(spatial[0])
    else:
        tile = [64, 128, 128] if layout == "NCDHW" else 256
    return {
        "schema_version": 2,
        "name": name or onnx_paths[0].stem,
        "version": "0.1.0",
        "files": [{"file": p.name, "sha256": file_sha256(p)} for p in onnx_paths],
        "task": DRAFT + "non-contrast CT to contrast-enhanced CT; say which phase",
        "inputs": [{"name": inp.name, "layout": layout, "dtype": dtype, "channels": channels,
                    "channel_meaning": DRAFT + "e.g. neighbouring axial slices k-1, k, k+1"}],
        "outputs": [{"name": out.name, "layout": layout, "dtype": dtype, "channels": 1,
                     "kind": kind, "valid_range_hu": [-300.0, 1500.0] if kind == "enhancement"
                     else [-1100.0, 3100.0]}],
        "spatial_multiple": 16,
        "expected_spacing_mm": [1.0, 1.0, 2.5],
        "normalisation": {"input": {"clip_hu": [-1000.0, 2000.0], "subtract": 0.0,
                                    "divide": 1000.0},
                          "output": {"multiply": 1000.0, "add": 0.0,
                                     "clip_hu": [-1024.0, 3071.0]}},
        "tiling": {"tile": tile, "overlap": 0.25, "batch": 4 if layout == "NCHW" else 1},
        "domain": {"body_region": ["ABDOMEN"], "phase": "non-contrast",
                   "pixel_spacing_mm": [0.5, 1.5], "slice_spacing_mm": [0.5, 5.0],
                   "field_of_view_mm": [250.0, 500.0], "kvp": [80.0, 140.0], "min_slices": 16},
        "intended_use": DRAFT + "state the intended use and who may use the output",
        "limits": [DRAFT + "state the limits (population, scanners, phases)"],
        "training_data": {"provenance": DRAFT + "describe the training data",
                          "synthetic_phantoms_only": False},
        "evaluation": {},
    }
