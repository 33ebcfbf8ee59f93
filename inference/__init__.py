"""dcreview's headless engine: loading, series, synthesis, comparison, cohorts, reader studies.
It never imports Qt or VTK.

The names below are the public API a script uses (each is imported on first use, so that
``import inference`` stays light)::

    import inference

    cases = inference.read_manifest("cohort.csv")
    settings = inference.CaseSettings(evaluate=True)
    with inference.local_cluster(workers=4) as client:
        outcome = inference.run_cohort(cases, "out", settings, client)

See docs/api.md for the whole tour.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_HOMES = {
    # volumes
    "open_volume": "inference.io.loader",
    "Volume": "inference.io.volume",
    # what each series of a study is, and the pair for synthesis and comparison
    "scan": "inference.io.dicom.discovery",
    "classify_study": "inference.series.study",
    "choose_pair": "inference.series.pairing",
    # one case
    "load_model": "inference.synthesis.runtime",
    "synthesize": "inference.synthesis.engine",
    "register": "inference.compare.registration",
    "evaluate": "inference.pipeline.evaluation",
    "CaseSpec": "inference.pipeline.settings",
    "CaseSettings": "inference.pipeline.settings",
    "run_case": "inference.pipeline.case",
    # cohorts
    "read_manifest": "inference.batch.manifest",
    "run_cohort": "inference.batch.runner",
    "local_cluster": "inference.batch.runner",
    "CohortOutcome": "inference.batch.runner",
    # errors
    "DcreviewError": "inference.errors",
    "LoadError": "inference.errors",
    "ModelError": "inference.errors",
    "CohortStopped": "inference.batch.runner",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'inference' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
