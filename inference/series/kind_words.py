"""Words that say what a series is (scout, monitor, reformat, map, report) and where it is."""

from __future__ import annotations

import re
from dataclasses import dataclass

from inference.series.model import Kind
from inference.series.text import B, E


@dataclass(frozen=True)
class KindRule:
    """A phrase and the kind it says."""

    name: str
    pattern: re.Pattern
    kind: Kind
    weight: float


def _rule(name: str, regex: str, kind: Kind, weight: float) -> KindRule:
    return KindRule(name, re.compile(B + "(?:" + regex + ")" + E), kind, weight)


# In order of precedence: the first kind found in a description wins.
KIND_WORDS = [
    _rule("dose report", r"DOSE\s?(?:REPORT|INFO\w*|SUMMARY|SR|SHEET)|RADIATION\s?DOSE|"
                         r"PATIENT\s?PROTOCOL|EXPOSURE\s?(?:REPORT|INFO\w*)|DLP|CTDI\w*",
          Kind.DOSE_REPORT, 0.95),
    _rule("screen capture", r"SCREEN\s?(?:SAVE|CAPTURE|SHOT)\w*|SCREENSHOT\w*|SCREENSAVE\w*|"
                            r"KEY\s?IMAGES?|SNAPSHOT\w*", Kind.DOSE_REPORT, 0.9),
    _rule("bolus tracking", r"SMART\s?PREP\w*|BOLUS\w*|TRACKING|TRACKER|MONITOR\w*|"
                            r"PREMONITOR\w*|SURE\s?START|CARE\s?BOLUS|TEST\s?DOSE|TIMING|"
                            r"TRIGGER\w*", Kind.BOLUS_TRACKING, 0.9),
    _rule("virtual non-contrast",
          r"VIRTUAL\s?(?:NON[\s/-]?CONTRAST\w*|NONCONTRAST\w*|NON[\s-]?CON\w*|UN[\s-]?ENHANCED|"
          r"NATIVE?|NATIV\w*|PLAIN|NC)|VIRTUELL\w*\s?NATIV\w*|VNC|VUE",
          Kind.VIRTUAL_NON_CONTRAST, 0.95),
    _rule("scout", r"SCOUT\w*|TOPO\w*|SURVIEW\w*|SCANO\w*|LOCALI[SZ]\w*|LOCATOR|PILOT|OPL|"
                   r"SCANOGRAM", Kind.LOCALIZER, 0.95),
    _rule("topogram kernel (Siemens)", r"TR?\d\d[SF]?", Kind.LOCALIZER, 0.8),
    _rule("dual-energy or computed map",
          r"CALCIUM\s?SUPPRESS\w*|MONO|MONO\s?E\w*|MONOENERG\w*|\d+\s?KEV\w*|IODINE\s?(?:MAP|ONLY)?|"
          r"ZEFF|Z\s?EFF|RHO|ELECTRON\s?DENS\w*|PERFUSION|CBF|CBV|MTT|TTP|TMAX|"
          r"CR\s(?:VESSEL|DETECT)\w*|CAD|ALIGNED|SUBTRACT\w*|FUSED|SECONDARY|"
          r"PROCESSED|ANNOTAT\w*|RESULTS?", Kind.DERIVED, 0.85),
    _rule("reformat or projection",
          r"MIPS?|\w*-?MIP|MINIP\w*|MIN\s?IP|MAX\s?IP|AVE?[\s-]?IP|AIP|MPR\w*|COR|CORO\w*|"
          r"CORONAL\w*|SAG|SAGS|SAGI\w*|SAGIT\w*|SAGGI\w*|REFORMAT\w*|RFMT|REFMT|VRT?|"
          r"VOLUME\s?RENDER\w*|OBLIQUE\w*|OBL|CPR|CURVED|SLAB\w*|AVG|AVERAGE|RANGE",
          Kind.REFORMAT, 0.9),
]
# ImageType values (PS3.3 C.8.16.1 and vendor habits) and the kinds they say.
IMAGE_TYPE_KINDS = {
    "LOCALIZER": Kind.LOCALIZER, "SCOUT": Kind.LOCALIZER,
    "REFORMATTED": Kind.REFORMAT, "MPR": Kind.REFORMAT, "MIP": Kind.REFORMAT,
    "MINIP": Kind.REFORMAT, "PROJECTION IMAGE": Kind.REFORMAT, "CURVED": Kind.REFORMAT,
    "VOLUME_RENDER": Kind.REFORMAT, "AVERAGE": Kind.REFORMAT,
    "VNC": Kind.VIRTUAL_NON_CONTRAST, "VIRTUAL_NON_CONTRAST": Kind.VIRTUAL_NON_CONTRAST,
    "SECONDARY": Kind.DERIVED, "SCREEN SHOT": Kind.DOSE_REPORT, "DOSE_INFO": Kind.DOSE_REPORT,
}
VOLUME_WORDS = re.compile(B + r"(?:AX|AXIAL\w*|TRA|TRANSAX\w*|HELICAL|HELIX|SPIRAL|THINS?|"
                              r"STANDARD|STD|ROUTINE|SOFT|LUNG|BONE|BODY|OPA|RECON\w*|VOL\w*)"
                          + E)

# Regions, in the DICOM BodyPartExamined terms where one exists.
REGION_WORDS = [
    ("HEAD", r"HEAD|BRAIN|SKULL|CRANI\w*|CEREBR\w*|KOPF|SCHAEDEL|SCHADEL|GLOWA|CZASZK\w*|"
             r"TETE|CRANE|CABECA|CRANIO|ENCEFAL\w*|SINUS\w*|ORBIT\w*|IAC|TEMPORAL\sBONE"),
    ("NECK", r"NECK|HALS|CERVICAL|THYROID|SZYJ\w*|COU|PESCOCO|CUELLO|COLLO|LARYN\w*"),
    ("CHEST", r"CHEST|THORAX|THOR\w*|LUNGS?|PULM\w*|TORAX|TORACE|KLATK\w*|PIERSI\w*|"
              r"MEDIASTIN\w*|CARDIAC|HEART|CORONAR\w*|CTPA|PE|CH|TX|TORACICO|THWRAK\w*"),
    ("ABDOMEN", r"ABD\w*|BRZUCH\w*|BRZUSZN\w*|ABDOME|ADDOME|LIVER|FOIE|LEBER|WATROB\w*|"
                r"KIDNEYS?|RENAL|NIER\w*|PANCREA\w*|PANKREA\w*|ADRENAL|STOMACH|UPPER\sGI|"
                r"JAMA|COLON\w*|AS|AI|ENTERO\w*"),
    ("PELVIS", r"PELV\w*|PLV|BECKEN|MIEDNIC\w*|BASSIN|PELVE|BLADDER|PROSTAT\w*|UTER\w*|"
               r"RECT\w*|OVAR\w*|HIP|HIPS"),
    ("CHEST", r"C-A-P|C/A/P|CAP|CTCAP|CH/AB/PEL"),
    ("ABDOMEN", r"C-A-P|C/A/P|CAP|CTCAP|A/P|CH/AB/PEL|AP\sROUTINE"),
    ("PELVIS", r"C-A-P|C/A/P|CAP|CTCAP|A/P|CH/AB/PEL|AP\sROUTINE"),
    ("WHOLEBODY", r"WB|WHOLE\s?BODY|WHOLEBODY|GANZKOERPER|GANZKORPER|GK|SKULL\s?(?:BASE\s)?"
                  r"(?:TO|-)\s?(?:MID\s?)?THIGH|VERTEX|TORSO|TRUNK"),
    ("EXTREMITY", r"EXTREMIT\w*|LEGS?|ARMS?|FEMUR|KNEE|THIGH|FOOT|FEET|ANKLE|HAND|WRIST|"
                  r"ELBOW|SHOULDER|HUMER\w*|TIBIA\w*|RUNOFF|RUN\sOFF"),
    ("SPINE", r"SPINE|SPINAL|L\s?SPINE|LSPINE|TSPINE|CSPINE|VERTEBR\w*|LUMBAR|SACR\w*"),
]
REGIONS = [(name, re.compile(B + "(?:" + regex + ")" + E)) for name, regex in REGION_WORDS]
# BodyPartExamined values that hold several regions at once.
BODY_PART_REGIONS = {
    "CHESTABDPELVIS": ("CHEST", "ABDOMEN", "PELVIS"), "CHESTABDOMEN": ("CHEST", "ABDOMEN"),
    "ABDOMENPELVIS": ("ABDOMEN", "PELVIS"), "ABDPELVIS": ("ABDOMEN", "PELVIS"),
    "HEADNECK": ("HEAD", "NECK"), "NECKCHEST": ("NECK", "CHEST"), "LUNG": ("CHEST",),
    "THORAX": ("CHEST",), "MEDIASTINUM": ("CHEST",), "HEART": ("CHEST",),
    "LIVER": ("ABDOMEN",), "KIDNEY": ("ABDOMEN",), "PANCREAS": ("ABDOMEN",),
    "ADRENAL": ("ABDOMEN",), "STOMACH": ("ABDOMEN",), "COLON": ("ABDOMEN", "PELVIS"),
    "BLADDER": ("PELVIS",), "PROSTATE": ("PELVIS",), "UTERUS": ("PELVIS",),
    "RECTUM": ("PELVIS",), "OVARY": ("PELVIS",), "BRAIN": ("HEAD",), "SKULL": ("HEAD",),
    "LSPINE": ("SPINE",), "TSPINE": ("SPINE",), "CSPINE": ("SPINE",), "LEG": ("EXTREMITY",),
    "BREAST": ("CHEST",), "ESOPHAGUS": ("CHEST",), "THYROID": ("NECK",),
}
ORDER = ("HEAD", "NECK", "CHEST", "ABDOMEN", "PELVIS", "SPINE", "EXTREMITY", "WHOLEBODY")
COMBINED = {("CHEST", "ABDOMEN", "PELVIS"): "CHESTABDPELVIS", ("CHEST", "ABDOMEN"): "CHESTABDOMEN",
            ("ABDOMEN", "PELVIS"): "ABDOMENPELVIS", ("HEAD", "NECK"): "HEADNECK",
            ("NECK", "CHEST"): "NECKCHEST"}


def region_name(found: set[str]) -> str:
    """One region term for a set of regions ('CHESTABDPELVIS', 'HEAD', 'CHEST+NECK')."""
    if "WHOLEBODY" in found:
        return "WHOLEBODY"
    names = tuple(r for r in ORDER if r in found)
    return COMBINED.get(names, "+".join(names))
