"""Annotations as a DICOM Structured Report, template TID 1500 (Measurement Report)."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes

from inference.annotations.model import ROI_KINDS, Kind
from inference.annotations.stats import roi_stats
from inference.annotations.store import AnnotationSet
from inference.dicom.deidentify import Deidentifier
from inference.io.dicom.discovery import SeriesInfo
from inference.io.volume import Volume

MM = hd.sr.CodedConcept(value="mm", scheme_designator="UCUM", meaning="millimeter")
MM2 = hd.sr.CodedConcept(value="mm2", scheme_designator="UCUM", meaning="square millimeter")
DEG = hd.sr.CodedConcept(value="deg", scheme_designator="UCUM", meaning="degree")
ML = hd.sr.CodedConcept(value="ml", scheme_designator="UCUM", meaning="milliliter")
LENGTH = hd.sr.CodedConcept(value="410668003", scheme_designator="SCT", meaning="Length")
ANGLE = hd.sr.CodedConcept(value="1483009", scheme_designator="SCT", meaning="Angle")
VOLUME = hd.sr.CodedConcept(value="118565006", scheme_designator="SCT", meaning="Volume")
FINDING = hd.sr.CodedConcept(value="49755003", scheme_designator="SCT",
                             meaning="Morphologically abnormal structure")


def _region(points: np.ndarray, kind: Kind, for_uid: str) -> hd.sr.ImageRegion3D:
    if kind is Kind.POINT:
        return hd.sr.ImageRegion3D(hd.sr.GraphicTypeValues3D.POINT, points[:1], for_uid)
    closed = np.vstack([points, points[:1]])
    return hd.sr.ImageRegion3D(hd.sr.GraphicTypeValues3D.POLYGON, closed, for_uid)


def build_report(annotations: AnnotationSet, source: SeriesInfo,
                 layers: dict[str, Volume]) -> hd.sr.Comprehensive3DSR:
    """A Comprehensive 3D SR holding one measurement group per annotation.

    ROIs carry their area (or volume) and the mean HU of the non-contrast layer; rulers and
    angles carry their length or angle. Coordinates are 3-D in the series' frame of reference.
    """
    evidence = [pydicom.dcmread(h.path, stop_before_pixels=True) for h in source.headers]
    for_uid = str(evidence[0].FrameOfReferenceUID)
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="dcreview"))
    context = hd.sr.ObservationContext(observer_device_context=observer)
    groups = []
    for n, a in enumerate(annotations.items.values(), 1):
        tracking = hd.sr.TrackingIdentifier(uid=hd.UID(),
                                            identifier=f"{a.kind.value} {n}: {a.text}"[:64])
        measurements = []
        m = a.measurement()
        if a.kind in (*ROI_KINDS, Kind.SPHERE):
            first_layer = next(iter(layers))
            stats = roi_stats(a, layers)[first_layer]
            if stats.get("voxels"):
                measurements.append(hd.sr.Measurement(name=codes.SCT.Mean, value=stats["mean"],
                                                      unit=codes.UCUM.HounsfieldUnit))
            if "area_mm2" in m:
                measurements.append(hd.sr.Measurement(name=codes.SCT.Area,
                                                      value=m["area_mm2"], unit=MM2))
            if "volume_ml" in m:
                measurements.append(hd.sr.Measurement(name=VOLUME, value=m["volume_ml"],
                                                      unit=ML))
            points = a.outline() if a.kind in ROI_KINDS else a.array[:1]
            kind = a.kind if a.kind in ROI_KINDS else Kind.POINT
            region = _region(points, kind, for_uid)
            if kind is Kind.POINT:
                groups.append(hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
                    tracking_identifier=tracking, referenced_regions=[region],
                    finding_type=FINDING, measurements=measurements))
            else:
                groups.append(hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                    tracking_identifier=tracking, referenced_region=region,
                    finding_type=FINDING, measurements=measurements))
            continue
        if a.kind is Kind.RULER:
            measurements.append(hd.sr.Measurement(name=LENGTH, value=m["length_mm"], unit=MM))
        elif a.kind is Kind.ANGLE:
            measurements.append(hd.sr.Measurement(name=ANGLE, value=m["angle_deg"], unit=DEG))
        if not measurements:
            continue  # points and notes carry no measurement for TID 1500
        groups.append(hd.sr.MeasurementsAndQualitativeEvaluations(
            tracking_identifier=tracking, measurements=measurements, finding_type=FINDING))
    report = hd.sr.MeasurementReport(observation_context=context,
                                     procedure_reported=codes.LN.CTUnspecifiedBodyRegion,
                                     imaging_measurements=groups)
    return hd.sr.Comprehensive3DSR(
        evidence=evidence, content=report, series_instance_uid=hd.UID(), series_number=2000,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="dcreview",
        series_description="dcreview measurements")


def write_report(annotations: AnnotationSet, source: SeriesInfo, layers: dict[str, Volume],
                 path: str | Path, deidentify: bool = False) -> Path:
    """Write the SR (optionally de-identified) to ``path``."""
    sr = build_report(annotations, source, layers)
    if deidentify:
        Deidentifier().apply(sr)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sr.save_as(path, enforce_file_format=True)
    return path
