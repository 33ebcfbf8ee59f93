"""Tissue labels of the phantom and their CT numbers per contrast phase (see shared notes)."""

from __future__ import annotations

from enum import IntEnum


class Tissue(IntEnum):
    """Label values of the ground-truth map."""

    AIR = 0
    FAT = 1
    MUSCLE = 2
    BONE_CANCELLOUS = 3
    BONE_CORTICAL = 4
    LIVER = 5
    SPLEEN = 6
    KIDNEY_CORTEX = 7
    KIDNEY_MEDULLA = 8
    AORTA_LUMEN = 9
    THROMBUS = 10
    IVC = 11
    BOWEL = 12
    BOWEL_GAS = 13
    LUNG = 14
    CSF = 15
    DISC = 16
    TABLE = 17


PHASES = ("noncontrast", "arterial", "portal")

# Mean HU per tissue: (non-contrast, arterial, portal venous).
HU = {
    Tissue.AIR: (-1000, -1000, -1000),
    Tissue.FAT: (-100, -100, -100),
    Tissue.MUSCLE: (50, 60, 65),
    Tissue.BONE_CANCELLOUS: (220, 220, 220),
    Tissue.BONE_CORTICAL: (950, 950, 950),
    Tissue.LIVER: (60, 78, 110),
    Tissue.SPLEEN: (45, 135, 120),
    Tissue.KIDNEY_CORTEX: (35, 175, 160),
    Tissue.KIDNEY_MEDULLA: (35, 75, 150),
    Tissue.AORTA_LUMEN: (40, 320, 170),
    Tissue.THROMBUS: (52, 62, 62),
    Tissue.IVC: (40, 70, 160),
    Tissue.BOWEL: (25, 45, 70),
    Tissue.BOWEL_GAS: (-1000, -1000, -1000),
    Tissue.LUNG: (-850, -850, -850),
    Tissue.CSF: (8, 8, 8),
    Tissue.DISC: (80, 80, 80),
    Tissue.TABLE: (150, 150, 150),
}

# Amplitude (HU) of smooth texture per tissue; the spleen's arterial-phase heterogeneity is larger.
TEXTURE = {Tissue.LIVER: 5, Tissue.SPLEEN: 6, Tissue.KIDNEY_CORTEX: 6, Tissue.MUSCLE: 4,
           Tissue.BOWEL: 8}
SPLEEN_ARTERIAL_TEXTURE = 28


def phase_index(phase: str) -> int:
    """Column of ``HU`` for a phase name."""
    try:
        return PHASES.index(phase)
    except ValueError:
        raise ValueError(f"unknown phase {phase!r}; choose one of {', '.join(PHASES)}") from None
