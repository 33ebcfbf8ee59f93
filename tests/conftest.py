"""Test set-up: headless rendering, isolated user folders, shared generated data."""

from __future__ import annotations

import os
import tempfile

# Must happen before anything imports Qt or VTK. Under xvfb-run the caller sets xcb.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkOSOpenGLRenderWindow")
_home = tempfile.mkdtemp(prefix="dcreview-test-home-")
for var in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
    os.environ[var] = os.path.join(_home, var.lower())
os.environ.setdefault("DCREVIEW_PSEUDONYM_KEY", "test-key")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from inference.phantom.demo_case import DemoCase, write_demo_case  # noqa: E402

# A small demo case: coarse but with every structure, generated once per session.
SMALL_CASE = dict(matrix=96, slices=40, pixel_mm=4.0, slice_mm=7.5)


@pytest.fixture(scope="session")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> DemoCase:
    """The phantom pair written as DICOM at low resolution."""
    return write_demo_case(tmp_path_factory.mktemp("demo"), **SMALL_CASE)


@pytest.fixture(scope="session")
def pydicom_file():
    """Path of one of pydicom's bundled test files (never downloads)."""
    from pydicom.data import get_testdata_file

    def get(name: str) -> Path:
        path = get_testdata_file(name, download=False)
        if path is None:
            pytest.fail(f"pydicom test file {name} missing: install the [test] extra")
        return Path(path)

    return get


@pytest.fixture(scope="session")
def qapp():
    """pytest-qt's application is the product's own (icon, GUI-thread garbage collection)."""
    from viewer.views.application import application

    return application()


# Fixtures shared across the tree (a reader study, a PACS): defined in tests/support.
from tests.support.orthanc import fresh_orthanc, orthanc_server  # noqa: E402, F401
from tests.support.studies import prepared_cases, study  # noqa: E402, F401

GUI_FIXTURES = {"qtbot", "qapp"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Qt or renders with VTK is a GUI test: the Xvfb pass (the GLX
    path users take) runs exactly those, whoever forgot the marker."""
    for item in items:
        path = Path(str(item.fspath))
        if GUI_FIXTURES & set(getattr(item, "fixturenames", ())) or "viewer" in path.parts:
            item.add_marker(pytest.mark.gui)
