"""Model cards: what a synthesis model is, how to feed it, and the checksum that lets it run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jsonschema

from inference.errors import ModelError
from inference.resources import resource

CARD_SUFFIX = ".card.json"



@lru_cache(maxsize=1)
def card_schema() -> dict:
    """The JSON Schema every model card must satisfy."""
    return json.loads(resource("models", "model_card.schema.json").read_text())


@dataclass(frozen=True)
class ModelCard:
    """A validated card; ``onnx_path`` sits next to it."""

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
    def sha256(self) -> str:
        """Checksum of the ONNX file the card describes."""
        return self.data["sha256"]

    @property
    def onnx_path(self) -> Path:
        """The ONNX file, next to the card."""
        return self.path.parent / self.data["file"]

    @property
    def channels(self) -> int:
        """Neighbouring slices fed as channels (2.5-D context)."""
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
    def synthetic_phantoms_only(self) -> bool:
        """True for models trained on phantoms only (must be said wherever they appear)."""
        return bool(self.data["training_data"]["synthetic_phantoms_only"])

    @property
    def label(self) -> str:
        """Short human-readable name, e.g. for a model selector."""
        extra = " (trained on synthetic phantoms, not for clinical use)" \
            if self.synthetic_phantoms_only else ""
        return f"{self.name} {self.version}{extra}"

    def provenance(self) -> dict:
        """What every synthetic output records about the model."""
        return {"model": self.name, "model_version": self.version, "model_sha256": self.sha256,
                "synthetic_phantoms_only": self.synthetic_phantoms_only}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def load_card(path: str | Path, verify: bool = True) -> ModelCard:
    """Read and validate a card; with ``verify`` also check the ONNX file's checksum."""
    path = Path(path)
    if path.suffix == ".onnx":
        path = path.with_name(path.name[: -len(".onnx")] + CARD_SUFFIX)
    if not path.exists():
        raise ModelError(f"model card {path.name} not found: a model runs only with its card")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelError(f"model card {path.name} is not valid JSON ({exc.msg}, line "
                         f"{exc.lineno})") from exc
    try:
        jsonschema.validate(data, card_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ModelError(f"model card {path.name} is invalid at {where}: {exc.message}") from exc
    card = ModelCard(path, data)
    if verify:
        verify_checksum(card)
    return card


def verify_checksum(card: ModelCard) -> None:
    """Refuse a model whose ONNX file is missing or differs from what its card describes."""
    onnx = card.onnx_path
    if not onnx.exists():
        raise ModelError(f"model file {onnx.name} named by card {card.path.name} is missing")
    actual = file_sha256(onnx)
    if actual != card.sha256:
        raise ModelError(f"model {card.name} refused: the checksum of {onnx.name} "
                         f"({actual[:12]}...) does not match its card ({card.sha256[:12]}...); "
                         "the file was changed or corrupted")


def installed_cards(folder: Path | None = None) -> list[ModelCard]:
    """Valid cards in resources/models (checksums are verified when a model is loaded)."""
    folder = folder or resource("models")
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
        raise ModelError("no synthesis model is installed (resources/models holds no card)")
    return cards[0]
