"""The review state (no Qt, no VTK): loaded series, cursor, window, overlay settings, layout.

Views subscribe to the events and redraw; nothing here knows how things are drawn.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from inference.volume import Volume
from viewer.annotation_state import AnnotationState
from viewer.events import Event
from viewer.layout import Layout, Role
from viewer.window_level import WindowLevel

DEFAULT_THRESHOLD_HU = 40.0


class OverlayMode(Enum):
    """How the digital-contrast layer is drawn over the non-contrast one."""

    SYNTHETIC = "synthetic image (greyscale)"
    ENHANCEMENT = "iodine enhancement (colour)"
    SWIPE = "swipe"
    DIFFERENCE = "difference (synthetic - real)"


class ViewerState:
    """Everything a review screen shows, with an event per kind of change."""

    def __init__(self) -> None:
        self.volumes: dict[Role, Volume] = {}
        self.cursor = np.zeros(3)
        self.window = WindowLevel(400, 40)
        self.overlay_visible = True
        self.overlay_opacity = 0.5
        self.overlay_mode = OverlayMode.SYNTHETIC
        self.enhancement_threshold = DEFAULT_THRESHOLD_HU
        self.swipe_position = 0.5
        self.layout = Layout.ROW
        self.volumes_changed = Event()  # (role)
        self.cursor_changed = Event()  # (cursor, source_plane or None)
        self.window_changed = Event()  # (WindowLevel)
        self.overlay_changed = Event()  # ()
        self.layout_changed = Event()  # (Layout)
        self.annotations = AnnotationState()
        # Only a reader study's blinded arm sets this; its protocol records the hidden label.
        self.blinded = False

    # -- series ------------------------------------------------------------------------------
    @property
    def base(self) -> Volume | None:
        """The non-contrast series every other layer is drawn over."""
        return self.volumes.get(Role.BASE)

    @property
    def overlay(self) -> Volume | None:
        """The digital-contrast (or any same-grid) overlay volume."""
        return self.volumes.get(Role.OVERLAY)

    def set_volume(self, role: Role, volume: Volume | None) -> None:
        """Load (or with None, remove) the series in ``role``."""
        if volume is None:
            self.volumes.pop(role, None)
        else:
            if role is not Role.BASE and self.base is None:
                raise ValueError("open the non-contrast series first")
            self.volumes[role] = volume
        if role is Role.BASE and volume is not None:
            self.cursor = volume.geometry.center(volume.shape)
        self.volumes_changed.emit(role)

    def roles(self) -> tuple[Role, ...]:
        """Loaded roles in display order (non-contrast, digital, real)."""
        return tuple(r for r in Role if r in self.volumes)

    def shows_synthetic(self, role: Role, overlay_drawn: bool) -> bool:
        """Whether a view shows synthetic pixels that must be labelled (never when blinded)."""
        if self.blinded:
            return False
        vol = self.volumes.get(role)
        if vol is not None and vol.synthetic:
            return True
        ov = self.overlay
        return bool(overlay_drawn and self.overlay_visible and ov is not None and ov.synthetic)

    # -- cursor and window -------------------------------------------------------------------
    def set_cursor(self, point: np.ndarray, source: object = None) -> None:
        """Move the linked crosshair (LPS mm)."""
        self.cursor = np.asarray(point, dtype=float)
        self.cursor_changed.emit(self.cursor, source)

    def set_window(self, window: WindowLevel) -> None:
        """Set the window/level shared by every greyscale layer."""
        if window != self.window:
            self.window = window
            self.window_changed.emit(window)

    # -- overlay -----------------------------------------------------------------------------
    def set_overlay_visible(self, visible: bool) -> None:
        """Show or hide the overlay layer."""
        self.overlay_visible = bool(visible)
        self.overlay_changed.emit()

    def toggle_overlay(self) -> None:
        """Flip overlay visibility (the `t` key)."""
        self.set_overlay_visible(not self.overlay_visible)

    def set_overlay_opacity(self, opacity: float) -> None:
        """Fade the overlay, 0..1; applied when compositing, nothing is recomputed."""
        self.overlay_opacity = float(np.clip(opacity, 0.0, 1.0))
        self.overlay_changed.emit()

    def set_overlay_mode(self, mode: OverlayMode) -> None:
        """Choose how the overlay is drawn."""
        self.overlay_mode = mode
        self.overlay_changed.emit()

    def set_enhancement_threshold(self, hu: float) -> None:
        """Lowest enhancement (HU) coloured in the iodine overlay."""
        self.enhancement_threshold = float(hu)
        self.overlay_changed.emit()

    def set_swipe_position(self, fraction: float) -> None:
        """Where the swipe divides the views (0 = left edge, 1 = right edge)."""
        self.swipe_position = float(np.clip(fraction, 0.0, 1.0))
        self.overlay_changed.emit()

    def set_layout(self, layout: Layout) -> None:
        """Switch the screen layout."""
        if layout is not self.layout:
            self.layout = layout
            self.layout_changed.emit(layout)

    @property
    def compare_on_grid(self) -> bool:
        """True when the real contrast scan is on the non-contrast grid (e.g. registered)."""
        base, real = self.base, self.volumes.get(Role.COMPARE)
        return (base is not None and real is not None and real.shape == base.shape
                and base.geometry.same_grid(real.geometry))

    def layers(self) -> dict[str, Volume]:
        """Loaded series by the names annotation statistics and exports use."""
        names = {Role.BASE: "non_contrast", Role.OVERLAY: "synthetic",
                 Role.COMPARE: "real_contrast"}
        return {names[role]: vol for role, vol in self.volumes.items()}

    def values_at(self, point: np.ndarray) -> dict[Role, float | None]:
        """Value of every loaded series at a world point (nearest voxel)."""
        return {role: vol.value_at_world(point) for role, vol in self.volumes.items()}
