"""What a reading shows and how it hangs (no Qt): layers, layout, window, blinding."""

from __future__ import annotations

from dataclasses import dataclass, replace

from inference.io.volume import SeriesMetadata, Volume
from inference.readerstudy.design import Reading
from inference.readerstudy.prepare import SHOWN_ALONE, load_layer
from inference.readerstudy.store import StudyStore
from viewer.model.layout import Layout

LAYOUTS = {"1x1": Layout.ONE, "1x3": Layout.ROW, "2x2": Layout.GRID}


@dataclass
class Hanging:
    """The volumes of one reading and the arm's hanging protocol."""

    base: Volume
    overlay: Volume | None
    blinded: bool
    layout: Layout
    preset: str
    overlay_visible: bool
    overlay_toggle: bool


def _anonymous(volume: Volume, synthetic: bool) -> Volume:
    # Same empty metadata for every layer: descriptions, UIDs and provenance cannot leak.
    return replace(volume, metadata=SeriesMetadata(), provenance={}, synthetic=synthetic)


def hanging_for(store: StudyStore, reading: Reading) -> Hanging:
    """Load a reading's prepared layers (all on the non-contrast grid) for its arm."""
    arm = store.protocol.arm(reading.arm)
    folder = store.prepared_dir(reading.case)
    shown = reading.shown
    overlay = None
    if shown == "noncontrast":
        base = _anonymous(load_layer(folder, "noncontrast"), False)
    elif shown == "noncontrast+synthetic":
        base = _anonymous(load_layer(folder, "noncontrast"), False)
        overlay = _anonymous(load_layer(folder, "synthetic"), True)
    elif shown == "synthetic":
        base = _anonymous(load_layer(folder, SHOWN_ALONE["synthetic"]), True)
    elif shown == "real":
        base = _anonymous(load_layer(folder, SHOWN_ALONE["real"]), False)
    else:
        raise ValueError(f"unknown layer {shown!r}")
    return Hanging(base, overlay, arm.blinded, LAYOUTS[arm.layout], arm.preset,
                   arm.overlay_visible, arm.overlay_toggle and overlay is not None)
