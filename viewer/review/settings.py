"""What the viewer remembers between runs (QSettings): layout, preset, folders, recent studies."""

from __future__ import annotations

import tempfile

from PySide6.QtCore import QSettings

MAX_RECENT = 8


class ViewerSettings:
    """Typed access to the persisted settings."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qs = settings or QSettings("dcreview", "dcreview")

    def _get(self, key: str, default: str = "") -> str:
        value = self.qs.value(key, default)
        return default if value is None else str(value)

    @property
    def layout(self) -> str:
        """Name of the last layout."""
        return self._get("view/layout", "1x3")

    @layout.setter
    def layout(self, value: str) -> None:
        self.qs.setValue("view/layout", value)

    @property
    def preset(self) -> str:
        """Key of the last window preset chosen ('' for the series' own window)."""
        return self._get("view/preset", "")

    @preset.setter
    def preset(self, value: str) -> None:
        self.qs.setValue("view/preset", value)

    @property
    def last_folder(self) -> str:
        """Folder of the last opened study (file dialogs start there)."""
        return self._get("files/last_folder", "")

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self.qs.setValue("files/last_folder", value)

    def recent(self) -> list[str]:
        """Recently opened studies, newest first."""
        value = self.qs.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> None:
        """Remember ``path`` as the newest recent study."""
        items = [path] + [p for p in self.recent() if p != path]
        self.qs.setValue("files/recent", items[:MAX_RECENT])

    def save_geometry(self, data: bytes) -> None:
        """Window geometry blob from QWidget.saveGeometry()."""
        self.qs.setValue("window/geometry", data)

    def geometry(self) -> bytes | None:
        """Saved window geometry, if any."""
        value = self.qs.value("window/geometry")
        return None if value is None else bytes(value)

    def sync(self) -> None:
        """Write to disk now."""
        self.qs.sync()


def ephemeral_settings() -> ViewerSettings:
    """Settings in a throw-away file: screenshots and smoke tests never touch the user's."""
    path = tempfile.mkstemp(prefix="dcreview-screenshot-", suffix=".ini")[1]
    return ViewerSettings(QSettings(path, QSettings.Format.IniFormat))
