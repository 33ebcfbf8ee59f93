"""`dcreview model init|check`: draft a card from an ONNX graph; validate, probe and try a card.

    dcreview model init MODEL.onnx [MORE.onnx ...] -o MODEL.card.json
    dcreview model import MONAI_BUNDLE_DIR -o MODEL.card.json
    dcreview model check MODEL.card.json [--case DEMO_CASE_DIR] [--device cpu]
    dcreview model warmup MODEL.card.json [--device tensorrt]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from inference.errors import ModelError
from inference.synthesis.card import load_card
from inference.synthesis.draft import DRAFT, draft_card


def add_parser(sub) -> None:
    """The `model` command and its subcommands."""
    model = sub.add_parser("model", help="draft, validate and try model cards")
    msub = model.add_subparsers(dest="model_command", required=True)
    init = msub.add_parser("init", help="draft a card from ONNX graph(s): names, shapes, "
                                        "checksums (the rest is for the model's author)")
    init.add_argument("onnx", nargs="+", type=Path, help="one file, or ensemble members")
    init.add_argument("-o", "--output", type=Path, required=True)
    init.add_argument("--name")
    init.add_argument("--kind", choices=("image", "enhancement"), default="image")
    check = msub.add_parser("check", help="validate a card, probe its model and run it on a "
                                          "phantom: a one-screen summary")
    check.add_argument("card", type=Path)
    check.add_argument("--case", type=Path, help="a non-contrast series (DICOM folder or "
                                                 "file, NIfTI, NRRD) or a demo case folder "
                                                 "(dcreview demo-data) instead of the built-in "
                                                 "small phantom")
    check.add_argument("--device", default="cpu")
    bundle = msub.add_parser("import", help="draft a card from a MONAI bundle (metadata.json, "
                                            "inference.json, models/model.onnx)")
    bundle.add_argument("bundle", type=Path)
    bundle.add_argument("-o", "--output", type=Path, required=True)
    bundle.add_argument("--kind", choices=("image", "enhancement"), default="image")
    warm = msub.add_parser("warmup", help="load a model on the device and run it once, so "
                                          "TensorRT builds and caches its engine before a "
                                          "clinician waits on it")
    warm.add_argument("card", type=Path)
    warm.add_argument("--device", default="auto", help="auto, cuda, tensorrt, cpu")


def _phantom(card) -> tuple:
    """A small phantom on the card's expected spacing: (non-contrast Volume, noise-free truth)."""
    from inference.io.volume import SeriesMetadata, Volume
    from inference.phantom.anatomy import Anatomy
    from inference.phantom.scan import centred_geometry, simulate_scan

    px, _py, pz = card.data["expected_spacing_mm"]
    matrix = max(64, min(512, round(384 / px / 16) * 16))  # a 384 mm abdomen where it fits
    slices = max(24, card.domain["min_slices"] if card.domain else 24)
    g = centred_geometry(matrix, slices, px, pz)
    shape = (slices, matrix, matrix)
    anatomy = Anatomy.create(101, vary=True)
    plain, _ = simulate_scan(anatomy, g, shape, phase="noncontrast", noise_sd=14.0, seed=7)
    truth, _ = simulate_scan(anatomy, g, shape, phase="arterial", noise_sd=0.0)
    meta = SeriesMetadata(series_uid="2.25.0", series_description="phantom non-contrast")
    return Volume(plain, g, metadata=meta), truth


def check(card_path: Path, case: Path | None, device: str) -> int:
    """Validate, probe and try a card; print a one-screen summary. Raises ModelError."""
    from inference.compare.metrics import body_mask, mae
    from inference.synthesis.engine import synthesize
    from inference.synthesis.runtime import create_session

    card = load_card(card_path)
    print(f"card      {card_path.name}: schema v{card.data['schema_version']} valid; "
          f"{len(card.files)} file(s), checksums match")
    session = create_session(card, device)
    layout = card.data["inputs"][0]["layout"]
    print(f"model     {card.label}")
    print(f"graph     probe passed: {card.input_name} {layout} {card.input_dtype}, "
          f"{card.channels} channel(s) -> {card.output_name} ({card.output_kind}); tile "
          f"{'x'.join(map(str, card.tile))}")
    if card.kind != "regression":
        spec = card.sampler
        print(f"sampler   {card.kind}: {spec['schedule']}, {spec['steps']} steps x "
              f"{spec['samples']} samples ({spec['prediction']} prediction), seed "
              f"{session.seed}; graphs: {', '.join(f.role for f in card.files)}")
    else:
        print(f"members   {len(card.files)} x {1 + len(card.flips)} prediction(s) per voxel"
              + (f" (flips: {', '.join(card.flips)})" if card.flips else ""))
    print(f"runs on   {session.device_label}" + "".join(f"; {n}" for n in session.notes))
    truth = None
    if case is not None:
        from inference.io.loader import open_volume
        from inference.phantom.demo_case import DemoCase

        demo = DemoCase(case)
        # A demo case folder holds its plain series in noncontrast/; anything else is the
        # series itself.
        volume = open_volume(demo.noncontrast if demo.noncontrast.exists() else case).volume
    else:
        volume, truth = _phantom(card)
    t0 = time.perf_counter()
    result = synthesize(volume, session=session)
    seconds = time.perf_counter() - t0
    shape = "x".join(map(str, volume.shape[::-1]))
    print(f"phantom   {shape} at {volume.geometry.spacing[0]:.2f} mm: "
          f"{result.slices} slices in {seconds:.1f} s ({result.slices_per_second:.1f} slices/s)")
    print("domain    " + (result.domain.summary() if result.domain.in_domain else
                          "\n          ".join(["WARNINGS:", *result.domain.warnings])))
    out = result.volume.array
    print(f"output    {int(out.min())} to {int(out.max())} HU, finite, inside the card's range")
    if truth is not None:
        mask = body_mask(truth)
        model_mae, identity = mae(truth, out, mask), mae(truth, volume.array, mask)
        print(f"accuracy  MAE vs the phantom's noise-free arterial truth {model_mae:.1f} HU "
              f"(identity {identity:.1f} HU, ratio {model_mae / identity:.2f})")
    if result.uncertainty is not None:
        print(f"uncertainty  mean SD {float(result.uncertainty.array.mean()):.1f} HU")
    return 0


def import_command(bundle: Path, output: Path, kind: str) -> int:
    """`model import`: a card draft from a MONAI bundle, one line per thing not mapped."""
    from inference.synthesis.bundle import import_bundle, write_card

    result = import_bundle(bundle, kind)
    for line in write_card(result, output):
        print(line)
    load_card(output)  # the draft is valid as written
    print(f"wrote draft card {output} from bundle {bundle.name}")
    for line in result.mapped:
        print(f"mapped    {line}")
    for line in result.unmapped:
        print(f"NOT MAPPED: {line}")
    todo = [k for k, v in result.card.items() if isinstance(v, str) and v.startswith(DRAFT)]
    if todo:
        print(f"fill in: {', '.join(todo)}")
    print(f"then: dcreview model check {output}")
    return 0


def warmup(card_path: Path, device: str) -> int:
    """`model warmup`: open the model on the device and run a tile twice (the first run builds
    and caches a TensorRT engine); print both times."""
    import numpy as np

    from inference.synthesis.runtime import TENSORRT, create_session, trt_cache_dir
    from inference.synthesis.sampler import SamplerSession

    card = load_card(card_path)
    t0 = time.perf_counter()
    session = create_session(card, device)
    opened = time.perf_counter() - t0
    x = np.zeros((int(card.data["tiling"]["batch"]), card.channels, *card.tile),
                 dtype=np.float32)
    times = []
    for _ in range(2):
        t1 = time.perf_counter()
        if isinstance(session, SamplerSession):
            session.step_once(x)  # one step: a 1000-step sampler need not run to the end
        else:
            session.run(x)
        times.append(time.perf_counter() - t1)
    print(f"model     {card.label} on {session.device_label}"
          + "".join(f"; {n}" for n in session.notes))
    print(f"opened in {opened:.1f} s; a {'x'.join(map(str, x.shape))} tile: first run "
          f"{times[0]:.2f} s, then {times[1]:.2f} s")
    if session.active_provider == TENSORRT:
        print(f"TensorRT engine cached in {trt_cache_dir()}")
    elif session.active_provider == "CPUExecutionProvider":
        print("no GPU provider here: nothing to build or cache")
    return 0


def run(args: argparse.Namespace) -> int:
    """Execute `dcreview model ...`."""
    if args.model_command == "import":
        return import_command(args.bundle, args.output, args.kind)
    if args.model_command == "warmup":
        return warmup(args.card, args.device)
    if args.model_command == "init":
        for p in args.onnx:
            if not p.exists():
                raise ModelError(f"{p} not found")
        data = draft_card(args.onnx, args.name, args.kind)
        args.output.write_text(json.dumps(data, indent=2) + "\n")
        load_card(args.output)  # the draft is valid as written
        todo = [k for k, v in data.items() if isinstance(v, str) and v.startswith(DRAFT)]
        print(f"wrote draft card {args.output} ({len(args.onnx)} file(s), checksums set)\n"
              f"fill in: {', '.join(todo)}, limits, training_data, evaluation, inputs/0/"
              "channel_meaning, and check expected_spacing_mm, normalisation, domain")
        return 0
    return check(args.card, args.case, args.device)

