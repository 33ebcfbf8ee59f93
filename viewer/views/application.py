"""The one QApplication, created after VTK's Qt binding and render window are chosen."""

from __future__ import annotations

import sys

from viewer.views.vtk_setup import configure_rendering

configure_rendering()

from PySide6.QtGui import QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from inference.resources import resource  # noqa: E402


def application() -> QApplication:
    """The QApplication (created once), named and with the dcreview icon."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("dcreview")
        app.setOrganizationName("dcreview")
        app.setWindowIcon(QIcon(str(resource("icons", "dcreview.png"))))
    return app  # type: ignore[return-value]
