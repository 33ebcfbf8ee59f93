"""Words that say a contrast phase, in the languages and vendor habits of real descriptions.

Applied to normalised text (text.normalise) in this order: traps are blanked first, then
named phases, then non-contrast phrases, then generic 'with contrast' phrases; each match
blanks its span, so 'NON-CONTRAST' is never also read as 'CONTRAST'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inference.series.model import Phase
from inference.series.text import B, E

# What may follow "with", "without", "no", "pre": a word for contrast medium.
AGENT = (r"(?:CONTRAST\w*|CONTR\w*|CONT|CON|CO|C|DYE|KM|MDC|PDC|CE|IV|I\.V\.?|INJ\w*|"
         r"KONTR\w*|ENH\w*)")
CONTRAST_MEDIA = (r"ISOVUE\w*|OMNIPAQUE|OMNI|VISIPAQUE|ULTRAVIST|IOMERON|IMERON|OPTIRAY|XENETIX|"
                  r"IOPAMIRO\w*|IOPAMIDOL|IOHEXOL|IODIXANOL|IOPROMID\w*|IOMEPROL|IOVERSOL|"
                  r"IOBITRIDOL|NIOPAM|NP\s?300|TELEBRIX|HEXABRIX|OXILAN|ACCUPAQUE|SCANLUX|"
                  r"OPTIJECT|IMAGOPAQUE|IODINATED")


@dataclass(frozen=True)
class Rule:
    """A phrase and the phase it says (None: a trap, blanked and read as nothing)."""

    name: str
    pattern: re.Pattern
    phase: Phase | None
    weight: float


def rule(name: str, regex: str, phase: Phase | None, weight: float = 1.0,
         bounded: bool = True) -> Rule:
    """A rule whose regex is matched as a whole word unless ``bounded`` is False."""
    return Rule(name, re.compile(B + "(?:" + regex + ")" + E if bounded else regex),
                phase, weight)


A, P, D = Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED
N, C = Phase.NON_CONTRAST, Phase.CONTRAST

# Phrases that look like phase words and are not: regions, procedures, breathing phases.
TRAPS = [
    rule("region abbreviation", r"C-A-P|C/A/P|C\.A\.P\.?|A/P|C/A|CH/AB/PEL", None),
    rule("before or after a procedure",
         r"(?:PRE|POST)[\s-]?(?:PROCEDURE\w*|PROC|BIOPS\w*|BX|FNA|OP|OPERATIVE|OPERATION|"
         r"SURG\w*|TREAT\w*|THERAP\w*|TX|RT|RADIO\w*|TACE|ABLATION|RFA|DRAIN\w*|PLACEMENT|"
         r"MORTEM|VOID\w*|MICT\w*|EMBOLI[SZ]\w*|CHEMO\w*|STENT\w*|RESECT\w*|TRANSPLANT\w*|"
         r"IMPLANT\w*|PROCESS\w*|CONTRAST\s?SCOUT)", None),
    rule("breathing or cardiac phase", r"PHASE\s?\d+|\d+(?:\.\d+)?\s?%|GATED", None),
    rule("virtual non-contrast (computed from a contrast scan)",
         r"VIRTUAL\s?(?:NON[\s/-]?CONTRAST\w*|NONCONTRAST\w*|NON[\s-]?CON\w*|UN[\s-]?ENHANCED|"
         r"NATIVE?|NATIV\w*|PLAIN|NC)|VIRTUELL\w*\s?NATIV\w*|VNC|VUE", None),
    rule("PET or MR done with the CT", r"W/\s?CT|WITH\s(?:CT|REGISTERED|MR\w*|PET\w*)", None),
    rule("a test injection", r"TEST\s?(?:DOSE|BOLUS)|TIMING\s?BOLUS", None),
    rule("calcium suppression (a dual-energy map)", r"CALCIUM\s?SUPPRESS\w*", None),
]

# A study (or a series) said to hold both states: no phase can be read from it.
MIXED = [
    rule("with and without",
         rf"W/?\s?(?:AND|&|\+|/|,)?\s?W/?O|WWO|W/?O\s?(?:AND|&|\+|/|,)?\s?W/?(?:\s?{AGENT})?|"
         r"WITH\s?(?:AND|&|/)\s?WITHOUT|WITHOUT\s?(?:AND|&|/)\s?WITH|\+/-|-/\+|C\+/C-|C-/C\+|"
         r"BEZ\sI\sZE?|SEM\s?(?:E|/|&)\s?COM|S/C\s?(?:E|/|&)\s?C/C|C/C\s?(?:E|/|&)\s?S/C|SIN\sY\sCON|OHNE\sUND\sMIT|SANS\sET\sAVEC|AVEC\sET\sSANS|"
         r"CON\sE\sSENZA|SENZA\sE\sCON|ZONDER\sEN\sMET|ROUTINE\s?\+\s?ENHANCED|"
         r"NONENH\w*\s?(?:&|AND|\+)\s?ENH\w*|PRE\s?(?:/|&|AND|\+)\s?POST|NATIV\w*\s?(?:UND|\+|/)",
         None),
    rule("several phases",
         r"(?:2|3|4|TWO|THREE|FOUR|DUAL|TRIPLE|MULTI|BI|TRI)[\s-]?(?:PHASE\w*|PHASIC|FAZ\w*|"
         r"FAS\w*)|BIPHAS\w*|TRIPHAS\w*|MULTIPHAS\w*|BIPASIQUE|BIPHASIQUE|TRIPHASIQUE|"
         r"\dFAZ\w*|FAZOW\w*|KIDNEY\sPROTOCOL|RENAL\s(?:PROTOCOL|MASS)|UROGRA\w*|CT\sIVP",
         None),
]

NAMED = [
    rule("late or early arterial", r"(?:LATE|EARLY)\s?ART\w*", A, 0.95),
    rule("arterial", r"ARTERIAL\w*|ARTERIEL\w*|ARTERIOS[AO]|ARTERIEEL|ARTERY|TETNICZ\w*|"
                     r"ARTIRIAK\w*|ARTHRIAK\w*|CORTICOMEDULL\w*", A, 0.95),
    rule("arterial (abbreviated)", r"ART|HAP|A[\s-]?PHASE|APHASE|FASE\sA|FAZA\sA", A, 0.8),
    rule("angiography", r"CTA|CCTA|CTPA|CTPE|ANGIO\w*|RUN\s?OFF|RUNOFF|EMBOL\w*|R/O\s?PE|PE\d*|"
                        r"CORONARY\s(?:CTA|ANGIO\w*)", A, 0.85),
    rule("first phase (Polish)", r"(?:I|1)\s?FAZ\w*|FAZA\s(?:I|1)", A, 0.6),
    rule("portal venous", r"PORTAL\w*|PORTO\w*|PORTAAL|PORTALVEN\w*|WROTN\w*|PYLAI\w*|PVP|"
                          r"P\.?\s?V\.?", P, 0.9),
    rule("venous", r"VENOUS|VENOSA|VENOSO|VENOS\w*|VENOES\w*|VENEUS|VEINEU\w*|ZYLN\w*|"
                   r"FLEVIK\w*|VENOGRA\w*|CTV|V[\s-]?PHASE", P, 0.9),
    rule("venous (abbreviated)", r"VEN", P, 0.8),
    rule("nephrographic", r"NEPHRO\w*|NEFRO\w*|PARENCHYM\w*", P, 0.85),
    rule("second phase (Polish)", r"(?:II|2)\s?FAZ\w*|FAZA\s(?:II|2)", P, 0.6),
    rule("delayed", r"DELAY\w*|LATE|EQUILIBR\w*|EXCRET\w*|PYELO\w*|SPAET\w*|SPAT|SPATE|"
                    r"SPATPHASE|TARDI\w*|RETARD\w*|OPOZN\w*|POZN\w*|LAAT\w*|KATHYSTER\w*|"
                    r"APEKKRIT\w*|D[\s-]?PHASE", D, 0.9),
    rule("delayed (abbreviated)", r"DEL", D, 0.6),
    rule("third phase (Polish)", r"(?:III|3)\s?FAZ\w*|FAZA\s(?:III|3)", D, 0.6),
]

NON_CONTRAST = [
    rule("non-contrast", r"NON[\s/-]?(?:CONTRAST\w*|CONTR\w*|CONT|CON|ENH\w*|INFUSED|IV|INJ\w*)|"
                         r"NONCON\w*|NONENH\w*|UN[\s-]?ENHANCED|UNENH\w*", N, 0.95),
    rule("native or plain", r"NATIV\w*|NATYWN\w*|NATIF|PLAIN", N, 0.9),
    rule("before contrast", rf"PRE[\s-]?{AGENT}|PRECON\w*|PREKM", N, 0.95),
    rule("without contrast", rf"W/\s?O(?:\s?{AGENT}){{0,2}}|WO(?:\s?{AGENT}){{0,2}}|"
                             rf"(?:WITHOUT|NO)(?:\s?{AGENT}){{1,2}}", N, 0.9),
    rule("without (alone)", r"WITHOUT(?=\s*(?:$|[-,;:(/]))", N, 0.8, bounded=False),
    rule("minus (GE, Siemens)", r"C-|C\s?MINUS|I-|IV-|KM-", N, 0.85),
    rule("without, in other languages",
         rf"SEM\s(?:{AGENT}|CONTRASTE|MEIO\w*)|S/C|S/CONTRAST\w*|SIN\s(?:{AGENT}|MEDIO|CIV)|"
         rf"SANS\s(?:{AGENT}|PRODUIT)|AVANT\s(?:INJ\w*|IV)|OHNE\s{AGENT}|"
         rf"SENZA\s(?:{AGENT}|MEZZO)|BEZ\s(?:{AGENT}|WZMOCN\w*|PODANIA)|ZONDER\s{AGENT}|"
         rf"PRZED\s(?:{AGENT}|PODANIEM|WZMOCN\w*)|VOR\s{AGENT}|"
         rf"CHORIS(?:\sSKIAGRAF\w*)?|XORIS|ANE[UYV]\s?SKIAGRAF\w*", N, 0.95),
    rule("non-contrast, in other languages", r"BLANCO|DIRETTA", N, 0.8),
    rule("basal or simple (Spanish, Italian)",
         r"BASALE?(?!\s?(?:LUNG\w*|GANGLIA|SLICE\w*))|SIMPLE", N, 0.6),
    rule("dry (slang)", r"DRY", N, 0.6),
    rule("calcium score", r"CA(?:LCIUM)?\s?SCOR\w*|CACS|AGATSTON|CALC\w*\s?SCOR\w*|"
                          r"HEART\s?SCORE", N, 0.85),
    rule("lung cancer screening (no contrast by protocol)",
         r"LUNG\s?(?:CANCER\s?)?SCREEN\w*|SCREENING\s(?:CHEST|LUNG|LDCT)|LDCT|"
         r"LOW[\s-]?DOSE\s(?:LUNG|CHEST|SCREEN\w*)|NLST|LSS", N, 0.8),
    rule("before (alone)", r"PRE", N, 0.7),
]

CONTRAST = [
    rule("with contrast", rf"(?:W/\s?|W\s|WITH\s?){AGENT}(?:\s?{AGENT})?", C, 0.9),
    rule("with (alone)", r"(?<![A-Z0-9])(?:WITH|W)(?=\s*(?:$|[,;:()\-+&]|\d))|WC(?![A-Z0-9])",
         C, 0.75, bounded=False),
    rule("w/ (alone)", r"W/(?=\s*(?:$|[,;:)\-]|\d))", C, 0.75, bounded=False),
    rule("with, in other languages",
         rf"COM\s(?:{AGENT}|CONTRASTE|MEIO\w*)|C/C|CON\s(?:{AGENT}|MEDIO|MEZZO)|"
         rf"AVEC\s(?:{AGENT})|APRES\s(?:INJ\w*|IV)|MIT\s{AGENT}|Z\s{AGENT}|ZE\sWZMOCN\w*|"
         rf"PO\s(?:KONTRAS\w*|PODANIU)|MET\s{AGENT}|ME\sSKIAGRAF\w*|ENDOFLEV\w*", C, 0.95),
    rule("plus (GE, Siemens)",
         r"(?<![A-Z0-9])(?:C|I|IV|KM)\+|\+\s?(?:C|KM|KONTR\w*|CONTR\w*|CE)(?![A-Z0-9])", C, 0.9,
         bounded=False),
    rule("after contrast", rf"POST[\s-]?{AGENT}|POSTCON\w*", C, 0.95),
    rule("contrast medium", CONTRAST_MEDIA + r"|IODINE", C, 0.95),
    rule("contrast", r"CONTRAST\w*|CONTR|KONTR\w*|CONTRASTE|CONTRASTO|MDC|PDC|SKIAGRAF\w*",
         C, 0.85),
    rule("contrast (abbreviated)", r"CONT", C, 0.7),
    rule("enhanced", r"ENHANC\w*|ENH|WZMOCN\w*|REHAUSS\w*|INFUSED|INJ\w*|INJECT\w*", C, 0.85),
    rule("contrast-enhanced (abbreviated)", r"CE|KM", C, 0.85),
    rule("enteric or enterography", r"ENTERIC|ENTEROGRA\w*", C, 0.6),
    rule("intravenous (alone)", r"IV|I\.V\.?", C, 0.6),
    rule("after (alone)", r"POST", C, 0.7),
]

# Oral contrast says nothing about intravenous contrast.
ORAL = re.compile(B + r"(?:ORAL|PO|BARIUM|GASTROGRAFIN|WATER\s?SOL\w*)" + E)
IV_MARKER = re.compile(B + r"(?:IV|I\.V\.?|INTRAVEN\w*|" + CONTRAST_MEDIA + ")" + E)
# Interventions: here 'pre', 'post' and minutes mean the procedure, not the injection.
PROCEDURE = re.compile(B + r"(?:BIOPS\w*|BX|FNA|ABLATION|RFA|MWA|DRAIN\w*|PROCEDURE\w*|"
                           r"INTERVENT\w*|GUIDED|TACE|VERTEBROPLAST\w*|PIGTAIL)" + E)
SECONDS = re.compile(r"(?<![A-Z0-9.])(\d{1,3})\s?(?:S|SEC|SECS|SECOND\w*|SEK\w*|\")(?![A-Z0-9])")
MINUTES = re.compile(r"(?<![A-Z0-9.])(\d{1,2})\s?(?:MIN|MINS|MINUTE\w*|MINUT\w*|MTOS|MN)"
                     r"(?![A-Z0-9])")


def phase_after(seconds: float) -> Phase | None:
    """The phase a scan this long after the injection is in (None: implausible)."""
    if 12 <= seconds <= 45:
        return Phase.ARTERIAL
    if 45 < seconds <= 130:
        return Phase.PORTAL_VENOUS
    if 130 < seconds <= 3600:
        return Phase.DELAYED
    return None
