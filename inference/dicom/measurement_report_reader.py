"""Reading a dcreview measurement report (TID 1500 SR) back into annotations.

The inverse of ``measurement_report``: each measurement group's tracking identifier names the
kind (and a note's text), its SCOORD3D holds the defining points, so a reader's marks made on
one workstation open on another.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from inference.annotations.model import Annotation, Kind
from inference.annotations.store import AnnotationSet
from inference.errors import LoadError

MEASUREMENT_GROUP = "125007"
TRACKING_IDENTIFIER = "112039"


def _code(item: Dataset) -> str:
    seq = item.get("ConceptNameCodeSequence")
    return str(seq[0].CodeValue) if seq else ""


def _walk(items) -> list[Dataset]:
    out = []
    for item in items or []:
        out.append(item)
        out += _walk(item.get("ContentSequence"))
    return out


def _normal(points: np.ndarray) -> tuple[float, float, float]:
    if len(points) >= 3:
        n = np.cross(points[1] - points[0], points[2] - points[0])
        if np.linalg.norm(n) > 1e-9:
            return tuple(float(x) for x in n / np.linalg.norm(n))
    return (0.0, 0.0, 1.0)


def _annotation(kind: Kind, text: str, graphic: str, p: np.ndarray) -> Annotation:
    if kind is Kind.ELLIPSE:
        c = (p[0] + p[1]) / 2
        points = np.array([c, p[1], p[3]])
    elif kind is Kind.RECTANGLE:
        points = np.array([p[0], p[2]])
        return Annotation(kind, _tuples(points), _normal(p[:3]), text)
    elif kind is Kind.POLYGON:
        points = p[:-1] if len(p) > 3 and np.allclose(p[0], p[-1]) else p
    elif kind is Kind.SPHERE:
        points = np.array([(p[0] + p[1]) / 2, p[1]])
    elif kind in (Kind.POINT, Kind.NOTE):
        points = p[:1]
    else:
        points = p
    return Annotation(kind, _tuples(points), _normal(points), text)


def _tuples(points: np.ndarray) -> tuple:
    return tuple(tuple(float(v) for v in row) for row in points)


def read_report(path: str | Path) -> AnnotationSet:
    """Annotations from an SR written by dcreview (or any TID 1500 with SCOORD3D regions)."""
    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:
        raise LoadError(f"{Path(path).name} is not a readable DICOM SR") from exc
    out = AnnotationSet()
    for group in _walk(ds.get("ContentSequence")):
        if _code(group) != MEASUREMENT_GROUP:
            continue
        items = _walk(group.get("ContentSequence"))
        label = next((str(i.TextValue) for i in items if _code(i) == TRACKING_IDENTIFIER
                      and "TextValue" in i), "")
        coords = next((i for i in items if i.get("ValueType") == "SCOORD3D"), None)
        if coords is None:
            continue
        name, _, text = label.partition(":")
        try:
            kind = Kind(name.split()[0]) if name else Kind.POINT
        except ValueError:
            kind = Kind.POLYGON if str(coords.GraphicType) == "POLYGON" else Kind.POINT
        p = np.asarray(coords.GraphicData, dtype=float).reshape(-1, 3)
        out.add(_annotation(kind, text.strip(), str(coords.GraphicType), p))
    return out
