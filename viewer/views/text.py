"""Text drawn in a VTK view: one factory so every view's labels look alike."""

from __future__ import annotations

import vtkmodules.vtkRenderingFreeType  # noqa: F401  (text rendering implementation)
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkTextActor

ORIENTATION_COLOUR = (1.0, 0.85, 0.3)
INFO_COLOUR = (0.9, 0.9, 0.9)
BANNER_COLOUR = (1.0, 0.25, 0.25)
WARNING_BAND = (1.0, 0.72, 0.0)  # amber, as a caution label: unlike any other text here


def text_actor(renderer: vtkRenderer, size: int = 14,
               colour: tuple[float, float, float] = ORIENTATION_COLOUR) -> vtkTextActor:
    """A bold, shadowed, centred text placed in normalised viewport coordinates."""
    actor = vtkTextActor()
    prop = actor.GetTextProperty()
    prop.SetFontSize(size)
    prop.SetBold(True)
    prop.SetColor(*colour)
    prop.SetJustificationToCentered()
    prop.SetVerticalJustificationToCentered()
    prop.SetShadow(True)
    actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    renderer.AddViewProp(actor)
    return actor


def corner_text(renderer: vtkRenderer, size: int, colour: tuple[float, float, float],
                top: bool, x: float, y: float) -> vtkTextActor:
    """A left-aligned text anchored at its top-left (``top``) or bottom-left corner."""
    actor = text_actor(renderer, size, colour)
    prop = actor.GetTextProperty()
    prop.SetJustificationToLeft()
    if top:
        prop.SetVerticalJustificationToTop()
    else:
        prop.SetVerticalJustificationToBottom()
    actor.SetPosition(x, y)
    return actor


def banner_text(renderer: vtkRenderer) -> vtkTextActor:
    """The red provenance banner at the top-left, on a dark band so it reads over bone."""
    actor = corner_text(renderer, 16, BANNER_COLOUR, True, 0.01, 0.99)
    actor.GetTextProperty().SetBackgroundColor(0, 0, 0)
    actor.GetTextProperty().SetBackgroundOpacity(0.6)
    actor.SetVisibility(False)
    return actor


def fit_lines(text: str, max_chars: int) -> str:
    """Each line cut to ``max_chars`` with an ellipsis (corner text must never overlap)."""
    max_chars = max(4, max_chars)
    return "\n".join(line if len(line) <= max_chars else line[: max_chars - 1] + "\u2026"
                     for line in text.split("\n"))


def wrap_words(text: str, max_chars: int) -> str:
    """Each line wrapped at spaces to ``max_chars`` (a banner must be read whole, not cut)."""
    out = []
    for line in text.split("\n"):
        current = ""
        words: list[str] = []
        for word in line.split(" "):
            if word in ("-", ":") and words:  # a dash or colon stays with the word before it
                words[-1] += f" {word}"
            else:
                words.append(word)
        for word in words:
            if current and len(current) + 1 + len(word) > max_chars:
                out.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        out.append(current)
    return "\n".join(out)


def warning_text(renderer: vtkRenderer) -> vtkTextActor:
    """Caution lines, dark text on an amber band (a style no other text uses)."""
    actor = corner_text(renderer, 13, (0.05, 0.05, 0.05), True, 0.01, 0.9)
    prop = actor.GetTextProperty()
    prop.SetShadow(False)
    prop.SetBackgroundColor(*WARNING_BAND)
    prop.SetBackgroundOpacity(0.92)
    actor.SetVisibility(False)
    return actor
