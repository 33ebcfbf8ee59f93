"""Provenance: the one table of labels that says pixels are synthetic, and the one rule that
writes it into, and reads it back from, every file the pixels travel in.

A synthetic volume carries ``Volume.synthetic`` and a ``provenance`` dict (the model, whether it
was trained on phantoms only, the domain findings of its input, the run). Every writer puts
them where other software looks (DICOM Synthetic Data, Image Type, Derivation Description and
Code Sequence, Image Comments; the NIfTI description; NRRD and MetaImage fields; a sidecar
JSON) and every reader gets them back, so a reopened, retrieved or batch-opened synthetic
series carries the same label and warnings as a fresh one. A file another product marked as
synthetic (Synthetic Data = YES) is synthetic here too. Blinded reader-study arms strip it all
(``readerstudy``), and their screens show none of it (the viewer's provenance rule).
"""

from __future__ import annotations

import json
import re

# -- the labels ---------------------------------------------------------------------------------
SYNTHETIC_TEXT = "SYNTHETIC - AI-generated digital contrast"
NOT_ACQUIRED = "SYNTHETIC - AI-generated digital contrast, not an acquired image"
PHANTOM_MODEL_TEXT = "demo model trained on synthetic phantoms:\nnot for clinical use"
PHANTOM_CLAUSE = "model trained on synthetic phantoms only, not for clinical use"
DOMAIN_TEXT = "OUTSIDE MODEL DOMAIN"
TRUST_TEXT = "Trust verdict"
OTHER_PRODUCT = "marked synthetic by the software that made it"
SERIES_LABEL = "SYNTHETIC CONTRAST - NOT ACQUIRED"  # DICOM SeriesDescription prefix
IMAGE_TYPE = ("DERIVED", "SECONDARY", "AXIAL", "SYNTHETIC")
# The NIfTI description holds 80 characters: the label and a flag per warning fit.
FILE_NOTE = "SYNTHETIC AI contrast, not acquired"
FILE_FLAGS = {"domain": f"; {DOMAIN_TEXT}", "phantom": "; phantom model"}
# Derivation Code Sequence: CID 7203 has no code for a model's prediction of another
# acquisition, so a private coding scheme (PS3.16 8.2: designators starting '99') names it.
DERIVATION_CODE = ("DCR-SYNTH", "99DCREVIEW", "Contrast enhancement predicted by a model")
SOURCE_PURPOSE_CODE = ("121322", "DCM", "Source image for image processing operation")
# Private block (PS3.5 7.8) holding the whole provenance as JSON; de-identification drops it.
PRIVATE_CREATOR = "DCREVIEW PROVENANCE"
PRIVATE_GROUP = 0x0013
SIDECAR_KEY = "dcreview_provenance"

# What travels: no UID, no path, nothing that names the patient or the input series.
TRAVELS = ("model", "model_version", "model_sha256", "synthetic_phantoms_only", "output_kind",
           "ensemble_members", "test_time_flips", "provider", "created", "notes", "domain",
           "layer", "source", "report", "trust")


def travelling(provenance: dict) -> dict:
    """The part of a provenance that is written into files (no identifiers)."""
    out = {k: provenance[k] for k in TRAVELS if k in provenance}
    domain = out.get("domain")
    if isinstance(domain, dict):
        out["domain"] = {k: domain[k] for k in ("in_domain", "warnings", "reasons")
                         if k in domain}
    return out


def to_json(provenance: dict) -> str:
    """Canonical JSON of the travelling provenance."""
    return json.dumps(travelling(provenance), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True, allow_nan=False, default=str)


def from_json(text: str | bytes | None) -> dict | None:
    """A provenance written by ``to_json`` (None: absent or unreadable)."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        return None
    return travelling(data) if isinstance(data, dict) else None


# -- what a viewer and a report say -------------------------------------------------------------
def domain_warnings(provenance: dict) -> list[str]:
    """The input's out-of-domain findings (empty: inside, or not known)."""
    domain = provenance.get("domain") or {}
    return [str(w) for w in domain.get("warnings") or []]


def domain_lines(provenance: dict) -> list[str]:
    """The warning line for an input outside the model's declared domain (empty: inside):
    short reasons only; the sentences are in Synthesis > Model and input check."""
    warnings = domain_warnings(provenance)
    if not warnings:
        return []
    reasons = (provenance.get("domain") or {}).get("reasons") or [
        f"{len(warnings)} finding(s)"]
    return [f"{DOMAIN_TEXT}: {', '.join(map(str, reasons))}"]


def trust_verdict(provenance: dict) -> str | None:
    """The trust verdict of a synthetic (None: not checked, e.g. another product's image)."""
    trust = provenance.get("trust")
    return str(trust["verdict"]) if isinstance(trust, dict) and trust.get("verdict") else None


def trust_line(provenance: dict) -> list[str]:
    """The verdict line under the banner, with how many checks were flagged (empty: none
    known)."""
    verdict = trust_verdict(provenance)
    if verdict is None:
        return []
    findings = (provenance.get("trust") or {}).get("findings") or []
    n = sum(1 for f in findings if f.get("status") in ("warn", "fail"))
    tail = f" ({n} check{'s' if n != 1 else ''} flagged)" if n else ""
    return [f"{TRUST_TEXT}: {verdict}{tail}"]


def banner(provenance: dict) -> str:
    """The banner over synthetic pixels: the label, a phantom-trained model named as such, a
    warning line when the input was outside the model's declared domain, and the trust
    verdict of the checks run on the output."""
    lines = [SYNTHETIC_TEXT]
    if provenance.get("synthetic_phantoms_only"):
        lines.append(PHANTOM_MODEL_TEXT)
    lines.extend(domain_lines(provenance))
    lines.extend(trust_line(provenance))
    return "\n".join(lines)


def volume_description(model: str, source: str, layer: str = "digital contrast") -> str:
    """A synthetic volume's series description: the label first, then what and from what."""
    return f"SYNTHETIC {layer} ({model}) of {source or 'input'}"


DEIDENTIFIED_DESCRIPTION = "SYNTHETIC digital contrast"


def model_name(provenance: dict) -> str:
    """The model as one phrase ('unknown model' when another product made the image)."""
    return (f"{provenance.get('model') or 'unknown model'} "
            f"{provenance.get('model_version') or ''}").strip()


# -- DICOM --------------------------------------------------------------------------------------
def derivation_description(provenance: dict) -> str:
    """Derivation Description (0008,2111): the model, its checksum, what the image is."""
    text = (f"Digital contrast predicted by {model_name(provenance)} (sha256 "
            f"{str(provenance.get('model_sha256', ''))[:16]}) from the non-contrast series; "
            "SYNTHETIC, not an acquired image")
    if provenance.get("synthetic_phantoms_only"):
        text += f"; {PHANTOM_CLAUSE}"
    return text[:1024]  # ST


def image_comments(provenance: dict) -> str:
    """Image Comments (0020,4000): the label and every out-of-domain finding, on each slice."""
    text = f"{SYNTHETIC_TEXT}, not acquired"
    warnings = domain_warnings(provenance)
    if warnings:
        reasons = (provenance.get("domain") or {}).get("reasons") or []
        text += f"; {DOMAIN_TEXT}: " + "; ".join(warnings)
        if reasons:
            text += f"{IN_SHORT}{', '.join(map(str, reasons))}"
    verdict = trust_verdict(provenance)
    if verdict is not None:
        # Last, so a reader of the comment finds it after the domain findings; read back by
        # from_dicom where a de-identified copy has lost the private block.
        flagged = [f"{f.get('check')} {f.get('status')}" for f in
                   (provenance.get("trust") or {}).get("findings") or []
                   if f.get("status") in ("warn", "fail")]
        text += f"{TRUST_SEP}{TRUST_TEXT}: {verdict}" + (
            f" ({'; '.join(flagged)})" if flagged else "")
    return text[:10240]  # LT


IN_SHORT = "; in short: "
TRUST_SEP = " | "
_COMMENT_DOMAIN = re.compile(re.escape(DOMAIN_TEXT) + r": (.*?)(?:" + re.escape(IN_SHORT)
                             + r"(.*?))?(?:" + re.escape(TRUST_SEP) + r"|$)", re.S)
_COMMENT_TRUST = re.compile(re.escape(TRUST_SEP + TRUST_TEXT) + r": ([a-z ]+?)(?: \((.*)\))?$",
                            re.S)
_DERIVED_BY = re.compile(r"predicted by (.+?) \(sha256 ([0-9a-f]*)\)")


def from_dicom(synthetic_data: str, image_type: tuple[str, ...], derivation: str,
               comments: str, private_json: str) -> tuple[bool, dict]:
    """Whether a DICOM image is synthetic, and its provenance, from its attributes: dcreview's
    private JSON where present, else what the standard attributes say (a de-identified copy,
    or another product's image marked Synthetic Data = YES)."""
    synthetic = (synthetic_data.strip().upper() == "YES"
                 or "SYNTHETIC" in {v.upper() for v in image_type})
    if not synthetic:
        return False, {}
    found = from_json(private_json)
    if found is not None:
        return True, found
    provenance: dict = {}
    match = _DERIVED_BY.search(derivation or "")
    if match:
        name, _, version = match.group(1).rpartition(" ")
        provenance.update(model=name or version, model_version=version if name else "",
                          model_sha256=match.group(2), source="dcreview")
    else:
        provenance["source"] = OTHER_PRODUCT
    if PHANTOM_CLAUSE in (derivation or ""):
        provenance["synthetic_phantoms_only"] = True
    domain = _COMMENT_DOMAIN.search(comments or "")
    if domain:
        reasons = [r.strip() for r in (domain.group(2) or "").split(",") if r.strip()]
        provenance["domain"] = {"in_domain": False, "reasons": reasons,
                                "warnings": [w.strip() for w in domain.group(1).split("; ")
                                             if w.strip()]}
    trust = _COMMENT_TRUST.search(comments or "")
    if trust:
        findings = []
        for part in (trust.group(2) or "").split("; "):
            check, _, status = part.strip().rpartition(" ")
            if check:
                findings.append({"check": check, "status": status})
        provenance["trust"] = {"verdict": trust.group(1), "findings": findings}
    return True, provenance


# -- NIfTI, NRRD, MetaImage ---------------------------------------------------------------------
def file_note(provenance: dict) -> str:
    """The 80-character NIfTI description: the label and a flag for each warning."""
    note = FILE_NOTE
    if domain_warnings(provenance):
        note += FILE_FLAGS["domain"]
    if provenance.get("synthetic_phantoms_only"):
        note += FILE_FLAGS["phantom"]
    return note[:79]  # ITK refuses a NIfTI description of 80 or more


def from_file_note(note: str) -> tuple[bool, dict]:
    """Whether a file description says synthetic, and the flags it carries (the warnings
    themselves travel in the sidecar or the NRRD fields; a flag alone still warns)."""
    if "SYNTHETIC" not in (note or "").upper():
        return False, {}
    provenance: dict = {}
    if FILE_FLAGS["domain"] in note:
        provenance["domain"] = {"in_domain": False, "reasons": ["see the run report"],
                                "warnings": ["the input was outside the model's declared "
                                             "domain (details in the run report)"]}
    if FILE_FLAGS["phantom"] in note:
        provenance["synthetic_phantoms_only"] = True
    return True, provenance


def merged(*found: tuple[bool, dict]) -> tuple[bool, dict]:
    """Several sources of one file's provenance: synthetic if any says so; the fullest
    provenance wins, and no source can take a warning or the phantom flag away."""
    synthetic = any(s for s, _p in found)
    if not synthetic:
        return False, {}
    best = max((p for s, p in found if s), key=len, default={})
    out = dict(best)
    for _s, p in found:
        if p.get("synthetic_phantoms_only"):
            out["synthetic_phantoms_only"] = True
        if domain_warnings(p) and not domain_warnings(out):
            out["domain"] = p["domain"]
        if trust_verdict(p) and not trust_verdict(out):
            out["trust"] = p["trust"]
    return True, out
