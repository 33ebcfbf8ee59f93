"""What a slice view shows, as rules in numpy (no Qt, no VTK): slices, window/level tables,
the fade, the swipe curtain and the colour maps' tables.

The views draw these rules on the GPU (viewer.views.slice_image samples the same tables);
``compose`` is their reference, which the tests hold the rendered pixels to. The slice of each
layer is a zero-copy view into its volume; window/level is a lookup table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from inference.io.volume import Volume
from viewer.model.window_level import WindowLevel
from viewer.pixels.enhancement import (
    DIFFERENCE_BAND_HU,
    DIFFERENCE_RANGE_HU,
    ENHANCEMENT_MAX_HU,
    UNCERTAINTY_MAX_HU,
    UNCERTAINTY_THRESHOLD_HU,
    diverging_table,
    iodine_table,
)

_OFFSET = 32768  # int16 value v sits at LUT index v + 32768


class Blend(Enum):
    """How the overlay slice joins the base slice."""

    GREY = "grey"  # synthetic image, greyscale, faded by opacity
    COLOUR = "colour"  # enhancement map through the iodine colour table
    DIVERGING = "diverging"  # signed difference: blue below zero, red above
    SWIPE = "swipe"  # overlay on one side of a column, base on the other
    SPREAD = "spread"  # model uncertainty (HU SD) through the same hot colours, finer scale


@dataclass(frozen=True)
class SliceGeometry:
    """Where a 2-D slice of a volume sits: its array axes and the world affine of its pixels."""

    axis: int  # index axis held fixed (0 = i, 1 = j, 2 = k)
    index: int
    row_axis: int
    col_axis: int
    matrix: np.ndarray  # 4x4: (col, row, 0, 1) -> LPS mm


def slice_geometry(volume: Volume, axis: int, index: int) -> SliceGeometry:
    """Array axes and pixel-to-world matrix of slice ``index`` across index axis ``axis``."""
    row_axis, col_axis = {2: (1, 0), 1: (2, 0), 0: (2, 1)}[axis]
    g = volume.geometry
    d = g.direction_matrix
    m = np.eye(4)
    m[:3, 0] = d[:, col_axis] * g.spacing[col_axis]
    m[:3, 1] = d[:, row_axis] * g.spacing[row_axis]
    m[:3, 2] = d[:, axis] * g.spacing[axis]
    ijk = [0.0, 0.0, 0.0]
    ijk[axis] = float(index)
    m[:3, 3] = g.index_to_world(ijk)
    return SliceGeometry(axis, index, row_axis, col_axis, m)


def extract(array: np.ndarray, axis: int, index: int) -> np.ndarray:
    """Zero-copy 2-D view (rows, cols) of a (k, j, i) array across index axis ``axis``."""
    if axis == 2:
        return array[index]
    if axis == 1:
        return array[:, index, :]
    return array[:, :, index]


class LutCache:
    """Lookup tables by parameters, rebuilt only when the parameters change."""

    def __init__(self) -> None:
        self._grey: tuple[WindowLevel, np.ndarray] | None = None
        self._colour: tuple[float, np.ndarray] | None = None
        self._diverging: tuple[tuple[float, float], np.ndarray] | None = None

    def grey(self, window: WindowLevel) -> np.ndarray:
        """uint8 grey for every int16 value."""
        if self._grey is None or self._grey[0] != window:
            values = np.arange(-_OFFSET, _OFFSET, dtype=np.float32)
            lut = np.rint(window.grey(values)).astype(np.uint8)
            self._grey = (window, lut)
        return self._grey[1]

    def colour(self, threshold: float, max_hu: float = ENHANCEMENT_MAX_HU) -> np.ndarray:
        """RGBA uint8 (65536 x 4) iodine colours for every int16 value over [0, max_hu]."""
        key = (threshold, max_hu)
        if self._colour is None or self._colour[0] != key:
            table = (iodine_table(threshold, max_hu=max_hu) * 255).round().astype(np.uint8)
            values = np.arange(-_OFFSET, _OFFSET, dtype=np.float32)
            idx = np.clip(values / max_hu * (len(table) - 1), 0, len(table) - 1)
            lut = table[idx.astype(np.int64)]
            lut[values < 0] = 0  # negative enhancement is never coloured
            self._colour = (key, lut)
        return self._colour[1]

    def diverging(self, range_hu: float, threshold: float) -> np.ndarray:
        """RGBA uint8 for signed differences (enhancement.diverging_table: the colour bar's
        too): uncoloured inside the noise band, red above it, blue below."""
        key = (range_hu, threshold)
        if self._diverging is None or self._diverging[0] != key:
            values = np.arange(-_OFFSET, _OFFSET, dtype=np.float32)
            lut = diverging_table(values, range_hu, threshold)
            self._diverging = (key, np.rint(lut * 255).astype(np.uint8))
        return self._diverging[1]


def lookup(lut: np.ndarray, slice2d: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Apply a 65536-entry table to an int16 (or float) slice (``np.take``: several times
    faster than fancy indexing), into ``out`` when given."""
    if slice2d.dtype == np.int16:
        index = slice2d.view(np.uint16) ^ np.uint16(0x8000)
    else:
        index = (np.clip(np.rint(slice2d), -_OFFSET, _OFFSET - 1) + _OFFSET).astype(np.uint16)
    return np.take(lut, index, axis=0, out=out)


def colour_table(luts: LutCache, blend: Blend, threshold: float,
                 diverging: tuple[float, float]) -> np.ndarray | None:
    """The RGBA table (65536 x 4 uint8, by int16 value) of a colour blend; None for grey ones."""
    if blend is Blend.DIVERGING:
        return luts.diverging(*diverging)
    if blend is Blend.SPREAD:
        return luts.colour(UNCERTAINTY_THRESHOLD_HU, UNCERTAINTY_MAX_HU)
    if blend is Blend.COLOUR:
        return luts.colour(threshold)
    return None


def fade(grey: np.ndarray, over: np.ndarray, opacity: float) -> np.ndarray:
    """uint8 ``over`` faded over ``grey`` at ``opacity``: fixed point, weights out of 256
    (within one grey level of the exact blend). uint16 arithmetic, since 255 * 256 + 128
    fits: three times faster than a 64 k table indexed by both greys."""
    a = round(float(opacity) * 256)
    mixed = np.multiply(grey, 256 - a, dtype=np.uint16)
    mixed += np.multiply(over, a, dtype=np.uint16)
    mixed += 128
    mixed >>= 8
    return mixed.astype(np.uint8)


def _put(out: np.ndarray, grey: np.ndarray) -> np.ndarray:
    """A grey slice into a grey (rows, cols) or an RGB (rows, cols, 3) output."""
    if out.ndim == 2:
        np.copyto(out, grey)
    else:
        out[...] = grey[..., None]
    return out


def compose(base: np.ndarray, window: WindowLevel, luts: LutCache, out: np.ndarray,
            overlay: np.ndarray | None = None, blend: Blend = Blend.GREY,
            opacity: float = 0.5, threshold: float = 40.0,
            swipe: tuple[float, bool] | None = None,
            diverging: tuple[float, float] = (DIFFERENCE_RANGE_HU, DIFFERENCE_BAND_HU)
            ) -> np.ndarray:
    """Write the displayed slice of a base slice and optional overlay into ``out``: RGB
    (rows, cols, 3 uint8), or grey (rows, cols) for a grey result.

    ``swipe`` is (column, overlay_on_higher_columns) for Blend.SWIPE; ``diverging`` is
    (symmetric range, threshold) in HU for Blend.DIVERGING. The viewer draws the same rules
    on the GPU (viewer.views.slice_image); this is their reference.
    """
    grey = lookup(luts.grey(window), base)
    if overlay is None or (blend is not Blend.SWIPE and opacity <= 0.0):
        return _put(out, grey)
    if blend is Blend.SWIPE:
        col, higher = swipe if swipe is not None else (base.shape[1] / 2, True)
        over = lookup(luts.grey(window), overlay)
        # A curtain: each side at full strength (a faded side would read as neither image).
        cols = np.arange(base.shape[1])
        use = (cols >= col) if higher else (cols < col)
        return _put(out, np.where(use[None, :], over, grey))
    if blend is Blend.GREY:
        over = lookup(luts.grey(window), overlay)
        return _put(out, fade(grey, over, opacity))
    table = colour_table(luts, blend, threshold, diverging)
    assert table is not None
    rgba = lookup(table, overlay)
    if out.ndim == 2:
        raise ValueError("a colour blend needs an RGB output")
    alpha = rgba[..., 3:4].astype(np.float32) * np.float32(opacity / 255.0)
    out[...] = np.rint(grey[..., None] * (1 - alpha) + rgba[..., :3] * alpha).astype(np.uint8)
    return out
