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
    URINE = 18  # renal pelvis: plain urine, opacified in the delayed (excretory) phase


PHASES = ("noncontrast", "arterial", "portal", "delayed")

# Mean HU per tissue: (non-contrast, arterial, portal venous, delayed (about 5 minutes)).
HU = {
    Tissue.AIR: (-1000, -1000, -1000, -1000),
    Tissue.FAT: (-100, -100, -100, -100),
    Tissue.MUSCLE: (50, 60, 65, 62),
    Tissue.BONE_CANCELLOUS: (220, 220, 220, 220),
    Tissue.BONE_CORTICAL: (950, 950, 950, 950),
    Tissue.LIVER: (60, 78, 110, 88),
    Tissue.SPLEEN: (45, 135, 120, 95),
    Tissue.KIDNEY_CORTEX: (35, 175, 160, 135),
    Tissue.KIDNEY_MEDULLA: (35, 75, 150, 160),
    Tissue.AORTA_LUMEN: (40, 320, 170, 115),
    Tissue.THROMBUS: (52, 62, 62, 60),
    Tissue.IVC: (40, 70, 160, 112),
    Tissue.BOWEL: (25, 45, 70, 60),
    Tissue.BOWEL_GAS: (-1000, -1000, -1000, -1000),
    Tissue.LUNG: (-850, -850, -850, -850),
    Tissue.CSF: (8, 8, 8, 8),
    Tissue.DISC: (80, 80, 80, 80),
    Tissue.TABLE: (150, 150, 150, 150),
    Tissue.URINE: (8, 8, 12, 900),
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
