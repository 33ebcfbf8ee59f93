"""Window/level state and presets (no Qt): the mapping from HU to displayed grey."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from inference.io.volume import Volume
from inference.resources import resource

MIN_WIDTH = 1.0


@dataclass(frozen=True)
class WindowLevel:
    """A display window: ``width`` HU wide centred on ``level`` HU."""

    width: float
    level: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", max(MIN_WIDTH, float(self.width)))
        object.__setattr__(self, "level", float(self.level))

    def grey(self, hu: np.ndarray | float) -> np.ndarray:
        """Displayed grey value 0..255 of HU values (linear ramp, clamped)."""
        lo = self.level - self.width / 2
        return np.clip((np.asarray(hu, dtype=float) - lo) / self.width, 0.0, 1.0) * 255.0

    def dragged(self, dx: float, dy: float, scale: float) -> WindowLevel:
        """New window after a mouse drag: right widens, down raises the level (PACS convention)."""
        return WindowLevel(self.width + dx * scale, self.level + dy * scale)


@dataclass(frozen=True)
class Preset:
    """A named window; ``window`` None means "take it from the DICOM header"."""

    key: str
    name: str
    window: WindowLevel | None


@lru_cache(maxsize=1)
def presets() -> tuple[Preset, ...]:
    """The window presets (inference/data/presets/window_presets.json), in number-key order."""
    data = json.loads(resource("presets", "window_presets.json").read_text())
    out = []
    for p in data["presets"]:
        window = None if p["width"] is None else WindowLevel(p["width"], p["level"])
        out.append(Preset(p["key"], p["name"], window))
    return tuple(out)


def preset(key: str) -> Preset:
    """Preset by key (e.g. 'angio')."""
    for p in presets():
        if p.key == key:
            return p
    raise KeyError(f"unknown window preset {key!r}; choose one of "
                   + ", ".join(p.key for p in presets()))


def default_window(volume: Volume) -> WindowLevel:
    """The DICOM-provided window if the series has one, else the abdomen preset."""
    m = volume.metadata
    if m.window_width and m.window_width > 0 and m.window_center is not None:
        return WindowLevel(m.window_width, m.window_center)
    return preset("abdomen").window  # type: ignore[return-value]


def resolve(p: Preset, volume: Volume) -> WindowLevel:
    """The window a preset means for this volume."""
    return p.window if p.window is not None else default_window(volume)


def initial_window(volume: Volume, preset_key: str | None = None) -> WindowLevel:
    """The window a newly shown series opens with (and R returns to): the chosen preset, if any,
    else the series' own window."""
    if preset_key:
        try:
            return resolve(preset(preset_key), volume)
        except KeyError:
            pass  # a preset remembered by another version: fall back to the series' window
    return default_window(volume)
