"""The one rule for provenance cues (no Qt): what tells a viewer that pixels are synthetic.

Outside a blinded reader-study arm, every surface that shows synthetic pixels carries the
SYNTHETIC label. Inside one, no surface may carry any cue: not the banner, not a series
description, not an overlay mode's name, not a 3-D title. Every view asks this module;
none reads ``Volume.synthetic`` to decide on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inference.io.volume import Volume

if TYPE_CHECKING:
    from viewer.model.layout import Role
    from viewer.model.state import OverlayMode, ViewerState

SYNTHETIC_TEXT = "SYNTHETIC - AI-generated digital contrast"
PHANTOM_MODEL_TEXT = "demo model trained on synthetic phantoms:\nnot for clinical use"
DOMAIN_TEXT = "OUTSIDE MODEL DOMAIN"
MODEL_CHECK_ACTION = "Model and input check"
BLINDED_NAME = "Image"


def domain_lines(volume: Volume | None) -> list[str]:
    """The warning line for an input outside the model's declared domain (empty: inside):
    short reasons only; the sentences are in Synthesis > Model and input check."""
    if volume is None:
        return []
    domain = volume.provenance.get("domain") or {}
    if not domain.get("warnings"):
        return []
    reasons = domain.get("reasons") or [f"{len(domain['warnings'])} finding(s)"]
    return [f"{DOMAIN_TEXT}: {', '.join(reasons)}"]


def synthetic_banner(volume: Volume | None) -> str:
    """The banner for synthetic pixels: the label, a phantom-trained model named as such, and
    a warning line when the input was outside the model's declared domain."""
    lines = [SYNTHETIC_TEXT]
    if volume is not None and volume.provenance.get("synthetic_phantoms_only"):
        lines.append(PHANTOM_MODEL_TEXT)
    lines.extend(domain_lines(volume))
    return "\n".join(lines)


def slice_banner(state: ViewerState, role: Role, overlay_drawn: bool) -> str | None:
    """The banner a slice view showing ``role`` (plus the overlay if drawn) carries, or None."""
    if state.blinded:
        return None
    shown = state.volumes.get(role)
    if shown is not None and shown.synthetic:
        return synthetic_banner(shown)
    overlay = state.overlay
    if overlay_drawn and state.overlay_visible and overlay is not None and overlay.synthetic:
        return synthetic_banner(overlay)
    return None


def volume_banner(state: ViewerState, volume: Volume | None) -> str | None:
    """The banner of a view rendering ``volume`` on its own (the 3-D view), or None."""
    if state.blinded or volume is None or not volume.synthetic:
        return None
    return synthetic_banner(volume)


def series_name(state: ViewerState, volume: Volume, fallback: str) -> str:
    """The name a view shows for a series: its description, never when blinded."""
    if state.blinded:
        return BLINDED_NAME
    return volume.metadata.series_description or fallback


def mode_name(state: ViewerState, mode: OverlayMode) -> str:
    """The overlay mode's name as shown next to the view, empty when blinded."""
    return "" if state.blinded else mode.value


def layer_names(state: ViewerState) -> dict[Role, str]:
    """Names of the loaded layers in measurements and exports; neutral when blinded."""
    from viewer.model.layout import Role

    if state.blinded:
        return {Role.BASE: "image", Role.OVERLAY: "overlay", Role.COMPARE: "image 2"}
    base = state.base
    return {Role.BASE: "synthetic" if base is not None and base.synthetic else "non_contrast",
            Role.OVERLAY: "synthetic", Role.COMPARE: "real_contrast"}


def arm_title(blinded: bool, label: str) -> str:
    """How the reading screen names the arm: its label, or nothing telling when blinded."""
    return "Reading" if blinded else label


def swipe_sides(state: ViewerState) -> tuple[str, str]:
    """Labels of the swipe's left (base) and right (overlay) sides; neutral when blinded."""
    if state.blinded:
        return ("", "")
    overlay = state.overlay
    return ("non-contrast", "SYNTHETIC" if overlay is not None and overlay.synthetic
            else "overlay")
