"""The public API: `import inference` stays light and names every entry point; the cohort
script of docs/api.md runs as written; in-process and Dask runs follow the same rules."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

import inference
from inference.batch.ledger import Ledger
from inference.batch.runner import Job, local_cluster, run_jobs
from inference.phantom.demo_case import write_demo_case

REPO = Path(__file__).resolve().parents[3]


def test_import_is_light_and_every_name_resolves():
    code = ("import sys, inference; heavy = [m for m in ('onnxruntime', 'SimpleITK', 'pydicom',"
            " 'dask', 'numpy') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    assert out.strip() == "[]"
    assert 12 <= len(inference.__all__) <= 20
    for name in inference.__all__:
        assert getattr(inference, name) is not None
    with pytest.raises(AttributeError):
        inference.not_a_name  # noqa: B018


def test_settings_are_frozen():
    settings = inference.CaseSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.threads = 4  # type: ignore[misc]


def _docs_script() -> str:
    text = (REPO / "docs" / "api.md").read_text()
    section = text.split("## A cohort in ten lines", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_ten_line_cohort_script_of_the_docs_runs(tmp_path):
    script = _docs_script()
    assert len([ln for ln in script.splitlines() if ln.strip()]) <= 10
    for seed in (1, 2):
        write_demo_case(tmp_path / "cohort" / f"p{seed}", seed=seed, matrix=64, slices=20,
                        pixel_mm=4.0, slice_mm=7.5)
    (tmp_path / "cohort.py").write_text(script)
    proc = subprocess.run([sys.executable, "cohort.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env={"PYTHONPATH": str(REPO),
                                                       "PATH": "/usr/bin:/bin",
                                                       "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert [ln.split()[:2] for ln in lines[:2]] == [["p1", "ok"], ["p2", "ok"]]
    assert "mae_hu" in lines[0]
    assert lines[-1] == "0 failed, 0 already done"
    assert (tmp_path / "out" / "cases" / "p1" / "synthetic_digital_contrast.nii.gz").exists()


@pytest.mark.parametrize("where", ["in-process", "dask"])
def test_in_process_and_dask_runs_retry_and_isolate_alike(tmp_path, where):
    from tests.support.flaky_jobs import crash_then_succeed, refuse

    jobs = [Job("flaky", "k1", crash_then_succeed, ("flaky", str(tmp_path / "c1"), 1)),
            Job("broken", "k2", crash_then_succeed, ("broken", str(tmp_path / "c2"), 9)),
            Job("refused", "k3", refuse, ("refused", str(tmp_path / "c3")))]
    ledger = Ledger(tmp_path)
    try:
        if where == "dask":
            with local_cluster(1) as client:
                outcome = run_jobs(jobs, ledger, client, retries=2)
        else:
            outcome = run_jobs(jobs, ledger, None, retries=2)
        rows = {r["case_id"]: r for r in ledger.rows()}
    finally:
        ledger.close()
    assert (rows["flaky"]["status"], rows["flaky"]["attempts"]) == ("done", 2)
    assert (rows["broken"]["status"], rows["broken"]["attempts"]) == ("failed", 3)
    assert "RuntimeError: crash 3" in rows["broken"]["reason"]
    assert (rows["refused"]["status"], rows["refused"]["attempts"]) == ("failed", 1)
    assert "not a CT series" in rows["refused"]["reason"]
    assert (tmp_path / "c3").read_text() == "1"  # a refusal is never retried
    assert outcome.failed == 2 and sorted(c.case_id for c in outcome.cases if c.ok) == ["flaky"]
