"""What a case is and how it is run: plain, frozen values (a run never changes them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from inference.synthesis.card import ModelCard, default_card, load_card


@dataclass(frozen=True)
class CaseSpec:
    """One case: where its scans are (a path, or pacs://NODE/STUDY_UID/SERIES_UID)."""

    case_id: str
    noncontrast: str
    real: str | None = None
    roi: str | None = None
    series: str | None = None  # which series of a folder holding several

    def as_dict(self) -> dict:
        """For the ledger and the report."""
        return asdict(self)


@dataclass(frozen=True)
class CaseSettings:
    """How every case of a run is processed. ``key_fields`` are those that change an output
    (the ledger keys on them); the device, threads and carbon figures do not."""

    card: str = ""  # a model card's path; empty: the installed demo model
    device: str = "auto"
    threads: int | None = None
    evaluate: bool = False
    roi_labels: tuple[int, ...] = (9,)  # labels of the ROI in a case's label map
    threshold_hu: float = 150.0  # lumen threshold of the ROI's Dice
    dicom: bool = False  # also write a DICOM series (needs DICOM input)
    deidentify: bool = False
    country: str | None = None
    grid_intensity: float | None = None
    seed: int | None = None  # a diffusion or flow model's starting noise (None: the card's)

    def model_card(self) -> ModelCard:
        """The card this run uses (checksum verified)."""
        return load_card(self.card) if self.card else default_card()

    def key_fields(self) -> dict:
        """The settings that change an output."""
        return {"evaluate": self.evaluate, "roi_labels": list(self.roi_labels),
                "threshold_hu": self.threshold_hu, "dicom": self.dicom,
                "deidentify": self.deidentify,
                **({} if self.seed is None else {"seed": self.seed})}
