"""Model cards and the load-time probe: every card/model mismatch is one readable line,
raised when the model is loaded, before any volume is read."""

import json

import numpy as np
import pytest

from inference.errors import ModelError
from inference.synthesis.card import load_card
from inference.synthesis.runtime import create_session
from tests.support.onnx_models import conv_model, pointwise_model, write_card, write_card_v2


def _refusal(card_path) -> str:
    with pytest.raises(ModelError) as info:
        create_session(load_card(card_path), "cpu")
    message = str(info.value)
    assert "\n" not in message and len(message) < 400
    return message


def test_v1_card_is_still_read_and_upgraded(tmp_path):
    card = load_card(write_card(pointwise_model(tmp_path / "m.onnx")))
    assert card.output_kind == "image" and card.dims == 2 and len(card.files) == 1
    assert card.domain is None and card.predictions_per_voxel == 1


def test_wrong_channel_count(tmp_path):
    path = write_card_v2(conv_model(tmp_path / "m.onnx", channels=5), channels=3)
    assert "takes 5 input channels, the card says 3" in _refusal(path)


def test_wrong_input_name(tmp_path):
    path = write_card_v2(conv_model(tmp_path / "m.onnx", input_name="image"))
    assert "input 'noncontrast' is not in the model (its inputs: image)" in _refusal(path)


def test_two_channel_output(tmp_path):
    path = write_card_v2(conv_model(tmp_path / "m.onnx", out_channels=2))
    assert "outputs 2 channels" in _refusal(path)


def test_fixed_input_shape_other_than_the_tile(tmp_path):
    path = write_card_v2(conv_model(tmp_path / "m.onnx", fixed=(96, 96)), tile=64)
    assert "fixed at 96x96" in _refusal(path) and "tile is 64x64" in _refusal(path)


def test_fixed_input_shape_equal_to_the_tile_runs(tmp_path):
    from inference.synthesis.engine import synthesize
    from tests.support.volumes import volume

    path = write_card_v2(conv_model(tmp_path / "m.onnx", fixed=(32, 32)), tile=32)
    v = volume(shape=(5, 40, 20))  # smaller than the tile in width, larger in height
    out = synthesize(v, load_card(path), device="cpu").volume.array
    np.testing.assert_array_equal(out, np.clip(np.rint(2.0 * v.array + 100), -1024, 3071))


def test_layout_rank_mismatch(tmp_path):
    path = write_card_v2(conv_model(tmp_path / "m.onnx", dims=2, channels=1), dims=3,
                         channels=1, tile=[16, 32, 32])
    assert "layout NCDHW needs rank 5" in _refusal(path)


def test_dtype_mismatch(tmp_path):
    path = write_card_v2(conv_model(tmp_path / "m.onnx", fp16=True), dtype="float32")
    assert "input type tensor(float16), but the card says float32" in _refusal(path)


def test_tiny_spacing_is_refused_by_the_schema_not_by_allocation(tmp_path):
    path = write_card_v2(conv_model(tmp_path / "m.onnx"), spacing=(0.001, 0.001, 2.5))
    with pytest.raises(ModelError, match=r"expected_spacing_mm/\d: 0.001 is less than"):
        load_card(path)


def test_tiny_spacing_in_a_v1_card_is_bounded_before_allocation(tmp_path):
    from inference.synthesis.engine import synthesize
    from tests.support.volumes import volume

    path = write_card(pointwise_model(tmp_path / "m.onnx"), spacing=(0.001, 0.001, 2.5))
    with pytest.raises(ModelError, match="implausible"):
        synthesize(volume(), load_card(path), device="cpu")


def test_latin1_card_is_one_line(tmp_path):
    path = write_card_v2(conv_model(tmp_path / "m.onnx"), intended_use="Démonstration only, "
                                                                     "not a medical model")
    path.write_bytes(path.read_text().replace("\\u00e9", "\u00e9").encode("latin-1"))
    with pytest.raises(ModelError, match="is not UTF-8 text"):
        load_card(path)


def test_nan_normalisation_is_refused(tmp_path):
    path = write_card(pointwise_model(tmp_path / "m.onnx"))
    path.write_text(path.read_text().replace('"divide": 1000', '"divide": NaN'))
    with pytest.raises(ModelError, match="NaN is not a number a card may hold"):
        load_card(path)


def test_inverted_clip_range_is_refused(tmp_path):
    path = write_card_v2(conv_model(tmp_path / "m.onnx"))
    data = json.loads(path.read_text())
    data["normalisation"]["input"]["clip_hu"] = [2000, -1000]
    path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="input/clip_hu"):
        load_card(path)


def test_ensemble_member_checksum(tmp_path):
    a, b = conv_model(tmp_path / "a.onnx"), conv_model(tmp_path / "b.onnx", gain=3.0)
    path = write_card_v2([a, b])
    b.write_bytes(b.read_bytes() + b"\0")
    with pytest.raises(ModelError, match=r"checksum of b\.onnx"):
        load_card(path)


def test_an_overlap_that_never_ends_is_refused(tmp_path):
    import json

    from inference.errors import ModelError
    from inference.synthesis.card import load_card

    card = write_card_v2(conv_model(tmp_path / "m.onnx"))
    data = json.loads(card.read_text())
    data["tiling"]["overlap"] = 0.9999999
    card.write_text(json.dumps(data))
    with pytest.raises(ModelError, match=r"tiling/overlap: 0\.9999999 would tile each"):
        load_card(card)


def test_an_infinite_range_is_refused(tmp_path):
    from inference.errors import ModelError
    from inference.synthesis.card import load_card

    card = write_card_v2(conv_model(tmp_path / "m.onnx"))
    card.write_text(card.read_text().replace('5000.0', '1e400'))
    with pytest.raises(ModelError, match="1e400 is not a finite number"):
        load_card(card)


def test_an_allocation_failure_inside_onnx_runtime_is_said_in_words(tmp_path):
    """A real ONNX Runtime failure (a graph asking for a petabyte): the message says what
    it means, not the runtime's source file."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from inference.errors import ModelError
    from inference.synthesis.ort_errors import ort_message

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    shape = helper.make_tensor("s", TensorProto.INT64, [3], [65536, 65536, 65536])
    graph = helper.make_graph([helper.make_node("Expand", ["x", "s"], ["y"])], "g", [x], [y],
                              [shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = ort.SessionOptions()
    options.log_severity_level = 4
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    with pytest.raises(Exception) as raised:
        session.run(None, {"x": np.ones(1, np.float32)})
    text = ort_message(raised.value)
    assert "asked for 1,048,576.0 GiB of memory at once" in text
    assert "bfc_arena" not in text and "ONNXRuntimeError" not in text
    from inference.synthesis.runtime import after_device_failure

    class OnCpu:
        active_provider = "CPUExecutionProvider"

    with pytest.raises(ModelError, match="synthesis failed on the CPU: the model asked for"):
        after_device_failure(OnCpu(), raised.value)  # type: ignore[arg-type]
