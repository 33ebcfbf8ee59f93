"""Tiny diffusion and flow graphs whose exact answer is known (built with onnx.helper, run by
ORT): each denoiser predicts what a perfect model would for a known target, so a correct
sampling loop must end on that target.

Input "x": (N, 1 + C, *S), the state first, then the conditioning (its centre channel is the
normalised input); input "t": (N,). The target is the centre conditioning channel + ``offset``
(in normalised units: 0.1 = +100 HU with the test cards' divide of 1000).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from inference.synthesis.schedules import betas
from tests.support.onnx_models import write_card_v2


def _save(nodes, inits, inputs, outputs, path: Path) -> Path:
    graph = helper.make_graph(nodes, path.stem, inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def _io(name: str, channels, dims: int):
    spatial = ["d", "h", "w"][-dims:]
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n", channels, *spatial])


def _split(channels: int, dims: int, offset: float) -> tuple[list, list]:
    """Nodes giving 'state' (channel 0) and 'target' (centre conditioning + offset)."""
    k = [1] * dims
    w_state = np.zeros((1, 1 + channels, *k), np.float32)
    w_state[0, 0] = 1
    w_target = np.zeros((1, 1 + channels, *k), np.float32)
    w_target[0, 1 + channels // 2] = 1
    inits = [numpy_helper.from_array(w_state, "w_state"),
             numpy_helper.from_array(w_target, "w_target"),
             numpy_helper.from_array(np.array([offset], np.float32), "b_target"),
             numpy_helper.from_array(np.array([-1] + [1] * (dims + 1), np.int64), "col")]
    nodes = [helper.make_node("Conv", ["x", "w_state"], ["state"]),
             helper.make_node("Conv", ["x", "w_target", "b_target"], ["target"])]
    return nodes, inits


def diffusion_denoiser(path: Path, *, prediction: str = "epsilon", channels: int = 1,
                       dims: int = 2, offset: float = 0.1, train_steps: int = 1000,
                       beta_schedule: str = "linear", leak: float = 0.0) -> Path:
    """The exact epsilon, clean sample or v for the known target at every timestep; ``leak``
    adds that fraction of the noisy state to a 'sample' prediction (an imperfect model, whose
    samples then differ)."""
    nodes, inits = _split(channels, dims, offset)
    abar = np.cumprod(1 - betas(beta_schedule, train_steps, 1e-4, 0.02)).astype(np.float32)
    inits += [numpy_helper.from_array(abar, "abar_table"),
              numpy_helper.from_array(np.array([1.0], np.float32), "one"),
              numpy_helper.from_array(np.array([leak], np.float32), "leak")]
    nodes += [
        helper.make_node("Cast", ["t"], ["ti"], to=TensorProto.INT64),
        helper.make_node("Gather", ["abar_table", "ti"], ["abar_n"]),
        helper.make_node("Reshape", ["abar_n", "col"], ["abar"]),
        helper.make_node("Sqrt", ["abar"], ["a"]),
        helper.make_node("Sub", ["one", "abar"], ["one_minus"]),
        helper.make_node("Sqrt", ["one_minus"], ["s"]),
        helper.make_node("Mul", ["a", "target"], ["a_target"]),
        helper.make_node("Sub", ["state", "a_target"], ["noise_part"]),
        helper.make_node("Div", ["noise_part", "s"], ["eps"]),
    ]
    if prediction == "epsilon":
        nodes.append(helper.make_node("Identity", ["eps"], ["pred"]))
    elif prediction == "sample":
        nodes += [helper.make_node("Mul", ["leak", "state"], ["leaked"]),
                  helper.make_node("Add", ["target", "leaked"], ["pred"])]
    else:  # v = sqrt(abar) eps - sqrt(1 - abar) x0
        nodes += [helper.make_node("Mul", ["a", "eps"], ["a_eps"]),
                  helper.make_node("Mul", ["s", "target"], ["s_x0"]),
                  helper.make_node("Sub", ["a_eps", "s_x0"], ["pred"])]
    return _save(nodes, inits,
                 [_io("x", 1 + channels, dims),
                  helper.make_tensor_value_info("t", TensorProto.FLOAT, ["n"])],
                 [_io("pred", 1, dims)], path)


def flow_velocity(path: Path, *, channels: int = 1, dims: int = 2, offset: float = 0.1) -> Path:
    """The exact rectified-flow velocity towards the known target: (target - x_t) / (1 - t)."""
    nodes, inits = _split(channels, dims, offset)
    inits.append(numpy_helper.from_array(np.array([1.0], np.float32), "one"))
    nodes += [helper.make_node("Reshape", ["t", "col"], ["tc"]),
              helper.make_node("Sub", ["one", "tc"], ["left"]),
              helper.make_node("Sub", ["target", "state"], ["gap"]),
              helper.make_node("Div", ["gap", "left"], ["pred"])]
    return _save(nodes, inits,
                 [_io("x", 1 + channels, dims),
                  helper.make_tensor_value_info("t", TensorProto.FLOAT, ["n"])],
                 [_io("pred", 1, dims)], path)


def pool_encoder(path: Path, *, channels: int = 1) -> Path:
    """A latent 'encoder': 2x2 average pooling (the latent is half the size)."""
    node = helper.make_node("AveragePool", ["image"], ["latent"], kernel_shape=[2, 2],
                            strides=[2, 2])
    return _save([node], [], [_io("image", channels, 2)], [_io("latent", channels, 2)], path)


def upsample_decoder(path: Path) -> Path:
    """A latent 'decoder': nearest-neighbour 2x upsampling (a ones 2x2 transposed conv)."""
    w = numpy_helper.from_array(np.ones((1, 1, 2, 2), np.float32), "w_up")
    node = helper.make_node("ConvTranspose", ["latent", "w_up"], ["image"], strides=[2, 2])
    return _save([node], [w], [_io("latent", 1, 2)], [_io("image", 1, 2)], path)


def sampler_card(files: dict[str, Path], *, kind: str = "diffusion", schedule: str = "ddim",
                 prediction: str = "epsilon", steps: int = 20, samples: int = 2,
                 channels: int = 1, dims: int = 2, tile: int | list[int] = 32,
                 name: str = "test-sampler", **sampler_extra) -> Path:
    """A valid version 2 sampler card for graphs by role, with true checksums: the test card
    of write_card_v2 with the graphs' roles, the kind and the sampler."""
    paths = list(files.values())
    regression = write_card_v2(paths, channels=channels, dims=dims, tile=tile,
                               batch=4 if dims == 2 else 1, input_name="x", output_name="pred",
                               name=name)
    card = json.loads(regression.read_text())
    regression.unlink()
    for entry, role in zip(card["files"], files, strict=True):
        entry["role"] = role
    sampler = {"schedule": schedule, "steps": steps, "samples": samples,
               "prediction": prediction, "time_input": "t", "seed": 7,
               "conditioning": "concat", **sampler_extra}
    if kind == "diffusion":
        sampler.setdefault("noise_schedule", {"train_steps": 1000, "beta_schedule": "linear",
                                              "beta_start": 1e-4, "beta_end": 0.02})
    card.update(kind=kind, sampler=sampler, task="test: non-contrast to arterial")
    path = paths[0].with_name(name + ".card.json")
    path.write_text(json.dumps(card))
    return path
