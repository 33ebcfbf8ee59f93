"""The layering rules hold and can fail: every package is seen, the engine stays headless."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)})


def _copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("inference", "viewer"):
        shutil.copytree(ROOT / name, tree / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree)
    return tree


def test_every_source_folder_is_a_package():
    missing = [str(d.relative_to(ROOT)) for top in ("inference", "viewer", "tests")
               for d in [ROOT / top, *(ROOT / top).rglob("*")]
               if d.is_dir() and d.name != "__pycache__" and any(d.glob("*.py"))
               and not (d / "__init__.py").exists()]
    assert missing == []


def test_at_least_four_contracts_are_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    kept = result.stdout.count(" KEPT")
    assert kept >= 4, result.stdout


def _lint_with(tmp_path: Path, module: str, line: str) -> str:
    """lint-imports' report on a copy of the tree with ``line`` added to ``module``."""
    tree = _copy_tree(tmp_path)
    path = tree / module
    path.write_text(f"{line}  # noqa\n" + path.read_text())
    result = _lint(tree)
    assert result.returncode != 0
    return " ".join(result.stdout.split())


def test_qt_in_the_reader_study_engine_breaks_the_contract(tmp_path):
    report = _lint_with(tmp_path, "inference/readerstudy/store.py",
                        "from PySide6.QtCore import QObject")
    assert "inference is headless: no viewer, Qt or VTK BROKEN" in report
    assert "inference.readerstudy.store" in report


def test_vtk_in_the_viewer_model_breaks_the_contract(tmp_path):
    report = _lint_with(tmp_path, "viewer/model/state.py", "import vtkmodules.vtkCommonCore")
    assert "Qt- and VTK-free BROKEN" in report


def test_views_must_not_reach_up_into_the_review_window(tmp_path):
    report = _lint_with(tmp_path, "viewer/views/view_grid.py", "import viewer.review.main_window")
    assert "viewer layers" in report and "BROKEN" in report
