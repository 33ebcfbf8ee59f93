"""Batch runs on real Dask: a LocalCluster, a separate scheduler with worker processes (one
killed mid-run), a client killed and re-run, and failing cases isolated with their reasons."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from inference.batch.ledger import LEDGER
from inference.batch.manifest import CaseSpec, read_manifest
from inference.batch.report import write_report
from inference.batch.runner import CohortStopped, local_cluster, run_cohort
from inference.phantom.demo_case import write_demo_case
from inference.pipeline.settings import CaseSettings
from inference.synthesis.card import default_card
from tests.support.onnx_models import conv_model, write_card_v2

# Small but inside the hard limits: 4 mm pixels (warned about), 256 mm field of view.
TINY = dict(matrix=64, slices=20, pixel_mm=4.0, slice_mm=7.5)
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    """Six phantom cases, one per sub-folder (different anatomy per seed)."""
    root = tmp_path_factory.mktemp("cohort")
    for seed in range(1, 7):
        write_demo_case(root / f"p{seed}", seed=seed, **TINY)
    return root


def ledger_rows(outdir: Path) -> list[tuple]:
    db = sqlite3.connect(outdir / LEDGER)
    try:
        return db.execute("SELECT case_id, status, reason FROM cases ORDER BY case_id").fetchall()
    finally:
        db.close()


def settings(**kw) -> CaseSettings:
    return CaseSettings(card=str(default_card().path), device="cpu", threads=1, **kw)


def run_batch(cases, out, case_settings, workers=1, **kw):
    """The cohort on a LocalCluster of ``workers`` (as `dcreview batch` runs it)."""
    with local_cluster(workers) as client:
        return run_cohort(cases, out, case_settings, client, **kw)


def test_local_cluster_runs_a_cohort_with_evaluation_and_report(cohort, tmp_path):
    cases = read_manifest(cohort)
    assert [c.case_id for c in cases] == [f"p{s}" for s in range(1, 7)]
    out = tmp_path / "out"
    outcome = run_batch(cases, out, settings(evaluate=True), workers=2)
    assert outcome.failed == 0 and len(outcome.results) == 6
    assert outcome.dashboard and outcome.dashboard.startswith("http://127.0.0.1:")
    assert [r[1] for r in ledger_rows(out)] == ["done"] * 6
    for c in cases:
        folder = out / "cases" / c.case_id
        assert (folder / "synthetic_digital_contrast.nii.gz").exists()
        report = json.loads((folder / "report.json").read_text())
        assert report["synthetic"] and "evaluation" in report
    totals = write_report(outcome.results, out)
    assert totals["ok"] == 6 and totals["out_of_domain"] == 6  # 4 mm pixels: warned
    rows = (out / "cohort.csv").read_text().splitlines()
    assert len(rows) == 7 and "lumen_dice" in rows[0]
    html = (out / "summary.html").read_text()
    assert "SYNTHETIC" in html and "bland_altman.png" in html
    for png in ("metrics.png", "mae_scatter.png", "bland_altman.png"):
        assert (out / png).stat().st_size > 5000
    # Workers ran the model once each, not once per case: at most two processes served all.
    assert len({r["worker"] for r in outcome.results}) <= 2
    # The demo model passes its trust checks on the phantoms (one, at these coarse 4 mm
    # pixels, shows no aorta the landmarks can find: review with care, never 'consistent'
    # by default); the aneurysm is measured on both scans, and their diameters compared.
    verdicts = totals["trust"]["verdicts"]
    assert verdicts["real contrast recommended"] == 0 and verdicts["consistent"] >= 5
    assert "aorta_max_diameter_real_mm" in rows[0] and "trust_verdict" in rows[0]
    agreement = totals["aorta_diameter_agreement"]
    # At 4 mm pixels and 7.5 mm slices (outside the model's domain) not every aorta is
    # followed far enough to measure, nor measured well: accuracy is test_aorta's; here the
    # report's agreement figures must exist and be finite.
    assert agreement["cases"] >= 2 and all(np.isfinite(agreement["limits"]))
    assert (out / "aorta_bland_altman.png").stat().st_size > 5000


def test_cohort_report_counts_trust_checks_and_calibrates_them(cohort, tmp_path):
    """Three cases through the enhance-everything model next to two through the demo
    model: each check's counts with its cases, and the error measured per verdict."""
    from tests.support.onnx_models import demo_like_card, enhance_above_model

    card = demo_like_card(enhance_above_model(tmp_path / "all.onnx"), "enhance-everything")
    cases = read_manifest(cohort)[:3]
    bad = run_batch(cases, tmp_path / "bad", CaseSettings(card=str(card), device="cpu",
                                                          threads=1, evaluate=True))
    good = run_batch(read_manifest(cohort)[3:5], tmp_path / "good", settings(evaluate=True))
    assert bad.failed == 0 and good.failed == 0
    totals = write_report([*bad.results, *good.results], tmp_path / "report")
    trust = totals["trust"]
    assert trust["verdicts"]["real contrast recommended"] == 3
    assert trust["verdicts"]["consistent"] == 2
    fat = trust["checks"]["unchanged: fat"]
    assert fat["fail"] == 3 and sorted(fat["cases"]) == ["p1", "p2", "p3"]
    by_verdict = {t["verdict"]: t for t in trust["calibration"]}
    flagged, fine = by_verdict["real contrast recommended"], by_verdict["consistent"]
    assert flagged["cases"] == 3 and fine["cases"] == 2
    # What the verdict means here: flagged cases are far worse against their real scans.
    assert flagged["mae_hu_mean"] > 3 * fine["mae_hu_mean"]
    assert flagged["mae_ratio_to_identity_mean"] > 1 > fine["mae_ratio_to_identity_mean"]
    html = (tmp_path / "report" / "summary.html").read_text()
    assert "Calibration: measured error by verdict" in html and "unchanged: fat" in html
    csv_text = (tmp_path / "report" / "cohort.csv").read_text()
    assert "unchanged: fat fail" in csv_text


def test_failures_are_isolated_with_their_reasons(cohort, tmp_path):
    bad = tmp_path / "corrupt"
    bad.mkdir()
    (bad / "slice1.dcm").write_bytes(b"not a scan" * 50)
    cases = [*read_manifest(cohort)[:2], CaseSpec("corrupt", str(bad))]
    out = tmp_path / "out"
    outcome = run_batch(cases, out, settings(), workers=2, retries=0)
    reasons = {r["case"]: r.get("reason") for r in outcome.results}
    assert reasons["p1"] is None and reasons["p2"] is None
    assert reasons["corrupt"].startswith("NoImagesError") or "DICOM" in reasons["corrupt"]
    assert ("corrupt", "failed") in [(r[0], r[1]) for r in ledger_rows(out)]
    assert not (out / "cases" / "corrupt").exists()


def test_a_nan_model_fails_every_case_and_the_limit_stops_the_run(cohort, tmp_path):
    card = write_card_v2(conv_model(tmp_path / "nan.onnx", bias=float("nan")),
                         spacing=(4.0, 4.0, 7.5))
    cases = read_manifest(cohort)
    with pytest.raises(CohortStopped, match="stopped after 2 failed") as stopped:
        run_batch(cases, tmp_path / "out", CaseSettings(card=str(card), device="cpu"),
                  workers=2, max_failures=2)
    assert stopped.value.outcome.failed >= 2  # the partial outcome travels with the stop
    rows = ledger_rows(tmp_path / "out")
    assert len(rows) >= 2 and all(r[1] == "failed" and "non-finite" in r[2] for r in rows)
    assert not any(p for p in (tmp_path / "out" / "cases").iterdir()
                   if not p.name.startswith("."))  # nothing written


def _cli(manifest: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "inference", "batch", str(manifest), "-o",
                             str(out), "--workers", "1", *extra], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def _wait_for_done(out: Path, n: int, timeout: float = 300.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if (out / LEDGER).exists():
            try:
                if sum(r[1] == "done" for r in ledger_rows(out)) >= n:
                    return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} cases done after {timeout} s")


def test_a_killed_client_resumes_without_redoing_finished_cases(cohort, tmp_path):
    out = tmp_path / "out"
    proc = _cli(cohort, out)
    _wait_for_done(out, 2)
    os.killpg(proc.pid, signal.SIGKILL)  # the client and its local cluster, at once
    proc.wait(timeout=30)
    done_before = {r[0] for r in ledger_rows(out) if r[1] == "done"}
    assert 2 <= len(done_before) < 6
    mtimes = {c: (out / "cases" / c / "synthetic_digital_contrast.nii.gz").stat().st_mtime_ns
              for c in done_before}
    proc = _cli(cohort, out)
    _stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert f"{len(done_before)} case(s) already done" in stderr.decode()
    assert [r[1] for r in ledger_rows(out)] == ["done"] * 6
    for c, mtime in mtimes.items():  # finished cases were skipped, not redone
        assert (out / "cases" / c / "synthetic_digital_contrast.nii.gz").stat().st_mtime_ns \
            == mtime
    assert not list((out / "cases").glob(".*.partial"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_worker_killed_mid_run_on_a_real_scheduler(cohort, tmp_path):
    """`dask scheduler` and two `dask worker` processes on loopback; one worker is SIGKILLed
    while cases run: every case still finishes exactly once."""
    psutil = pytest.importorskip("psutil")
    dask_cli = Path(sys.executable).with_name("dask")
    env = {**os.environ, "PYTHONPATH": str(REPO), "DASK_LOGGING__DISTRIBUTED": "warning"}
    port = _free_port()
    procs = [subprocess.Popen([str(dask_cli), "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--dashboard-address", "127.0.0.1:0"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    address = f"tcp://127.0.0.1:{port}"
    try:
        for _ in range(2):
            procs.append(subprocess.Popen(
                [str(dask_cli), "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                 "--dashboard-address", "127.0.0.1:0"], env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))
        from dask.distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        out = tmp_path / "out"
        runner = _cli(cohort, out, "--scheduler", address)
        _wait_for_done(out, 1)
        victims = psutil.Process(procs[1].pid).children(recursive=True)
        assert victims, "the worker process under its nanny"
        for v in victims:
            v.send_signal(signal.SIGKILL)
        _stdout, stderr = runner.communicate(timeout=600)
        assert runner.returncode == 0, stderr.decode()[-2000:]
        rows = ledger_rows(out)
        assert [r[0] for r in rows] == [f"p{s}" for s in range(1, 7)]  # each exactly once
        assert [r[1] for r in rows] == ["done"] * 6
        folders = sorted(p.name for p in (out / "cases").iterdir() if p.name != ".dcreview-made")
        assert folders == [f"p{s}" for s in range(1, 7)]  # no partial copies left
        for f in folders:
            assert json.loads((out / "cases" / f / "report.json").read_text())["synthetic"]
    finally:
        for p in procs:
            p.kill()
            p.wait(timeout=30)


def test_a_changed_card_for_the_same_model_file_redoes_every_case(cohort, tmp_path):
    """The ledger key holds the whole card: another name, version and output scaling around
    the very same ONNX file is another model, and its outputs are never the old ones."""
    from inference.io.image_file import read_image

    card = default_card()
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(card.onnx_path, models / card.onnx_path.name)
    data = json.loads(card.path.read_text())
    data.update(name="rescaled-demo", version="9.9.9")
    data["normalisation"]["output"]["multiply"] = 1400.0
    other = models / "rescaled-demo.card.json"
    other.write_text(json.dumps(data, indent=1))
    cases = read_manifest(cohort)[:2]
    out = tmp_path / "out"
    first = run_batch(cases, out, settings(), workers=1)
    assert first.failed == 0 and first.skipped == 0
    before = {c.case_id: read_image(out / "cases" / c.case_id /
                                    "synthetic_digital_contrast.nii.gz").array for c in cases}
    second = run_batch(cases, out, CaseSettings(card=str(other), device="cpu"), workers=1)
    assert second.skipped == 0 and second.failed == 0
    for c in cases:
        after = read_image(out / "cases" / c.case_id / "synthetic_digital_contrast.nii.gz").array
        assert np.abs(after.astype(float) - before[c.case_id]).max() > 50  # the new card's
        report = json.loads((out / "cases" / c.case_id / "report.json").read_text())
        assert report["model"]["model"] == "rescaled-demo"
    third = run_batch(cases, out, CaseSettings(card=str(other), device="cpu"), workers=1)
    assert third.skipped == 2  # the same card again: done
