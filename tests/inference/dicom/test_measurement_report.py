"""Annotations exported as DICOM SR TID 1500, read back with highdicom and dcmtk."""

import shutil
import subprocess

import highdicom as hd
import pydicom
import pytest

from inference.annotations.model import Annotation, Kind
from inference.annotations.store import AnnotationSet
from inference.dicom.measurement_report import write_report
from inference.io.dicom.discovery import scan
from inference.io.loader import open_volume


@pytest.fixture
def report(small_case, tmp_path):
    plain = open_volume(small_case.noncontrast).volume
    s = AnnotationSet()
    s.add(Annotation(Kind.ELLIPSE, ((12, 28, 60), (20, 28, 60), (12, 36, 60)), text="aorta"))
    s.add(Annotation(Kind.RULER, ((0, 0, 60), (30, 40, 60)), text="width"))
    source = scan(small_case.noncontrast).series[0]
    return write_report(s, source, {"non-contrast": plain}, tmp_path / "sr.dcm"), source


def test_sr_round_trips_through_highdicom(report):
    path, source = report
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
    sr = hd.sr.srread(path)
    groups = sr.content.get_planar_roi_measurement_groups()
    assert len(groups) == 2  # the ellipse, and the ruler with its end points
    names = {m.name.meaning: m.value for m in groups[0].get_measurements()}
    assert names["Mean"] == pytest.approx(40, abs=25)
    assert names["Area"] == pytest.approx(3.14159 * 64, rel=1e-3)
    lengths = [m.value for g in groups for m in g.get_measurements()
               if m.name.meaning == "Length"]
    assert lengths == [pytest.approx(50.0)]
    refs = {item.ReferencedSOPInstanceUID
            for item in ds.CurrentRequestedProcedureEvidenceSequence[0]
            .ReferencedSeriesSequence[0].ReferencedSOPSequence}
    assert refs == {h.sop_instance_uid for h in source.headers}


@pytest.mark.skipif(shutil.which("dsrdump") is None, reason="dcmtk is installed by make test")
def test_sr_readable_by_dcmtk(report):
    out = subprocess.run(["dsrdump", str(report[0])], capture_output=True, text=True, check=True)
    assert "Imaging Measurement Report" in out.stdout
    assert "Hounsfield unit" in out.stdout or "hnsf" in out.stdout


def test_deidentified_sr_keeps_measurements_drops_identity(small_case, tmp_path):
    plain = open_volume(small_case.noncontrast).volume
    s = AnnotationSet()
    s.add(Annotation(Kind.RULER, ((0, 0, 60), (30, 40, 60))))
    source = scan(small_case.noncontrast).series[0]
    path = write_report(s, source, {"non-contrast": plain}, tmp_path / "deid.dcm",
                        deidentify=True)
    blob = path.read_bytes()
    src = pydicom.dcmread(source.headers[0].path)
    for secret in (str(src.PatientName), str(src.PatientID), src.PatientBirthDate,
                   src.StudyDate, src.StudyInstanceUID, src.SOPInstanceUID):
        assert secret.encode() not in blob, secret
    sr = hd.sr.srread(path)
    lengths = [m.value for g in sr.content.get_planar_roi_measurement_groups()
               for m in g.get_measurements()]
    assert lengths == [pytest.approx(50.0)]
    assert pydicom.dcmread(path).PatientIdentityRemoved == "YES"
