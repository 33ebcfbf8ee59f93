"""The phase from CT numbers alone: phantom phases, a flipped scan, a real portal-venous
abdomen (LiTS) and a real plain head CT (InVesalius), with no header text at all."""

from __future__ import annotations

import numpy as np
import pytest

from inference.io.geometry import Geometry
from inference.io.volume import Volume
from inference.phantom.anatomy import Anatomy
from inference.phantom.scan import centred_geometry, simulate_scan
from inference.series.classify import classify
from inference.series.facts import SeriesFacts
from inference.series.model import Phase
from inference.series.pixels import read_pixels
from tests.support.head_ct import head_ct
from tests.support.lits import lits_crop

EXPECTED = {"noncontrast": Phase.NON_CONTRAST, "arterial": Phase.ARTERIAL,
            "portal": Phase.PORTAL_VENOUS, "delayed": Phase.DELAYED}
BLANK = SeriesFacts(modality="CT", instance_count=60)  # no description, no contrast attributes


def _phantom(seed: int, phase: str, shape=(60, 160, 160), pixel_mm=2.4, slice_mm=4.5):
    geometry = centred_geometry(shape[1], shape[0], pixel_mm, slice_mm)
    array, _ = simulate_scan(Anatomy.create(seed, vary=seed != 0), geometry, shape,
                             phase=phase, noise_sd=14.0, seed=seed + 11)
    return Volume(array, geometry)


@pytest.mark.parametrize("seed", [0, 4])
@pytest.mark.parametrize("phase", list(EXPECTED))
def test_phantom_phases_from_pixels_alone(seed, phase):
    reading = read_pixels(_phantom(seed, phase))
    assert reading.phase is EXPECTED[phase], reading.evidence
    c = classify(BLANK, reading)
    assert c.phase is EXPECTED[phase]
    assert c.usable_as_input is (phase == "noncontrast")
    assert reading.measurements["aorta_hu"] == pytest.approx(
        {"noncontrast": 42, "arterial": 320, "portal": 170, "delayed": 115}[phase], abs=40)


def test_a_scan_stored_flipped_reads_the_same():
    vol = _phantom(0, "arterial")
    # Columns and slices stored in the other order: the same patient, an other array.
    nk, _nj, ni = vol.shape
    sx, _sy, sz = vol.geometry.spacing
    ox, oy, oz = vol.geometry.origin
    flipped = Volume(np.ascontiguousarray(vol.array[::-1, :, ::-1]), Geometry(
        (ox + (ni - 1) * sx, oy, oz + (nk - 1) * sz), vol.geometry.spacing,
        ((-1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, -1.0))))
    assert read_pixels(flipped).phase is Phase.ARTERIAL


def test_the_real_portal_venous_crop_is_enhanced():
    reading = read_pixels(lits_crop())
    assert reading.phase.enhanced, reading.evidence
    c = classify(BLANK, reading)
    assert c.phase.enhanced and not c.usable_as_input


def test_the_real_head_ct_is_plain():
    reading = read_pixels(head_ct())
    assert reading.phase is Phase.NON_CONTRAST, reading.evidence
    assert reading.region == "HEAD"
    assert 15 <= reading.measurements["brain_hu"] <= 50


def test_pixels_that_say_enhanced_overrule_a_plain_description():
    facts = SeriesFacts(modality="CT", series_description="Abdomen non-contrast",
                        instance_count=60)
    c = classify(facts, read_pixels(_phantom(0, "arterial")))
    assert c.phase.enhanced and c.conflicts and not c.usable_as_input
    assert "pixels" in c.conflicts[0]


def test_no_landmark_in_view_is_unknown_never_plain():
    water = Volume(np.full((30, 128, 128), -1000, np.int16), centred_geometry(128, 30, 2.0, 5.0))
    water.array[:, 30:98, 30:98] = 0  # a box of water: no spine, no aorta, no brain
    reading = read_pixels(water)
    assert reading.phase is Phase.UNKNOWN
