"""Every mouse and keyboard control, in one list for the help dialog and the docs (no Qt)."""

from __future__ import annotations

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

KEYS = (
    ("Up / Down arrow", "next / previous slice"),
    ("Page Up / Page Down", "10 slices forward / back"),
    ("1 - 6", "window presets: abdomen, soft tissue, angio/CTA, bone, lung, DICOM window"),
    ("T", "toggle the digital-contrast overlay"),
    ("[ / ]", "fade the overlay out / in by 10 %"),
    ("M", "next overlay display mode (synthetic, iodine colour, swipe)"),
    ("C", "show / hide the crosshair"),
    ("R", "reset zoom, pan and window"),
    ("Ctrl+1 ... Ctrl+4", "layouts 1x1, 1x3, 2x2, compare"),
    ("Ctrl+O / Ctrl+Shift+O", "open a folder / a file"),
    ("Ctrl+S", "save a screenshot of the views"),
    ("P L A E B G S N", "tools: point, ruler (length), angle, ellipse, box (rectangle), "
                        "polygon, sphere, note"),
    ("Esc", "drop a half-drawn shape, then back to navigate"),
    ("Enter", "close the polygon being drawn"),
    ("Delete", "delete the selected annotation"),
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo the last annotation change"),
    ("F1", "this help"),
)
