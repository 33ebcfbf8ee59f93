"""The one QApplication, created after VTK's Qt binding and render window are chosen."""

from __future__ import annotations

import sys

from viewer.views.vtk_setup import configure_rendering

configure_rendering()

from PySide6.QtGui import QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from viewer.assets import asset  # noqa: E402
from viewer.views.garbage_collection import install as collect_garbage_on_gui_thread  # noqa: E402
from viewer.views.theme import apply_dark_theme  # noqa: E402


def application() -> QApplication:
    """The QApplication (created once), named, with the dcreview icon and GUI-thread GC."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("dcreview")
        app.setOrganizationName("dcreview")
        app.setWindowIcon(QIcon(str(asset("icons", "dcreview.png"))))
        collect_garbage_on_gui_thread(app)
        apply_dark_theme(app)
    return app  # type: ignore[return-value]


SCREEN_FRACTION = 0.9  # a first start fills most of the screen, as a reading station should


def fit_to_screen(window, fraction: float = SCREEN_FRACTION) -> None:
    """Size a top-level window to ``fraction`` of its screen's free area, centred (a first
    start without remembered geometry; 1500x620 on a 1920x1080 screen wasted a third)."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        return
    area = screen.availableGeometry()
    window.resize(max(640, int(area.width() * fraction)), max(480, int(area.height() * fraction)))
    frame = window.frameGeometry()
    frame.moveCenter(area.center())
    window.move(frame.topLeft())
