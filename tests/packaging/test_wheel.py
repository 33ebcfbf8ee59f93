"""The wheel a cluster worker installs: built from the checkout, installed into a fresh venv,
run from a folder outside the checkout. It carries its model, schemas and presets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from inference import __version__

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

DATA = ("inference/data/models/dcreview-demo-phantom.onnx",
        "inference/data/models/dcreview-demo-phantom.card.json",
        "inference/data/schemas/model_card.schema.json",
        "inference/data/schemas/run_report.schema.json",
        "inference/data/schemas/study_protocol.schema.json",
        "inference/data/presets/window_presets.json", "viewer/data/icons/dcreview.png")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the wheel only; its dependencies are this environment's, seen
    through a path entry (not this checkout: the editable install's hook is not read)."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the checkout's files (as a clean clone would hold them): a build
    # folder left in the checkout could carry stale modules into the wheel.
    source = work / "source"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(work / "dist"), str(source)], check=True, timeout=600)
    wheel = next((work / "dist").glob(f"dcreview-{__version__}-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(DATA) <= names, sorted(set(DATA) - names)
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True,
                   timeout=600)
    return venv


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DCREVIEW_MODELS")}
    env["HOME"] = str(tmp)
    for var in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        env[var] = str(tmp / var.lower())
    return env


def test_the_installed_package_comes_from_the_wheel(installed, tmp_path):
    out = subprocess.run([str(installed / "bin" / "python"), "-c",
                          "import inference, viewer; print(inference.__file__); "
                          "print(viewer.__file__)"], capture_output=True, text=True,
                         cwd=tmp_path, env=_env(tmp_path), check=True).stdout.split()
    assert all(Path(p).is_relative_to(installed) for p in out), out


def test_a_wheel_installed_outside_the_checkout_synthesises(installed, tmp_path):
    env = _env(tmp_path)
    dcreview = str(installed / "bin" / "dcreview")
    subprocess.run([dcreview, "demo-data", "case", "--matrix", "96", "--slices", "40",
                    "--pixel-mm", "4", "--slice-mm", "7.5"], cwd=tmp_path, env=env,
                   check=True, capture_output=True)
    proc = subprocess.run([dcreview, "synthesize", "case/noncontrast", "-o", "out", "--dicom"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["model"]["model"] == "dcreview-demo-phantom"
    assert (tmp_path / "out" / "synthetic_digital_contrast.nii.gz").exists()
    assert len(list((tmp_path / "out" / "dicom").glob("*.dcm"))) == 40


def test_the_installed_viewer_passes_its_smoke_test(installed, tmp_path):
    env = {**_env(tmp_path), "QT_QPA_PLATFORM": "offscreen",
           "VTK_DEFAULT_OPENGL_WINDOW": "vtkOSOpenGLRenderWindow"}
    proc = subprocess.run([str(installed / "bin" / "dcreview"), "--smoke-test"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    summary = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert summary["ok"] and Path(summary["data"]).is_relative_to(installed)
