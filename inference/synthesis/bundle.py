"""Import a MONAI Bundle as a dcreview model card draft.

A bundle (https://docs.monai.io/en/stable/mb_specification.html) describes its network in
``configs/metadata.json`` (``network_data_format``: inputs and outputs, their ``format`` such
as ``hounsfield``, channels, spatial shape, channel meaning; version, authors, licence) and its
pre- and post-processing and inferer in ``configs/inference.json``. What has a card
equivalent is mapped; each thing that has none is one line for the model's author, and a
bundle with no ONNX graph is refused (dcreview runs ONNX only).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from inference.errors import ModelError
from inference.synthesis.card import MAX_OVERLAP
from inference.synthesis.draft import DRAFT, draft_card

# Transforms whose work dcreview does itself (reading, channel order, typing, writing, and
# returning the output to the input's grid).
HANDLED = {"LoadImage", "LoadImaged", "EnsureChannelFirst", "EnsureChannelFirstd",
           "AddChannel", "AddChanneld", "EnsureType", "EnsureTyped", "ToTensor", "ToTensord",
           "CastToType", "CastToTyped", "SaveImage", "SaveImaged", "Invertd", "Compose",
           "ToNumpy", "ToNumpyd", "SqueezeDimd", "CopyItemsd"}


@dataclass
class BundleImport:
    """The card drafted from a bundle and one line per thing that could not be mapped."""

    card: dict
    onnx: Path
    unmapped: list[str] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path.parent.name}/{path.name} could not be read as JSON: "
                         f"{exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path.parent.name}/{path.name} is not a JSON object")
    return data


def _name(node: dict) -> str:
    return str(node.get("_target_", "?")).rsplit(".", 1)[-1]


def _transforms(section: object) -> list[dict]:
    """The transforms of a pre- or post-processing section (a Compose, or a list)."""
    if isinstance(section, dict):
        section = section.get("transforms", [section])
    return [t for t in section if isinstance(t, dict)] if isinstance(section, list) else []


def _literal(value: object) -> bool:
    """Config values starting with @ or $ are references and expressions: not mappable."""
    if isinstance(value, str):
        return not value.startswith(("@", "$", "%"))
    if isinstance(value, list):
        return all(_literal(v) for v in value)
    return True


def _scale(t: dict) -> tuple[float, float, float, float] | None:
    keys = ("a_min", "a_max", "b_min", "b_max")
    if not all(k in t and _literal(t[k]) for k in keys):
        return None
    a_min, a_max, b_min, b_max = (float(t[k]) for k in keys)
    if a_max == a_min or b_max == b_min:
        return None
    return a_min, a_max, b_min, b_max


SCALE = ("ScaleIntensityRanged", "ScaleIntensityRange")


def _to_map(transforms: list[dict]) -> list[tuple[str, dict]]:
    """(name, transform) of those dcreview does not do itself."""
    return [(_name(t), t) for t in transforms if _name(t) not in HANDLED]


def _map_pre(out: BundleImport, transforms: list[dict]) -> bool:
    """Input normalisation, spacing; returns whether the input was scaled."""
    norm = out.card["normalisation"]["input"]
    scaled = False
    for name, t in _to_map(transforms):
        if name in SCALE and _scale(t):
            a_min, a_max, b_min, b_max = _scale(t)
            divide = (a_max - a_min) / (b_max - b_min)
            norm.update(subtract=a_min - b_min * divide, divide=divide)
            if t.get("clip", False):
                norm["clip_hu"] = [a_min, a_max]
            else:
                norm["clip_hu"] = [-1024.0, 3071.0]
            out.mapped.append(f"{name}({a_min:g}..{a_max:g} -> {b_min:g}..{b_max:g}) -> "
                              "normalisation/input")
            scaled = True
        elif name in ("NormalizeIntensityd", "NormalizeIntensity") and all(
                _literal(t.get(k)) and isinstance(t.get(k), int | float)
                for k in ("subtrahend", "divisor")):
            norm.update(subtract=float(t["subtrahend"]), divide=float(t["divisor"]))
            out.mapped.append(f"{name} -> normalisation/input")
            scaled = True
        elif name in ("Spacingd", "Spacing") and _literal(t.get("pixdim")) and isinstance(
                t.get("pixdim"), list):
            pix = [float(v) for v in t["pixdim"]]
            out.card["expected_spacing_mm"] = [*pix, 2.5] if len(pix) == 2 else pix[:3]
            out.mapped.append(f"{name}(pixdim {pix}) -> expected_spacing_mm")
        elif name in ("Orientationd", "Orientation"):
            out.unmapped.append(f"{name}(axcodes={t.get('axcodes')}): not mapped; dcreview feeds "
                                "slices in the series' stored order (axial, LPS); check that "
                                "the model does not depend on orientation")
        else:
            out.unmapped.append(f"{name}: no card equivalent; dcreview will not apply it, so "
                                "check the model's input by hand")
    return scaled


def _map_post(out: BundleImport, transforms: list[dict], hounsfield: bool,
              scaled: bool) -> None:
    """Output denormalisation to HU."""
    norm_out = out.card["normalisation"]["output"]
    norm_in = out.card["normalisation"]["input"]
    for name, t in _to_map(transforms):
        if name in SCALE and _scale(t):
            a_min, a_max, b_min, b_max = _scale(t)
            multiply = (b_max - b_min) / (a_max - a_min)
            norm_out.update(multiply=multiply, add=b_min - a_min * multiply)
            out.mapped.append(f"post {name} -> normalisation/output")
            return
        out.unmapped.append(f"post {name}: no card equivalent; dcreview will not apply it")
    if hounsfield:
        norm_out.update(multiply=1.0, add=0.0)
        if scaled:  # the input was scaled, yet the output format says HU: taken as it comes
            out.mapped.append("output format hounsfield -> output taken in HU as it comes")
    else:
        norm_out.update(multiply=norm_in["divide"], add=norm_in["subtract"])
        out.unmapped.append("the output's format is not hounsfield and no post-processing "
                            "scales it: assumed in the input's normalised units (the inverse "
                            "of normalisation/input); check it")


def _map_inferer(out: BundleImport, inferer: object, layout: str) -> None:
    if not isinstance(inferer, dict):
        return
    name = _name(inferer)
    tiling = out.card["tiling"]
    if name == "SlidingWindowInferer":
        roi = inferer.get("roi_size")
        if _literal(roi) and isinstance(roi, list):
            roi = [int(v) for v in roi]
            tiling["tile"] = roi if layout == "NCDHW" else roi[-1]
        if isinstance(inferer.get("sw_batch_size"), int):
            tiling["batch"] = inferer["sw_batch_size"]
        if isinstance(inferer.get("overlap"), int | float):
            tiling["overlap"] = min(MAX_OVERLAP, float(inferer["overlap"]))
        out.mapped.append("SlidingWindowInferer -> tiling")
    elif name != "SimpleInferer":
        out.unmapped.append(f"inferer {name}: not mapped; dcreview tiles with its own "
                            "sliding window (tiling)")


def _first(section: object, what: str, out: BundleImport) -> tuple[str, dict]:
    if not isinstance(section, dict) or not section:
        raise ModelError(f"configs/metadata.json has no network_data_format {what}")
    name, spec = next(iter(section.items()))
    if len(section) > 1:
        out.unmapped.append(f"network_data_format {what}: {len(section)} given; dcreview uses "
                            f"the first, '{name}'")
    return name, spec if isinstance(spec, dict) else {}


def _licence(folder: Path, meta: dict) -> str:
    """The metadata's licence, else the first line of the bundle's LICENSE file."""
    if isinstance(meta.get("license"), str) and meta["license"]:
        return meta["license"]
    path = folder / "LICENSE"
    if path.exists():
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return lines[0].strip() if lines else ""
    return ""


def import_bundle(folder: Path, kind: str = "image") -> BundleImport:
    """Draft a card (a dict) for the bundle in ``folder``; raises ModelError without ONNX."""
    folder = Path(folder)
    meta_path = folder / "configs" / "metadata.json"
    if not meta_path.exists():
        raise ModelError(f"{folder} is not a MONAI bundle: configs/metadata.json is missing")
    meta = _read(meta_path)
    onnx = folder / "models" / "model.onnx"
    if not onnx.exists():
        others = [p.name for p in (folder / "models").glob("model.*")] \
            if (folder / "models").is_dir() else []
        found = f" (it has {', '.join(sorted(others))})" if others else ""
        raise ModelError(f"bundle {folder.name} has no models/model.onnx{found}: dcreview runs "
                         "ONNX graphs only; export it with torch.onnx.export(..., "
                         "dynamo=False) to models/model.onnx and import again")
    card = draft_card([onnx], str(meta.get("name") or folder.name)[:64], kind)
    out = BundleImport(card, onnx)
    fmt = meta.get("network_data_format") or {}
    in_name, inp = _first(fmt.get("inputs"), "inputs", out)
    _out_name, outp = _first(fmt.get("outputs"), "outputs", out)
    if str(inp.get("modality", "CT")).upper() != "CT":
        out.unmapped.append(f"input modality {inp.get('modality')}: dcreview feeds CT")
    if inp.get("format") not in ("hounsfield", None):
        out.unmapped.append(f"input format {inp['format']}: dcreview feeds CT numbers (HU), "
                            "normalised as the card says")
    if isinstance(inp.get("num_channels"), int):
        card["inputs"][0]["channels"] = inp["num_channels"]
    if isinstance(inp.get("channel_def"), dict):
        card["inputs"][0]["channel_meaning"] = "; ".join(
            f"{k}: {v}" for k, v in inp["channel_def"].items())
    layout = card["inputs"][0]["layout"]
    shape = inp.get("spatial_shape")
    if isinstance(shape, list) and all(isinstance(v, int) for v in shape) and shape:
        card["tiling"]["tile"] = shape if layout == "NCDHW" else shape[-1]
    out.mapped.append(f"network_data_format inputs '{in_name}' -> inputs/0")
    config_path = folder / "configs" / "inference.json"
    config = _read(config_path) if config_path.exists() else {}
    scaled = _map_pre(out, _transforms(config.get("preprocessing")))
    _map_post(out, _transforms(config.get("postprocessing")),
              outp.get("format") == "hounsfield", scaled)
    _map_inferer(out, config.get("inferer"), layout)
    card["version"] = str(meta.get("version", card["version"]))
    if not card["version"][:1].isdigit():
        card["version"] = "0.1.0"
    for key in ("task", "intended_use"):
        if isinstance(meta.get(key), str) and meta[key]:
            card[key] = meta[key]
    if isinstance(meta.get("description"), str) and card["task"].startswith(DRAFT):
        card["task"] = meta["description"]
    if isinstance(meta.get("data_source"), str):
        card["training_data"]["provenance"] = meta["data_source"]
    if isinstance(meta.get("eval_metrics"), dict):
        card["evaluation"] = meta["eval_metrics"]
    card["source"] = {
        "monai_bundle": folder.name, "bundle_version": str(meta.get("version", "")),
        "authors": str(meta.get("authors", "")), "copyright": str(meta.get("copyright", "")),
        "licence": _licence(folder, meta),
        "references": [str(r) for r in meta.get("references", []) if isinstance(r, str)]}
    out.unmapped.append("domain: a bundle declares none; the card's domain is a draft "
                        "(abdominal CT, 0.5-1.5 mm pixels): set the model's own")
    return out


def write_card(result: BundleImport, card_path: Path) -> list[str]:
    """Write the drafted card; the ONNX graph is copied next to it when it lives elsewhere
    (a card names its files relative to itself). Returns what was done."""
    card_path = Path(card_path)
    done = []
    if card_path.parent.resolve() != result.onnx.parent.resolve():
        # Named after the card: every bundle's graph is models/model.onnx.
        stem = card_path.name.removesuffix(".json").removesuffix(".card")
        target = card_path.parent / f"{stem}.onnx"
        if target.exists():
            raise ModelError(f"{target} exists already; choose another name for the card")
        shutil.copy2(result.onnx, target)
        result.card["files"][0]["file"] = target.name
        done.append(f"copied {result.onnx.name} next to the card as {target.name}")
    card_path.write_text(json.dumps(result.card, indent=2) + "\n")
    return done
