"""Is this input one the model was made for? Card-declared limits plus model-agnostic checks.

Outside the declared domain a run goes on with a warning that every surface shows (CLI, run
report, DICOM output, viewer); far outside it (a single slice, a spacing several times off)
the run is refused before any inference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from inference.compare.metrics import body_mask
from inference.errors import ModelError
from inference.io.volume import Volume
from inference.synthesis.card import ModelCard

# A spacing more than this factor outside the declared range is refused, not warned about.
FAR_OUTSIDE_FACTOR = 3.0
# Histogram bins (HU): fine where soft tissue, fat and enhancement differ, coarse elsewhere.
HISTOGRAM_EDGES_HU = (-1024, -900, -700, -500, -300, -200, -150, -100, -60, -30, 0, 20, 40, 60,
                      80, 100, 130, 160, 200, 300, 500, 800, 1200, 3072)
HISTOGRAM_SLICES = 48  # evenly spaced slices suffice for a histogram and keep the check fast
# The histogram reads every other row and column (it is as clear at half the resolution);
# the vessel check reads full slices, since a thin cortical shell must stay closed to tell
# cancellous bone from iodine, but only a few dozen of them. Either way the check's working
# memory stays a small fraction of any volume (it runs before synthesis).
IN_PLANE_STEP = 2
VESSEL_SLICES = 24
# Already-enhanced vessels: voxels at iodine-like HU away from bone, as a connected volume.
ENHANCED_HU = (170.0, 600.0)
BONE_HU = 600.0
ENHANCED_MIN_ML = 3.0
# Iodinated blood averages well above cancellous bone (about 220 HU), which can escape the
# cortical-shell exclusion where a thin shell is not closed: only brighter volumes count.
ENHANCED_MEAN_HU = 250.0


class DomainRefused(ModelError):
    """The input is so far outside the model's domain that the run is refused."""


@dataclass
class DomainReport:
    """What the checks found: warnings (run goes on, visibly) and the figures behind them."""

    warnings: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # a few words per warning, for labels
    figures: dict = field(default_factory=dict)

    def warn(self, reason: str, text: str) -> None:
        """Record one finding: a short reason (for a view's label) and the full sentence."""
        self.reasons.append(reason)
        self.warnings.append(text)

    @property
    def in_domain(self) -> bool:
        """True when no check warned."""
        return not self.warnings

    def as_dict(self) -> dict:
        """For the run report and the output's provenance."""
        return {"in_domain": self.in_domain, "warnings": list(self.warnings),
                "reasons": list(self.reasons), "figures": dict(self.figures)}

    def summary(self) -> str:
        """One line for a status bar or a DICOM comment."""
        if self.in_domain:
            return "input inside the model's declared domain"
        return "OUTSIDE MODEL DOMAIN: " + "; ".join(self.warnings)


def sample_slices(nk: int, n: int = HISTOGRAM_SLICES) -> np.ndarray:
    """Up to ``n`` evenly spaced slice indices."""
    return np.unique(np.linspace(0, nk - 1, min(n, nk)).round().astype(int))


def body_histogram(array: np.ndarray, edges=HISTOGRAM_EDGES_HU) -> list[float]:
    """Fraction of body voxels per HU bin (values beyond the edges fall in the end bins)."""
    sub = array[sample_slices(array.shape[0]), ::IN_PLANE_STEP, ::IN_PLANE_STEP]
    values = sub[body_mask(sub)].astype(np.float32)
    if values.size == 0:
        return [0.0] * (len(edges) - 1)
    np.clip(values, edges[0], edges[-1] - 1e-3, out=values)
    counts, _ = np.histogram(values, bins=np.asarray(edges, dtype=np.float64))
    return (counts / counts.sum()).tolist()


def histogram_distance(a: list[float], b: list[float]) -> float:
    """Total variation distance of two histograms (0 same, 1 disjoint)."""
    return 0.5 * float(np.abs(np.asarray(a) - np.asarray(b)).sum())


def enhanced_vessel_ml(volume: Volume) -> tuple[float, float]:
    """Largest connected volume (ml) at iodine-like HU outside bone, and its mean HU."""
    idx = sample_slices(volume.shape[0], VESSEL_SLICES)
    sub = volume.array[idx]
    lo, hi = ENHANCED_HU
    candidate = (sub >= lo) & (sub <= hi)
    bone = np.zeros_like(candidate)
    for k in range(sub.shape[0]):
        # Cancellous bone sits inside a cortical shell: filling the shell excludes it.
        bone[k] = ndimage.binary_fill_holes(sub[k] > BONE_HU)
    bone = ndimage.binary_dilation(bone, iterations=2)
    candidate &= ~bone
    candidate = ndimage.binary_opening(candidate, iterations=1)  # noise specks are not vessels
    labels, n = ndimage.label(candidate)
    if n == 0:
        return 0.0, 0.0
    index = np.arange(1, n + 1)
    sizes = ndimage.sum_labels(candidate, labels, index=index)
    means = ndimage.mean(sub, labels, index=index)
    sizes = np.where(means >= ENHANCED_MEAN_HU, sizes, 0)
    if not sizes.any():
        return 0.0, 0.0
    biggest = int(np.argmax(sizes)) + 1
    sx, sy, sz = volume.geometry.spacing
    skipped = volume.shape[0] / len(idx)  # sampled slices stand for the skipped ones
    ml = float(sizes[biggest - 1]) * sx * sy * sz * skipped / 1000.0
    return ml, float(sub[labels == biggest].mean())


def _range_check(report: DomainReport, what: str, value: float, rng: list[float],
                 unit: str, refuse_far: bool) -> None:
    lo, hi = rng
    if lo <= value <= hi:
        return
    if refuse_far and (value < lo / FAR_OUTSIDE_FACTOR or value > hi * FAR_OUTSIDE_FACTOR):
        raise DomainRefused(f"refused: the input's {what} ({value:.3g} {unit}) is far outside "
                            f"what the model was made for ({lo:g}-{hi:g} {unit})")
    report.warn(what, f"{what} {value:.3g} {unit} is outside the model's range "
                      f"{lo:g}-{hi:g} {unit}")


def check_domain(volume: Volume, card: ModelCard) -> DomainReport:
    """Check ``volume`` against the card's domain; raises DomainRefused on hard limits."""
    report = DomainReport()
    nk, nj, ni = volume.shape
    sx, sy, sz = volume.geometry.spacing
    if nk < 2:
        raise DomainRefused("refused: the input is a single slice; digital contrast needs a "
                            "volume (a series of axial slices)")
    domain = card.domain
    if domain is None:
        report.warn("no declared domain", f"model card {card.path.name} declares no input "
                    "domain: the input cannot be checked against what the model was made for")
        return report
    pixel = float(np.sqrt(sx * sy))
    fov = float(max(nj * sy, ni * sx))
    report.figures.update({"slices": nk, "pixel_spacing_mm": pixel, "slice_spacing_mm": sz,
                           "field_of_view_mm": fov})
    _range_check(report, "pixel spacing", pixel, domain["pixel_spacing_mm"], "mm", True)
    _range_check(report, "slice spacing", sz, domain["slice_spacing_mm"], "mm", True)
    _range_check(report, "field of view", fov, domain["field_of_view_mm"], "mm", False)
    if nk < domain["min_slices"]:
        report.warn("too few slices", f"only {nk} slices; the model expects at least "
                                      f"{domain['min_slices']}")
    meta = volume.metadata
    if meta.kvp is not None and "kvp" in domain:
        report.figures["kvp"] = meta.kvp
        _range_check(report, "tube voltage", meta.kvp, domain["kvp"], "kVp", False)
    regions = [r.upper() for r in domain["body_region"]]
    if meta.body_part:
        report.figures["body_part"] = meta.body_part
        if meta.body_part.upper() not in regions:
            report.warn("body part", f"body part {meta.body_part} is not one the model was "
                                     f"made for ({', '.join(regions)})")
    if meta.contrast_agent:
        report.warn("contrast agent recorded", "the input records a contrast agent: the model "
                                               "expects a non-contrast scan")
    ml, mean_hu = enhanced_vessel_ml(volume)
    report.figures["enhanced_volume_ml"] = round(ml, 1)
    if ml >= ENHANCED_MIN_ML:
        report.warn("already enhanced", f"the input already looks contrast-enhanced ({ml:.0f} "
                                        f"ml at a mean {mean_hu:.0f} HU outside bone); the "
                                        "model expects a non-contrast scan")
    ref = domain.get("reference_histogram")
    if ref is not None:
        dist = histogram_distance(body_histogram(volume.array, ref["edges_hu"]),
                                  ref["fraction"])
        report.figures["histogram_distance"] = round(dist, 3)
        if dist > ref["max_distance"]:
            report.warn("CT numbers unlike training",
                        f"the input's CT numbers differ from the training scans' (histogram "
                        f"distance {dist:.2f} > {ref['max_distance']:g}; made for "
                        f"{', '.join(regions).lower()})")
    return report
