"""Choose VTK's Qt binding and render window before any VTK/Qt module is imported."""

from __future__ import annotations

import os


def configure_rendering() -> None:
    """Headless runs (QT_QPA_PLATFORM=offscreen) need VTK's OSMesa window to render real pixels."""
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkOSOpenGLRenderWindow")
    import vtkmodules.qt

    vtkmodules.qt.PyQtImpl = "PySide6"
