"""Who and which study a loaded series belongs to: what a reading screen must show (a PACS's
four-corner overlay) so that a wrong-patient read is seen.

Kept apart from ``SeriesMetadata`` on purpose: metadata travels into logs, run reports,
provenance and catalogues, and identification must never. An ``Identity`` is held only by the
loaded volume for display; its repr names nothing, and de-identification drops it.
"""

from __future__ import annotations

from dataclasses import dataclass

IDENTITY_TAGS = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate",
                 "StudyTime", "AccessionNumber", "InstitutionName", "StudyDescription")


@dataclass(frozen=True, repr=False)
class Identity:
    """Patient and study identification of a series (display only)."""

    name: str = ""
    patient_id: str = ""
    birth_date: str = ""  # DICOM DA, YYYYMMDD
    sex: str = ""
    study_date: str = ""
    study_time: str = ""
    accession: str = ""
    institution: str = ""
    study_description: str = ""

    def __repr__(self) -> str:
        return "Identity(<patient identification, not printed>)"

    __str__ = __repr__

    @property
    def empty(self) -> bool:
        """Whether the file named no patient at all."""
        return not (self.name or self.patient_id or self.birth_date)


def read_identity(path: str) -> Identity | None:
    """The identification in one DICOM file's header (None when it cannot be read)."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=list(IDENTITY_TAGS))
    except Exception:  # any unreadable header: no identification rather than no image
        return None

    def text(tag: str) -> str:
        return str(ds.get(tag, "") or "").strip()

    return Identity(name=text("PatientName"), patient_id=text("PatientID"),
                    birth_date=text("PatientBirthDate"), sex=text("PatientSex"),
                    study_date=text("StudyDate"), study_time=text("StudyTime"),
                    accession=text("AccessionNumber"), institution=text("InstitutionName"),
                    study_description=text("StudyDescription"))


def display_name(dicom_name: str) -> str:
    """A DICOM PN (``DOE^JANE^^DR``) as read on screen: ``DOE, JANE`` (family, given)."""
    parts = [p for p in str(dicom_name).split("=")[0].split("^")[:2] if p]
    return ", ".join(parts)


def display_date(da: str) -> str:
    """A DICOM DA (``20260101``) as an ISO date (``2026-01-01``); other text as it is."""
    text = str(da)
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else text
