"""What can be checked here of the installer scripts for other systems, and the locks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from inference import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


@pytest.mark.skipif(not shutil.which("makensis"), reason="needs Debian's nsis")
def test_windows_installer_script_compiles(tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "dcreview.exe").write_bytes(b"placeholder")
    proc = subprocess.run(["makensis", "-V2", f"-DVERSION={__version__}", "-DVARIANT=cpu",
                           f"-DBUNDLE={bundle}", f"-DOUTDIR={tmp_path}",
                           str(PACKAGING / "windows" / "dcreview.nsi")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / f"dcreview-{__version__}-windows-cpu-setup.exe").stat().st_size > 10_000
    text = (PACKAGING / "windows" / "dcreview.nsi").read_text()
    assert "RequestExecutionLevel user" in text and "$LOCALAPPDATA" in text


def test_shell_scripts_parse_and_spec_is_python():
    for script in ("build_linux.sh", "build_macos.sh", "lock.sh"):
        assert subprocess.run(["bash", "-n", str(PACKAGING / script)]).returncode == 0
    compile((PACKAGING / "dcreview.spec").read_text(), "dcreview.spec", "exec")


@pytest.mark.parametrize("lock", sorted(p.name for p in (PACKAGING / "locks").glob("*.txt")))
def test_locks_pin_every_package_with_hashes(lock):
    text = (PACKAGING / "locks" / lock).read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\$", text, flags=re.MULTILINE)
    assert pins and len(pins) == len(re.findall(r"^[A-Za-z0-9_.-]+==", text, re.MULTILINE))
    entries = re.split(r"^(?=[A-Za-z0-9_.-]+==)", text, flags=re.MULTILINE)[1:]
    assert all("--hash=sha256:" in entry for entry in entries)
    runtimes = [p for p in pins if p.startswith("onnxruntime")]
    if lock.startswith("build-tools"):
        assert runtimes == [] and "pyinstaller" in pins
    else:
        assert len(runtimes) == 1  # onnxruntime and onnxruntime-gpu overwrite each other
        assert "torch" not in pins and "pytest" not in pins
