"""How annotations read on screen and in the list (no Qt)."""

from __future__ import annotations

from inference.annotations.model import Annotation, Kind
from viewer.model.orientation import signed_position

LAYER_SHORT = {"non_contrast": "NC", "synthetic": "SYN (synthetic)", "real_contrast": "REAL",
               "image": "Image", "overlay": "Overlay", "image 2": "Image 2"}
KIND_NAMES = {Kind.POINT: "Point", Kind.RULER: "Ruler", Kind.ANGLE: "Angle",
              Kind.ELLIPSE: "Ellipse ROI", Kind.RECTANGLE: "Rectangle ROI",
              Kind.POLYGON: "Polygon ROI", Kind.SPHERE: "Sphere ROI", Kind.NOTE: "Note"}


def measurement_text(annotation: Annotation) -> str:
    """The geometric measurement, e.g. '42.3 mm', '37.5°', '120 mm²', '2.10 ml'."""
    m = annotation.measurement()
    if "length_mm" in m:
        return f"{m['length_mm']:.1f} mm"
    if "angle_deg" in m:
        return f"{m['angle_deg']:.1f}°"
    if "area_mm2" in m:
        return f"{m['area_mm2']:.0f} mm²"
    if "volume_ml" in m:
        return f"{m['volume_ml']:.2f} ml (r {m['radius_mm']:.1f} mm)"
    if annotation.kind is Kind.POINT:
        return signed_position(annotation.points[0])  # sides, as the status bar says them
    return ""


def stats_text(stats: dict[str, dict], short: bool = True) -> list[str]:
    """One 'NC 41 ± 9 HU [0, 90]' (mean ± SD [min, max]) line per layer with voxels."""
    lines = []
    for layer, s in stats.items():
        if not s.get("voxels"):
            continue
        name = LAYER_SHORT.get(layer, layer) if short else layer
        lines.append(f"{name} {s['mean']:.0f} ± {s['sd']:.0f} HU [{s['min']:.0f}, "
                     f"{s['max']:.0f}]" + ("" if short else f" n={s['voxels']}"))
    return lines


COMPACT_SHORT = {"non_contrast": "NC", "synthetic": "SYN", "real_contrast": "REAL",
                 "image": "Image", "overlay": "Overlay", "image 2": "Image 2"}


def compact_stats(stats: dict[str, dict]) -> str:
    """One line of mean HU per layer, e.g. 'NC 41 | SYN 250 HU'."""
    parts = [f"{COMPACT_SHORT.get(layer, layer)} {s['mean']:.0f}"
             for layer, s in stats.items() if s.get("voxels")]
    return " | ".join(parts) + " HU" if parts else ""


def label_text(annotation: Annotation, stats: dict[str, dict], detailed: bool = True) -> str:
    """The label drawn next to a shape in the views: one compact line, or (for the selected
    shape) the measurement and mean ± SD [min, max] of every layer."""
    if not detailed:
        if annotation.kind in (Kind.NOTE, Kind.POINT):
            return annotation.text or ("(note)" if annotation.kind is Kind.NOTE else "")
        return compact_stats(stats) or measurement_text(annotation)
    lines = []
    if annotation.kind is Kind.NOTE:
        lines.append(annotation.text or "(note)")
    elif annotation.kind is not Kind.POINT:
        lines.append(measurement_text(annotation))
    elif annotation.text:
        lines.append(annotation.text)
    lines += stats_text(stats)
    return "\n".join(lines)
