"""Probe a freshly loaded model against its card: names, ranks, channels, axes and dtype,
then one tiny run, so every mismatch is one readable line before any volume is loaded."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from inference.errors import ModelError
from inference.synthesis.card import ModelCard
from inference.synthesis.ort_errors import ort_message

ORT_DTYPES = {"float32": "tensor(float)", "float16": "tensor(float16)"}


def _fixed(dim: object) -> int | None:
    """A dimension's fixed size, or None where the graph leaves it free."""
    return dim if isinstance(dim, int) and dim > 0 else None


def _mismatch(card: ModelCard, file: str, what: str) -> ModelError:
    return ModelError(f"model card {card.path.name} does not match {file}: {what}")


def probe_member(card: ModelCard, file: str, sess: ort.InferenceSession) -> int | None:
    """Check one ONNX session against the card; returns the graph's fixed batch size, if any."""
    inputs, outputs = sess.get_inputs(), sess.get_outputs()
    rank = 2 + card.dims
    layout = card.data["inputs"][0]["layout"]
    names = [i.name for i in inputs]
    if card.input_name not in names:
        raise _mismatch(card, file, f"the card's input '{card.input_name}' is not in the model "
                                    f"(its inputs: {', '.join(names)})")
    if len(inputs) > 1:
        raise _mismatch(card, file, f"the model has {len(inputs)} inputs ({', '.join(names)}); "
                                    "dcreview feeds one")
    out_names = [o.name for o in outputs]
    if card.output_name not in out_names:
        raise _mismatch(card, file, f"the card's output '{card.output_name}' is not in the "
                                    f"model (its outputs: {', '.join(out_names)})")
    inp = inputs[0]
    out = outputs[out_names.index(card.output_name)]
    if len(inp.shape) != rank:
        raise _mismatch(card, file, f"input rank {len(inp.shape)} {inp.shape}, but layout "
                                    f"{layout} needs rank {rank}")
    if len(out.shape) != rank:
        raise _mismatch(card, file, f"output rank {len(out.shape)} {out.shape}, but layout "
                                    f"{layout} needs rank {rank}")
    want = ORT_DTYPES[card.input_dtype]
    if inp.type != want:
        raise _mismatch(card, file, f"input type {inp.type}, but the card says "
                                    f"{card.input_dtype}")
    channels = _fixed(inp.shape[1])
    if channels is not None and channels != card.channels:
        raise _mismatch(card, file, f"the model takes {channels} input channels, the card "
                                    f"says {card.channels}")
    out_channels = _fixed(out.shape[1])
    if out_channels is not None and out_channels != 1:
        raise _mismatch(card, file, f"the model outputs {out_channels} channels; dcreview "
                                    "needs one (the contrast image or the enhancement)")
    spatial = [_fixed(d) for d in inp.shape[2:]]
    tile = card.tile
    for axis, (fixed, t) in enumerate(zip(spatial, tile, strict=True)):
        if fixed is not None and fixed != t:
            raise _mismatch(card, file, f"the model's input size is fixed at "
                                        f"{'x'.join(str(d) for d in inp.shape[2:])}, but the "
                                        f"card's tile is {'x'.join(map(str, tile))} (axis "
                                        f"{axis}); set tiling/tile to the fixed size")
    multiple = int(card.data["spatial_multiple"])
    for t in tile:
        if t % multiple:
            raise ModelError(f"model card {card.path.name}: tile {t} is not a multiple of "
                             f"spatial_multiple {multiple}")
    batch = _fixed(inp.shape[0]) or 1
    shape = (batch, card.channels, *[f or multiple * 2 for f in spatial])
    x = np.zeros(shape, dtype=np.float16 if card.input_dtype == "float16" else np.float32)
    try:
        y = sess.run([card.output_name], {card.input_name: x})[0]
    except Exception as exc:
        raise _mismatch(card, file, f"a probe input {'x'.join(map(str, shape))} does not run "
                                    f"({ort_message(exc)[:160]})") from exc
    expected = (batch, 1, *shape[2:])
    if tuple(y.shape) != expected:
        raise _mismatch(card, file, f"a probe input {'x'.join(map(str, shape))} gave output "
                                    f"{'x'.join(map(str, y.shape))}, expected "
                                    f"{'x'.join(map(str, expected))}")
    return _fixed(inp.shape[0])
