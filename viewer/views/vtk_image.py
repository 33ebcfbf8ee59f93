"""Hand a Volume to VTK without copying its voxels."""

from __future__ import annotations

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkCommonMath import vtkMatrix3x3

from inference.io.volume import Volume


def volume_to_vtk(volume: Volume) -> vtkImageData:
    """vtkImageData sharing ``volume.array``'s memory, with origin, spacing and direction."""
    array = volume.array
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    nk, nj, ni = array.shape
    image = vtkImageData()
    image.SetDimensions(ni, nj, nk)
    image.SetOrigin(*volume.geometry.origin)
    image.SetSpacing(*volume.geometry.spacing)
    m = vtkMatrix3x3()
    d = volume.geometry.direction_matrix
    for r in range(3):
        for c in range(3):
            m.SetElement(r, c, float(d[r, c]))
    image.SetDirectionMatrix(m)
    scalars = numpy_to_vtk(array.reshape(-1), deep=0)
    scalars.SetName("HU")
    image.GetPointData().SetScalars(scalars)
    # VTK does not own the buffer: keep the numpy array alive as long as the image.
    image._numpy_owner = array  # type: ignore[attr-defined]
    return image
