"""One rule for when an action can be used: what it needs (a study, a digital contrast, a real
scan) decides whether it is enabled, and a disabled one says what it is waiting for.

Before, exporting, sending, annotating and registering were all enabled on the empty start
screen and answered with an error box or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtGui import QAction

from viewer.model.layout import Role
from viewer.model.state import ViewerState

Need = tuple[Callable[[ViewerState], bool], str]

STUDY: Need = (lambda s: s.base is not None, "open a study first")
DIGITAL: Need = (lambda s: s.overlay is not None,
                 "synthesise or open a digital contrast first")
REAL: Need = (lambda s: Role.COMPARE in s.volumes, "open a real contrast scan first")


class Availability:
    """Actions enabled by what is loaded; refreshed on every change of the series."""

    def __init__(self, state: ViewerState) -> None:
        self.state = state
        self.rules: list[tuple[QAction, Need, str]] = []
        state.volumes_changed.connect(lambda _role: self.refresh())

    def require(self, need: Need, actions: Iterable[QAction]) -> None:
        """``actions`` are enabled only while ``need`` holds."""
        for action in actions:
            self.rules.append((action, need, action.statusTip()))
        self.refresh()

    def refresh(self) -> None:
        """Enable what the loaded series allow; a disabled action says why."""
        for action, (holds, why), tip in self.rules:
            ok = holds(self.state)
            action.setEnabled(ok)
            action.setStatusTip(tip if ok else f"Not yet: {why}")
            action.setToolTip(action.text().replace("&", "") if ok else
                              f"{action.text().replace('&', '').rstrip('.')}: {why}")


def wire(window) -> Availability:
    """The review window's rules: what each menu entry and tool needs."""
    rules = Availability(window.state)
    files = window.file_actions
    rules.require(STUDY, [files["compare"], files["overlay"], files["send"],
                          window.act_screenshot,
                          window.act_reset, window.act_synthesize, window.annotate.act_import,
                          window.wl.act_custom, *window.preset_actions,
                          *window.annotate.tool_actions.values(), window.annotate.act_delete,
                          *window.annotate.export_actions])
    rules.require(DIGITAL, [window.act_export_dicom,
                            window.act_export_dicom_deid, window.act_export_image])
    rules.require(REAL, [window.compare.act_register, window.compare.act_revert,
                         window.compare.act_manual])
    return rules
