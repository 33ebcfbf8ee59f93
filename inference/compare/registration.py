"""Rigid (optionally affine) registration of a real contrast scan onto the non-contrast grid."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from inference.compare.metrics import body_mask
from inference.errors import Cancelled, RegistrationRefused
from inference.io.volume import Volume
from inference.progress import CancelToken, ProgressCallback, ProgressEvent

log = logging.getLogger(__name__)

SMOOTH_MM = (2.0, 1.0, 0.0)
ITERATIONS = 120
FINEST_VOXEL_MM = 1.5  # sub-millimetre alignment needs no finer grid than this
SAMPLING = (0.05, 0.03, 0.02)  # fraction of voxels sampled per level, coarse to fine


SHRINK = (4, 2, 1)


def bin_factors(volume: Volume) -> list[int]:
    """Per-axis (i, j, k) averaging factors that bring voxels to about FINEST_VOXEL_MM."""
    return [max(1, round(FINEST_VOXEL_MM / s)) for s in volume.geometry.spacing]



def to_sitk(volume: Volume, dtype=np.float32) -> sitk.Image:
    """A SimpleITK image of the volume with its geometry (LPS, as ITK uses)."""
    image = sitk.GetImageFromArray(volume.array.astype(dtype, copy=False))
    g = volume.geometry
    image.SetOrigin(g.origin)
    image.SetSpacing(g.spacing)
    image.SetDirection(tuple(g.direction_matrix.ravel()))
    return image


def _bounds(volume: Volume) -> tuple[np.ndarray, np.ndarray]:
    nk, nj, ni = volume.shape
    corners = np.array([[i, j, k] for i in (0, ni - 1) for j in (0, nj - 1) for k in (0, nk - 1)])
    world = volume.index_to_world(corners)
    return world.min(axis=0), world.max(axis=0)


def check_compatible(fixed: Volume, moving: Volume,
                     allow_other_patient: bool = False) -> list[str]:
    """Refuse pairs that cannot be the same patient's scans of the same region.

    Returns warnings for pairs that may belong together but deserve a second look.
    """
    a, b = fixed.metadata.patient_pseudonym, moving.metadata.patient_pseudonym
    if a and b and a != b and not allow_other_patient:
        raise RegistrationRefused("the two scans belong to different patients "
                                  "(pseudonymised IDs differ); refusing to compare them")
    lo1, hi1 = _bounds(fixed)
    lo2, hi2 = _bounds(moving)
    overlap = np.minimum(hi1, hi2) - np.maximum(lo1, lo2)
    if np.any(overlap <= 0):
        raise RegistrationRefused("the two scans do not overlap in space; they cannot be "
                                  "registered")
    s1, s2 = fixed.metadata.study_uid, moving.metadata.study_uid
    if s1 and s2 and s1 != s2:
        # Validation pairs are often acquired on different days; that is allowed, not hidden.
        return ["the real contrast scan comes from a different study than the non-contrast "
                "one: check that they show the same episode"]
    return []


@dataclass
class RegistrationResult:
    """The transform (moving -> fixed), the resampled scan, and how well they agree."""

    transform: sitk.Transform
    resampled: Volume
    metric: float
    surface_distance_mm: float
    iterations: int
    stop_condition: str
    warnings: list[str] = field(default_factory=list)

    @property
    def parameters(self) -> dict:
        """Rotation (degrees) and translation (mm) of a rigid result."""
        return rigid_parameters(self.transform)


def rigid_parameters(transform: sitk.Transform) -> dict:
    """Euler angles (deg), translation (mm) and scales of any (composite) linear transform.

    The effective map is read off by transforming four points, so nested composites (rigid,
    affine, manual nudges) report what they do together; the rotation is the orthogonal part.
    """
    t = transform
    while isinstance(t, sitk.CompositeTransform) and t.GetNumberOfTransforms():
        t = t.GetNthTransform(0)
    centre = np.asarray(t.GetCenter() if hasattr(t, "GetCenter") else (0.0, 0.0, 0.0))
    probe = 100.0
    points = [centre, *(centre + probe * e for e in np.eye(3))]
    mapped = np.array([transform.TransformPoint(tuple(float(v) for v in p)) for p in points])
    linear = (mapped[1:] - mapped[0]).T / probe
    u, scales, vt = np.linalg.svd(linear)
    euler = sitk.Euler3DTransform()
    euler.SetCenter(tuple(float(v) for v in centre))
    euler.SetMatrix(tuple(float(v) for v in (u @ vt).ravel()))
    return {"rotation_deg": [float(np.degrees(a)) for a in euler.GetParameters()[:3]],
            "translation_mm": [float(v) for v in mapped[0] - centre],
            "center_mm": [float(v) for v in centre], "scales": [float(v) for v in scales]}


def resample_onto(moving: Volume, fixed: Volume, transform: sitk.Transform,
                  default: float = -1024.0) -> Volume:
    """``moving`` resampled onto ``fixed``'s grid through ``transform`` (linear)."""
    out = sitk.Resample(to_sitk(moving), to_sitk(fixed, np.int16), transform, sitk.sitkLinear,
                        default, sitk.sitkFloat32)
    array = np.rint(sitk.GetArrayViewFromImage(out))
    array = np.clip(array, -32768, 32767).astype(np.int16)
    meta = moving.metadata
    return Volume(array, fixed.geometry, moving.modality, meta, moving.synthetic,
                  {**moving.provenance, "registered_to": fixed.metadata.series_uid})


def mean_surface_distance(a: np.ndarray, b: np.ndarray, spacing_kji: tuple[float, ...]) -> float:
    """Symmetric mean distance (mm) between the surfaces of two masks."""
    sa = a & ~ndimage.binary_erosion(a)
    sb = b & ~ndimage.binary_erosion(b)
    if not sa.any() or not sb.any():
        return float("inf")
    da = ndimage.distance_transform_edt(~sb, sampling=spacing_kji)[sa]
    db = ndimage.distance_transform_edt(~sa, sampling=spacing_kji)[sb]
    return float((da.sum() + db.sum()) / (len(da) + len(db)))


def register(fixed: Volume, moving: Volume, *, affine: bool = False,
             allow_other_patient: bool = False, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None, seed: int = 1) -> RegistrationResult:
    """Rigid (then optionally affine) Mattes-MI registration, multi-resolution.

    Long on purpose: the ITK method is configured step by step (metric, optimiser, pyramid,
    stages) and reads best as one recipe.
    """
    pair_warnings = check_compatible(fixed, moving, allow_other_patient)
    # Registering on ~1.5 mm voxels is as accurate (sub-millimetre) and many times cheaper
    # than building the pyramid and the metric samples from full-resolution images.
    f = sitk.BinShrink(to_sitk(fixed), bin_factors(fixed))
    m = sitk.BinShrink(to_sitk(moving), bin_factors(moving))
    # Clamp to the useful CT range so metal and air extremes do not dominate the histogram.
    f = sitk.Clamp(f, sitk.sitkFloat32, -1000.0, 1500.0)
    m = sitk.Clamp(m, sitk.sitkFloat32, -1000.0, 1500.0)
    initial = sitk.CenteredTransformInitializer(
        f, m, sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.GEOMETRY)
    stages = [("rigid", initial)]
    if affine:
        stages.append(("affine", sitk.AffineTransform(3)))
    total = ITERATIONS * len(SHRINK) * len(stages)
    state = {"iterations": 0}
    transform: sitk.Transform = initial
    reg = None
    for name, start in stages:
        reg = sitk.ImageRegistrationMethod()
        reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
        reg.SetMetricSamplingStrategy(reg.RANDOM)
        reg.SetMetricSamplingPercentagePerLevel(list(SAMPLING), seed)
        reg.SetInterpolator(sitk.sitkLinear)
        reg.SetOptimizerAsRegularStepGradientDescent(
            learningRate=2.0, minStep=1e-3, numberOfIterations=ITERATIONS,
            gradientMagnitudeTolerance=1e-6)
        reg.SetOptimizerScalesFromPhysicalShift()
        reg.SetShrinkFactorsPerLevel(list(SHRINK))
        reg.SetSmoothingSigmasPerLevel(list(SMOOTH_MM))
        reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
        if name == "rigid":
            reg.SetInitialTransform(start, inPlace=False)
        else:
            reg.SetMovingInitialTransform(transform)
            start.SetCenter(initial.GetCenter())
            reg.SetInitialTransform(start, inPlace=False)

        def on_iteration(reg=reg, stage=name) -> None:
            state["iterations"] += 1
            if cancel is not None and cancel.cancelled:
                reg.StopRegistration()
            if progress is not None and state["iterations"] % 5 == 0:
                progress(ProgressEvent(f"Registering ({stage})",
                                       min(state["iterations"], total), total))

        reg.AddCommand(sitk.sitkIterationEvent, on_iteration)
        result = reg.Execute(f, m)
        if cancel is not None and cancel.cancelled:
            raise Cancelled()
        transform = result if name == "rigid" else sitk.CompositeTransform([transform, result])
    assert reg is not None
    if progress is not None:
        progress(ProgressEvent("Resampling", 0, 1))
    resampled = resample_onto(moving, fixed, transform)
    # The residual on the same ~1.5 mm grid: strided views, no copies of the full volumes.
    fi, fj, fk = bin_factors(fixed)
    step = (slice(None, None, fk), slice(None, None, fj), slice(None, None, fi))
    spacing_kji = tuple(s * f for s, f in zip(reversed(fixed.geometry.spacing), (fk, fj, fi),
                                               strict=True))
    msd = mean_surface_distance(body_mask(fixed.array[step]), body_mask(resampled.array[step]),
                                spacing_kji)
    warnings = list(pair_warnings)
    if msd > 3.0:
        warnings.append(f"body outlines still differ by {msd:.1f} mm on average after "
                        "registration; check the alignment (manual adjust) before comparing")
    if progress is not None:
        progress(ProgressEvent("Resampling", 1, 1))
    log.info("registration finished after %d iterations", state["iterations"])
    return RegistrationResult(transform, resampled, float(reg.GetMetricValue()), msd,
                              state["iterations"], reg.GetOptimizerStopConditionDescription(),
                              warnings)


def nudge(transform: sitk.Transform, rotation_deg: tuple[float, float, float] = (0, 0, 0),
          translation_mm: tuple[float, float, float] = (0, 0, 0)) -> sitk.Transform:
    """A manual adjustment composed onto a transform (the viewer's manual-adjust mode)."""
    step = sitk.Euler3DTransform()
    step.SetCenter(transform.GetCenter() if hasattr(transform, "GetCenter") else (0, 0, 0))
    step.SetRotation(*np.radians(rotation_deg))
    step.SetTranslation(tuple(float(v) for v in translation_mm))
    return sitk.CompositeTransform([transform, step])
