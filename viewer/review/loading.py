"""Opening series in the background: files, folders, the demo case, a queue, series choice."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMainWindow

from inference.errors import Cancelled, DcreviewError, MultipleSeriesError, NoSeriesChosenError
from inference.io.loader import open_volume
from inference.pacs import cache
from inference.pacs.nodes import SCHEME
from inference.series.pairing import comparison_chooser, pick_comparison, pick_input
from inference.series.study import classify_study
from inference.synthesis.card import default_target
from viewer.model.layout import Role
from viewer.review.jobs import BackgroundJob, DialogProgress, StatusProgress
from viewer.review.settings import ViewerSettings

log = logging.getLogger(__name__)

OPEN_TITLES = {Role.BASE: "Opening", Role.OVERLAY: "Opening digital contrast",
               Role.COMPARE: "Opening real contrast"}
FILE_FILTER = ("Images (*.dcm *.nii *.nii.gz *.nrrd *.nhdr *.mha *.mhd *.zip DICOMDIR);;"
               "All files (*)")


class Loader(QObject):
    """Loads one series at a time for a role; ``loaded`` hands over the result."""

    loaded = Signal(object, object, object)  # LoadResult, Role, source Path (None: demo)
    opening = Signal(str)  # "Opening <study>...": a study load started (for the start page)

    def __init__(self, parent: QMainWindow, settings: ViewerSettings,
                 show_error: Callable[[str, str], object],
                 show_status: Callable[[str, int], None]) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.settings = settings
        self.show_error = show_error
        self.show_status = show_status
        self.job = BackgroundJob(DialogProgress(parent), self)
        self.job.finished.connect(self._on_loaded)
        self.job.failed.connect(self._on_failed)
        # PACS retrievals report in the status bar (with Cancel), not in a modal dialog: the
        # case on screen stays readable while the next one arrives.
        self.pacs_job = BackgroundJob(StatusProgress(parent.statusBar(), "Retrieving"), self)
        self.pacs_job.finished.connect(self._on_pacs_loaded)
        self.pacs_job.failed.connect(self._on_failed)
        self._pacs_source: Path | None = None
        self._pending: tuple[Path | None, Role, str | None] | None = None
        self._queue: list[tuple[str | Path, Role, str | None]] = []
        # The real contrast series of the study just opened, offered for comparison.
        self.offer: tuple[Path, str, str] | None = None  # (study, series UID, why)
        self.act_offer = QAction("Compare with the real contrast series of this study", self)
        self.act_offer.setEnabled(False)
        self.act_offer.triggered.connect(self.accept_offer)
        self.target_phase = default_target()  # the installed model card's
        self._found_offer: list = []

    # -- asking the user -------------------------------------------------------------------
    def choose_folder(self) -> None:
        """Ask for a DICOM folder and open it as the non-contrast series."""
        folder = QFileDialog.getExistingDirectory(self.parent_widget, "Open DICOM folder",
                                                  self.settings.last_folder)
        if folder:
            self.load(folder)

    def choose_file(self, role: Role = Role.BASE, base_open: bool = True) -> None:
        """Ask for a file and open it in ``role``."""
        if role is not Role.BASE and not base_open:
            self.show_error("Open the non-contrast series first",
                            "Open the non-contrast study before adding a series to compare.")
            return
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget,
            f"{OPEN_TITLES[role]}: choose a file (or cancel and use Open folder)",
            self.settings.last_folder, FILE_FILTER)
        if path:
            self.load(path, role)

    # -- loading ---------------------------------------------------------------------------
    def load(self, path: str | Path, role: Role = Role.BASE, series: str | None = None) -> None:
        """Load a series for ``role`` in the background; the window stays responsive. A
        ``pacs://NODE/STUDY/SERIES`` location (a catalogue's) is retrieved first."""
        fetch = None
        if str(path).startswith(SCHEME):
            location = str(path)

            def fetch(progress, cancel) -> Path:
                from inference.pacs import client
                from inference.pacs.nodes import load_nodes

                return Path(client.resolve(location, load_nodes(), progress=progress,
                                           cancel=cancel))
            path = cache.series_dir(location.rsplit("/", 1)[-1])  # where it will lie
        path = Path(path)
        found_offer: list = []
        target = self.target_phase

        def choose_base(study):
            # One classification of the study: the plain input and the real contrast to offer.
            found = classify_study(study)
            base, why = pick_input(found)
            other, why_other = pick_comparison(found, base, target)
            if base is not None and other is not None:
                found_offer.append((path, other.series.series_uid, why_other))
            return (base.series if base else None), why

        choose = choose_base if role is Role.BASE else comparison_chooser(target)

        def job(progress, cancel):
            where = fetch(progress, cancel) if fetch else path
            return open_volume(where, series=series, progress=progress, cancel=cancel,
                               choose=choose)

        self._pending = (path, role, series)
        self._found_offer = found_offer
        if fetch is None:  # the PACS cache is no folder to browse from
            self.settings.last_folder = str(path if path.is_dir() else path.parent)
        self.job.start(job, f"{OPEN_TITLES[role]} {path.name}")
        if role is Role.BASE:
            self.opening.emit(f"Opening {path}...")

    def load_from_pacs(self, node, study_uid: str, series_uid: str,
                       expected: int | None = None) -> None:
        """Retrieve one series into the cache in the background, then open it (a series that
        did not arrive whole is never opened)."""
        from inference.pacs import client

        self._retrieve_and_open(series_uid, f"Retrieving from {node.name}", lambda p, c: (
            client.retrieve(node, study_uid, series_uid, expected=expected, progress=p,
                            cancel=c)))

    def load_study_from_pacs(self, node, study_uid: str, series_uid: str) -> None:
        """Retrieve every series of a study into the cache in the background, then open
        ``series_uid`` (the others open from the cache without a new download)."""
        from inference.pacs import client

        found_offer: list = []
        target = self.target_phase

        def fetch(progress, cancel) -> Path:
            retrieved = client.retrieve_study(node, study_uid, progress=progress,
                                              cancel=cancel)
            # Nothing to offer is no reason to stop: the series asked for still opens.
            with contextlib.suppress(DcreviewError):
                found_offer.extend(_study_offer([f for _, f in retrieved], series_uid, target))
            return next(f for row, f in retrieved if row["SeriesInstanceUID"] == series_uid)

        self._retrieve_and_open(series_uid, f"Retrieving the study from {node.name}", fetch)
        self._found_pacs_offer = found_offer

    def _retrieve_and_open(self, series_uid: str, title: str,
                           fetch: Callable[..., Path]) -> None:
        def job(progress, cancel):
            return open_volume(fetch(progress, cancel), progress=progress, cancel=cancel)

        # The cache folder is the series' source (DICOM exports find it there).
        self._pacs_source = cache.series_dir(series_uid)
        self._found_pacs_offer = []
        self.pacs_job.start(job, title)
        self.opening.emit(f"{title}...")

    def open_demo(self) -> None:
        """Open the built-in phantom case (generated into the user cache on first use)."""
        from inference.phantom.demo_case import ensure_demo_case

        def job(progress, cancel):
            case = ensure_demo_case(progress)
            cancel.raise_if_cancelled()
            return open_volume(case.noncontrast, progress=progress, cancel=cancel)

        self._pending = (None, Role.BASE, None)
        self.job.start(job, "Preparing the demo case")
        self.opening.emit("Preparing the demo case (a synthetic phantom)...")

    def queue(self, path: str | Path, role: Role, series: str | None = None) -> None:
        """Load after the current job finishes (e.g. the comparison scan after the study)."""
        if self.job.running:
            self._queue.append((path, role, series))  # a pacs:// location stays a string
        else:
            self.load(path, role, series)

    def cancel(self) -> None:
        """Stop the running load and retrieval."""
        self.job.cancel()
        self.pacs_job.cancel()

    def _on_pacs_loaded(self, result) -> None:
        self.offer = self._found_pacs_offer[0] if self._found_pacs_offer else None
        self.act_offer.setEnabled(self.offer is not None)
        self.loaded.emit(result, Role.BASE, self._pacs_source)
        if self.offer is not None:
            self.show_status(f"Offered for comparison (File menu): {self.offer[2]}", 30000)

    def accept_offer(self) -> None:
        """Open the offered real contrast series for comparison."""
        if self.offer is not None:
            path, uid, _why = self.offer
            self.load(path, Role.COMPARE, series=uid)

    def _on_loaded(self, result) -> None:
        assert self._pending is not None
        path, role, _series = self._pending
        if role is Role.BASE:
            self.offer = self._found_offer[0] if self._found_offer else None
            self.act_offer.setEnabled(self.offer is not None)
        self.loaded.emit(result, role, path)
        if role is not Role.OVERLAY and result.choice:
            # Which series of the study was opened and why, then its warnings (kept in view).
            said = result.choice
            if role is Role.BASE and self.offer is not None:
                said += f". Offered for comparison (File menu): {self.offer[2]}"
            self.show_status(" - ".join([said, *result.warnings]), 30000)
        if self._queue and not self.job.running:
            self.load(*self._queue.pop(0))

    def _on_failed(self, exc: Exception) -> None:
        self._queue.clear()  # what was queued depended on this series
        if isinstance(exc, Cancelled):
            self.show_status("Loading cancelled", 5000)
        elif isinstance(exc, MultipleSeriesError):
            self._pick_series(exc)
        elif isinstance(exc, DcreviewError):
            self.show_error("Cannot open study", str(exc))
        else:
            log.error("unexpected error while loading: %s", type(exc).__name__)
            self.show_error("Unexpected error",
                            f"The study could not be opened ({type(exc).__name__}: {exc}).")

    def _pick_series(self, exc: MultipleSeriesError) -> None:
        if self._pending is None or self._pending[0] is None:
            return
        path, role, _series = self._pending
        labels = [desc for _, desc in exc.choices]
        prompt = "This folder holds several series:"
        if isinstance(exc, NoSeriesChosenError):  # classified, undecided: say what each is
            prompt = exc.reason.replace("; ", ";\n") + "\n\nChoose a series:"
        label, ok = QInputDialog.getItem(self.parent_widget, "Choose a series", prompt, labels,
                                         0, False)
        if ok:
            self.load(path, role, series=exc.choices[labels.index(label)][0])


def _study_offer(folders: list[Path], base_uid: str, target: str) -> list:
    """The real contrast series of a study retrieved series by series into the cache, to
    offer beside ``base_uid``: [(its folder, its UID, why)] or []."""
    from inference.io.dicom.discovery import StudyScan, scan

    where, series = {}, []
    for folder in folders:
        for s in scan(folder).series:
            where[s.series_uid] = folder
            series.append(s)
    found = classify_study(StudyScan(str(folders[0].parent), series))
    base = next((c for c in found if c.series.series_uid == base_uid), None)
    other, why = pick_comparison(found, base, target)
    return [(where[other.series.series_uid], other.series.series_uid, why)] if other else []
