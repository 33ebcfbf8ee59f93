"""Errors a person can read: every expected failure is one of these, never a traceback.

``DcreviewError`` is the root; its children name the activity that failed (loading a series,
a model, a reader study, an export, a registration), so a caller can catch one activity's
failures without catching another's.
"""

from __future__ import annotations

from collections.abc import Sequence


class DcreviewError(Exception):
    """Root of every user-facing error in dcreview; ``str()`` is the message to show."""


class Cancelled(DcreviewError):
    """The user cancelled a background job (loading, synthesis, registration)."""

    def __init__(self) -> None:
        super().__init__("cancelled")


class LoadError(DcreviewError):
    """A study, series or image file cannot be opened or shown as asked."""


class ModelError(DcreviewError):
    """A synthesis model cannot be used: card, checksum, session or output problem."""


class StudyProtocolError(DcreviewError):
    """A reader-study protocol file is invalid; ``problems`` lists every mistake."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("the study protocol has problems:\n- " + "\n- ".join(self.problems))


class ReaderStudyError(DcreviewError):
    """A reader-study folder or operation cannot go on (unknown reader, finished reading...)."""


class ExportError(DcreviewError):
    """Something cannot be exported as asked (nothing to export, wrong source...)."""


class EvaluationError(DcreviewError):
    """A digital contrast could not be compared with its real contrast scan."""


class RegistrationRefused(DcreviewError):
    """The two scans must not be registered (different patients, no overlap...)."""


class NotDicomError(LoadError):
    """A single file given by the user is not DICOM (nor another supported image format)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"file {name} is not DICOM or a supported image file")
        self.name = name


class NoImagesError(LoadError):
    """Nothing loadable was found where the user pointed."""

    def __init__(self, where: str, skipped: int = 0) -> None:
        extra = f" ({skipped} unreadable or non-image files skipped)" if skipped else ""
        super().__init__(f"no CT images found in {where}{extra}")


class MultipleSeriesError(LoadError):
    """The folder holds several series; the caller must choose one from ``choices``."""

    def __init__(self, choices: Sequence[tuple[str, str]]) -> None:
        n = len(choices)
        listing = "; ".join(desc for _, desc in choices)
        super().__init__(f"folder contains {n} series; choose one with --series N "
                         f"(1-{n}) or its UID: {listing}")
        self.choices = list(choices)

    def __reduce__(self):
        return (type(self), (self.choices,))


class NoSeriesChosenError(MultipleSeriesError):
    """A study's series were classified and none is fit for the role asked (a plain input):
    ``reason`` says what each one is; the user must choose."""

    def __init__(self, reason: str, choices: Sequence[tuple[str, str]]) -> None:
        LoadError.__init__(self, f"{reason}; choose one with --series N or its UID")
        self.reason = reason
        self.choices = list(choices)

    def __reduce__(self):
        return (type(self), (self.reason, self.choices))


class SeriesNotFoundError(LoadError):
    """A requested series UID or number is not in the study."""


class WrongModalityError(LoadError):
    """The chosen series is not CT."""

    def __init__(self, modality: str) -> None:
        super().__init__(f"series is {modality or 'of unknown modality'}, not CT")
        self.modality = modality


class MissingSlicesError(LoadError):
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


class IrregularSpacingError(LoadError):
    """Slice spacing varies in a way that is not explained by missing slices."""


class InconsistentSeriesError(LoadError):
    """Images in one series cannot form a single volume (no consistent stack)."""


class DecodeError(LoadError):
    """Pixel data could not be decoded (unsupported or corrupt compression)."""


class UnsupportedFormatError(LoadError):
    """The file or folder is of a kind dcreview cannot open."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's first message line (cut to ``limit``), or its type name when it has none:
    what a one-line error shows of a library's often multi-line text."""
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else type(exc).__name__
