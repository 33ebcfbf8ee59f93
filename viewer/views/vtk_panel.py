"""A QWidget holding one VTK render window, with the GL-context lifecycle done safely."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget


class VtkPanel(QWidget):
    """Base of the views: subclasses set ``self.canvas`` (a QVTKRenderWindowInteractor).

    The VTK interactor (and with it the GL context) is created only after Qt has shown and
    sized the native window: created earlier, OSMesa contexts crash on the next context
    switch. Nothing renders while hidden or after closing, when the native window may be gone.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._exposed = False

    @property
    def render_window(self):
        """The VTK render window of this view."""
        return self.canvas.GetRenderWindow()

    def ensure_interactor(self) -> bool:
        """Initialise the interactor when it is safe; True when rendering is possible."""
        if not self.isVisible():
            return False
        interactor = self.render_window.GetInteractor()
        if not interactor.GetInitialized() and self._exposed:
            interactor.Initialize()
        return bool(interactor.GetInitialized())

    def showEvent(self, event) -> None:
        """Initialise VTK once Qt has finished showing and sizing the native window."""
        super().showEvent(event)
        QTimer.singleShot(0, self._on_exposed)

    def _on_exposed(self) -> None:
        self._exposed = True
        self.render()

    def before_render(self) -> None:
        """Hook: bring the scene up to date just before painting."""

    def render(self) -> None:
        """Redraw now (nothing before the native window has a GL context)."""
        if self.ensure_interactor():
            self.before_render()
            self.render_window.Render()

    def closeEvent(self, event) -> None:
        """Release the OpenGL context before Qt destroys the native window."""
        self.render_window.Finalize()
        super().closeEvent(event)
