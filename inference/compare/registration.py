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

FINEST_VOXEL_MM = 1.5  # sub-millimetre alignment needs no finer grid than this
# The pyramid, coarse to fine: (shrink of the ~1.5 mm grid, metric samples, most iterations).
# Each level starts where the last ended, so the fine levels need few iterations; a number of
# samples, not a fraction, keeps the metric as steady on a small grid as on a large one. The
# images are block averages (no smoothing of the full volume).
LEVELS = ((4, 30_000, 100), (2, 80_000, 80), (1, 150_000, 40))
CLAMP_HU = (-1000.0, 1500.0)  # metal and air extremes would dominate the histogram


def bin_factors(volume: Volume) -> list[int]:
    """Per-axis (i, j, k) averaging factors that bring voxels to about FINEST_VOXEL_MM."""
    return [max(1, round(FINEST_VOXEL_MM / s)) for s in volume.geometry.spacing]



def binned_image(volume: Volume) -> sitk.Image:
    """The volume averaged in blocks to about FINEST_VOXEL_MM, clamped, as a float32 image
    (integer sums of strided views: no float copy of the full volume is ever made)."""
    fi, fj, fk = bin_factors(volume)
    a = volume.array
    nk, nj, ni = a.shape[0] // fk, a.shape[1] // fj, a.shape[2] // fi
    acc = np.zeros((nk, nj, ni), np.int32)
    for dk in range(fk):
        for dj in range(fj):
            for di in range(fi):
                acc += a[dk:nk * fk:fk, dj:nj * fj:fj, di:ni * fi:fi]
    out = acc.astype(np.float32)
    del acc
    out *= 1.0 / (fi * fj * fk)
    np.clip(out, *CLAMP_HU, out=out)
    image = sitk.GetImageFromArray(out)
    g = volume.geometry
    image.SetOrigin(tuple(float(v) for v in g.index_to_world((np.array([fi, fj, fk]) - 1) / 2)))
    image.SetSpacing(tuple(float(s * f) for s, f in zip(g.spacing, (fi, fj, fk), strict=True)))
    image.SetDirection(tuple(g.direction_matrix.ravel()))
    return image


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
    """Symmetric mean distance (mm) between the surfaces of two masks (nearest surface voxel
    by k-d tree: the same figure as distance maps of the whole grid, at a fraction of the
    time)."""
    from scipy.spatial import cKDTree

    sa = np.argwhere(a & ~ndimage.binary_erosion(a)) * np.asarray(spacing_kji)
    sb = np.argwhere(b & ~ndimage.binary_erosion(b)) * np.asarray(spacing_kji)
    if not len(sa) or not len(sb):
        return float("inf")
    da = cKDTree(sb).query(sa, workers=-1)[0]
    db = cKDTree(sa).query(sb, workers=-1)[0]
    return float((da.sum() + db.sum()) / (len(da) + len(db)))


def _method(sampling: float, iterations: int, seed: int) -> sitk.ImageRegistrationMethod:
    # ``sampling``: the fraction of the level's voxels the metric reads.
    """One level's Mattes-MI method: random samples, gradients at the samples only (a
    gradient image of the whole grid per level cost more than the iterations)."""
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(sampling, seed)
    reg.SetMetricUseFixedImageGradientFilter(False)
    reg.SetMetricUseMovingImageGradientFilter(False)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(
        learningRate=2.0, minStep=1e-3, numberOfIterations=iterations,
        gradientMagnitudeTolerance=1e-6)
    reg.SetOptimizerScalesFromPhysicalShift()
    return reg


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
    f, m = binned_image(fixed), binned_image(moving)
    initial = sitk.CenteredTransformInitializer(
        f, m, sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.GEOMETRY)
    stages = [("rigid", initial)]
    if affine:
        stages.append(("affine", sitk.AffineTransform(3)))
    pyramid = [(sitk.BinShrink(f, [n] * 3) if n > 1 else f,
                sitk.BinShrink(m, [n] * 3) if n > 1 else m) for n, _s, _i in LEVELS]
    total = sum(i for _n, _s, i in LEVELS) * len(stages)
    state = {"iterations": 0, "stop": "", "metric": 0.0}
    transform: sitk.Transform = initial
    for name, start in stages:
        found = initial if name == "rigid" else start
        if name != "rigid":
            start.SetCenter(initial.GetCenter())
        for level, ((fl, ml), (_n, samples, iterations)) in enumerate(
                zip(pyramid, LEVELS, strict=True), 1):
            voxels = float(np.prod(fl.GetSize()))
            reg = _method(min(1.0, samples / voxels), iterations, seed)
            if name != "rigid":
                reg.SetMovingInitialTransform(transform)
            reg.SetInitialTransform(found, inPlace=False)
            stage = f"Registering ({name}, level {level} of {len(LEVELS)})"

            def on_iteration(reg=reg, stage=stage) -> None:
                state["iterations"] += 1
                if cancel is not None and cancel.cancelled:
                    reg.StopRegistration()  # within one iteration: well under a second
                if progress is not None and state["iterations"] % 5 == 0:
                    progress(ProgressEvent(stage, min(state["iterations"], total), total))

            reg.AddCommand(sitk.sitkIterationEvent, on_iteration)
            if progress is not None:
                progress(ProgressEvent(stage, min(state["iterations"], total), total))
            found = reg.Execute(fl, ml)
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            state["stop"] = reg.GetOptimizerStopConditionDescription()
            state["metric"] = float(reg.GetMetricValue())
        transform = found if name == "rigid" else sitk.CompositeTransform([transform, found])
    if progress is not None:
        progress(ProgressEvent("Resampling", 0, 1))
    resampled = resample_onto(moving, fixed, transform)
    # The residual on the middle level's grid (about 3 mm), from the pyramid's own images:
    # the full volumes are not read again.
    fl, ml = pyramid[len(pyramid) // 2]
    moved = sitk.Resample(ml, fl, transform, sitk.sitkLinear, CLAMP_HU[0])
    msd = mean_surface_distance(body_mask(sitk.GetArrayViewFromImage(fl)),
                                body_mask(sitk.GetArrayViewFromImage(moved)),
                                tuple(reversed(fl.GetSpacing())))
    warnings = list(pair_warnings)
    if msd > 3.0:
        warnings.append(f"body outlines still differ by {msd:.1f} mm on average after "
                        "registration; check the alignment (manual adjust) before comparing")
    if progress is not None:
        progress(ProgressEvent("Resampling", 1, 1))
    log.info("registration finished after %d iterations", state["iterations"])
    return RegistrationResult(transform, resampled, state["metric"], msd, state["iterations"],
                              state["stop"], warnings)


def nudge(transform: sitk.Transform, rotation_deg: tuple[float, float, float] = (0, 0, 0),
          translation_mm: tuple[float, float, float] = (0, 0, 0)) -> sitk.Transform:
    """A manual adjustment composed onto a transform (the viewer's manual-adjust mode)."""
    step = sitk.Euler3DTransform()
    step.SetCenter(transform.GetCenter() if hasattr(transform, "GetCenter") else (0, 0, 0))
    step.SetRotation(*np.radians(rotation_deg))
    step.SetTranslation(tuple(float(v) for v in translation_mm))
    return sitk.CompositeTransform([transform, step])
