"""Model cards: what a synthesis model is, how to feed it, and the checksums that let it run.

Schema version 2 (``model_card.schema.json``) adds 3-D patches, enhancement outputs, fp16,
ensembles, test-time flips and the input domain; version 1 cards are still read and are
upgraded in memory to the version 2 shape, so the engine reads one shape only.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jsonschema

from inference.errors import ModelError
from inference.resources import models_dir, resource

CARD_SUFFIX = ".card.json"
SCHEMAS = {1: "model_card.v1.schema.json", 2: "model_card.schema.json"}
# A v1 card declares no plausible output range: any finite value within this is accepted.
V1_VALID_RANGE_HU = (-4000.0, 8000.0)
# Largest model-grid slice (pixels) a card may lead to; beyond it the card is refused before
# anything is allocated (a spacing of 0.001 mm once asked for 12.9 TiB).
MAX_MODEL_PIXELS = 4096 * 4096
# Windows of a sliding tile overlap by at most this: 0.9 already runs each voxel 100 times
# (in 2-D); 0.9999999 ran for ever.
MAX_OVERLAP = 0.9


@lru_cache(maxsize=2)
def card_schema(version: int = 2) -> dict:
    """The JSON Schema model cards of ``version`` must satisfy."""
    return json.loads(resource("schemas", SCHEMAS[version]).read_text())


@dataclass(frozen=True)
class ModelFile:
    """One ONNX file of a card (an ensemble has several, a sampler one per graph)."""

    path: Path
    sha256: str
    role: str = "member"  # or a sampler's denoiser, encoder, decoder


@dataclass(frozen=True)
class ModelCard:
    """A validated card (in the version 2 shape); its ONNX files sit next to it."""

    path: Path
    data: dict

    @property
    def name(self) -> str:
        """Model name."""
        return self.data["name"]

    @property
    def version(self) -> str:
        """Model version."""
        return self.data["version"]

    @property
    def files(self) -> list[ModelFile]:
        """The ONNX files (ensemble members), each with the checksum the card declares."""
        return [ModelFile(self.path.parent / f["file"], f["sha256"], f.get("role", "member"))
                for f in self.data["files"]]

    @property
    def kind(self) -> str:
        """'regression' (one pass), or 'diffusion' / 'flow' (a sampler from noise)."""
        return str(self.data.get("kind", "regression"))

    @property
    def sampler(self) -> dict:
        """A diffusion or flow card's sampler (schedule, steps, samples...); {} otherwise."""
        return dict(self.data.get("sampler", {}))

    @property
    def onnx_path(self) -> Path:
        """The (first) ONNX file."""
        return self.files[0].path

    @property
    def sha256(self) -> str:
        """The model's checksum: the file's, or for an ensemble one over the members' in order."""
        shas = [f.sha256 for f in self.files]
        if len(shas) == 1:
            return shas[0]
        return hashlib.sha256("\n".join(shas).encode()).hexdigest()

    @property
    def channels(self) -> int:
        """Input channels (2.5-D: neighbouring slices)."""
        return int(self.data["inputs"][0]["channels"])

    @property
    def input_name(self) -> str:
        """Name of the input tensor."""
        return self.data["inputs"][0]["name"]

    @property
    def output_name(self) -> str:
        """Name of the output tensor."""
        return self.data["outputs"][0]["name"]

    @property
    def input_dtype(self) -> str:
        """float32 or float16."""
        return self.data["inputs"][0]["dtype"]

    @property
    def dims(self) -> int:
        """2 for slice models (NCHW), 3 for volume-patch models (NCDHW)."""
        return 3 if self.data["inputs"][0]["layout"] == "NCDHW" else 2

    @property
    def tile(self) -> tuple[int, ...]:
        """Patch size per spatial axis (2 values for 2-D models, 3 for 3-D)."""
        t = self.data["tiling"]["tile"]
        return tuple(int(v) for v in t) if isinstance(t, list) else (int(t),) * self.dims

    @property
    def output_kind(self) -> str:
        """'image' (the enhanced CT in HU) or 'enhancement' (HU added to the input)."""
        return self.data["outputs"][0]["kind"]

    @property
    def valid_range_hu(self) -> tuple[float, float]:
        """Denormalised outputs outside this range stop the run."""
        lo, hi = self.data["outputs"][0]["valid_range_hu"]
        return float(lo), float(hi)

    @property
    def flips(self) -> list[str]:
        """Test-time flips (each one more prediction per member)."""
        return list(self.data.get("test_time_augmentation", {}).get("flips", []))

    @property
    def predictions_per_voxel(self) -> int:
        """Members x (1 + flips), or a sampler's samples: more than one gives an uncertainty
        layer."""
        if self.kind != "regression":
            return int(self.sampler["samples"])
        return len(self.files) * (1 + len(self.flips))

    @property
    def domain(self) -> dict | None:
        """The declared input domain (None for a version 1 card)."""
        return self.data.get("domain")

    @property
    def target_phase(self) -> str:
        """The phase the model predicts ('arterial', 'portal-venous', 'delayed' or
        'contrast' for any): declared, else read from the task text."""
        declared = self.data.get("target_phase")
        if declared:
            return str(declared)
        task = str(self.data.get("task", "")).lower()
        for phase, words in (("arterial", ("arterial",)),
                             ("portal-venous", ("portal", "venous")),
                             ("delayed", ("delayed", "excretory"))):
            if any(w in task for w in words):
                return phase
        return "contrast"

    @property
    def synthetic_phantoms_only(self) -> bool:
        """True for models trained on phantoms only (must be said wherever they appear)."""
        return bool(self.data["training_data"]["synthetic_phantoms_only"])

    @property
    def label(self) -> str:
        """Short human-readable name, e.g. for a model selector."""
        extra = " (trained on synthetic phantoms, not for clinical use)" \
            if self.synthetic_phantoms_only else ""
        return f"{self.name} {self.version}{extra}"

    @property
    def identity(self) -> str:
        """SHA-256 of everything that decides the model's outputs: the whole card in canonical
        form (name, version, scaling, tiling, domain...) with every model file's checksum."""
        text = json.dumps(self.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def provenance(self) -> dict:
        """What every synthetic output records about the model."""
        return {"model": self.name, "model_version": self.version, "model_sha256": self.sha256,
                "synthetic_phantoms_only": self.synthetic_phantoms_only,
                "output_kind": self.output_kind, "ensemble_members": len(self.files),
                "test_time_flips": self.flips, "model_kind": self.kind,
                **({"sampler": {k: self.sampler[k] for k in ("schedule", "steps", "samples",
                                                             "prediction")}}
                   if self.kind != "regression" else {})}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a card may hold")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as infinity
        raise ValueError(f"{text} is not a finite number, as every number of a card must be")
    return value


def _read_json(path: Path) -> dict:
    """The card's JSON, refusing non-UTF-8 text and NaN/Infinity with one readable line."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelError(f"model card {path.name} is not UTF-8 text (byte {exc.start}); "
                         "save it as UTF-8") from exc
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise ModelError(f"model card {path.name} is not valid JSON ({exc.msg}, line "
                         f"{exc.lineno})") from exc
    except ValueError as exc:
        raise ModelError(f"model card {path.name} is invalid: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"model card {path.name} is not a JSON object")
    return data


def upgrade_v1(data: dict) -> dict:
    """A version 1 card in the version 2 shape (no declared domain, image output)."""
    out = {k: v for k, v in data.items() if k not in ("file", "sha256")}
    out["schema_version"] = 2
    out["files"] = [{"file": data["file"], "sha256": data["sha256"]}]
    out["outputs"] = [{**data["outputs"][0], "kind": "image",
                       "valid_range_hu": list(V1_VALID_RANGE_HU)}]
    return out


def _check_numbers(data: dict, name: str) -> None:
    """Refuse cards whose numbers the schema admits but the engine cannot use."""
    norm = data["normalisation"]
    lo, hi = norm["input"]["clip_hu"]
    if lo >= hi:
        raise ModelError(f"model card {name} is invalid at normalisation/input/clip_hu: the "
                         f"lower bound {lo} is not below the upper {hi}")
    lo, hi = norm["output"]["clip_hu"]
    if lo >= hi:
        raise ModelError(f"model card {name} is invalid at normalisation/output/clip_hu: the "
                         f"lower bound {lo} is not below the upper {hi}")
    if norm["output"]["multiply"] == 0:
        raise ModelError(f"model card {name} is invalid at normalisation/output/multiply: 0 "
                         "would erase every prediction")
    lo, hi = data["outputs"][0]["valid_range_hu"]
    if lo >= hi:
        raise ModelError(f"model card {name} is invalid at outputs/0/valid_range_hu: {lo} is "
                         f"not below {hi}")
    overlap = data["tiling"]["overlap"]
    if overlap > MAX_OVERLAP:
        raise ModelError(f"model card {name} is invalid at tiling/overlap: {overlap} would "
                         f"tile each slice with windows a voxel apart; at most {MAX_OVERLAP}")
    layout_in, layout_out = data["inputs"][0]["layout"], data["outputs"][0]["layout"]
    tile = data["tiling"]["tile"]
    if layout_in != layout_out:
        raise ModelError(f"model card {name}: input layout {layout_in} and output layout "
                         f"{layout_out} differ")
    if (layout_in == "NCDHW") != isinstance(tile, list):
        raise ModelError(f"model card {name} is invalid at tiling/tile: a {layout_in} model "
                         "needs " + ("three patch sizes [depth, height, width]"
                                     if layout_in == "NCDHW" else "one tile size"))
    if layout_in == "NCDHW" and data["inputs"][0]["channels"] != 1:
        raise ModelError(f"model card {name} is invalid at inputs/0/channels: a 3-D patch "
                         "model takes one channel")
    _check_sampler(data, name)
    for key, rng in (data.get("domain") or {}).items():
        if key.endswith("_mm") and rng[0] > rng[1]:
            raise ModelError(f"model card {name} is invalid at domain/{key}: {rng[0]} > {rng[1]}")


def _check_sampler(data: dict, name: str) -> None:
    """A sampler card's graphs and schedule fit together; a regression card has neither."""
    kind = data.get("kind", "regression")
    roles = [f.get("role", "member") for f in data["files"]]
    if kind == "regression":
        if "sampler" in data or any(r != "member" for r in roles):
            raise ModelError(f"model card {name}: a sampler or graph roles need kind "
                             "diffusion or flow")
        return
    spec = data.get("sampler")
    if spec is None:
        raise ModelError(f"model card {name}: a {kind} card needs a sampler (schedule, steps, "
                         "samples, prediction, time_input)")
    if sorted(roles) not in (["denoiser"], ["decoder", "denoiser", "encoder"]):
        raise ModelError(f"model card {name} is invalid at files: a {kind} card has one "
                         "denoiser, and for a latent model one encoder and one decoder "
                         f"(it has: {', '.join(roles)})")
    flow = kind == "flow"
    if (spec["schedule"] == "euler") != flow or (spec["prediction"] == "velocity") != flow:
        raise ModelError(f"model card {name} is invalid at sampler: a flow card samples with "
                         "euler and a velocity prediction; a diffusion card with ddpm or ddim "
                         "and an epsilon, sample or v prediction")
    if not flow:
        noise = spec.get("noise_schedule")
        if noise is None:
            raise ModelError(f"model card {name} is invalid at sampler: diffusion needs its "
                             "noise_schedule (train_steps, beta_schedule, beta_start, beta_end)")
        if spec["steps"] > noise["train_steps"]:
            raise ModelError(f"model card {name} is invalid at sampler/steps: "
                             f"{spec['steps']} steps of a {noise['train_steps']}-step schedule")
    if data.get("test_time_augmentation", {}).get("flips"):
        raise ModelError(f"model card {name}: test-time flips and a sampler's samples would "
                         "mix two spreads; use the samples")


def load_card(path: str | Path, verify: bool = True) -> ModelCard:
    """Read and validate a card; with ``verify`` also check every ONNX file's checksum."""
    path = Path(path)
    if path.suffix == ".onnx":
        path = path.with_name(path.name[: -len(".onnx")] + CARD_SUFFIX)
    if not path.exists():
        raise ModelError(f"model card {path.name} not found: a model runs only with its card")
    data = _read_json(path)
    version = data.get("schema_version")
    if version not in SCHEMAS:
        raise ModelError(f"model card {path.name} has schema_version {version!r}; this "
                         f"dcreview reads versions {', '.join(map(str, SCHEMAS))}")
    try:
        jsonschema.validate(data, card_schema(version))
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ModelError(f"model card {path.name} is invalid at {where}: {exc.message}") from exc
    if version == 1:
        data = upgrade_v1(data)
    _check_numbers(data, path.name)
    card = ModelCard(path, data)
    if verify:
        verify_checksum(card)
    return card


def verify_checksum(card: ModelCard) -> None:
    """Refuse a model whose ONNX files are missing or differ from what its card describes."""
    for member in card.files:
        onnx = member.path
        if not onnx.exists():
            raise ModelError(f"model file {onnx.name} named by card {card.path.name} is missing")
        actual = file_sha256(onnx)
        if actual != member.sha256:
            raise ModelError(f"model {card.name} refused: the checksum of {onnx.name} "
                             f"({actual[:12]}...) does not match its card "
                             f"({member.sha256[:12]}...); the file was changed or corrupted")


def model_grid_pixels(card: ModelCard, shape: tuple[int, ...],
                      spacing: tuple[float, float, float]) -> int:
    """Pixels of one model-grid slice for an input of ``shape`` (k, j, i) and ``spacing``."""
    mx, my, _ = card.data["expected_spacing_mm"]
    sx, sy, _ = spacing
    _nk, nj, ni = shape
    if not all(math.isfinite(v) and v > 0 for v in (sx, sy)):
        raise ModelError("the input has no valid pixel spacing; it cannot be resampled")
    return math.ceil(nj * sy / my) * math.ceil(ni * sx / mx)


def installed_cards(folder: Path | None = None) -> list[ModelCard]:
    """Valid cards in the installed models folder (checksums are verified when a model is
    loaded)."""
    folder = folder or models_dir()
    cards = []
    for p in sorted(folder.glob(f"*{CARD_SUFFIX}")):
        try:
            cards.append(load_card(p, verify=False))
        except ModelError:
            continue
    return cards


def default_card() -> ModelCard:
    """The first installed model (the demo model in a fresh installation)."""
    cards = installed_cards()
    if not cards:
        raise ModelError(f"no synthesis model is installed ({models_dir()} holds no card)")
    return cards[0]


def default_target() -> str:
    """The phase the installed default model targets ('contrast' when none is installed)."""
    try:
        return default_card().target_phase
    except (ModelError, OSError, ValueError):
        return "contrast"
