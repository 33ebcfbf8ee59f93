"""The de-identifier's Modified Dates option: dates (DA, and the date of a DT) move back by
the shift, everywhere in the dataset; times stay; birth dates and values that are not dates
go; a shift of zero, which would keep the real dates, is refused."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from inference.dicom.deidentify import Deidentifier


def _dataset() -> Dataset:
    ds = Dataset()
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "DOE^JANE", "MRN1", "19600229"
    ds.StudyDate, ds.StudyTime, ds.SeriesDate = "20240301", "101500", "20240301"
    ds.AcquisitionDateTime = "20240301101630.5+0100"
    ds.ContentDate = "not a date"
    item = Dataset()
    item.ObservationDateTime = "20240102"
    ds.ContentSequence = [item]
    return ds


def test_dates_move_back_by_the_shift_and_times_stay():
    ds = Deidentifier(pseudonym="P1^", date_shift_days=61).apply(_dataset())
    assert (ds.StudyDate, ds.SeriesDate) == ("20231231", "20231231")  # 2024 is a leap year
    assert ds.StudyTime == "101500"
    assert ds.AcquisitionDateTime == "20231231101630.5+0100"
    assert ds.ContentSequence[0].ObservationDateTime == "20231102"
    assert ds.PatientBirthDate == "" and ds.ContentDate == ""
    assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
    assert [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] == ["113100", "113107"]


def test_without_a_shift_dates_are_removed_as_before():
    ds = Deidentifier(pseudonym="P1^").apply(_dataset())
    assert ds.StudyDate == "" and "SeriesDate" not in ds and "AcquisitionDateTime" not in ds
    assert ds.LongitudinalTemporalInformationModified == "REMOVED"


def test_a_zero_shift_is_refused():
    with pytest.raises(ValueError, match="positive"):
        Deidentifier(date_shift_days=0)
