"""Corner text that changes at every scroll, drawn from a texture of its own.

A vtkTextActor whose text changes costs a quarter of a millisecond per frame under software
GL, although FreeType rasterises the text in a fiftieth of that: the rest is VTK's handling of
the text's new texture. The bottom-left corner (slice number, position, fade) changes at every
scroll and every fade step, so it is rasterised here with the same renderer and properties and
sent as a texture this class owns, drawn by a quad placed in viewport pixels by its vertex
shader (the camera does not move it). It reads as the other corners: same font, size, bold and
shadow.
"""

from __future__ import annotations

import weakref
from typing import ClassVar

import vtkmodules.vtkRenderingFreeType  # noqa: F401  (text rendering implementation)
from vtkmodules.util.misc import calldata_type
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.util.vtkConstants import VTK_OBJECT, VTK_UNSIGNED_CHAR
from vtkmodules.vtkCommonCore import vtkCommand, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkTextProperty, vtkTextRenderer

from viewer.views.gl_texture import NEAREST, TextureLayer, shader_quad

_VERTEX_DEC = """uniform vec4 textRect;
out vec2 textAt;"""
# The quad's model coordinates are its unit square; it is placed in the viewport's normalised
# device coordinates, in front of everything (depth -1).
_VERTEX_IMPL = """textAt = vertexMC.xy;
gl_Position = vec4(mix(textRect.xy, textRect.zw, vertexMC.xy), -1.0, 1.0);"""
_FRAGMENT_DEC = """in vec2 textAt;
uniform sampler2D textTex;"""
# Blending is on in VTK's opaque pass: the glyphs' edges blend over the image.
_FRAGMENT_IMPL = "gl_FragData[0] = texture(textTex, textAt);"


class ScreenText:
    """Left-aligned lines anchored at their bottom-left corner (fractions of the viewport);
    the vtkTextActor methods its users call: SetInput, GetInput, GetVisibility."""

    # By the address of the quad: whoever walks a renderer's props (the blinding check reads
    # every text a reading screen shows) finds the text a quad draws.
    _by_quad: ClassVar[weakref.WeakValueDictionary[str, ScreenText]] = (
        weakref.WeakValueDictionary())

    @classmethod
    def of(cls, prop) -> ScreenText | None:
        """The screen text a renderer's prop draws, if it is one's quad."""
        return cls._by_quad.get(prop.GetAddressAsString("vtkObject"))

    def __init__(self, renderer: vtkRenderer, size: int, colour: tuple[float, float, float],
                 x: float, y: float) -> None:
        self.renderer = renderer
        self.anchor = (x, y)
        self.prop = vtkTextProperty()
        self.prop.SetFontSize(size)
        self.prop.SetBold(True)
        self.prop.SetShadow(True)
        self.prop.SetColor(*colour)
        self.prop.SetJustificationToLeft()
        self.prop.SetVerticalJustificationToBottom()
        self._rasteriser = vtkTextRenderer()
        self._image = vtkImageData()
        self._text = ""
        self._size = (0, 0)  # the texture's width and height in pixels
        self._ink = (0, 0)  # the text's own width and height within it
        self.layer = TextureLayer(NEAREST)  # texels drawn one to one
        self.actor = self._quad()
        ScreenText._by_quad[self.actor.GetAddressAsString("vtkObject")] = self
        renderer.AddActor(self.actor)
        # The quad is placed by its shader, not where VTK's culler would look for it.
        renderer.GetCullers().RemoveAllItems()

    def _quad(self):
        points = vtkPoints()
        for x, y in ((0, 0), (1, 0), (1, 1), (0, 1)):
            points.InsertNextPoint(float(x), float(y), 0.0)
        actor = shader_quad(points, (_VERTEX_DEC, _VERTEX_IMPL), (_FRAGMENT_DEC, ""),
                            _FRAGMENT_IMPL)
        mapper = actor.GetMapper()
        mapper.AddObserver(vtkCommand.UpdateShaderEvent, self._update_shader)
        # Sent before the frame draws anything (after the view has set its texts): sent
        # mid-frame, software GL first finishes everything queued before it.
        self.renderer.AddObserver(vtkCommand.StartEvent, lambda *_: self._upload(), -1.0)
        self.renderer.AddObserver(vtkCommand.EndEvent, lambda *_: self.layer.release())
        return actor

    def SetInput(self, text: str) -> None:
        """The text (lines separated by newlines); rasterised now, sent at the next frame."""
        if text == self._text:
            return
        self._text = text
        if not text:
            self.actor.SetVisibility(False)
            return
        ink = [0, 0]
        window = self.renderer.GetRenderWindow()
        dpi = window.GetDPI() if window is not None else 72
        self._rasteriser.RenderString(self.prop, text, self._image, ink, dpi)
        nx, ny, _nz = self._image.GetDimensions()
        texels = vtk_to_numpy(self._image.GetPointData().GetScalars()).reshape(ny, nx, -1)
        self.layer.want(text, texels, VTK_UNSIGNED_CHAR, texels.shape[2])
        self._size, self._ink = (nx, ny), (int(ink[0]), int(ink[1]))
        self.actor.SetVisibility(True)
        self.actor.Modified()  # a frame must follow, even where nothing else changed

    def GetInput(self) -> str:
        """The text shown."""
        return self._text

    def GetVisibility(self) -> bool:
        """Whether any text shows."""
        return bool(self._text)

    def _origin(self) -> tuple[int, int]:
        """The texture's bottom-left corner in viewport pixels."""
        w, h = self.renderer.GetSize()
        return round(self.anchor[0] * w), round(self.anchor[1] * h)

    def box(self) -> tuple[float, float, float, float]:
        """Display box (x0, y0, x1, y1) of the text's ink."""
        x, y = self._origin()
        ox, oy = self.renderer.GetOrigin()
        return (ox + x, oy + y, ox + x + self._ink[0], oy + y + self._ink[1])

    def _upload(self) -> None:
        if self._text:
            self.layer.upload(self.renderer.GetRenderWindow())

    @calldata_type(VTK_OBJECT)
    def _update_shader(self, _mapper, _event, program) -> None:
        self.layer.bind(program, "textTex")
        w, h = self.renderer.GetSize()
        x, y = self._origin()
        nx, ny = self._size
        program.SetUniform4f("textRect", [2 * x / w - 1, 2 * y / h - 1,
                                          2 * (x + nx) / w - 1, 2 * (y + ny) / h - 1])
