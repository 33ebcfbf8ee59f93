"""Every mouse and keyboard control, in one list for the help dialog and the docs (no Qt)."""

from __future__ import annotations

MOUSE = (
    ("Wheel", "scroll slices in the view under the mouse"),
    ("Ctrl + wheel", "zoom"),
    ("Left click / drag, Shift + drag", "set the crosshair in all views and series"),
    ("Right drag, Ctrl + left drag", "window/level (right: wider, down: higher level)"),
    ("Middle drag", "pan"),
    ("Double click", "maximise the view / restore the layout"),
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
    ("F1", "this help"),
)
