"""Build the Linux release, install the .deb into a dpkg sandbox, smoke-test the installed copy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from inference import __version__

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="needs Debian's dpkg tools"),
]


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The release files, built with this test environment's interpreter."""
    out = tmp_path_factory.mktemp("release")
    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(out / "out"),
           "WORK": str(out / "work"), "SOURCE_DATE_EPOCH": "1790000000"}
    proc = subprocess.run(["bash", str(ROOT / "packaging" / "build_linux.sh")], env=env,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "out"


def smoke(executable: Path, xvfb: bool) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "VTK_DEFAULT_OPENGL_WINDOW", "PYTHONPATH")}
    cmd = [str(executable), "--smoke-test"]
    if xvfb:
        env["QT_QPA_PLATFORM"] = "xcb"
        cmd = ["xvfb-run", "-a", *cmd]
    else:
        env.update(QT_QPA_PLATFORM="offscreen",
                   VTK_DEFAULT_OPENGL_WINDOW="vtkOSOpenGLRenderWindow")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300,
                          cwd="/")
    start = proc.stdout.index("{")
    summary = json.loads(proc.stdout[start:])
    assert proc.returncode == 0 and summary["ok"], summary
    return summary


def test_deb_installs_and_the_installed_copy_passes_the_smoke_test(release, tmp_path):
    sums = (release / "SHA256SUMS").read_text()
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=release,
                          capture_output=True).returncode == 0
    deb = next(release.glob("*.deb"))
    assert deb.name == f"dcreview_{__version__}_amd64.deb" and deb.name in sums
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Version", "Depends"],
                            capture_output=True, text=True).stdout
    assert f"Version: {__version__}" in fields and "libxcb-cursor0" in fields
    root = tmp_path / "root"
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/updates").mkdir()
    (root / "var/lib/dpkg/status").touch()
    # The sandbox has no X/GL packages of its own: dependencies are checked by apt on real
    # workstations, not here.
    proc = subprocess.run(["dpkg", f"--root={root}", "--force-depends", "--force-not-root",
                           "--log=/dev/null", "-i", str(deb)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    launcher = root / "usr/bin/dcreview"
    assert launcher.is_symlink() and (root / "usr/share/applications/dcreview.desktop").exists()
    for xvfb in (False, True):
        summary = smoke(launcher, xvfb)
        assert summary["frozen"] and summary["dcreview"] == __version__
        assert summary["model"]["checksum_matches_card"]
        assert summary["model"]["trained_on"] == "synthetic phantoms"
        assert summary["render"]["synthetic_label_shown"]
        assert summary["render"]["qt_platform"] == ("xcb" if xvfb else "offscreen")
    assert "torch" not in " ".join(p.name for p in (root / "opt/dcreview/_internal").iterdir())


def test_archive_sbom_and_reproducible_metadata(release):
    tarball = next(release.glob("*.tar.gz"))
    assert tarball.name == f"dcreview-{__version__}-linux-cpu-x86_64.tar.gz"
    with tarfile.open(tarball) as tar:
        members = tar.getmembers()
    top = {m.name.split("/")[0] for m in members}
    assert top == {tarball.name.removesuffix(".tar.gz")}
    assert {m.mtime for m in members} == {1790000000} and {m.uid for m in members} == {0}
    sbom = json.loads(next(release.glob("*.cdx.json")).read_text())
    assert sbom["specVersion"] == "1.6"
    assert sbom["metadata"]["component"]["version"] == __version__
    names = {c["name"] for c in sbom["components"]}
    assert {"onnxruntime", "vtk", "pyside6-essentials", "pydicom"} <= names
    assert not names & {"torch", "pytest", "pyinstaller"}
