"""Capture VTK views as pixel arrays (QWidget.grab cannot see native VTK windows)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkRenderingCore import vtkWindowToImageFilter

GAP_PX = 2


def capture(render_window: object) -> np.ndarray:
    """RGB pixels (rows top-to-bottom, uint8) of a render window, rendered now."""
    render_window.Render()  # type: ignore[attr-defined]
    grab = vtkWindowToImageFilter()
    grab.SetInput(render_window)
    grab.SetInputBufferTypeToRGB()
    grab.ReadFrontBufferOff()
    grab.Update()
    image = grab.GetOutput()
    w, h, _ = image.GetDimensions()
    pixels = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(h, w, -1)
    return np.ascontiguousarray(pixels[::-1, :, :3])


def compose_row(images: Sequence[np.ndarray]) -> np.ndarray:
    """Place view captures side by side with a thin dark gap, padded to a common height."""
    height = max(im.shape[0] for im in images)
    parts = []
    for n, im in enumerate(images):
        pad = np.zeros((height, im.shape[1], 3), dtype=np.uint8)
        pad[: im.shape[0]] = im
        parts.append(pad)
        if n < len(images) - 1:
            parts.append(np.full((height, GAP_PX, 3), 40, dtype=np.uint8))
    return np.concatenate(parts, axis=1)


def compose_grid(tiles: Sequence[tuple[int, int, np.ndarray]]) -> np.ndarray:
    """Arrange (row, col, pixels) captures as a grid, rows stacked top to bottom."""
    rows: dict[int, list[tuple[int, np.ndarray]]] = {}
    for r, c, im in tiles:
        rows.setdefault(r, []).append((c, im))
    strips = [compose_row([im for _, im in sorted(rows[r], key=lambda t: t[0])])
              for r in sorted(rows)]
    width = max(s.shape[1] for s in strips)
    parts = []
    for n, s in enumerate(strips):
        pad = np.zeros((s.shape[0], width, 3), dtype=np.uint8)
        pad[:, : s.shape[1]] = s
        parts.append(pad)
        if n < len(strips) - 1:
            parts.append(np.full((GAP_PX, width, 3), 40, dtype=np.uint8))
    return np.concatenate(parts, axis=0)


def capture_window(window, panels) -> np.ndarray:
    """A whole window as the user sees it: its widgets (QWidget.grab) with the pixels of each
    VTK panel (which grab cannot see) put where the panel sits."""
    from PySide6.QtCore import QPoint

    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(
        h, image.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()
    ratio = window.devicePixelRatioF()
    for panel in panels:
        view = capture(panel.render_window)
        # The render window fills the panel's canvas, inside the panel's frame.
        canvas = getattr(panel, "canvas", panel)
        corner = canvas.mapTo(window, QPoint(0, 0))
        y, x = round(corner.y() * ratio), round(corner.x() * ratio)
        rows, cols = min(view.shape[0], h - y), min(view.shape[1], w - x)
        if rows > 0 and cols > 0:
            pixels[y:y + rows, x:x + cols] = view[:rows, :cols]
    return pixels


def save_png(pixels: np.ndarray, path: str | Path) -> Path:
    """Write RGB uint8 pixels to a PNG file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.ascontiguousarray(pixels)
    h, w, _ = pixels.shape
    image = QImage(pixels.data, w, h, pixels.strides[0], QImage.Format.Format_RGB888)
    if not image.save(str(path)):
        raise OSError(f"could not write {path}")
    return path
