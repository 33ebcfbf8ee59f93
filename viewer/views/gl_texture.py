"""Textures the views send themselves, and the quads whose shaders sample them.

VTK's own texture path (vtkImageActor, vtkTextActor) costs a scroll far more than the data it
sends; the slice image and the changing corner text hold their textures here instead. A
texture is sent as a frame starts, before anything is drawn: sent mid-frame, software GL
(llvmpipe) first finishes everything queued.
"""

from __future__ import annotations

import numpy as np
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (OpenGL implementation of the mapper)
from vtkmodules.util.vtkConstants import VTK_FLOAT, VTK_SHORT
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper
from vtkmodules.vtkRenderingOpenGL2 import vtkTextureObject

GL_R16_SNORM = 0x8F98  # what VTK makes of one-component int16: value / 32767
LINEAR, NEAREST, CLAMP_TO_EDGE = 1, 0, 0  # vtkTextureObject's enums


class TextureLayer:
    """One texture and the data it holds, sent at the next frame where it changed."""

    def __init__(self, filtering: int) -> None:
        self.texture = vtkTextureObject()
        self.filtering = filtering
        self.key: object = None  # what the texture should hold
        self.data: tuple[np.ndarray, int, int] | None = None
        self.sent: object = None  # what it does hold
        self.value = (1.0, 0.0)  # texture value -> data value: scale, offset

    def forget(self) -> None:
        """Hold nothing (the next data is sent whatever its key)."""
        self.key = self.data = self.sent = None

    def want(self, key: object, data: np.ndarray, vtk_type: int, components: int = 1) -> None:
        """Hold ``data`` (rows, columns[, components]), named ``key``, from the next frame on."""
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

    def bind(self, program, sampler: str) -> None:
        """Give the texture a unit for this frame and point the shader's sampler at it."""
        self.texture.Activate()
        program.SetUniformi(sampler, self.texture.GetTextureUnit())

    def release(self) -> None:
        """Give the unit back (units are the render window's), after each frame."""
        if self.texture.GetContext() is not None and self.texture.GetHandle():
            self.texture.Deactivate()


def shader_quad(points: vtkPoints, vertex: tuple[str, str], fragment: tuple[str, str],
                replace_colour: str) -> vtkActor:
    """An unlit, hidden quad over ``points`` (four, in order) whose shader takes ``vertex``
    and ``fragment`` (declarations, and code after VTK's position code) and computes the
    colour with ``replace_colour``. Its model coordinates reach the shader as they are."""
    cells = vtkCellArray()
    cells.InsertNextCell(4, [0, 1, 2, 3])
    poly = vtkPolyData()
    poly.SetPoints(points)
    poly.SetPolys(cells)
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(poly)
    # The shaders read positions from the model coordinates: VTK must not shift and scale
    # them on their way to the GPU.
    mapper.SetVBOShiftScaleMethod(0)
    actor = vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().LightingOff()
    actor.SetVisibility(False)
    shader = actor.GetShaderProperty()
    for add, (declarations, code) in ((shader.AddVertexShaderReplacement, vertex),
                                      (shader.AddFragmentShaderReplacement, fragment)):
        add("//VTK::PositionVC::Dec", True, f"//VTK::PositionVC::Dec\n{declarations}", False)
        if code:
            add("//VTK::PositionVC::Impl", True, f"//VTK::PositionVC::Impl\n{code}", False)
    shader.AddFragmentShaderReplacement("//VTK::Light::Impl", True, replace_colour, False)
    return actor
