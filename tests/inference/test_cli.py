import shutil
import subprocess
import sys

import pytest

from inference.cli import main


def test_info_lists_series_and_geometry(small_case, capsys):
    assert main(["info", str(small_case.root)]) == 0
    out = capsys.readouterr().out
    assert "2 series" in out
    assert "Abdomen non-contrast (PHANTOM): CT, 40 images 96x96, 4.00 x 4.00 x 7.50 mm" in out
    assert "grid 96 x 96 x 40 voxels" in out and "axes i->L j->P k->S" in out
    assert "PHANTOM^ABDOMEN" not in out and "PHANTOM-0000" not in out


def test_info_exit_code_on_unusable_input(tmp_path, capsys):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00" * 300)
    assert main(["info", str(junk)]) == 2
    assert "error: file junk.bin is not DICOM" in capsys.readouterr().err


def test_info_reports_gap_and_fails(small_case, tmp_path, capsys):
    series = tmp_path / "gappy"
    shutil.copytree(small_case.noncontrast, series)
    (series / "IMG0011.dcm").unlink()
    assert main(["info", str(series)]) == 1
    captured = capsys.readouterr()
    assert "slice 11 of 40 is missing (gap 15.0 mm where 7.50 mm expected)" in captured.out
    assert "no loadable CT volume" in captured.err


def test_demo_data_command(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo-data", str(out), "--matrix", "48", "--slices", "12"]) == 0
    assert "not a patient" in capsys.readouterr().out
    assert len(list((out / "noncontrast").glob("*.dcm"))) == 12
    assert (out / "labels.nii.gz").exists() and (out / "truth.json").exists()


@pytest.mark.parametrize("module", ["inference", "viewer"])
def test_python_dash_m_entry_points(small_case, module):
    proc = subprocess.run([sys.executable, "-m", module, "info", str(small_case.noncontrast)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "40 images" in proc.stdout


def test_console_script_installed():
    exe = shutil.which("dcreview") or str(__import__("pathlib").Path(sys.executable).with_name(
        "dcreview"))
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("dcreview ")


def test_engine_never_imports_qt_or_vtk():
    code = ("import sys, inference.cli, inference.io.loader, inference.phantom.demo_case, "
            "inference.io.series_report; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'vtkmodules', 'vtk', "
            "'viewer')]; print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_progress_in_a_log_file_is_plain_lines(tmp_path):
    import io

    from inference.progress import ProgressEvent, TerminalProgress

    log = io.StringIO()
    progress = TerminalProgress(stream=log)
    for done in range(0, 101):
        progress(ProgressEvent("Synthesising", done, 100))
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0] == "Synthesising: 0/100" and lines[-1] == "Synthesising: 100/100"
    assert len(lines) == 11
