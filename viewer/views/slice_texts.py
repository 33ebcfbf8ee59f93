"""Everything a slice view draws over the image besides annotations: orientation letters,
the provenance banner, the corner text, the scale bar, the swipe divider and its labels, the
colour bar and the hint of an empty view. Each is fitted to the view's size at every render,
so that none is cut or runs into another."""

from __future__ import annotations

from vtkmodules.vtkRenderingCore import vtkRenderer, vtkRenderWindow

from inference.provenance import DOMAIN_TEXT, TRUST_TEXT
from viewer.model import provenance
from viewer.model.orientation import ViewFrame
from viewer.model.state import OverlayMode, ViewerState
from viewer.views.colour_bar import ColourBar
from viewer.views.scale_bar import ScaleBar, ScreenLine
from viewer.views.screen_text import ScreenText
from viewer.views.text import (
    INFO_COLOUR,
    banner_text,
    corner_text,
    fit_lines,
    text_actor,
    warning_text,
    wrap_words,
)

BANNER_CHAR_PX = 10.0  # widest glyphs of the 16-pt bold banner
TOP_LETTER_PX = 14  # the top letter's centre, from the top edge: fixed, whatever else shows
DETAILS = "  (click: details)"
# The banner's lines drawn apart, in the caution style, one line each: what to be careful of.
CAUTION_LINES = (DOMAIN_TEXT, TRUST_TEXT)
INFO_CHAR_PX = 7.4  # 13-pt bold corner text (measured 6.2 px for labels; margin for bold)
SWIPE_DIVIDER = (0.16, 0.86, 1.0)  # cyan: no anatomy or crosshair is drawn in that colour
EDGE_POSITIONS = {"left": (0.025, 0.5), "right": (0.975, 0.5), "top": (0.5, 0.92),
                  "bottom": (0.5, 0.1)}


class SliceTexts:
    """The text and marks drawn over one slice view."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.renderer = renderer
        self.scale_bar = ScaleBar(renderer)
        self.edges = {edge: text_actor(renderer) for edge in EDGE_POSITIONS}
        # The corner that changes at every scroll and fade step: a text of its own kind.
        self.info = ScreenText(renderer, 13, INFO_COLOUR, 0.01, 0.01)
        self.banner = banner_text(renderer)
        # The domain and trust lines: one line each in a caution style of their own, under
        # the banner; a click on them opens the full findings (Model and input check).
        self.warning = warning_text(renderer)
        self._warning = ""
        # The PACS corner overlay's identification, top right (the banner owns the top left).
        self.identity = corner_text(renderer, 13, INFO_COLOUR, True, 0.99, 0.99)
        self.identity.GetTextProperty().SetJustificationToRight()
        self.colour_bar = ColourBar(renderer)
        self.hint = text_actor(renderer, 15, INFO_COLOUR)
        self.hint.SetPosition(0.5, 0.5)
        self.hint.GetTextProperty().SetBold(False)
        self.hint.SetVisibility(False)
        self.swipe_divider = ScreenLine(renderer, SWIPE_DIVIDER)
        self.swipe_labels = [text_actor(renderer, 13, INFO_COLOUR) for _ in range(2)]
        for label, justify in zip(self.swipe_labels, ("Right", "Left"), strict=True):
            getattr(label.GetTextProperty(), f"SetJustificationTo{justify}")()
            label.SetVisibility(False)
        self._banner = ""
        self._info: list[tuple[str, str]] = []
        self._identity: list[tuple[str, str]] = []
        self._width = 0  # the image's part of the view at the last render (0: not yet drawn)

    def set_frame(self, frame: ViewFrame) -> None:
        """Orientation letters for the view's plane."""
        for edge, text in frame.edge_labels().items():
            self.edges[edge].SetInput(text)
            self.edges[edge].SetPosition(*EDGE_POSITIONS[edge])

    def set_banner(self, banner: str | None) -> None:
        """The provenance banner (the rule's text, or None for none); its domain and trust
        lines are drawn apart, in the caution style."""
        lines = (banner or "").split("\n") if banner else []
        caution = [line for line in lines if line.startswith(CAUTION_LINES)]
        warning, text = "\n".join(caution), "\n".join(x for x in lines if x not in caution)
        # Unchanged lines keep their drawn (wrapped, cut) form: setting them again would
        # draw them again at every fade step.
        if text != self._banner:
            self._banner = text
            self.banner.SetInput(text)
        if warning != self._warning:
            self._warning = warning
            self.warning.SetInput(warning)
        self.banner.SetVisibility(banner is not None)
        self.warning.SetVisibility(bool(self._warning))

    def boxes(self) -> list[tuple[float, float, float, float]]:
        """Display boxes (x0, y0, x1, y1) of the texts shown: annotation labels keep off them."""
        return [self._box(actor) for actor in (self.banner, self.warning, self.identity,
                                               self.scale_bar.text, *self.edges.values())
                if actor.GetVisibility() and actor.GetInput()] + (
            [self.info.box()] if self.info.GetVisibility() else [])

    def _box(self, actor) -> tuple[float, float, float, float]:
        b = [0.0] * 4
        actor.GetBoundingBox(self.renderer, b)  # around the anchor, as drawn
        x, y = actor.GetPositionCoordinate().GetComputedDisplayValue(self.renderer)
        return x + b[0], y + b[2], x + b[1], y + b[3]

    @property
    def warning_line(self) -> str:
        """The domain and trust lines in full (the view may show them cut to its width)."""
        return self._warning

    def warning_hit(self, x: float, y: float) -> bool:
        """Whether display point (x, y) is on the caution lines (a click opens details)."""
        if not self.warning.GetVisibility():
            return False
        x0, y0, x1, y1 = self._box(self.warning)
        return x0 <= x <= x1 and y0 <= y <= y1

    def set_info(self, lines: list[tuple[str, str]]) -> None:
        """Corner text lines, each with a shorter form for narrow views: (full, short)."""
        self._info = lines
        self._fit_info()

    def set_identity(self, lines: list[tuple[str, str]]) -> None:
        """Patient and study identification lines, each with a shorter form."""
        self._identity = lines
        self._fit_identity()
        self.identity.SetVisibility(bool(lines))

    @staticmethod
    def _set(actor, text: str) -> None:
        # A text is drawn again (rasterised, uploaded) whenever its input is set, even to
        # the same string: a scroll would redraw every corner.
        if actor.GetInput() != text:
            actor.SetInput(text)

    def _fit_info(self) -> None:
        """The corner text at the view's width: a line's short form where the full one
        does not fit (the scale bar takes up to a fifth of the width, plus label and margin)."""
        w = self._width
        chars = int((w - 12 - (0.2 * w + 24)) / INFO_CHAR_PX) if w else 10**6
        fitted = [full if len(full) <= chars else short for full, short in self._info]
        self._set(self.info, fit_lines("\n".join(fitted), chars) if fitted else "")

    def _fit_identity(self) -> None:
        """The identification at the view's width (40 % of the top, right)."""
        right = int((0.4 * self._width - 8) / INFO_CHAR_PX) if self._width else 10**6
        wide = [full if len(full) <= right else short for full, short in self._identity]
        self._set(self.identity, fit_lines("\n".join(line for line in wide if line), right)
                  if wide else "")

    def show_hint(self, text: str, shown: bool) -> None:
        """A hint in the middle of the view (what to do, or why it is empty)."""
        self.hint.SetInput(text)
        self.hint.SetVisibility(shown and bool(text))

    def place(self, window: vtkRenderWindow, parallel_scale: float, has_image: bool,
              state: ViewerState, overlay_drawn: bool) -> None:
        """Fit everything to the window's size and the state, right before a render."""
        w, h = window.GetSize()
        w = int(w * (1.0 - self.colour_bar.fraction))  # the image's part; the legend has its own
        if w <= 0:
            return
        # The top is shared: banner left (46 %), the top letter in the middle, fixed at the
        # edge, and the identification right (40 %).
        self._width = w
        self._fit_identity()
        self.edges["top"].SetPosition(0.5, 1.0 - TOP_LETTER_PX / h)
        banner_px = 0.46 * w - 12
        # Narrow views take a smaller banner: whole, in fewer lines, covering less anatomy.
        size = 16 if w >= 600 else 13
        self.banner.GetTextProperty().SetFontSize(size)
        banner = wrap_words(self._banner, int(banner_px / (BANNER_CHAR_PX * size / 16)))
        if banner != self.banner.GetInput():
            self.banner.SetInput(banner)  # wrapped: a banner must be read whole, not cut
        if self._warning:  # a line each under the banner, cut (its start says what it is)
            below = h - 4.0  # the banner's measured bottom: the caution band starts there
            if self._banner:
                _x0, y0, _x1, y1 = self._box(self.banner)
                below = h - 4.0 - (y1 - y0) - 4.0
            # Never shorter than what it is: "OUTSIDE MODEL DOMAIN" is read whole.
            chars = max(int(banner_px / INFO_CHAR_PX), len(DOMAIN_TEXT) + 1)
            first, *rest = self._warning.split("\n")
            if len(first) + len(DETAILS) <= chars:
                first += DETAILS
            self._set(self.warning, fit_lines("\n".join([first, *rest]), chars))
            self.warning.SetPosition(0.01, below / h)
        self._fit_info()
        if has_image:
            self.scale_bar.place((w, h), parallel_scale)
        else:
            self.scale_bar.hide()
        swipe = overlay_drawn and state.overlay_mode is OverlayMode.SWIPE
        texts = provenance.swipe_sides(state) if swipe else ("", "")
        x = state.swipe_position
        for label, text, dx in zip(self.swipe_labels, texts, (-0.01, 0.01), strict=True):
            self._set(label, text)
            label.SetPosition(min(max(x + dx, 0.02), 0.98), 0.80)
            label.SetVisibility(bool(text))
        self.swipe_divider.place((x * w, 0), (x * w, h), swipe)  # one pixel at any zoom

    def update_legend(self, state: ViewerState, overlay_drawn: bool) -> None:
        """The colour bar of the map shown, or none (before a render: its margin is laid out
        before the image is drawn)."""
        if overlay_drawn and state.overlay_mode is OverlayMode.ENHANCEMENT:
            self.colour_bar.show_enhancement(state.enhancement_threshold)
        elif overlay_drawn and state.overlay_mode is OverlayMode.DIFFERENCE and (
                state.compare_registered):
            self.colour_bar.show_difference(state.difference_threshold)
        elif overlay_drawn and state.overlay_mode is OverlayMode.UNCERTAINTY and (
                state.uncertainty is not None):
            self.colour_bar.show_uncertainty()
        else:
            self.colour_bar.hide()
