"""What a person types into a PACS search, as the DICOM matching keys a PACS expects.

Users type names as they read them ("Doe, Jane") and pick dates from a calendar or "last 7
days"; DICOM wants ``DOE^JANE*`` and ``20261201-20261207``. The translation lives here so the
viewer's dialog and any script share it, and nobody is shown caret syntax.
"""

from __future__ import annotations

import datetime as dt

# The date choices a search offers, as (label, days back from today; None for no filter,
# -1 for an explicit range).
DATE_CHOICES = (("Any date", None), ("Today", 0), ("Yesterday and today", 1),
                ("Last 7 days", 6), ("Last 30 days", 29), ("Between...", -1))


def dicom_date(day: dt.date) -> str:
    """A date as DICOM's DA (YYYYMMDD)."""
    return day.strftime("%Y%m%d")


def study_date_range(choice: str, today: dt.date, first: dt.date | None = None,
                     last: dt.date | None = None) -> str:
    """The StudyDate matching key for a date choice ('' for any date)."""
    days = dict(DATE_CHOICES)[choice]
    if days is None:
        return ""
    if days == -1:
        if first is None or last is None:
            raise ValueError("'Between...' needs both dates")
        first, last = min(first, last), max(first, last)
        return dicom_date(first) if first == last else f"{dicom_date(first)}-{dicom_date(last)}"
    if days == 0:
        return dicom_date(today)
    return f"{dicom_date(today - dt.timedelta(days=days))}-{dicom_date(today)}"


def name_pattern(text: str) -> str:
    """A typed name ("Doe, Jane", "doe jane", "Doe") as a DICOM PN wildcard match."""
    text = text.strip()
    if not text:
        return ""
    if "^" in text:  # already DICOM: left as typed
        return text
    parts = [p for p in text.replace(",", " ").split() if p]
    pattern = "^".join(parts[:2])  # family, given: what every PACS indexes
    return pattern if pattern.endswith("*") else pattern + "*"
