"""Annotations as a DICOM Structured Report, template TID 1500 (Measurement Report)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes

from inference.annotations.model import ROI_KINDS, Kind, plane_axes
from inference.annotations.stats import roi_stats
from inference.annotations.store import AnnotationSet
from inference.dicom.deidentify import Deidentifier
from inference.dicom.iod import complete
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
# No standard code names a synthetic image's trust verdict: a private scheme (PS3.16 8.2,
# designators starting '99', as provenance's derivation code) holds it, as a TID 1501
# qualitative evaluation next to the measurements.
TRUST_SCHEME = "99DCREVIEW"
TRUST_VERDICT = hd.sr.CodedConcept("DCR-TRUST", TRUST_SCHEME, "Digital contrast trust verdict")
TRUST_VALUES = {"consistent": "DCR-TRUST-CONSISTENT", "review with care": "DCR-TRUST-REVIEW",
                "real contrast recommended": "DCR-TRUST-REAL"}


def _region(a, for_uid: str) -> hd.sr.ImageRegion3D:
    """The annotation's own defining points as an SCOORD3D region (read back exactly)."""
    p = a.array
    g = hd.sr.GraphicTypeValues3D
    if a.kind in (Kind.POINT, Kind.NOTE):
        return hd.sr.ImageRegion3D(g.POINT, p[:1], for_uid)
    if a.kind in (Kind.RULER, Kind.ANGLE):
        return hd.sr.ImageRegion3D(g.POLYLINE, p, for_uid)
    if a.kind is Kind.ELLIPSE:
        c, a1, a2 = p[0], p[1] - p[0], p[2] - p[0]
        return hd.sr.ImageRegion3D(g.ELLIPSE, np.array([c - a1, c + a1, c - a2, c + a2]),
                                   for_uid)
    outline = a.outline()
    return hd.sr.ImageRegion3D(g.POLYGON, np.vstack([outline, outline[:1]]), for_uid)


def _sphere_surface(a, for_uid: str, series_uid: str) -> hd.sr.VolumeSurface:
    """A sphere as an ellipsoid whose first axis ends at the annotation's surface point."""
    c, s = a.array[0], a.array[1]
    r1 = s - c
    u, v = plane_axes(r1 if np.linalg.norm(r1) else np.array([0.0, 0.0, 1.0]))
    radius = float(np.linalg.norm(r1))
    axes = np.array([c - r1, c + r1, c - u * radius, c + u * radius, c - v * radius,
                     c + v * radius])
    return hd.sr.VolumeSurface(hd.sr.GraphicTypeValues3D.ELLIPSOID, axes, for_uid,
                               source_series=hd.sr.SourceSeriesForSegmentation(series_uid))


def _measurements(a, layers: dict[str, Volume]) -> list:
    m = a.measurement()
    out = []
    if a.kind in (*ROI_KINDS, Kind.SPHERE):
        first_layer = next(iter(layers))
        stats = roi_stats(a, layers)[first_layer]
        if stats.get("voxels"):
            out.append(hd.sr.Measurement(name=codes.SCT.Mean, value=stats["mean"],
                                         unit=codes.UCUM.HounsfieldUnit))
    if "area_mm2" in m:
        out.append(hd.sr.Measurement(name=codes.SCT.Area, value=m["area_mm2"], unit=MM2))
    if "volume_ml" in m:
        out.append(hd.sr.Measurement(name=VOLUME, value=m["volume_ml"], unit=ML))
    if "length_mm" in m:
        out.append(hd.sr.Measurement(name=LENGTH, value=m["length_mm"], unit=MM))
    if "angle_deg" in m:
        out.append(hd.sr.Measurement(name=ANGLE, value=m["angle_deg"], unit=DEG))
    return out


def _trust_group(layers: dict[str, Volume]):
    """The trust verdict of a synthetic layer as a qualitative-evaluation group: the verdict,
    then each flagged check with its status (None: no synthetic layer, or none checked)."""
    from inference import provenance as labels

    for volume in layers.values():
        verdict = labels.trust_verdict(volume.provenance) if volume.synthetic else None
        if verdict is None or verdict not in TRUST_VALUES:
            continue
        items = [hd.sr.QualitativeEvaluation(TRUST_VERDICT, hd.sr.CodedConcept(
            TRUST_VALUES[verdict], TRUST_SCHEME, verdict))]
        for f in volume.provenance["trust"].get("findings") or []:
            if f.get("status") not in ("warn", "fail"):
                continue
            # A code value holds 16 characters: a digest of the check's name, named in full.
            digest = hashlib.sha1(f["check"].encode()).hexdigest()[:8].upper()
            items.append(hd.sr.QualitativeEvaluation(
                hd.sr.CodedConcept(f"DCR-C-{digest}", TRUST_SCHEME,
                                   f"Trust check {f['check']}"),
                hd.sr.CodedConcept(f"DCR-{f['status'].upper()}", TRUST_SCHEME,
                                   f"{f['status']}: {f.get('text') or ''}"[:64])))
        return hd.sr.MeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(
                uid=hd.UID(), identifier="digital contrast trust verdict"),
            qualitative_evaluations=items)
    return None


def build_report(annotations: AnnotationSet, source: SeriesInfo,
                 layers: dict[str, Volume]) -> hd.sr.Comprehensive3DSR:
    """A Comprehensive 3D SR holding one measurement group per annotation.

    Every kind keeps its defining points in the series' frame of reference (points and notes
    as POINT, rulers and angles as POLYLINE, ellipses as ELLIPSE, rectangles and polygons as
    POLYGON, spheres as an ELLIPSOID volume surface), so ``read_report`` gets them back.
    ROIs carry their area (or volume) and the mean HU of the first layer, rulers and angles
    their length or angle. The tracking identifier names the kind (and a note's text).
    """
    evidence = [pydicom.dcmread(h.path, stop_before_pixels=True) for h in source.headers]
    for_uid = str(evidence[0].FrameOfReferenceUID)
    series_uid = str(evidence[0].SeriesInstanceUID)
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="dcreview"))
    context = hd.sr.ObservationContext(observer_device_context=observer)
    groups = []
    for n, a in enumerate(annotations.items.values(), 1):
        label = f"{a.kind.value} {n}" + (f": {a.text}" if a.text else "")
        tracking = hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=label[:64])
        if a.kind is Kind.SPHERE:
            groups.append(hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=tracking,
                referenced_volume_surface=_sphere_surface(a, for_uid, series_uid),
                finding_type=FINDING, measurements=_measurements(a, layers)))
            continue
        groups.append(hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=tracking, referenced_region=_region(a, for_uid),
            finding_type=FINDING, measurements=_measurements(a, layers) or None))
    trust = _trust_group(layers)
    if trust is not None:
        groups.append(trust)
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
    if deidentify:
        annotations = annotations.without_text()  # typed text can name anyone
    sr = build_report(annotations, source, layers)
    if deidentify:
        Deidentifier(clean_structured_content=True).apply(sr)
    complete(sr, "sr")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sr.save_as(path, enforce_file_format=True)
    return path
