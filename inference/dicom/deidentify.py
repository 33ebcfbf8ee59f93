"""De-identification per DICOM PS3.15 Annex E, Basic Application Level Confidentiality Profile.

The one de-identifier of every export (synthetic series, SR, run reports). Applied to every
dataset of one export with one ``Deidentifier``, so UIDs are remapped consistently within the
export (references, including those inside SR content items, stay valid) and never between
exports. Beyond the named attributes, three rules catch what a list would miss: every person
name, date, time and age is emptied or removed, every instance UID is replaced, and private
tags go. What was applied is declared in DeidentificationMethodCodeSequence (CID 7050).
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.uid import UID_dictionary, generate_uid

from inference.io.volume import Volume
from inference.provenance import DEIDENTIFIED_DESCRIPTION

METHOD = "PS3.15 Basic Profile (dcreview)"  # LO: at most 64 characters
BASIC_PROFILE = ("113100", "Basic Application Confidentiality Profile")
CLEAN_DESCRIPTORS = ("113105", "Clean Descriptors Option")
CLEAN_STRUCTURED = ("113104", "Clean Structured Content Option")
MODIFIED_DATES = ("113107", "Retain Longitudinal Temporal Information Modified Dates Option")
# Descriptions dcreview writes itself: kept under the Clean Descriptors Option, because they
# carry the SYNTHETIC label and no identifiers.
OWN_DESCRIPTIONS = ("ImageComments", "SeriesDescription", "DerivationDescription")

# Action X (remove): attributes of PS3.15 Table E.1-1 that CT series and SRs carry.
REMOVE = (
    "PatientBirthTime", "PatientAge", "PatientSize", "PatientWeight", "PatientAddress",
    "PatientTelephoneNumbers", "OtherPatientIDs", "OtherPatientIDsSequence",
    "OtherPatientNames", "PatientBirthName", "PatientMotherBirthName", "EthnicGroup",
    "MilitaryRank", "BranchOfService", "Occupation", "MedicalRecordLocator",
    "PatientReligiousPreference", "SmokingStatus", "PregnancyStatus", "LastMenstrualDate",
    "MedicalAlerts", "Allergies", "CountryOfResidence", "RegionOfResidence",
    "PatientInsurancePlanCodeSequence", "PatientPrimaryLanguageCodeSequence",
    "ResponsiblePerson", "ResponsibleOrganization", "IssuerOfPatientID",
    "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName",
    "InstitutionCodeSequence", "StationName", "DeviceSerialNumber", "DeviceUID",
    "PerformingPhysicianName", "PerformingPhysicianIdentificationSequence", "OperatorsName",
    "OperatorIdentificationSequence", "NameOfPhysiciansReadingStudy",
    "PhysiciansReadingStudyIdentificationSequence", "RequestingPhysician",
    "PhysiciansOfRecord", "PhysiciansOfRecordIdentificationSequence",
    "ReferringPhysicianAddress", "ReferringPhysicianTelephoneNumbers",
    "ReferringPhysicianIdentificationSequence", "ProtocolName", "RequestAttributesSequence",
    "ImageComments", "AdditionalPatientHistory", "PatientComments", "StudyDescription",
    "AdmittingDiagnosesDescription", "AdmittingDiagnosesCodeSequence", "SeriesDescription",
    "DerivationDescription", "PerformedProcedureStepDescription",
    "PerformedProcedureStepID", "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartTime", "RequestedProcedureDescription",
    "RequestedProcedureID", "ScheduledProcedureStepDescription",
    "ReasonForTheRequestedProcedure", "ReasonForStudy", "RequestedContrastAgent",
    "StudyComments", "AcquisitionComments", "AdmissionID", "IssuerOfAdmissionID",
    "CurrentPatientLocation", "PatientState", "VisitComments",
    "ReferencedPatientSequence", "ReferencedStudySequence",
    "ReferencedPerformedProcedureStepSequence", "OriginalAttributesSequence",
    "ModifiedAttributesSequence", "ContributingEquipmentSequence", "FrameComments",
    "TextComments", "TextString", "DataSetTrailingPadding", "ContentCreatorName",
    "ContentCreatorIdentificationCodeSequence", "AuthorObserverSequence",
    "ParticipantSequence", "VerifyingObserverSequence", "PersonName", "PersonAddress",
    "PersonTelephoneNumbers", "InterpretationRecorder", "InterpretationTranscriber",
    "InterpretationAuthor", "DistributionName", "DistributionAddress",
    "ScheduledPatientInstitutionResidence",
)
# Action Z (present, empty): Type 2 attributes a conformant object must keep.
EMPTY = ("AccessionNumber", "StudyID", "ReferringPhysicianName", "PatientBirthDate",
         "PatientSex", "StudyDate", "StudyTime")
# Type 1 dates and times of an SR (action D): a fixed dummy, never the real one.
DUMMY_DATES = {"ContentDate": "19000101", "ContentTime": "000000"}
# With modified dates: the study's date and time stay (the date moved), the birth date goes.
SHIFTED_AT_TOP = ("StudyDate", "StudyTime")
NEVER_SHIFTED = ("PatientBirthDate", "PatientBirthTime")
KEEP_UIDS = ("TransferSyntaxUID", "ImplementationClassUID", "CodingSchemeUID",
             "ContextGroupExtensionCreatorUID")
TEXT_OF_PEOPLE_AND_TIME = ("PN", "DA", "DT", "TM", "AS")
SR_CLASSES = ("1.2.840.10008.5.1.4.1.1.88.")


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = meaning
    return item


class Deidentifier:
    """One export's de-identification: pseudonym and UID map shared by all its files."""

    def __init__(self, pseudonym: str = "ANONYMOUS^", keep_own_descriptions: bool = False,
                 clean_structured_content: bool = False,
                 date_shift_days: int | None = None) -> None:
        self._salt = secrets.token_hex(16)
        self._uids: dict[str, str] = {}
        self.pseudonym = pseudonym
        self.keep = OWN_DESCRIPTIONS if keep_own_descriptions else ()
        self.clean_structured = clean_structured_content
        # Retain Longitudinal Temporal Information with Modified Dates: every date moves back
        # by the same number of days (the caller keeps it per patient); times stay. A shift
        # of 0 would keep the real dates, so it is refused.
        if date_shift_days is not None and date_shift_days <= 0:
            raise ValueError("a date shift is a positive number of days")
        self.date_shift = date_shift_days

    def uid(self, original: str) -> str:
        """The replacement for ``original``, the same every time within this export."""
        if original not in self._uids:
            self._uids[original] = generate_uid(entropy_srcs=[self._salt, original])
        return self._uids[original]

    def options(self) -> list[tuple[str, str]]:
        """The CID 7050 codes of what this de-identifier applies."""
        out = [BASIC_PROFILE]
        if self.date_shift:
            out.append(MODIFIED_DATES)
        if self.keep:
            out.append(CLEAN_DESCRIPTORS)
        if self.clean_structured:
            out.append(CLEAN_STRUCTURED)
        return out

    def apply(self, ds: Dataset) -> Dataset:
        """De-identify ``ds`` in place (and its sequences, and its file meta)."""
        is_sr = str(ds.get("SOPClassUID", "")).startswith(SR_CLASSES)
        self._walk(ds, top=True)
        meta = getattr(ds, "file_meta", None)
        if meta is not None and "MediaStorageSOPInstanceUID" in meta:
            meta.MediaStorageSOPInstanceUID = self.uid(str(meta.MediaStorageSOPInstanceUID))
        ds.PatientName = self.pseudonym
        ds.PatientID = self.pseudonym.rstrip("^")
        for keyword in EMPTY:
            if not (self.date_shift and keyword in SHIFTED_AT_TOP and ds.get(keyword)):
                setattr(ds, keyword, "")
        if is_sr:
            for keyword, dummy in DUMMY_DATES.items():
                setattr(ds, keyword, dummy)
        ds.PatientIdentityRemoved = "YES"
        ds.DeidentificationMethod = METHOD
        ds.DeidentificationMethodCodeSequence = [_code(v, m) for v, m in self.options()]
        ds.LongitudinalTemporalInformationModified = "MODIFIED" if self.date_shift \
            else "REMOVED"
        return ds

    def _walk(self, ds: Dataset, top: bool = False) -> None:
        for keyword in REMOVE:
            if keyword in ds and keyword not in self.keep:
                delattr(ds, keyword)
        ds.remove_private_tags()  # private tags can hold anything: the Basic profile drops them
        for elem in list(ds):
            keyword = elem.keyword
            if elem.VR == "SQ":
                for item in elem.value:
                    self._walk(item)
            elif elem.VR == "UI" and elem.value and keyword not in KEEP_UIDS and not \
                    keyword.endswith("ClassUID"):
                values = elem.value if elem.VM > 1 else [elem.value]
                new = [v if str(v) in UID_dictionary else self.uid(str(v)) for v in values]
                elem.value = new if elem.VM > 1 else new[0]
            elif self.date_shift and elem.VR in ("DA", "DT", "TM") and keyword not in \
                    NEVER_SHIFTED:
                if elem.VR != "TM":
                    elem.value = self._shifted(elem.value, elem.VR)
            elif elem.VR in TEXT_OF_PEOPLE_AND_TIME and keyword not in ("PatientName",):
                # Names, dates, times and ages: empty where a module requires the element
                # (Type 2 at the top level), removed elsewhere.
                if top and keyword in EMPTY:
                    elem.value = ""
                else:
                    del ds[elem.tag]


    def _shifted(self, value, vr: str):
        """A DA or DT value (or several) moved back by the shift; one that is not a date
        is removed rather than kept."""
        values = [value] if value is None or isinstance(value, str) else list(value)
        out = []
        for v in values:
            text = str(v or "")
            try:
                day = datetime.strptime(text[:8], "%Y%m%d").date()
            except ValueError:
                out.append("")
                continue
            moved = (day - timedelta(days=self.date_shift)).strftime("%Y%m%d")
            out.append(moved + (text[8:] if vr == "DT" else ""))
        return out if len(out) > 1 else out[0]


REPORT_SOURCE_FIELDS = ("description", "series_description", "study_description",
                        "series_choice")  # the choice quotes descriptions


def deidentify_report(report: dict, deid: Deidentifier) -> dict:
    """A run report fit to lie next to a de-identified export: the source's UIDs replaced,
    its descriptions dropped, paths cut to file names (a folder name can name a patient)."""
    def clean(key: str, value):
        if isinstance(value, dict):
            # Descriptions can quote the source's (the synthetic one names it): all go.
            return {k: clean(k, v) for k, v in value.items() if k not in REPORT_SOURCE_FIELDS}
        if isinstance(value, list):
            return [clean(key, v) for v in value]
        if isinstance(value, str) and key.endswith("uid") and value:
            return deid.uid(value)
        if isinstance(value, str) and key in ("path", "folder", "input_path") and value:
            return Path(value).name
        return value

    out = clean("", report)
    out["deidentified"] = {"method": METHOD, "codes": [v for v, _m in deid.options()]}
    return out


def deidentify_volume(volume: Volume, deid: Deidentifier) -> Volume:
    """A volume fit to be written next to a de-identified export (e.g. as NIfTI): no source
    description, the source series UID replaced, the SYNTHETIC label kept."""
    m = volume.metadata
    meta = replace(m, series_uid=deid.uid(m.series_uid) if m.series_uid else "", study_uid="",
                   frame_of_reference_uid="", acquisition_time="", patient_pseudonym="",
                   series_description=(DEIDENTIFIED_DESCRIPTION if volume.synthetic
                                       else "de-identified"))
    provenance = {k: (deid.uid(v) if k.endswith("uid") and isinstance(v, str) and v else v)
                  for k, v in volume.provenance.items()}
    return replace(volume, metadata=meta, provenance=provenance, identity=None)
