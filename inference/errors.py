"""Errors a radiologist can read: every loader failure is one of these, never a traceback."""

from __future__ import annotations

from collections.abc import Sequence


class StudyError(Exception):
    """Base of every user-facing error in dcreview's engine; ``str()`` is the message to show."""


class LoadCancelled(StudyError):
    """The user cancelled loading."""

    def __init__(self) -> None:
        super().__init__("cancelled")


class NotDicomError(StudyError):
    """A single file given by the user is not DICOM (nor another supported image format)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"file {name} is not DICOM or a supported image file")
        self.name = name


class NoImagesError(StudyError):
    """Nothing loadable was found where the user pointed."""

    def __init__(self, where: str, skipped: int = 0) -> None:
        extra = f" ({skipped} unreadable or non-image files skipped)" if skipped else ""
        super().__init__(f"no CT images found in {where}{extra}")


class MultipleSeriesError(StudyError):
    """The folder holds several series; the caller must choose one from ``choices``."""

    def __init__(self, choices: Sequence[tuple[str, str]]) -> None:
        n = len(choices)
        listing = "; ".join(desc for _, desc in choices)
        super().__init__(f"folder contains {n} series; choose one ({listing})")
        self.choices = list(choices)

    def __reduce__(self):
        return (type(self), (self.choices,))


class SeriesNotFoundError(StudyError):
    """A requested series UID or number is not in the study."""


class WrongModalityError(StudyError):
    """The chosen series is not CT."""

    def __init__(self, modality: str) -> None:
        super().__init__(f"series is {modality or 'of unknown modality'}, not CT")
        self.modality = modality


class MissingSlicesError(StudyError):
    """One or more slices are missing from an otherwise regular stack."""

    def __init__(self, first_missing: int, total: int, gap_mm: float, expected_mm: float,
                 n_missing: int = 1) -> None:
        more = f" and {n_missing - 1} more" if n_missing > 1 else ""
        super().__init__(
            f"slice {first_missing} of {total} is missing{more} "
            f"(gap {gap_mm:.1f} mm where {expected_mm:.2f} mm expected)"
        )
        self.first_missing = first_missing
        self.total = total
        self.n_missing = n_missing


class IrregularSpacingError(StudyError):
    """Slice spacing varies in a way that is not explained by missing slices."""


class InconsistentSeriesError(StudyError):
    """Images in one series cannot form a single volume (no consistent stack)."""


class DecodeError(StudyError):
    """Pixel data could not be decoded (unsupported or corrupt compression)."""


class UnsupportedFormatError(StudyError):
    """The file or folder is of a kind dcreview cannot open."""
