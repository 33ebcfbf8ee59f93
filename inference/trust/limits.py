"""The thresholds trust checks use: a card's own (schema v2 ``plausibility``), else these
defaults for its target phase. Sources and reasoning: docs/trust-gates.md."""

from __future__ import annotations

from dataclasses import dataclass

# Landmark CT numbers a synthetic of each phase should show (HU, medians over the landmark).
# From the contrast-timing literature (Bae, Radiology 2010;256:32-61: CT angiography aims at
# 250-300 HU or more in the aorta, portal-venous imaging at about 50 HU of liver enhancement
# over plain, 55-65 HU) and the typical values of docs/series.md, each widened by a margin so
# that a real scan of that phase passes.
LANDMARK_HU = {
    "arterial": {"aorta": (200.0, 650.0), "liver": (50.0, 115.0),
                 "kidney_cortex": (100.0, 350.0)},
    "portal-venous": {"aorta": (110.0, 290.0), "liver": (85.0, 180.0),
                      "kidney_cortex": (100.0, 300.0)},
    "delayed": {"aorta": (70.0, 200.0), "liver": (60.0, 140.0),
                "kidney_cortex": (80.0, 260.0)},
    "contrast": {"aorta": (100.0, 650.0), "liver": (50.0, 180.0),
                 "kidney_cortex": (80.0, 350.0)},
}
# Tissues iodine hardly reaches: the median synthetic-minus-input change allowed (HU). Fat
# and air do not enhance; cortical bone has no perfusion to speak of; skeletal muscle gains
# 5-20 HU at most in any phase.
UNCHANGED_MAX_HU = {"air": 30.0, "fat": 20.0, "cortical_bone": 50.0, "muscle": 40.0}
# Uncertainty (SD over an ensemble's or test-time flips' predictions): more than MAX_ML of
# voxels above SD_HU is flagged.
UNCERTAINTY_SD_HU = 50.0
UNCERTAINTY_MAX_ML = 10.0
# Flicker: RMS of each slice's mean enhancement minus the mean of its two neighbours (HU).
# Anatomy changes this by well under 1 HU between 2.5 mm slices; a model that sees each
# slice on its own and shifts it shows several.
FLICKER_MAX_HU = 3.0
# A landmark this far outside its range, or an unchanged tissue or flicker beyond twice its
# limit, is a failure, not a warning.
FAR_OUTSIDE_HU = 100.0


@dataclass(frozen=True)
class Limits:
    """All thresholds for one model."""

    landmarks_hu: dict[str, tuple[float, float]]
    unchanged_max_hu: dict[str, float]
    uncertainty_sd_hu: float
    uncertainty_max_ml: float
    flicker_max_hu: float
    source: str  # "card" or "defaults for <phase>"


def limits_for(card) -> Limits:
    """The card's declared thresholds, each missing one from the defaults for its phase."""
    phase = card.target_phase if card.target_phase in LANDMARK_HU else "contrast"
    own = card.data.get("plausibility") or {}
    landmarks = {k: (float(v[0]), float(v[1]))
                 for k, v in (own.get("landmarks_hu") or LANDMARK_HU[phase]).items()}
    unchanged = {**UNCHANGED_MAX_HU, **{k: float(v) for k, v in
                                        (own.get("unchanged_max_hu") or {}).items()}}
    unc = own.get("uncertainty") or {}
    return Limits(landmarks, unchanged, float(unc.get("sd_hu", UNCERTAINTY_SD_HU)),
                  float(unc.get("max_ml", UNCERTAINTY_MAX_ML)),
                  float(own.get("flicker_max_hu", FLICKER_MAX_HU)),
                  "card" if own else f"defaults for {phase}")
