"""Aneurysm metrics on phantoms with known aortas: the maximum diameter orthogonal to the
centreline (outer wall, and lumen) within 1 mm of the generator's truth, at the demo case's
resolution and coarser, for anatomies whose sac touches the spine and the psoas."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inference.compare.aorta import compare_aortas, ellipse_axes, measure_aorta
from inference.io.loader import open_volume
from inference.phantom.demo_case import write_demo_case

DEMO_GRID = dict(matrix=320, slices=64, pixel_mm=1.2, slice_mm=2.5)  # the demo case's pixels
COARSE_GRID = dict(matrix=240, slices=64, pixel_mm=1.6, slice_mm=4.0)


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "grid"), [(0, DEMO_GRID), (23, DEMO_GRID),
                                             (5, COARSE_GRID), (11, COARSE_GRID)])
def test_max_diameter_within_1_mm_of_truth(tmp_path, seed, grid):
    case = write_demo_case(tmp_path / "case", seed=seed, **grid)
    truth = json.loads(case.truth.read_text())
    measured = measure_aorta(open_volume(case.contrast).volume)
    assert measured is not None
    assert measured.max_outer_diameter_mm == pytest.approx(truth["aorta_max_diameter_mm"],
                                                           abs=1.0)
    assert measured.max_lumen_diameter_mm == pytest.approx(truth["lumen_max_diameter_mm"],
                                                           abs=1.0)
    # The largest diameter is where the generator put the sac's peak (motion: a few mm).
    at = measured.slices[int(np.nanargmax(measured.outer_diameter_mm))]
    z = np.array(measured.centreline_mm)[measured.slices.index(at), 2]
    assert z == pytest.approx(truth["aneurysm_peak_z_mm"], abs=15)
    # Lumen areas along the aorta (an 11 mm radius above the sac: 340 mm2 and more).
    assert len(measured.slices) > 40 and np.median(measured.lumen_area_mm2) > 250


def test_a_plain_scan_has_no_lumen_to_measure(small_case):
    assert measure_aorta(open_volume(small_case.noncontrast).volume) is None


def test_synthetic_against_real(small_case):
    """The real scan against itself differs by nothing; the plain scan as a 'synthetic'
    shows no lumen, which is reported as such."""
    real = open_volume(small_case.contrast).volume
    plain = open_volume(small_case.noncontrast).volume
    same = compare_aortas(real, real)
    assert same["difference"]["max_outer_diameter_mm"] == 0
    assert same["difference"]["lumen_area_mae_mm2"] == 0
    none = compare_aortas(plain, real)
    assert none["synthetic"] is None and "no enhanced aortic lumen" in none["note"]
    assert 45 < none["real"]["max_outer_diameter_mm"] < 60


def test_ellipse_fit_recovers_axes():
    t = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    a, b, tilt = 27.0, 19.0, 0.6
    x = 4 + a * np.cos(t) * np.cos(tilt) - b * np.sin(t) * np.sin(tilt)
    y = -3 + a * np.cos(t) * np.sin(tilt) + b * np.sin(t) * np.cos(tilt)
    major, minor = ellipse_axes(np.stack([y, x], axis=1))
    assert major == pytest.approx(2 * a, rel=1e-6) and minor == pytest.approx(2 * b, rel=1e-6)
