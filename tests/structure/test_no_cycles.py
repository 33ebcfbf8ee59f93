"""No import cycles, at any level, in the engine or the viewer; a new one fails this test."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .import_cycles import find_cycles

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("import_cycles.py")


@pytest.mark.parametrize("package", ["inference", "viewer"])
def test_there_is_no_import_cycle(package):
    assert find_cycles(package) == []


def _cycles_in_copy(tmp_path: Path, module: str, line: str) -> list[list[str]]:
    tree = tmp_path / "tree"
    for name in ("inference", "viewer"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    path = tree / module
    path.write_text(path.read_text() + f"\n\ndef _added():\n    {line}  # noqa\n")
    result = subprocess.run([sys.executable, str(SCRIPT), module.split("/")[0]],
                            capture_output=True, text=True, cwd=tree,
                            env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, check=True)
    return json.loads(result.stdout)


def test_a_cycle_hidden_in_a_function_local_import_is_found(tmp_path):
    cycles = _cycles_in_copy(tmp_path, "inference/progress.py", "import inference.cli")
    assert any("inference.progress" in c and "inference.cli" in c for c in cycles), cycles


def test_a_cycle_between_sibling_packages_is_found(tmp_path):
    cycles = _cycles_in_copy(tmp_path, "inference/annotations/store.py",
                             "from inference.dicom import measurement_report")
    assert ["inference.annotations", "inference.dicom"] in cycles, cycles
