"""The viewer's rule for provenance cues (no Qt): what tells a reader that pixels are synthetic.

Outside a blinded reader-study arm, every surface that shows synthetic pixels carries the
SYNTHETIC label, worded by the engine's one table (``inference.provenance``) from what the
volume says of itself, however it was opened. Inside one, no surface may carry any cue: not
the banner, not a series description, not an overlay mode's name, not a 3-D title. Every
view asks this module; none reads ``Volume.synthetic`` to decide on its own.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from inference import provenance as labels
from inference.io.identity import display_date, display_name
from inference.io.volume import Volume
from viewer.model.layout import Role

SYNTHETIC_TEXT = labels.SYNTHETIC_TEXT
PHANTOM_MODEL_TEXT = labels.PHANTOM_MODEL_TEXT
DOMAIN_TEXT = labels.DOMAIN_TEXT
MODEL_CHECK_ACTION = "Model and input check"
BLINDED_NAME = "Image"


class Shown(Protocol):
    """What the rule needs to know of the review state (``ViewerState`` is one)."""

    blinded: bool
    volumes: dict[Role, Volume]
    overlay_visible: bool

    @property
    def base(self) -> Volume | None: ...

    @property
    def overlay(self) -> Volume | None: ...


def domain_lines(volume: Volume | None) -> list[str]:
    """The warning line for an input outside the model's declared domain (empty: inside)."""
    return [] if volume is None else labels.domain_lines(volume.provenance)


def synthetic_banner(volume: Volume | None) -> str:
    """The banner for synthetic pixels: the label, a phantom-trained model named as such, and
    a warning line when the input was outside the model's declared domain."""
    return labels.banner({} if volume is None else volume.provenance)


def slice_banner(state: Shown, role: Role, overlay_drawn: bool) -> str | None:
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


def _time(tm: str) -> str:
    return f"{tm[:2]}:{tm[2:4]}" if len(tm) >= 4 and tm[:4].isdigit() else tm


def identification(state: Shown, volume: Volume | None) -> list[tuple[str, str]]:
    """The patient and study a view's series belongs to, as a PACS's corner overlay shows
    them, each line with a shorter form: (full, short). None in a blinded arm."""
    if state.blinded or volume is None:
        return []
    who = volume.identity
    if who is None or who.empty:
        return [("No patient identification in this file", "No patient ID")]
    name = display_name(who.name) or "(no name)"
    birth = " ".join(p for p in (f"DOB {display_date(who.birth_date)}" if who.birth_date else "",
                                 who.sex) if p)
    study = " ".join(p for p in (display_date(who.study_date), _time(who.study_time)) if p)
    lines = [(name, name), (f"ID {who.patient_id}", who.patient_id)]
    if birth:
        lines.append((birth, birth))
    if study:
        lines.append((f"Study {study}", display_date(who.study_date)))
    if who.accession:
        lines.append((f"Acc {who.accession}", ""))
    return lines


def volume_banner(state: Shown, volume: Volume | None) -> str | None:
    """The banner of a view rendering ``volume`` on its own (the 3-D view), or None."""
    if state.blinded or volume is None or not volume.synthetic:
        return None
    return synthetic_banner(volume)


def series_name(state: Shown, volume: Volume, fallback: str) -> str:
    """The name a view shows for a series: its description, never when blinded."""
    if state.blinded:
        return BLINDED_NAME
    return volume.metadata.series_description or fallback


def compare_title(state: Shown, role: Enum, registered: bool) -> str:
    """What a compare column shows, in capitals as a hanging protocol names it; none when
    blinded (a reader is not told which image is which)."""
    if state.blinded:
        return ""
    if role.name == "OVERLAY":
        return "DIGITAL CONTRAST (SYNTHETIC)"
    if role.name == "COMPARE":
        return "REAL CONTRAST - " + ("registered" if registered else "NOT registered")
    return "NON-CONTRAST"


def mode_name(state: Shown, mode: Enum) -> str:
    """The overlay mode's name as shown next to the view, empty when blinded."""
    return "" if state.blinded else mode.value


def layer_names(state: Shown) -> dict[Role, str]:
    """Names of the loaded layers in measurements and exports; neutral when blinded."""
    if state.blinded:
        return {Role.BASE: "image", Role.OVERLAY: "overlay", Role.COMPARE: "image 2"}
    base = state.base
    return {Role.BASE: "synthetic" if base is not None and base.synthetic else "non_contrast",
            Role.OVERLAY: "synthetic", Role.COMPARE: "real_contrast"}


def arm_title(blinded: bool, label: str) -> str:
    """How the reading screen names the arm: its label, or nothing telling when blinded."""
    return "Reading" if blinded else label


def swipe_sides(state: Shown) -> tuple[str, str]:
    """Labels of the swipe's left (base) and right (overlay) sides; neutral when blinded."""
    if state.blinded:
        return ("", "")
    overlay = state.overlay
    return ("non-contrast", "SYNTHETIC" if overlay is not None and overlay.synthetic
            else "overlay")


def trusted_volume(state: Shown) -> Volume | None:
    """The synthetic whose trust checks the findings panel lists (the overlay first, then a
    synthetic base), or None: none loaded, none checked, or a blinded arm (never a cue)."""
    if state.blinded:
        return None
    for volume in (state.overlay, state.base):
        if volume is not None and volume.synthetic and labels.trust_verdict(volume.provenance):
            return volume
    return None


def trust_findings(state: Shown) -> tuple[str, list[dict]] | None:
    """The verdict and the findings (flagged first) the panel shows, or None (see above)."""
    volume = trusted_volume(state)
    if volume is None:
        return None
    trust = volume.provenance["trust"]
    order = {"fail": 0, "warn": 1, "not measured": 2, "pass": 3}
    findings = sorted(trust.get("findings") or [],
                      key=lambda f: (order.get(f.get("status"), 4), f.get("check", "")))
    return labels.trust_verdict(volume.provenance), findings
