"""The start screen: what to open, and the studies opened last, centred in the window.

It replaces the views until a study is shown (as Horos's and Slicer's welcome screens do): a
hint drawn in the first of three black views sat off-centre, recent studies were basenames, and
"Open a study to begin" stayed while a study named on the command line was already loading.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from viewer.model.state import ViewerState

INVITATION = "Open a study to begin"
RECENT_SHOWN = 6


def recent_label(path: str, width_chars: int = 90) -> str:
    """A recent study's full path, shortened in the middle when it is long (the folder that
    tells two studies apart is usually the last one, the drive the first)."""
    if len(path) <= width_chars:
        return path
    keep = width_chars - 3
    return f"{path[:keep // 3]}...{path[-(keep - keep // 3):]}"


def _scaled(font: QFont, factor: float) -> QFont:
    font.setPointSizeF(font.pointSizeF() * factor)
    return font


class StartPage(QWidget):
    """Buttons for each way of opening a study and the recent studies, or what is opening."""

    def __init__(self, open_recent: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("start-page")
        self.open_recent = open_recent
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        column = QWidget(self)
        column.setMaximumWidth(760)
        self.column = QVBoxLayout(column)
        outer.addWidget(column, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        self.title = QLabel(INVITATION, column)
        self.title.setFont(_scaled(self.title.font(), 1.8))
        self.title.setContentsMargins(0, 8, 0, 12)
        # The style sheet's polish measures the label before its font grows: room for it.
        self.title.setMinimumHeight(QFontMetrics(self.title.font()).height() + 24)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column.addWidget(self.title)
        self.buttons: list[QPushButton] = []
        self.drop_hint = QLabel("or drop a folder or file on this window", column)
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column.addWidget(self.drop_hint)
        self.recent_title = QLabel("Recent studies", column)
        self.recent_title.setFont(_scaled(self.recent_title.font(), 1.2))
        self.recent_title.setContentsMargins(0, 14, 0, 2)
        self.column.addWidget(self.recent_title)
        self.recent_buttons: list[QPushButton] = []
        self.demo_note = QLabel("The demo case is a synthetic phantom and the demo model is "
                                "trained on phantoms only: not for clinical use.", column)
        self.demo_note.setWordWrap(True)
        self.demo_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column.addWidget(self.demo_note)

    def set_actions(self, actions: list[QAction]) -> None:
        """A button for each way of opening a study, under the title."""
        at = self.column.indexOf(self.title) + 1
        for n, action in enumerate(actions):
            shortcut = action.shortcut().toString()
            button = QPushButton(action.text().replace("&", "") +
                                 (f"    {shortcut}" if shortcut else ""), self)
            button.clicked.connect(action.trigger)
            self.column.insertWidget(at + n, button)
            self.buttons.append(button)

    def set_recent(self, paths: list[str]) -> None:
        """List the recent studies, each with its full path (a click opens it)."""
        for button in self.recent_buttons:
            self.column.removeWidget(button)
            button.deleteLater()
        self.recent_buttons = []
        at = self.column.indexOf(self.recent_title) + 1
        for n, path in enumerate(paths[:RECENT_SHOWN]):
            button = QPushButton(recent_label(path), self)
            button.setObjectName("start-recent")
            button.setToolTip(path)
            button.clicked.connect(lambda _=False, p=path: self.open_recent(p))
            self.column.insertWidget(at + n, button)
            self.recent_buttons.append(button)
        self.recent_title.setVisible(bool(paths))

    def set_opening(self, what: str | None) -> None:
        """Say what is opening, e.g. "Opening /data/ct1..." (None: back to the invitation,
        after a failed or cancelled load)."""
        self.title.setText(what or INVITATION)
        for button in self.buttons + self.recent_buttons:
            button.setEnabled(what is None)


class StartScreen(QStackedWidget):
    """The start page until a non-contrast series is shown, the views from then on.

    The views must be made with this as their parent (``add_views``), never moved into it:
    moving a widget that holds VTK's native windows recreates those windows under VTK, which
    then crashes rendering into the old ones.
    """

    def __init__(self, state: ViewerState, open_recent: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.page = StartPage(open_recent, self)
        self.views: QWidget | None = None
        self.addWidget(self.page)
        state.volumes_changed.connect(lambda _role: self.follow())

    def add_views(self, views: QWidget) -> None:
        """The views (created with this stack as their parent) as the second page."""
        assert views.parent() is self, "create the views with the stack as their parent"
        self.views = views
        self.addWidget(views)
        self.follow()

    def showEvent(self, event) -> None:
        """The views are shown once first, so that VTK sets up their windows as Qt shows them
        (views first shown later, when a study opens, crashed OSMesa after later resizes);
        the start page follows as soon as they are up."""
        super().showEvent(event)
        if self.views is not None and not self._views_exposed:
            self._views_exposed = True
            self.setCurrentWidget(self.views)
            QTimer.singleShot(0, self.follow)

    _views_exposed = False

    def follow(self) -> None:
        """Show the views once a study is shown, the start page while none is."""
        shown = self.state.base is not None and self.views is not None
        self.setCurrentWidget(self.views if shown else self.page)
        if not shown:
            self.page.set_opening(None)

    @property
    def on_start_page(self) -> bool:
        """Whether the start page is what the window shows."""
        return self.currentWidget() is self.page

