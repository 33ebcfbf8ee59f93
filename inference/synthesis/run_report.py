"""The JSON report of a synthesis run: model, input, output, timings, energy and carbon."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema

from inference import provenance
from inference.energy.meter import EnergyReport
from inference.files import atomic
from inference.io.volume import Volume
from inference.resources import resource
from inference.synthesis.engine import SynthesisResult
from inference.synthesis.runtime import ModelSession

SYNTHETIC_LABEL = provenance.NOT_ACQUIRED


@lru_cache(maxsize=1)
def report_schema() -> dict:
    """JSON Schema of run reports."""
    return json.loads(resource("schemas", "run_report.schema.json").read_text())


def build_report(source: Volume, result: SynthesisResult, session: ModelSession,
                 energy: EnergyReport, output_path: Path) -> dict:
    """Assemble (and validate) the report of one run."""
    card = session.card
    out = result.volume
    report = {
        "report_version": 2,
        "synthetic": True,
        "label": SYNTHETIC_LABEL,
        "model": {**card.provenance(), "intended_use": card.data["intended_use"],
                  "card": card.path.name, "card_schema_version": card.data["schema_version"]},
        "input": {"series_uid": source.metadata.series_uid, "shape": list(source.shape),
                  "spacing_mm": list(source.geometry.spacing),
                  "description": source.metadata.series_description},
        "output": {"path": str(output_path), "shape": list(out.shape),
                   "format": "NRRD" if str(output_path).endswith(".nrrd") else "NIfTI",
                   "description": out.metadata.series_description},
        "run": {"provider": result.provider, "requested_providers": session.requested,
                "seconds": result.seconds, "run_seconds": result.run_seconds,
                "slices": result.slices, "slices_per_second": result.slices_per_second,
                "batches": result.batches, "notes": result.notes,
                "created": out.provenance["created"]},
        "domain": result.domain.as_dict(),
        "energy": energy.as_dict(),
    }
    sampler = out.provenance.get("sampler")
    if sampler is not None:
        joules = energy.joules
        report["sampler"] = {**sampler,
                             "joules_per_step": joules / (sampler["steps"] * sampler["samples"]),
                             "joules_per_sample": joules / sampler["samples"]}
    if result.trust is not None:
        report["trust"] = result.trust.as_dict()
    jsonschema.validate(report, report_schema())
    return report


def write_report(report: dict, path: Path) -> Path:
    """Write the report atomically."""
    return atomic.write_json(path, report, indent=2)
