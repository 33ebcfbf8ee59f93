"""Write a Volume as a CT Image Storage series (one file per slice, Explicit VR Little Endian)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from inference.dicom.iod import complete
from inference.io.volume import Volume

STORED_OFFSET = 1024  # stored = HU + 1024 as unsigned 12-bit, the most common CT encoding


@dataclass(frozen=True)
class SeriesIdentity:
    """Patient, study and series attributes written into every slice."""

    patient_name: str
    patient_id: str
    study_uid: str
    series_uid: str
    frame_of_reference_uid: str
    series_number: int
    series_description: str
    study_date: str = "20260101"
    study_time: str = "090000"
    series_time: str = "090000"
    study_description: str = ""
    accession_number: str = ""
    patient_birth_date: str = ""
    patient_sex: str = "O"
    manufacturer: str = ""
    contrast_agent: str = ""
    # What the source says, or nothing: Type 2 attributes stay present and empty when unknown.
    body_part: str = ""
    kvp: str = ""
    patient_position: str = ""
    image_type: tuple[str, ...] = ("ORIGINAL", "PRIMARY", "AXIAL")
    extra: dict = field(default_factory=dict)


def _uid(seed: str) -> str:
    return generate_uid(entropy_srcs=[seed])


def slice_dataset(volume: Volume, k: int, ident: SeriesIdentity) -> Dataset:
    """The DICOM dataset of slice ``k`` (pixels included).

    Long on purpose: one assignment per attribute of the CT Image IOD, in module order.
    """
    g = volume.geometry
    d = g.direction_matrix
    _nk, rows, cols = volume.shape
    sop_uid = _uid(f"{ident.series_uid}/{k}")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = list(ident.image_type)
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = ident.study_date
    ds.StudyTime = ident.study_time
    ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = ident.series_time
    ds.AccessionNumber = ident.accession_number
    ds.Modality = "CT"
    ds.Manufacturer = ident.manufacturer
    ds.StudyDescription = ident.study_description
    ds.SeriesDescription = ident.series_description
    ds.PatientName = ident.patient_name
    ds.PatientID = ident.patient_id
    ds.PatientBirthDate = ident.patient_birth_date
    ds.PatientSex = ident.patient_sex
    if ident.contrast_agent:
        ds.ContrastBolusAgent = ident.contrast_agent
    if ident.body_part:
        ds.BodyPartExamined = ident.body_part
    ds.SliceThickness = f"{g.spacing[2]:.4g}"
    ds.KVP = ident.kvp
    ds.PatientPosition = ident.patient_position
    ds.StudyInstanceUID = ident.study_uid
    ds.SeriesInstanceUID = ident.series_uid
    ds.StudyID = ident.extra.get("StudyID", "1")
    ds.ReferringPhysicianName = ident.extra.get("ReferringPhysicianName", "")
    ds.SeriesNumber = ident.series_number
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = k + 1
    pos = g.index_to_world((0, 0, k))
    ds.ImagePositionPatient = [f"{v:.4f}" for v in pos]
    ds.ImageOrientationPatient = [f"{v:.6f}" for v in (*d[:, 0], *d[:, 1])]
    ds.FrameOfReferenceUID = ident.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    ds.SliceLocation = f"{float(np.dot(np.cross(d[:, 0], d[:, 1]), pos)):.4f}"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, cols
    ds.PixelSpacing = [f"{g.spacing[1]:.6g}", f"{g.spacing[0]:.6g}"]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.RescaleIntercept = f"{-STORED_OFFSET}"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    for keyword, value in ident.extra.items():
        setattr(ds, keyword, value)
    stored = np.clip(volume.array[k].astype(np.int32) + STORED_OFFSET, 0, 4095).astype("<u2")
    ds.PixelData = stored.tobytes()
    return ds


def write_ct_series(volume: Volume, outdir: str | Path, ident: SeriesIdentity,
                    per_slice: Callable[[int, Dataset], None] | None = None) -> list[Path]:
    """Write each slice as ``IMG0001.dcm`` ... in ``outdir``; returns the file paths.

    ``per_slice(k, dataset)`` may add or change attributes of slice k before it is written.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(volume.shape[0]):
        path = outdir / f"IMG{k + 1:04d}.dcm"
        ds = slice_dataset(volume, k, ident)
        if per_slice is not None:
            per_slice(k, ds)
        complete(ds, "ct")
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
