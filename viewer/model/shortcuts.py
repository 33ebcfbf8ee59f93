"""Every key binding and mouse control, in the one table that binds them and lists them (no Qt).

The review window creates its shortcuts from ``BINDINGS`` (scope "window"); the slice view
handles the "view" keys itself; the F1 help is generated from the same table, so the help
cannot drift from what the keys do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Binding:
    """Keys (Qt portable text, e.g. "Ctrl+Shift+S") and what they do."""

    keys: tuple[str, ...]
    text: str
    scope: str = "window"  # "window": a window shortcut; "view": the slice view under the mouse
    label: str | None = None  # how the help names the keys, if not "A / B / C"

    @property
    def shown(self) -> str:
        """The keys as the help shows them."""
        return self.label or " / ".join(self.keys)


NUDGE_KEYS = ("Alt+Left", "Alt+Right", "Alt+Up", "Alt+Down", "Alt+PgUp", "Alt+PgDown",
              "Alt+[", "Alt+]")

BINDINGS: dict[str, Binding] = {
    "slice": Binding(("Up", "Down"), "next / previous slice", "view"),
    "page": Binding(("PgUp", "PgDown"), "10 slices forward / back", "view"),
    "presets": Binding(("1", "2", "3", "4", "5", "6", "7", "8"),
                       "window presets: abdomen, soft tissue, angio/CTA, bone, lung, the "
                       "series' own (DICOM) window, liver, brain", label="1 - 8"),
    "overlay": Binding(("T",), "toggle the digital-contrast overlay"),
    "fade": Binding(("[", "]"), "fade the overlay out / in by 10 %"),
    "mode": Binding(("M",), "next overlay mode (synthetic, iodine colour, swipe, difference)"),
    "crosshair": Binding(("C",), "show / hide the crosshair"),
    "reset": Binding(("R",), "reset zoom, pan and window"),
    "layouts": Binding(("Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4"),
                       "layouts 1x1, 1x3, 2x2, compare", label="Ctrl+1 ... Ctrl+4"),
    "open_folder": Binding(("Ctrl+O",), "open a DICOM folder"),
    "open_file": Binding(("Ctrl+Shift+O",), "open a file (DICOM, NIfTI, NRRD, zip, DICOMDIR)"),
    "screenshot": Binding(("Ctrl+S",), "save a screenshot of the views"),
    "synthesize": Binding(("Ctrl+Shift+S",), "synthesise digital contrast (in the background)"),
    "register": Binding(("Ctrl+R",), "register the real contrast scan onto the non-contrast"),
    "nudge": Binding(NUDGE_KEYS, "in Compare > Manual adjust: move 1 mm in-plane / "
                     "through-plane, rotate 0.5 degree", label="Alt+arrows, Alt+PgUp/PgDn, "
                     "Alt+[ / Alt+]"),
    "tools": Binding(("P", "L", "A", "E", "B", "G", "S", "N"),
                     "tools: point, ruler (length), angle, ellipse, box (rectangle), polygon, "
                     "sphere, note", label="P L A E B G S N"),
    "navigate": Binding(("Esc",), "drop a half-drawn shape, then back to navigate"),
    "finish": Binding(("Return", "Enter"), "close the polygon being drawn", "view",
                      label="Enter"),
    "delete": Binding(("Del",), "delete the selected annotation"),
    "undo": Binding(("Ctrl+Z",), "undo the last annotation change"),
    "redo": Binding(("Ctrl+Shift+Z", "Ctrl+Y"), "redo the annotation change undone"),
    "quit": Binding(("Ctrl+Q",), "quit"),
    "help": Binding(("F1",), "this help"),
}

MOUSE = (
    ("Wheel", "scroll slices in the view under the mouse"),
    ("Ctrl + wheel", "zoom"),
    ("Left click / drag, Shift + drag", "set the crosshair in all views and series"),
    ("Right drag, Ctrl + left drag", "window/level (right: wider, down: higher level)"),
    ("Middle drag", "pan"),
    ("Double click", "maximise the view / restore the layout (closes a polygon while drawing)"),
    ("Left click on a shape", "select it; drag its body to move it, a handle to reshape it"),
    ("Left drag with a tool", "ruler, ellipse, rectangle, sphere: drag from one end/corner"),
    ("Left clicks with a tool", "point and note: one; angle: three; polygon: each vertex"),
)


def keys(name: str) -> tuple[str, ...]:
    """The keys bound to ``name``."""
    return BINDINGS[name].keys


def key(name: str, n: int = 0) -> str:
    """The ``n``-th key bound to ``name``."""
    return BINDINGS[name].keys[n]


def help_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for every binding, in table order."""
    return [(b.shown, b.text) for b in BINDINGS.values()]
