"""Annotations without a screen: measurements, ROI statistics, undo/redo, storage, exports."""

import csv
import json
import math

import numpy as np
import pytest

from inference.annotations.model import Annotation, Kind
from inference.annotations.stats import roi_mask, roi_stats
from inference.annotations.store import AnnotationSet, store_path
from inference.io.geometry import Geometry
from inference.io.loader import open_volume
from inference.io.volume import Volume


def test_measurements_by_hand():
    ruler = Annotation(Kind.RULER, ((0, 0, 0), (30, 40, 0)))
    assert ruler.measurement()["length_mm"] == pytest.approx(50)
    angle = Annotation(Kind.ANGLE, ((1, 0, 0), (0, 0, 0), (0, 1, 0)))
    assert angle.measurement()["angle_deg"] == pytest.approx(90)
    rect = Annotation(Kind.RECTANGLE, ((0, 0, 5), (10, 20, 5)))
    assert rect.measurement()["area_mm2"] == pytest.approx(200)
    ellipse = Annotation(Kind.ELLIPSE, ((0, 0, 0), (10, 0, 0), (0, 5, 0)))
    assert ellipse.measurement()["area_mm2"] == pytest.approx(math.pi * 50)
    sphere = Annotation(Kind.SPHERE, ((0, 0, 0), (0, 0, 10)))
    assert sphere.measurement()["volume_ml"] == pytest.approx(4 / 3 * math.pi)


def test_roi_mask_and_stats_exact():
    a = np.zeros((5, 20, 20), np.int16)
    a[2, 5:10, 5:10] = 100
    v = Volume(a, Geometry((0, 0, 0), (1, 1, 2)))
    rect = Annotation(Kind.RECTANGLE, ((4.5, 4.5, 4.0), (9.5, 9.5, 4.0)))
    mask = roi_mask(rect, v)
    assert mask.sum() == 25 and mask[2, 5:10, 5:10].all()
    stats = roi_stats(rect, {"plain": v, "double": v.with_array(a * 2)})
    assert stats["plain"]["mean"] == 100 and stats["double"]["mean"] == 200
    assert stats["plain"]["sd"] == 0 and stats["plain"]["voxels"] == 25
    sphere = Annotation(Kind.SPHERE, ((7, 7, 4), (7, 7, 6.5)))
    # Radius 2.5 mm on 1 x 1 x 2 mm voxels: 21 voxels in the centre slice, 9 in each neighbour.
    assert roi_mask(sphere, v).sum() == 21 + 2 * 9


def test_roi_in_the_phantom_aorta_for_every_layer(small_case):
    plain = open_volume(small_case.noncontrast).volume
    arterial = open_volume(small_case.contrast).volume
    roi = Annotation(Kind.ELLIPSE, ((12, 28, 60), (20, 28, 60), (12, 36, 60)))
    stats = roi_stats(roi, {"non-contrast": plain, "real contrast": arterial})
    assert stats["non-contrast"]["mean"] == pytest.approx(40, abs=20)
    assert stats["real contrast"]["mean"] > 220
    assert stats["non-contrast"]["voxels"] >= 9


def test_undo_redo_every_change():
    s = AnnotationSet()
    seen = []
    s.listeners.append(lambda: seen.append(len(s.items)))
    a = s.add(Annotation(Kind.POINT, ((1, 2, 3),)))
    s.update(a.moved((1, 0, 0)))
    s.remove(a.id)
    assert s.items == {}
    s.undo()
    assert s.items[a.id].points == ((2, 2, 3),)
    s.undo()
    assert s.items[a.id].points == ((1, 2, 3),)
    s.undo()
    assert s.items == {} and not s.can_undo
    s.redo()
    s.redo()
    assert s.items[a.id].points == ((2, 2, 3),) and s.can_redo
    s.add(Annotation(Kind.NOTE, ((0, 0, 0),), text="calcified plaque"))
    assert not s.can_redo  # a new change forgets the redo branch
    assert seen == [1, 1, 0, 1, 1, 0, 1, 1, 2]


def test_save_is_atomic_and_round_trips(tmp_path):
    s = AnnotationSet()
    s.add(Annotation(Kind.RULER, ((0, 0, 0), (0, 0, 42)), text="aneurysm length"))
    path = s.save(tmp_path / "study.json")
    assert not path.with_suffix(".json.tmp").exists()
    again = AnnotationSet.load(path)
    assert list(again.items.values()) == list(s.items.values())
    assert store_path("abc123").name == "abc123.json"
    assert AnnotationSet.load(tmp_path / "missing.json").items == {}


def test_csv_and_json_exports(tmp_path, small_case):
    plain = open_volume(small_case.noncontrast).volume
    s = AnnotationSet()
    s.add(Annotation(Kind.RULER, ((0, 0, 0), (3, 4, 0))))
    s.add(Annotation(Kind.ELLIPSE, ((12, 28, 60), (20, 28, 60), (12, 36, 60))))
    with open(s.export_csv(tmp_path / "m.csv", {"nc": plain})) as f:
        rows = list(csv.DictReader(f))
    assert {r["kind"] for r in rows} == {"ruler", "ellipse"}
    ruler = next(r for r in rows if r["kind"] == "ruler")
    assert float(ruler["length_mm"]) == pytest.approx(5)
    ellipse = next(r for r in rows if r["kind"] == "ellipse")
    assert float(ellipse["nc_mean"]) == pytest.approx(40, abs=20)
    data = json.loads(s.export_json(tmp_path / "m.json", {"nc": plain}).read_text())
    assert data["coordinates"] == "LPS mm" and len(data["measurements"]) == 2
