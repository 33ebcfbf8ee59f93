"""De-identification per DICOM PS3.15 Annex E, Basic Application Level Confidentiality Profile.

Applied to every dataset of one export with one ``Deidentifier``, so UIDs are remapped
consistently within the export (references stay valid) and never between exports.
"""

from __future__ import annotations

import secrets

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

METHOD = "DICOM PS3.15 E.1 Basic Application Level Confidentiality Profile (dcreview)"
CLEAN_DESCRIPTORS = ("; Clean Descriptors Option: only descriptions written by dcreview (which "
                     "carry no identifiers, and label synthetic images) are kept")
# Descriptions dcreview writes itself: kept under the Clean Descriptors Option, because they
# carry the SYNTHETIC label and no identifiers.
OWN_DESCRIPTIONS = ("ImageComments", "SeriesDescription", "DerivationDescription")

# Attributes the Basic profile removes or empties (the subset CT series and our exports carry).
REMOVE = (
    "PatientBirthDate", "PatientBirthTime", "PatientAge", "PatientSex", "PatientSize",
    "PatientWeight", "PatientAddress", "PatientTelephoneNumbers", "OtherPatientIDs",
    "OtherPatientNames", "PatientMotherBirthName", "EthnicGroup", "MilitaryRank",
    "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName", "StationName",
    "PerformingPhysicianName", "OperatorsName",
    "NameOfPhysiciansReadingStudy", "RequestingPhysician", "PhysiciansOfRecord",
    "DeviceSerialNumber", "ProtocolName", "RequestAttributesSequence", "ImageComments",
    "AdditionalPatientHistory", "PatientComments", "StudyDescription",
    "AdmittingDiagnosesDescription", "SeriesDescription", "DerivationDescription",
)
EMPTY = ("AccessionNumber", "StudyID", "ReferringPhysicianName")
DATES = ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "StudyTime",
         "SeriesTime", "AcquisitionTime", "ContentTime", "AcquisitionDateTime",
         "InstanceCreationDate", "InstanceCreationTime")
UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID",
        "ReferencedSOPInstanceUID", "MediaStorageSOPInstanceUID")


class Deidentifier:
    """One export's de-identification: pseudonym and UID map shared by all its files."""

    def __init__(self, pseudonym: str = "ANONYMOUS", keep_own_descriptions: bool = False) -> None:
        self._salt = secrets.token_hex(16)
        self._uids: dict[str, str] = {}
        self.pseudonym = pseudonym
        self.keep = OWN_DESCRIPTIONS if keep_own_descriptions else ()

    def uid(self, original: str) -> str:
        """The replacement for ``original``, the same every time within this export."""
        if original not in self._uids:
            self._uids[original] = generate_uid(entropy_srcs=[self._salt, original])
        return self._uids[original]

    def apply(self, ds: Dataset) -> Dataset:
        """De-identify ``ds`` in place (and its sequences, and its file meta)."""
        self._walk(ds)
        if getattr(ds, "file_meta", None) is not None and "MediaStorageSOPInstanceUID" in \
                ds.file_meta:
            ds.file_meta.MediaStorageSOPInstanceUID = self.uid(
                str(ds.file_meta.MediaStorageSOPInstanceUID))
        ds.PatientName = self.pseudonym
        ds.PatientID = self.pseudonym
        ds.PatientIdentityRemoved = "YES"
        ds.DeidentificationMethod = METHOD + (CLEAN_DESCRIPTORS if self.keep else "")
        ds.LongitudinalTemporalInformationModified = "REMOVED"
        return ds

    def _walk(self, ds: Dataset) -> None:
        for keyword in REMOVE:
            if keyword in ds and keyword not in self.keep:
                delattr(ds, keyword)
        for keyword in EMPTY + DATES:
            if keyword in ds:
                setattr(ds, keyword, "")
        for keyword in UIDS:
            if keyword in ds and ds.data_element(keyword).value:
                setattr(ds, keyword, self.uid(str(ds.data_element(keyword).value)))
        # Private tags can hold anything: the Basic profile removes them.
        ds.remove_private_tags()
        for elem in list(ds):
            if elem.VR == "SQ":
                for item in elem.value:
                    self._walk(item)
