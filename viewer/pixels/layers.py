"""Which pixels the overlay layer contributes in each mode, and how they blend (numpy only).

One object per view grid holds the caches every view shares: grey/colour look-up tables and
the two subtraction volumes (enhancement = synthetic - non-contrast, difference = synthetic -
real), each computed once per pair of volumes.
"""

from __future__ import annotations

import numpy as np

from viewer.model.layout import Role
from viewer.model.state import OverlayMode, ViewerState
from viewer.pixels.compositor import Blend, LutCache
from viewer.pixels.enhancement import SubtractionCache, mask_outside, smooth_in_plane

BLENDS = {OverlayMode.SYNTHETIC: Blend.GREY, OverlayMode.ENHANCEMENT: Blend.COLOUR,
          OverlayMode.SWIPE: Blend.SWIPE, OverlayMode.DIFFERENCE: Blend.DIVERGING,
          OverlayMode.UNCERTAINTY: Blend.SPREAD}


class OverlayPixels:
    """Shared look-up tables and subtraction caches, and the overlay volume for a mode."""

    def __init__(self) -> None:
        self.luts = LutCache()
        self.enhancement = SubtractionCache()
        self.difference = SubtractionCache()
        self._masked: np.ndarray | None = None
        self._masked_key: tuple[int, int] | None = None
        self._smoothed: np.ndarray | None = None
        self._smoothed_key: tuple[int, float] | None = None

    def source(self, state: ViewerState) -> np.ndarray | None:
        """The 3-D array the overlay draws in the state's mode (None: nothing to draw)."""
        if state.overlay is None or state.base is None:
            return None
        mode = state.overlay_mode
        if mode is OverlayMode.UNCERTAINTY:
            return None if state.uncertainty is None else state.uncertainty.array
        if mode in (OverlayMode.ENHANCEMENT, OverlayMode.DIFFERENCE):
            raw = self._map(state)
            if raw is None or state.map_smoothing_mm <= 0:
                return raw
            key = (self._map_key(state), state.map_smoothing_mm)
            if self._smoothed_key != key:
                self._smoothed = smooth_in_plane(raw, state.base.geometry.spacing,
                                                 state.map_smoothing_mm)
                self._smoothed_key = key
            return self._smoothed
        return state.overlay.array

    @staticmethod
    def _map_key(state: ViewerState) -> tuple:
        """What the current map is made of (volumes by their never-reused tokens)."""
        real = state.volumes.get(Role.COMPARE)
        return (state.overlay_mode, state.base.token, state.overlay.token,
                None if real is None else real.token)

    def _map(self, state: ViewerState) -> np.ndarray | None:
        """The enhancement or (registered) difference map, unsmoothed."""
        assert state.base is not None and state.overlay is not None
        if state.overlay_mode is OverlayMode.ENHANCEMENT:
            return self.enhancement.get(state.base, state.overlay)
        # The difference is only meaningful once the real scan sits on this grid (registered).
        if not state.compare_registered:
            return None
        real = state.volumes[Role.COMPARE]
        key = (real.token, state.overlay.token)
        if self._masked_key != key:
            # Outside the real scan's field of view the "difference" is only its edge.
            self._masked = mask_outside(self.difference.get(real, state.overlay), real.array)
            self._masked_key = key
        return self._masked

    @staticmethod
    def blend(mode: OverlayMode) -> Blend:
        """How the overlay is mixed with the base in ``mode``."""
        return BLENDS[mode]
