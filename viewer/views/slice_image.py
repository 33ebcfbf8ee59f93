"""The slice image, drawn by the GPU: raw slices as textures, window/level and the overlay's
blend in a fragment shader.

A scroll uploads the new raw slices and nothing else; a fade or a window change sets a uniform.
No grey or colour slice is computed in numpy for the screen (Slicer's and Cornerstone's image
layers blend on the GPU the same way). The rules are those of ``viewer.pixels.compositor``
(its numpy ``compose`` is their reference, and tests hold the shader to it): the grey ramp of
``WindowLevel.grey``, a fade in 256ths, a full-strength swipe curtain and the colour maps'
65536-entry tables. Under software GL (OSMesa, llvmpipe) the "GPU" is the CPU's threads.
"""

from __future__ import annotations

import numpy as np
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (OpenGL implementation of the mapper)
from vtkmodules.util.misc import calldata_type
from vtkmodules.util.vtkConstants import VTK_FLOAT, VTK_OBJECT, VTK_SHORT, VTK_UNSIGNED_CHAR
from vtkmodules.vtkCommonCore import vtkCommand, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper, vtkRenderer
from vtkmodules.vtkRenderingOpenGL2 import vtkTextureObject

from viewer.model.window_level import WindowLevel
from viewer.pixels.compositor import Blend

GL_R16_SNORM = 0x8F98  # what VTK makes of one-component int16: value / 32767
LINEAR, NEAREST, CLAMP_TO_EDGE = 1, 0, 0  # vtkTextureObject's enums
# How the fragment is made: 0 base grey only, 1 grey fade, 2 swipe curtain, 3 colour table.
MODES = {Blend.GREY: 1, Blend.SWIPE: 2, Blend.COLOUR: 3, Blend.DIVERGING: 3, Blend.SPREAD: 3}

_DECLARATIONS = """//VTK::PositionVC::Dec
in vec3 slicePixel;
uniform sampler2D baseTex;
uniform sampler2D overTex;
uniform sampler2D lutTex;
uniform int blendMode;
uniform vec2 sliceSize;
uniform vec2 baseValue;
uniform vec2 overValue;
uniform vec2 greyRamp;
uniform float overStrength;
uniform float swipeColumn;
uniform int swipeHigher;
float grey(float hu) { return clamp((hu - greyRamp.x) / greyRamp.y, 0.0, 1.0); }
"""

# The image's pixel (column, row) is the quad's model coordinate; texel centres sit at +0.5.
_FRAGMENT = """
vec2 at = (slicePixel.xy + 0.5) / sliceSize;
float g = grey(texture(baseTex, at).r * baseValue.x + baseValue.y);
vec3 shown = vec3(g);
if (blendMode > 0) {
  float over = texture(overTex, at).r * overValue.x + overValue.y;
  if (blendMode == 1) {
    shown = vec3(mix(g, grey(over), overStrength));
  } else if (blendMode == 2) {
    float column = floor(slicePixel.x + 0.5);
    bool mine = swipeHigher == 1 ? column >= swipeColumn : column < swipeColumn;
    shown = vec3(mine ? grey(over) : g);
  } else {
    int index = int(clamp(floor(over + 0.5) + 32768.0, 0.0, 65535.0));
    vec4 colour = texelFetch(lutTex, ivec2(index % 256, index / 256), 0);
    shown = mix(vec3(g), colour.rgb, colour.a * overStrength);
  }
}
gl_FragData[0] = vec4(shown, 1.0);
"""


def _texture_data(slice2d: np.ndarray) -> tuple[np.ndarray, int, tuple[float, float]]:
    """A 2-D slice as texture data: its array, VTK type and (scale, offset) back to values."""
    if slice2d.dtype == np.int16:
        return np.ascontiguousarray(slice2d), VTK_SHORT, (32767.0, 0.0)
    return np.ascontiguousarray(slice2d, dtype=np.float32), VTK_FLOAT, (1.0, 0.0)


class _Layer:
    """One texture and the data it holds, uploaded at the next render where it changed."""

    def __init__(self, filtering: int) -> None:
        self.texture = vtkTextureObject()
        self.filtering = filtering
        self.key: object = None  # what the texture should hold
        self.data: tuple[np.ndarray, int, int] | None = None
        self.sent: object = None  # what it does hold
        self.value = (1.0, 0.0)  # texture value -> HU: scale, offset

    def forget(self) -> None:
        """Hold nothing (the next data is sent whatever its key)."""
        self.key = self.data = self.sent = None

    def want(self, key: object, data: np.ndarray, vtk_type: int, components: int = 1) -> None:
        """Hold ``data`` (named ``key``) from the next render on."""
        self.key, self.data = key, (data, vtk_type, components)

    def upload(self, window) -> None:
        """Send the data if the texture does not hold it (called with the GL context
        current, as a frame starts; a rebuilt context has lost every texture)."""
        texture = self.texture
        if self.data is None or (self.sent == self.key and texture.GetHandle()):
            return
        data, vtk_type, components = self.data
        if texture.GetContext() is not window:
            texture.SetContext(window)
        texture.SetMinificationFilter(self.filtering)
        texture.SetMagnificationFilter(self.filtering)
        texture.SetWrapS(CLAMP_TO_EDGE)
        texture.SetWrapT(CLAMP_TO_EDGE)
        rows, cols = data.shape[:2]
        if vtk_type == VTK_SHORT and texture.GetInternalFormat(VTK_SHORT, 1, False) != (
                GL_R16_SNORM):
            # A driver without signed-normalised textures: send values as float.
            data, vtk_type, self.value = data.astype(np.float32), VTK_FLOAT, (1.0, 0.0)
        texture.Create2DFromRaw(cols, rows, components, vtk_type, data)
        self.sent = self.key


class SliceImage:
    """A quad in patient space, textured with the raw base (and overlay) slice."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.renderer = renderer
        self.points = vtkPoints()
        self.points.SetNumberOfPoints(4)
        quad = vtkCellArray()
        quad.InsertNextCell(4, [0, 1, 2, 3])
        poly = vtkPolyData()
        poly.SetPoints(self.points)
        poly.SetPolys(quad)
        self._poly = poly
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(poly)
        # The shader reads pixel positions from the model coordinates: VTK must not shift
        # and scale them on their way to the GPU.
        mapper.SetVBOShiftScaleMethod(0)
        self.actor = vtkActor()
        self.actor.SetMapper(mapper)
        self.actor.GetProperty().LightingOff()
        self.matrix = vtkMatrix4x4()
        self.actor.SetUserMatrix(self.matrix)
        self.actor.SetVisibility(False)
        shader = self.actor.GetShaderProperty()
        shader.AddVertexShaderReplacement("//VTK::PositionVC::Dec", True,
                                          "//VTK::PositionVC::Dec\nout vec3 slicePixel;", False)
        shader.AddVertexShaderReplacement("//VTK::PositionVC::Impl", True,
                                          "//VTK::PositionVC::Impl\nslicePixel = vertexMC.xyz;",
                                          False)
        shader.AddFragmentShaderReplacement("//VTK::PositionVC::Dec", True, _DECLARATIONS, False)
        shader.AddFragmentShaderReplacement("//VTK::Light::Impl", True, _FRAGMENT, False)
        renderer.AddActor(self.actor)
        self.base, self.over, self.lut = _Layer(LINEAR), _Layer(LINEAR), _Layer(NEAREST)
        self._size: tuple[int, int] = (0, 0)
        self.mode = 0
        self.window = WindowLevel(400, 40)
        self.strength = 0.0
        self.swipe = (0.0, True)
        mapper.AddObserver(vtkCommand.UpdateShaderEvent, self._update_shader)
        # Textures are sent before the frame draws anything (after the view's own start
        # work): sent mid-frame, software GL first finishes what is queued.
        renderer.AddObserver(vtkCommand.StartEvent, lambda *_: self._upload(), -1.0)
        renderer.AddObserver(vtkCommand.EndEvent, lambda *_: self._release_units())

    def set_slice(self, key: object, slice2d: np.ndarray, matrix: np.ndarray) -> None:
        """The base slice (``key`` names it: the same key is not sent again) and where its
        pixels lie (4x4: (column, row, 0, 1) -> patient mm)."""
        rows, cols = slice2d.shape
        if (rows, cols) != self._size:
            self._size = (rows, cols)
            # Through the centres of the edge pixels, as vtkImageActor draws a slice.
            for n, (x, y) in enumerate(((0, 0), (cols - 1, 0), (cols - 1, rows - 1),
                                        (0, rows - 1))):
                self.points.SetPoint(n, float(x), float(y), 0.0)
            self.points.Modified()
            self._poly.Modified()
        if key != self.base.key:
            data, vtk_type, self.base.value = _texture_data(slice2d)
            self.base.want(key, data, vtk_type)
        for r in range(4):
            for c in range(4):
                self.matrix.SetElement(r, c, float(matrix[r, c]))
        self.matrix.Modified()
        self.actor.SetVisibility(True)

    def set_overlay(self, key: object, slice2d: np.ndarray | None, blend: Blend,
                    opacity: float, swipe: tuple[float, bool] | None,
                    table: np.ndarray | None) -> None:
        """The overlay slice and how it blends (None: the base alone); ``table`` is the
        colour table (65536 x 4 uint8) of a colour blend."""
        if slice2d is None:
            self.mode = 0
            self.over.forget()  # an axial slice is a view: it would keep its whole volume
            return
        self.mode = MODES[blend]
        if key != self.over.key:
            data, vtk_type, self.over.value = _texture_data(slice2d)
            self.over.want(key, data, vtk_type)
        # As compositor.fade: the grey fade in 256ths; a colour's alpha times the opacity.
        self.strength = (round(float(opacity) * 256) / 256 if blend is Blend.GREY
                         else float(opacity))
        if blend is Blend.SWIPE:
            self.swipe = swipe if swipe is not None else (slice2d.shape[1] / 2, True)
        if table is not None and id(table) != self.lut.key:
            # The key is the table's id: the layer holds the table, so the id stays its own.
            self.lut.want(id(table), table.reshape(256, 256, 4), VTK_UNSIGNED_CHAR, 4)

    def set_window(self, window: WindowLevel) -> None:
        """The grey ramp (a uniform: nothing is uploaded)."""
        self.window = window

    def hide(self) -> None:
        """Nothing to show (no series, or the cursor beyond it)."""
        self.actor.SetVisibility(False)
        for layer in (self.base, self.over):
            layer.forget()

    def _layers(self) -> list[tuple[str, _Layer]]:
        """The textures the shader samples in the current mode, by sampler name."""
        layers = [("baseTex", self.base)]
        if self.mode:
            layers.append(("overTex", self.over))
        if self.mode == 3:
            layers.append(("lutTex", self.lut))
        return layers

    def _upload(self) -> None:
        if self.actor.GetVisibility():
            window = self.renderer.GetRenderWindow()
            for _name, layer in self._layers():
                layer.upload(window)

    @calldata_type(VTK_OBJECT)
    def _update_shader(self, _mapper, _event, program) -> None:
        for name, layer in self._layers():
            layer.texture.Activate()
            program.SetUniformi(name, layer.texture.GetTextureUnit())
        rows, cols = self._size
        program.SetUniformi("blendMode", self.mode)
        program.SetUniform2f("sliceSize", [float(cols), float(rows)])
        program.SetUniform2f("baseValue", list(self.base.value))
        program.SetUniform2f("overValue", list(self.over.value))
        w = self.window
        program.SetUniform2f("greyRamp", [w.level - w.width / 2, w.width])
        program.SetUniformf("overStrength", self.strength)
        program.SetUniformf("swipeColumn", float(self.swipe[0]))
        program.SetUniformi("swipeHigher", int(self.swipe[1]))

    def _release_units(self) -> None:
        # Texture units are the render window's: give them back after each frame.
        for layer in (self.base, self.over, self.lut):
            if layer.texture.GetContext() is not None and layer.texture.GetHandle():
                layer.texture.Deactivate()
