"""Registration of the phantom pair: recovers the known motion; refuses mismatched scans."""

from dataclasses import replace

import numpy as np
import pytest

from inference.compare.registration import nudge, register
from inference.errors import RegistrationRefused
from inference.io.geometry import Geometry
from inference.io.volume import SeriesMetadata, Volume
from inference.phantom.anatomy import Anatomy
from inference.phantom.scan import Motion, centred_geometry, simulate_scan

MOTION = Motion(rotation_deg=(0.8, -0.5, 1.5), translation_mm=(2.5, -1.8, 3.0))


@pytest.fixture(scope="module")
def pair():
    g = centred_geometry(192, 48, 2.0, 3.0)
    shape = (48, 192, 192)
    anatomy = Anatomy.create(0)
    plain, _ = simulate_scan(anatomy, g, shape, noise_sd=14.0, seed=1)
    real, _ = simulate_scan(anatomy, g, shape, phase="arterial", motion=MOTION, noise_sd=12.0,
                            seed=2)
    meta = SeriesMetadata(patient_pseudonym="abc")
    return Volume(plain, g, metadata=meta), Volume(real, g, metadata=meta)


def test_recovers_known_rigid_motion(pair):
    fixed, moving = pair
    result = register(fixed, moving)
    # Where the transform sends points of the body, compared with the true motion.
    pts = np.array([[x, y, z] for x in (-100, 100) for y in (-70, 70) for z in (-60, 60)],
                   float)
    expected = pts @ MOTION.matrix.T + np.array(MOTION.translation_mm)
    got = np.array([result.transform.TransformPoint(tuple(p)) for p in pts])
    assert np.linalg.norm(got - expected, axis=1).max() < 1.0
    rot = np.asarray(result.parameters["rotation_deg"])
    assert np.abs(rot - np.array(MOTION.rotation_deg)).max() < 0.5
    assert result.surface_distance_mm < 2.0
    assert result.resampled.geometry is fixed.geometry


def test_refuses_other_patient_and_no_overlap(pair):
    fixed, moving = pair
    other = replace(moving, metadata=SeriesMetadata(patient_pseudonym="xyz"))
    with pytest.raises(RegistrationRefused, match="different patients"):
        register(fixed, other)
    far = Volume(moving.array, Geometry((5000.0, 0.0, 0.0), moving.geometry.spacing))
    with pytest.raises(RegistrationRefused, match="do not overlap"):
        register(fixed, far)


def test_manual_nudge_moves_points():
    import SimpleITK as sitk

    base = sitk.Euler3DTransform()
    moved = nudge(base, translation_mm=(1.0, 0.0, 0.0))
    assert moved.TransformPoint((0.0, 0.0, 0.0)) == pytest.approx((1.0, 0.0, 0.0))


def test_other_study_is_a_warning_and_affine_reports_rigid_part(pair):
    fixed, moving = pair
    fixed = replace(fixed, metadata=replace(fixed.metadata, study_uid="1.2.3"))
    moving = replace(moving, metadata=replace(moving.metadata, study_uid="1.2.4"))
    result = register(fixed, moving, affine=True)
    assert any("different study" in w for w in result.warnings)
    assert not any("1.2.3" in w or "1.2.4" in w for w in result.warnings)  # no UIDs shown
    p = result.parameters
    assert np.abs(np.asarray(p["rotation_deg"]) - MOTION.rotation_deg).max() < 0.5
    assert np.allclose(p["scales"], 1.0, atol=0.02)  # the phantom did not change size
    # A manual nudge on top is reported as the total motion.
    nudged = nudge(result.transform, (0, 0, 2.0), (1.0, 0, 0))
    from inference.compare.registration import rigid_parameters

    assert rigid_parameters(nudged)["rotation_deg"][2] == pytest.approx(
        p["rotation_deg"][2] + 2.0, abs=0.1)


def test_progress_per_level_and_cancel_within_a_second(pair):
    """Progress names each pyramid level; a cancel stops the registration within one
    iteration (its time is counted, never asserted: only that the call returns promptly
    enough to be measured here, and raises Cancelled)."""
    import time

    from inference.errors import Cancelled
    from inference.progress import CancelToken

    fixed, moving = pair
    stages: list[str] = []
    register(fixed, moving, progress=lambda e: stages.append(e.stage))
    levels = [s for s in dict.fromkeys(stages) if s.startswith("Registering")]
    assert levels == [f"Registering (rigid, level {n} of 3)" for n in (1, 2, 3)]
    token = CancelToken()
    asked: list[float] = []

    def cancel_at_level_two(event) -> None:
        if "level 2" in event.stage and not token.cancelled:
            asked.append(time.perf_counter())
            token.cancel()

    with pytest.raises(Cancelled):
        register(fixed, moving, progress=cancel_at_level_two, cancel=token)
    assert asked  # it was cancelled in the middle, and raised
