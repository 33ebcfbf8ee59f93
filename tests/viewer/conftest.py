"""Fixtures of the viewer's tests: settings of their own, the phantom volumes, an open window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from inference.io.loader import open_volume
from tests.support.viewer import open_window
from viewer.review.settings import ViewerSettings
from viewer.views.application import application  # noqa: F401  (configures VTK's Qt binding first)


@pytest.fixture(autouse=True)
def own_annotation_store(tmp_path, monkeypatch):
    """Each test starts with no saved annotations (the store is keyed by study)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def settings(tmp_path) -> ViewerSettings:
    """Settings in a file of the test's own (never the user's)."""
    return ViewerSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture(scope="session")
def phantom_volumes(small_case):
    """(non-contrast, arterial) volumes of the small case, loaded once."""
    return (open_volume(small_case.noncontrast).volume, open_volume(small_case.contrast).volume)


@pytest.fixture
def window(qtbot, settings, phantom_volumes):
    """The window showing the non-contrast phantom only."""
    return open_window(qtbot, settings, phantom_volumes[0])


