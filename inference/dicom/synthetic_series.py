"""Write digital contrast as a DICOM CT series that says, everywhere, that it is synthetic:
Synthetic Data YES, Image Type DERIVED\\SECONDARY\\AXIAL\\SYNTHETIC, a Derivation Description
and Code Sequence, Image Comments with every domain warning, the series description, and the
whole provenance in a private block (``inference.provenance`` reads all of it back).

No contrast agent was given to the patient: Contrast/Bolus Agent is left out (the module is
required only where contrast was used); the simulated phase is named by the model's card."""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from inference import provenance as labels
from inference.dicom.ct_writer import SeriesIdentity, write_ct_series
from inference.dicom.deidentify import Deidentifier
from inference.errors import ExportError
from inference.io.dicom.discovery import SeriesInfo, scan
from inference.io.dicom.stack import build_stack
from inference.io.volume import Volume

SERIES_LABEL = labels.SERIES_LABEL
IMAGE_TYPE = labels.IMAGE_TYPE


def find_source_series(source: str | Path, series_uid: str) -> SeriesInfo:
    """The non-contrast series the synthetic volume was computed from."""
    study = scan(source)
    for s in study.series:
        if s.series_uid == series_uid:
            return s
    raise ExportError("the source non-contrast series is not in that folder (series UID "
                     "differs); export needs the DICOM series the synthesis started from")


def _copy(src: Dataset, keywords: tuple[str, ...]) -> dict:
    return {k: src.data_element(k).value for k in keywords if k in src}


def _code(value: tuple[str, str, str]) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value
    return item


def write_synthetic_series(synthetic: Volume, source: SeriesInfo, outdir: str | Path,
                           deidentify: bool | Deidentifier = False) -> list[Path]:
    """One file per slice, same study and frame of reference, labelled derived and synthetic."""
    if not synthetic.synthetic:
        raise ExportError("only synthetic volumes are exported by this writer")
    stack = build_stack(source.headers)
    if len(stack.slots) != synthetic.shape[0] or not stack.geometry.same_grid(
            synthetic.geometry, tol=1e-2):
        raise ExportError("the synthetic volume is not on the source series' grid")
    first = pydicom.dcmread(next(h for h in stack.slots if h is not None).path,
                            stop_before_pixels=True)
    prov = synthetic.provenance
    model = labels.model_name(prov)
    series_uid = generate_uid()
    ident = SeriesIdentity(
        patient_name=str(first.get("PatientName", "")), patient_id=str(first.get("PatientID", "")),
        patient_birth_date=str(first.get("PatientBirthDate", "")),
        patient_sex=str(first.get("PatientSex", "") or "O"),
        study_uid=str(first.StudyInstanceUID), series_uid=series_uid,
        frame_of_reference_uid=str(first.get("FrameOfReferenceUID", "") or generate_uid()),
        series_number=int(first.get("SeriesNumber", 0) or 0) + 1000,
        series_description=f"{SERIES_LABEL} ({model})"[:64],
        study_date=str(first.get("StudyDate", "")), study_time=str(first.get("StudyTime", "")),
        series_time=str(first.get("SeriesTime", "")),
        study_description=str(first.get("StudyDescription", "")),
        accession_number=str(first.get("AccessionNumber", "")),
        manufacturer="dcreview (synthetic)", image_type=IMAGE_TYPE,
        extra={
            "SyntheticData": "YES",
            "DerivationDescription": labels.derivation_description(prov),
            "DerivationCodeSequence": [_code(labels.DERIVATION_CODE)],
            "ImageComments": labels.image_comments(prov),
            "BurnedInAnnotation": "NO",
            **_copy(first, ("ReferringPhysicianName", "StudyID", "BodyPartExamined",
                            "PatientPosition")),
        })
    if isinstance(deidentify, Deidentifier):
        deid: Deidentifier | None = deidentify  # shared with the export's other files
    else:
        deid = Deidentifier(keep_own_descriptions=True) if deidentify else None

    def per_slice(k: int, ds: Dataset) -> None:
        src = stack.slots[k]
        if src is not None:
            ref = Dataset()
            ref.ReferencedSOPClassUID = src.sop_class_uid
            ref.ReferencedSOPInstanceUID = src.sop_instance_uid
            ref.PurposeOfReferenceCodeSequence = [_code(labels.SOURCE_PURPOSE_CODE)]
            ds.SourceImageSequence = [ref]
        ds.KVP = ""
        block = ds.private_block(labels.PRIVATE_GROUP, labels.PRIVATE_CREATOR, create=True)
        block.add_new(0x01, "UT", labels.to_json(prov))
        if deid is not None:
            deid.apply(ds)  # drops the private block: the standard attributes still say it

    return write_ct_series(synthetic, outdir, ident, per_slice)
