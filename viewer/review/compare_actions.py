"""The Compare menu: register the real scan, include an affine stage, revert, adjust by hand."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStatusBar

from inference.compare.registration import RegistrationResult
from inference.errors import Cancelled, DcreviewError
from viewer.model.layout import Role
from viewer.model.shortcuts import NUDGE_KEYS, key
from viewer.model.state import ViewerState
from viewer.review.comparison import ComparisonPanel
from viewer.review.registration import ROTATE_DEG, TRANSLATE_MM, RegistrationController

# One step per nudge key, in NUDGE_KEYS order: (rotation deg, translation mm).
_T, _R = TRANSLATE_MM, ROTATE_DEG
NUDGES = (((0, 0, 0), (-_T, 0, 0)), ((0, 0, 0), (_T, 0, 0)), ((0, 0, 0), (0, -_T, 0)),
          ((0, 0, 0), (0, _T, 0)), ((0, 0, 0), (0, 0, _T)), ((0, 0, 0), (0, 0, -_T)),
          ((0, 0, -_R), (0, 0, 0)), ((0, 0, _R), (0, 0, 0)))


def registration_message(result: RegistrationResult, affine: bool) -> str:
    """What the status bar says after a registration."""
    p = result.parameters
    rot = ", ".join(f"{v:.1f}" for v in p["rotation_deg"])
    shift = ", ".join(f"{v:.1f}" for v in p["translation_mm"])
    warn = ("; " + "; ".join(result.warnings)) if result.warnings else ""
    stages = "rigid + affine" if affine else "rigid"
    return (f"Registered ({stages}): body outlines agree to "
            f"{result.surface_distance_mm:.1f} mm (mean surface distance), Mattes MI "
            f"{result.metric:.3f}; rotation ({rot}) deg, translation ({shift}) mm. "
            f"Accept, or use Compare > Manual adjust{warn}")


class CompareActions(QObject):
    """Registration of the real contrast scan from the menus, with its messages."""

    def __init__(self, state: ViewerState, status_bar: QStatusBar, panel: ComparisonPanel,
                 action: Callable[..., QAction], show_error: Callable[[str, str], object],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.status_bar = status_bar
        self.panel = panel
        self.show_error = show_error
        self.registration = RegistrationController(status_bar, self)
        self.registration.finished.connect(self._on_registered)
        self.registration.failed.connect(self._on_failed)
        self.act_register = action("&Register real contrast scan onto the non-contrast",
                                   self.start_registration, key("register"))
        self.act_revert = action("Revert to the scan as acquired", self.revert)
        self.act_affine = action(
            "Include an &affine stage (scaling, shear) after the rigid one",
            lambda on: setattr(self.registration, "affine", bool(on)), checkable=True)
        self.act_manual = action("&Manual adjust mode (Alt+arrows, Alt+PgUp/PgDn, "
                                 "Alt+[ / Alt+])", self._toggle_manual, checkable=True)
        self.manual_actions = []
        for k, (rot, shift) in zip(NUDGE_KEYS, NUDGES, strict=True):
            act = action(f"Nudge {k}", lambda _=False, r=rot, t=shift: self.nudge(r, t), k)
            act.setEnabled(False)
            self.manual_actions.append(act)
        state.volumes_changed.connect(self._on_volumes)

    @property
    def menu_actions(self) -> tuple[QAction, ...]:
        """The Compare menu's entries, in order."""
        return (self.act_register, self.act_affine, self.act_revert, self.act_manual)

    def _on_volumes(self, role: Role) -> None:
        # A new scan: any earlier registration belonged to another one. The registration's
        # own result is set with ``replaced`` below and must not reset it.
        if role in (Role.BASE, Role.COMPARE) and not self._replacing:
            self.registration.forget()

    _replacing = False

    def _show_registered(self, volume) -> None:
        self._replacing = True
        try:
            self.state.set_volume(Role.COMPARE, volume)
        finally:
            self._replacing = False

    def start_registration(self) -> None:
        """Register the real contrast scan onto the non-contrast grid in the background."""
        base, real = self.state.base, self.state.volumes.get(Role.COMPARE)
        if base is None or real is None:
            self.show_error("Nothing to register",
                            "Open the non-contrast study and a real contrast scan first.")
            return
        if self.registration.running:
            return
        # Re-registering starts again from the scan as acquired, not from a resampled copy.
        original = self.registration.original
        self.registration.start(base, original if original is not None else real)
        self.status_bar.showMessage("Registering the real contrast scan...")

    def _on_registered(self, result: RegistrationResult) -> None:
        self._show_registered(result.resampled)
        if self.state.overlay is not None:
            self.panel.show()
            self.panel.compute()
        self.status_bar.showMessage(
            registration_message(result, self.registration.used_affine), 60000)

    def _on_failed(self, exc: Exception) -> None:
        if isinstance(exc, Cancelled):
            self.status_bar.showMessage("Registration cancelled", 5000)
        elif isinstance(exc, DcreviewError):
            self.show_error("Cannot register the real scan", str(exc))
        else:
            self.show_error("Cannot register the real scan", f"{type(exc).__name__}: {exc}")

    def revert(self) -> None:
        """Show the real scan as acquired again (not resampled)."""
        original = self.registration.revert()
        if original is not None:
            self._show_registered(original)
            self.status_bar.showMessage("Showing the real scan as acquired", 5000)

    def _toggle_manual(self, on: bool) -> None:
        if on and self.registration.transform is None:
            self.act_manual.setChecked(False)
            self.show_error("Register first", "Manual adjustment refines a registration: "
                            "run Compare > Register first.")
            return
        for act in self.manual_actions:
            act.setEnabled(on)
        self.status_bar.showMessage(
            "Manual adjust: Alt+arrows move 1 mm, Alt+PgUp/PgDn through-plane, "
            "Alt+[ / Alt+] rotate 0.5 deg" if on else "Manual adjust off", 10000)

    def nudge(self, rotation_deg, translation_mm) -> None:
        """Move the registered real scan by a small rigid step and show it again."""
        if self.state.base is None:
            return
        self._show_registered(
            self.registration.adjust(self.state.base, rotation_deg, translation_mm))
