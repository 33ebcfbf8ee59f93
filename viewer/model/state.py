"""The review state (no Qt, no VTK): loaded series, cursor, window, overlay settings, layout.

Views subscribe to the events and redraw; nothing here knows how things are drawn.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from inference.io.volume import Volume
from viewer.model import provenance
from viewer.model.annotations import AnnotationState
from viewer.model.events import Event
from viewer.model.layout import Layout, Role
from viewer.model.window_level import WindowLevel, initial_window

DEFAULT_THRESHOLD_HU = 40.0
DEFAULT_DIFFERENCE_BAND_HU = 40.0  # |synthetic - real| below this is noise, not coloured
DEFAULT_SMOOTHING_MM = 1.5  # about two voxels: speckle goes, a vessel wall stays


class OverlayMode(Enum):
    """How the digital-contrast layer is drawn over the non-contrast one."""

    SYNTHETIC = "synthetic image (greyscale)"
    ENHANCEMENT = "iodine enhancement (colour)"
    SWIPE = "swipe"
    DIFFERENCE = "difference (synthetic - real)"
    UNCERTAINTY = "uncertainty (model spread)"


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
        self.difference_threshold = DEFAULT_DIFFERENCE_BAND_HU
        self.swipe_position = 0.5
        self.layout = Layout.ROW
        # The preset a newly shown series opens with (None: the series' own window).
        self.window_preset: str | None = None
        # One event per field, so that a fade recomposes pixels and touches nothing else.
        self.volumes_changed = Event()  # (role)
        self.cursor_changed = Event()  # (cursor, source_plane or None)
        self.window_changed = Event()  # (WindowLevel)
        self.overlay_visible_changed = Event()  # (bool)
        self.overlay_opacity_changed = Event()  # (float)
        self.overlay_mode_changed = Event()  # (OverlayMode)
        self.enhancement_threshold_changed = Event()  # (float)
        self.difference_threshold_changed = Event()  # (float)
        self.swipe_position_changed = Event()  # (float)
        # In-plane smoothing (mm) of the colour maps, on by default (voxel-wise maps of two
        # noisy scans are mostly speckle); 0 shows them voxel by voxel.
        self.map_smoothing_mm = DEFAULT_SMOOTHING_MM
        self.map_smoothing_changed = Event()  # (float)
        # Voxel-wise spread of an ensemble's / flipped predictions, for the overlay in view.
        self.uncertainty: Volume | None = None
        self.uncertainty_changed = Event()  # (Volume | None)
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
        """Load (or with None, remove) the series in ``role``.

        A new non-contrast series removes every layer drawn over it (they belonged to the old
        one), centres the cursor and opens with ``initial_window``.
        """
        if role is Role.BASE:
            for other in (Role.OVERLAY, Role.COMPARE):
                if other in self.volumes:
                    self.set_volume(other, None)
        if role is not Role.COMPARE and self.uncertainty is not None:
            self.set_uncertainty(None)  # it described the overlay being replaced
        if volume is None:
            self.volumes.pop(role, None)
        else:
            if role is not Role.BASE and self.base is None:
                raise ValueError("open the non-contrast series first")
            self.volumes[role] = volume
        if role is Role.BASE and volume is not None:
            self.cursor = volume.geometry.center(volume.shape)
            self.window = initial_window(volume, self.window_preset)
        if self.overlay_mode not in self.available_modes():
            # e.g. a new, unregistered real scan: its difference is not a model error map.
            self.set_overlay_mode(OverlayMode.SYNTHETIC)
        self.volumes_changed.emit(role)
        if role is Role.BASE and volume is not None:
            self.window_changed.emit(self.window)

    def clear(self) -> None:
        """Remove every series (the reading screen between cases)."""
        self.set_volume(Role.BASE, None)

    def reset_window(self) -> None:
        """Back to the window the series opened with (R)."""
        if self.base is not None:
            self.set_window(initial_window(self.base, self.window_preset))

    def roles(self) -> tuple[Role, ...]:
        """Loaded roles in display order (non-contrast, digital, real)."""
        return tuple(r for r in Role if r in self.volumes)

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
        if bool(visible) != self.overlay_visible:
            self.overlay_visible = bool(visible)
            self.overlay_visible_changed.emit(self.overlay_visible)

    def toggle_overlay(self) -> None:
        """Flip overlay visibility (the `t` key)."""
        self.set_overlay_visible(not self.overlay_visible)

    def set_overlay_opacity(self, opacity: float) -> None:
        """Fade the overlay, 0..1; applied when compositing, nothing is recomputed."""
        value = float(np.clip(opacity, 0.0, 1.0))
        if value != self.overlay_opacity:
            self.overlay_opacity = value
            self.overlay_opacity_changed.emit(value)

    def set_overlay_mode(self, mode: OverlayMode) -> None:
        """Choose how the overlay is drawn (a mode that cannot draw now is refused)."""
        if mode not in self.available_modes():
            return
        if mode is not self.overlay_mode:
            self.overlay_mode = mode
            self.overlay_mode_changed.emit(mode)

    def set_map_smoothing(self, sigma_mm: float) -> None:
        """Smooth the enhancement and difference maps in-plane (0: off)."""
        value = max(0.0, float(sigma_mm))
        if value != self.map_smoothing_mm:
            self.map_smoothing_mm = value
            self.map_smoothing_changed.emit(value)

    def set_uncertainty(self, volume: Volume | None) -> None:
        """The spread of the overlay's predictions (None: the model gave a single one)."""
        if volume is not self.uncertainty:
            self.uncertainty = volume
            if volume is None and self.overlay_mode is OverlayMode.UNCERTAINTY:
                self.set_overlay_mode(OverlayMode.SYNTHETIC)
            self.uncertainty_changed.emit(volume)

    def available_modes(self) -> list[OverlayMode]:
        """Overlay modes that can draw something now: the uncertainty needs a spread, the
        difference a real scan registered onto the non-contrast grid (on the same grid but
        unregistered, patient motion would show as if it were the model's error)."""
        return [m for m in OverlayMode
                if (m is not OverlayMode.UNCERTAINTY or self.uncertainty is not None)
                and (m is not OverlayMode.DIFFERENCE or self.compare_registered)]

    def set_enhancement_threshold(self, hu: float) -> None:
        """Lowest enhancement (HU) coloured in the iodine overlay."""
        if float(hu) != self.enhancement_threshold:
            self.enhancement_threshold = float(hu)
            self.enhancement_threshold_changed.emit(self.enhancement_threshold)

    def set_difference_threshold(self, hu: float) -> None:
        """Half-width (HU) of the noise band the difference map leaves uncoloured."""
        if float(hu) != self.difference_threshold:
            self.difference_threshold = max(0.0, float(hu))
            self.difference_threshold_changed.emit(self.difference_threshold)

    def set_swipe_position(self, fraction: float) -> None:
        """Where the swipe divides the views (0 = left edge, 1 = right edge)."""
        value = float(np.clip(fraction, 0.0, 1.0))
        if value != self.swipe_position:
            self.swipe_position = value
            self.swipe_position_changed.emit(value)

    def next_overlay_mode(self) -> None:
        """Cycle through the overlay modes (the M key)."""
        modes = self.available_modes()
        current = modes.index(self.overlay_mode) if self.overlay_mode in modes else -1
        self.set_overlay_mode(modes[(current + 1) % len(modes)])

    def set_layout(self, layout: Layout) -> None:
        """Switch the screen layout."""
        if layout is not self.layout:
            self.layout = layout
            self.layout_changed.emit(layout)

    @property
    def compare_on_grid(self) -> bool:
        """True when the real contrast scan is on the non-contrast grid."""
        base, real = self.base, self.volumes.get(Role.COMPARE)
        return (base is not None and real is not None and real.shape == base.shape
                and base.geometry.same_grid(real.geometry))

    @property
    def compare_registered(self) -> bool:
        """True when the real scan was registered onto the non-contrast grid: the one rule
        for what needs registration (the difference map, the metrics). Two acquisitions on
        the same grid still differ by patient motion, which a difference would show as if
        it were the model's error."""
        real = self.volumes.get(Role.COMPARE)
        return self.compare_on_grid and real is not None and "registered_to" in real.provenance

    def layers(self) -> dict[str, Volume]:
        """Loaded series by the names annotation statistics and exports use."""
        names = provenance.layer_names(self)
        return {names[role]: vol for role, vol in self.volumes.items()}

    def values_at(self, point: np.ndarray) -> dict[Role, float | None]:
        """Value of every loaded series at a world point (nearest voxel)."""
        return {role: vol.value_at_world(point) for role, vol in self.volumes.items()}
