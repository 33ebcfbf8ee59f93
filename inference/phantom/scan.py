"""Simulate a CT acquisition of the analytic anatomy: motion, partial-volume blur, noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from inference.io.geometry import Geometry
from inference.phantom.anatomy import Anatomy
from inference.phantom.labels import HU, SPLEEN_ARTERIAL_TEXTURE, TEXTURE, Tissue, phase_index

HU_MIN, HU_MAX = -1024, 3071
CHUNK_SLICES = 16


@dataclass(frozen=True)
class Motion:
    """Rigid patient motion between scans: a point p of the anatomy appears at R p + t."""

    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    translation_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def matrix(self) -> np.ndarray:
        """Rotation matrix R = Rz @ Ry @ Rx (angles about the LPS x, y, z axes)."""
        ax, ay, az = np.radians(self.rotation_deg)
        rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
        ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
        rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
        return rz @ ry @ rx

    def to_anatomy(self, world: np.ndarray) -> np.ndarray:
        """Map (..., 3) world points of this scan back into the anatomy's frame."""
        return (world - np.asarray(self.translation_mm)) @ self.matrix

    def as_dict(self) -> dict:
        """JSON-friendly description."""
        return {"rotation_deg": list(self.rotation_deg),
                "translation_mm": list(self.translation_mm),
                "convention": "anatomy point p appears at R @ p + t in this scan; "
                              "R = Rz @ Ry @ Rx, angles about LPS x, y, z, centre (0, 0, 0)"}


def centred_geometry(matrix: int, slices: int, pixel_mm: float, slice_mm: float) -> Geometry:
    """Axial grid centred on the phantom's origin, ordered feet to head like a helical CT."""
    origin = (-(matrix - 1) / 2 * pixel_mm, -(matrix - 1) / 2 * pixel_mm,
              -(slices - 1) / 2 * slice_mm)
    return Geometry(origin, (pixel_mm, pixel_mm, slice_mm))


def _chunk_coords(geometry: Geometry, motion: Motion, k0: int, k1: int, nj: int,
                  ni: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Anatomy-frame x, y, z of the voxels of slices k0..k1, as broadcastable arrays.

    The map from (i, j, k) to anatomy coordinates is affine, so each coordinate is a sum of
    three 1-D ramps; without rotation each stays 1-D and the label maths broadcasts cheaply.
    """
    rot = motion.matrix
    m = rot.T @ (geometry.direction_matrix * np.asarray(geometry.spacing))
    off = rot.T @ (np.asarray(geometry.origin) - np.asarray(motion.translation_mm))
    ramps = (np.arange(ni, dtype=np.float32)[None, None, :],
             np.arange(nj, dtype=np.float32)[None, :, None],
             np.arange(k0, k1, dtype=np.float32)[:, None, None])
    coords = []
    for row in range(3):
        c = np.full((1, 1, 1), off[row], dtype=np.float32)
        for col in range(3):
            if abs(m[row, col]) > 1e-9:
                c = c + np.float32(m[row, col]) * ramps[col]
        coords.append(c)
    return coords[0], coords[1], coords[2]


def render_labels(anatomy: Anatomy, geometry: Geometry, shape: tuple[int, int, int],
                  motion: Motion = Motion()) -> np.ndarray:
    """Ground-truth tissue labels on a grid (uint8), computed slab by slab to bound memory."""
    nk, nj, ni = shape
    out = np.empty(shape, dtype=np.uint8)
    for k0 in range(0, nk, CHUNK_SLICES):
        k1 = min(nk, k0 + CHUNK_SLICES)
        x, y, z = _chunk_coords(geometry, motion, k0, k1, nj, ni)
        out[k0:k1] = np.broadcast_to(anatomy.labels(x, y, z), (k1 - k0, nj, ni))
    return out


def _mean_hu(anatomy: Anatomy, labels: np.ndarray,
             xyz: tuple[np.ndarray, np.ndarray, np.ndarray], phase: str) -> np.ndarray:
    col = phase_index(phase)
    lut = np.zeros(256, dtype=np.float32)
    for tissue, values in HU.items():
        lut[tissue] = values[col]
    hu = lut[labels]
    amp = np.zeros(256, dtype=np.float32)
    for tissue, a in TEXTURE.items():
        amp[tissue] = a
    if phase == "arterial":
        amp[Tissue.SPLEEN] = SPLEEN_ARTERIAL_TEXTURE
    # Texture only where a textured tissue is: a fraction of the voxels.
    where = np.nonzero(amp[labels])
    if where[0].size:
        pts = [np.broadcast_to(c, labels.shape)[where] for c in xyz]
        hu[where] += amp[labels[where]] * anatomy.texture_field(*pts)
    return hu


def simulate_scan(anatomy: Anatomy, geometry: Geometry, shape: tuple[int, int, int], *,
                  phase: str = "noncontrast", motion: Motion = Motion(), noise_sd: float = 14.0,
                  seed: int = 0, blur_sigma_mm: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """CT numbers (int16 HU) and labels of one acquisition of ``anatomy`` on ``geometry``."""
    nk, nj, ni = shape
    hu = np.empty(shape, dtype=np.float32)
    labels = np.empty(shape, dtype=np.uint8)
    for k0 in range(0, nk, CHUNK_SLICES):
        k1 = min(nk, k0 + CHUNK_SLICES)
        x, y, z = _chunk_coords(geometry, motion, k0, k1, nj, ni)
        labels[k0:k1] = np.broadcast_to(anatomy.labels(x, y, z), (k1 - k0, nj, ni))
        hu[k0:k1] = _mean_hu(anatomy, labels[k0:k1], (x, y, z), phase)
    # Scanner point-spread function: partial-volume blur, per axis in voxels.
    sx, sy, sz = geometry.spacing
    sigma_vox = (max(blur_sigma_mm, sz * 0.4) / sz, blur_sigma_mm / sy, blur_sigma_mm / sx)
    ndimage.gaussian_filter(hu, sigma_vox, output=hu, mode="nearest")
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(shape, dtype=np.float32)
    # CT noise is spatially correlated; blur white noise and restore the requested SD.
    ndimage.gaussian_filter(noise, (0.4, 0.7, 0.7), output=noise, mode="wrap")
    noise *= np.float32(noise_sd / max(float(noise.std()), 1e-6))
    body = labels != Tissue.AIR
    hu[body] += noise[body]
    # Outside the patient the scanner still shows (smaller) noise around -1000.
    hu[~body] += noise[~body] * np.float32(0.3)
    del noise
    np.clip(hu, HU_MIN, HU_MAX, out=hu)
    return np.rint(hu).astype(np.int16), labels
