"""The one QApplication, created after VTK's Qt binding and render window are chosen."""

from __future__ import annotations

import sys

from viewer.views.vtk_setup import configure_rendering

configure_rendering()

from PySide6.QtGui import QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from viewer.assets import asset  # noqa: E402
from viewer.views.garbage_collection import install as collect_garbage_on_gui_thread  # noqa: E402


def application() -> QApplication:
    """The QApplication (created once), named, with the dcreview icon and GUI-thread GC."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("dcreview")
        app.setOrganizationName("dcreview")
        app.setWindowIcon(QIcon(str(asset("icons", "dcreview.png"))))
        collect_garbage_on_gui_thread(app)
    return app  # type: ignore[return-value]
