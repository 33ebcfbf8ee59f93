"""What a person types into a PACS search becomes DICOM matching keys; DICOM syntax is never
what they must type or read."""

from __future__ import annotations

import datetime as dt

import pytest

from inference.io.identity import display_date, display_name
from inference.pacs.query_terms import name_pattern, study_date_range

TODAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize(("choice", "expected"), [
    ("Any date", ""), ("Today", "20261207"), ("Yesterday and today", "20261206-20261207"),
    ("Last 7 days", "20261201-20261207"), ("Last 30 days", "20261108-20261207")])
def test_date_choices_are_dicom_ranges_ending_today(choice, expected):
    assert study_date_range(choice, TODAY) == expected


def test_a_between_range_is_ordered_and_a_single_day_is_one_date():
    a, b = dt.date(2026, 1, 2), dt.date(2025, 12, 31)
    assert study_date_range("Between...", TODAY, a, b) == "20251231-20260102"
    assert study_date_range("Between...", TODAY, a, a) == "20260102"
    with pytest.raises(ValueError):
        study_date_range("Between...", TODAY)


@pytest.mark.parametrize(("typed", "key"), [
    ("Doe, Jane", "Doe^Jane*"), ("doe jane", "doe^jane*"), ("Doe", "Doe*"), ("Do*", "Do*"),
    ("  ", ""), ("DOE^JANE", "DOE^JANE")])
def test_typed_names_become_pn_wildcards(typed, key):
    assert name_pattern(typed) == key


def test_names_and_dates_read_as_people_read_them():
    assert display_name("DOE^JANE^^DR") == "DOE, JANE"
    assert display_name("PHANTOM") == "PHANTOM" and display_name("") == ""
    assert display_date("20260101") == "2026-01-01" and display_date("2026") == "2026"
