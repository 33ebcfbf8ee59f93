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
from vtkmodules.util.misc import calldata_type
from vtkmodules.util.vtkConstants import VTK_FLOAT, VTK_OBJECT, VTK_SHORT, VTK_UNSIGNED_CHAR
from vtkmodules.vtkCommonCore import vtkCommand, vtkPoints
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkRenderingCore import vtkRenderer

from viewer.model.window_level import WindowLevel
from viewer.pixels.compositor import Blend
from viewer.views.gl_texture import LINEAR, NEAREST, TextureLayer, shader_quad

# How the fragment is made: 0 base grey only, 1 grey fade, 2 swipe curtain, 3 colour table.
MODES = {Blend.GREY: 1, Blend.SWIPE: 2, Blend.COLOUR: 3, Blend.DIVERGING: 3, Blend.SPREAD: 3}

_DECLARATIONS = """in vec3 slicePixel;
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


class SliceImage:
    """A quad in patient space, textured with the raw base (and overlay) slice."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.renderer = renderer
        self.points = vtkPoints()
        self.points.SetNumberOfPoints(4)
        self.actor = shader_quad(self.points,
                                 ("out vec3 slicePixel;", "slicePixel = vertexMC.xyz;"),
                                 (_DECLARATIONS, ""), _FRAGMENT)
        self.matrix = vtkMatrix4x4()
        self.actor.SetUserMatrix(self.matrix)
        mapper = self.actor.GetMapper()
        renderer.AddActor(self.actor)
        self.base, self.over = TextureLayer(LINEAR), TextureLayer(LINEAR)
        self.lut = TextureLayer(NEAREST)
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

    def _layers(self) -> list[tuple[str, TextureLayer]]:
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
            layer.bind(program, name)
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
        for layer in (self.base, self.over, self.lut):
            layer.release()
