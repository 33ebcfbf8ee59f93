import json

import numpy as np
import pydicom
import pytest

from inference.io.dicom.discovery import scan
from inference.io.image_file import read_image
from inference.io.loader import open_volume
from inference.phantom.anatomy import Anatomy
from inference.phantom.labels import HU, Tissue
from inference.phantom.scan import Motion, centred_geometry, render_labels, simulate_scan
from tests.conftest import SMALL_CASE


def small_grid():
    return centred_geometry(SMALL_CASE["matrix"], SMALL_CASE["slices"], SMALL_CASE["pixel_mm"],
                            SMALL_CASE["slice_mm"])


def test_same_seed_same_scan():
    g = small_grid()
    shape = (8, 48, 48)
    a1, l1 = simulate_scan(Anatomy.create(0), g, shape, seed=5)
    a2, l2 = simulate_scan(Anatomy.create(0), g, shape, seed=5)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(l1, l2)
    a3, _ = simulate_scan(Anatomy.create(0), g, shape, seed=6)
    assert not np.array_equal(a1, a3)


def test_varied_anatomies_differ():
    g = small_grid()
    shape = (SMALL_CASE["slices"], SMALL_CASE["matrix"], SMALL_CASE["matrix"])
    l1 = render_labels(Anatomy.create(1, vary=True), g, shape)
    l2 = render_labels(Anatomy.create(2, vary=True), g, shape)
    assert (l1 != l2).mean() > 0.01


def test_every_structure_present(small_case):
    labels = read_image(small_case.labels).array
    present = set(np.unique(labels))
    assert {int(t) for t in Tissue} <= present | {int(Tissue.LUNG)}
    assert int(Tissue.THROMBUS) in present and int(Tissue.BOWEL_GAS) in present


def test_demo_pair_round_trip_exact(small_case):
    """Write, discover, load: the arrays and geometry are exactly what the simulator made."""
    g = small_grid()
    shape = (SMALL_CASE["slices"], SMALL_CASE["matrix"], SMALL_CASE["matrix"])
    anatomy = Anatomy.create(0)
    plain, labels = simulate_scan(anatomy, g, shape, phase="noncontrast", noise_sd=14.0, seed=1)
    study = scan(small_case.root)
    assert len(study.series) == 2
    assert len({s.study_uid for s in study.series}) == 1
    assert len({s.series_uid for s in study.series}) == 2
    loaded = open_volume(small_case.noncontrast)
    assert loaded.warnings == []
    np.testing.assert_array_equal(loaded.volume.array, plain)
    assert loaded.volume.geometry.same_grid(g, tol=1e-4)
    np.testing.assert_array_equal(read_image(small_case.labels).array, labels)
    ds = pydicom.dcmread(next(small_case.contrast.glob("*.dcm")))
    assert ds.Modality == "CT" and ds.ContrastBolusAgent
    assert "PHANTOM" in ds.SeriesDescription and "not a patient" in ds.ImageComments


def test_contrast_enhances_lumen_not_thrombus(small_case):
    truth = json.loads(small_case.truth.read_text())
    plain = open_volume(small_case.noncontrast).volume.array.astype(float)
    arterial = open_volume(small_case.contrast).volume.array.astype(float)
    labels = read_image(small_case.labels).array
    motion = truth["contrast_motion"]
    assert 0 < max(abs(v) for v in motion["rotation_deg"]) <= 2
    assert 0 < max(abs(v) for v in motion["translation_mm"]) <= 5
    from scipy import ndimage

    # Eroded masks so the small motion between scans cannot reach across the boundary.
    lumen = ndimage.binary_erosion(labels == Tissue.AORTA_LUMEN, iterations=1)
    liver = ndimage.binary_erosion(labels == Tissue.LIVER, iterations=2)
    assert plain[lumen].mean() == pytest.approx(HU[Tissue.AORTA_LUMEN][0], abs=15)
    assert arterial[lumen].mean() > 220
    assert plain[liver].mean() == pytest.approx(HU[Tissue.LIVER][0], abs=8)
    assert plain[liver].std() < 25


def test_motion_moves_the_anatomy():
    g = small_grid()
    shape = (SMALL_CASE["slices"], SMALL_CASE["matrix"], SMALL_CASE["matrix"])
    anatomy = Anatomy.create(0)
    still = render_labels(anatomy, g, shape)
    shift = Motion(translation_mm=(8.0, 0.0, 0.0))  # two voxels toward patient left
    moved = render_labels(anatomy, g, shape, shift)
    np.testing.assert_array_equal(moved[:, :, 2:], still[:, :, :-2])
    np.testing.assert_allclose(Motion(rotation_deg=(0, 0, 90)).matrix @ (1, 0, 0), (0, 1, 0),
                               atol=1e-12)
