"""The synthesis engine with real ONNX Runtime sessions."""

import json
import shutil

import numpy as np
import pytest

from inference.errors import Cancelled, ModelError
from inference.progress import CancelToken
from inference.synthesis.card import load_card
from inference.synthesis.engine import synthesize
from inference.synthesis.runtime import create_session, preferred_providers
from inference.synthesis.tiling import importance_map, tiled_predict, window_starts
from tests.support.onnx_models import pointwise_model, write_card
from tests.support.volumes import volume


@pytest.fixture
def card_path(tmp_path):
    return write_card(pointwise_model(tmp_path / "pointwise.onnx"), tile=64, batch=4)


def test_window_starts_and_importance():
    assert window_starts(512, 256, 0.25) == [0, 192, 256]
    assert window_starts(100, 256, 0.25) == [0]
    w = importance_map(64)
    assert w.max() == pytest.approx(1.0) and w.min() >= 1e-3 and w[0, 0] < w[32, 32]


def test_tiling_equals_whole_image_inference(card_path):
    session = create_session(load_card(card_path))
    x = np.random.default_rng(1).normal(size=(3, 3, 136, 200)).astype(np.float32)
    whole = session.run(x)
    tiled = tiled_predict(x, session.run, tile=64, overlap=0.25, max_tiles_per_call=5)
    np.testing.assert_allclose(tiled, whole, atol=1e-4)


def test_synthesis_values_geometry_and_provenance(card_path):
    v = volume()
    result = synthesize(v, load_card(card_path), device="cpu")
    out = result.volume
    assert out.synthetic and out.array.dtype == np.int16 and out.geometry is v.geometry
    expected = np.clip(np.rint(2.0 * v.array + 100.0), -1024, 3071)  # gain 2, bias 0.1*1000
    np.testing.assert_array_equal(out.array, expected)
    assert out.provenance["model"] == "test-pointwise"
    assert out.provenance["provider"] == "CPUExecutionProvider"
    assert out.provenance["input_series_uid"] == "1.2.3"
    assert out.metadata.series_description.startswith("SYNTHETIC")
    assert result.batches == 3 and result.slices == 9  # 4 + 4 + 1 slices per call


def test_resampling_to_model_spacing_and_back(card_path):
    v = volume(shape=(4, 60, 60), spacing=(0.5, 0.5, 2.5))
    smooth = np.broadcast_to(np.linspace(-100, 300, 60, dtype=np.float32), (4, 60, 60))
    v = v.with_array(np.rint(smooth).astype(np.int16))
    out = synthesize(v, load_card(card_path), device="cpu").volume.array.astype(float)
    # A linear ramp survives down- and up-sampling almost exactly (edges aside).
    np.testing.assert_allclose(out[:, :, 3:-3], 2 * smooth[:, :, 3:-3] + 100, atol=8)


def test_cancel_stops_within_one_batch(card_path):
    token = CancelToken()
    seen = []

    def progress(event):
        seen.append(event.done)
        if event.done >= 4:
            token.cancel()

    with pytest.raises(Cancelled):
        synthesize(volume(shape=(40, 16, 16)), load_card(card_path), device="cpu",
                   progress=progress, cancel=token)
    assert max(seen) <= 8  # the batch after the cancel request never ran


def test_tampered_model_refused(card_path, tmp_path):
    onnx_path = tmp_path / "pointwise.onnx"
    data = bytearray(onnx_path.read_bytes())
    data[-3] ^= 0xFF
    onnx_path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"checksum of pointwise\.onnx .* does not match its card"):
        load_card(card_path)


def test_invalid_card_refused(card_path):
    card = json.loads(card_path.read_text())
    card["tiling"]["overlap"] = 1.5
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelError, match=r"invalid at tiling/overlap"):
        load_card(card_path)
    card_path.unlink()
    with pytest.raises(ModelError, match="a model runs only with its card"):
        load_card(card_path)


def test_provider_truth_is_recorded(card_path, monkeypatch):
    # Asking for CUDA on a machine without it must quietly land on the CPU, and say so.
    monkeypatch.setenv("DCREVIEW_PROVIDERS", "cuda")
    assert preferred_providers()[:1] == ["CUDAExecutionProvider"]
    session = create_session(load_card(card_path))
    assert session.providers == ["CPUExecutionProvider"]
    assert session.device_label == "CPU"
    assert any("not usable here" in n or "could not start" in n for n in session.notes)


def test_missing_model_file(card_path, tmp_path):
    shutil.move(tmp_path / "pointwise.onnx", tmp_path / "moved.onnx")
    with pytest.raises(ModelError, match=r"model file pointwise\.onnx named by card .* missing"):
        load_card(card_path)


def test_out_of_memory_retries_with_smaller_batches(card_path):
    """A provider that runs out of memory on big batches: smaller batches, same result."""
    session = create_session(load_card(card_path), "cpu")
    real_run = session.run

    class SmallMemorySession(type(session)):
        def run(self, batch):
            if batch.shape[0] > 2:
                raise MemoryError("simulated device out of memory")
            return real_run(batch)

    limited = SmallMemorySession(session.card, session.sessions, session.requested, [])
    v = volume()
    result = synthesize(v, session=limited, batch_size=8)
    expected = synthesize(v, load_card(card_path), device="cpu").volume.array
    np.testing.assert_array_equal(result.volume.array, expected)
    assert any("retrying with 4" in n for n in result.notes)
    assert any("retrying with 2" in n for n in result.notes)
    assert result.batches == 5  # 9 slices in batches of 2
