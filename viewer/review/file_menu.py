"""The File menu: its actions (also the start page's buttons), the recent studies and the
start screen that shows until a study is open."""

from __future__ import annotations

from PySide6.QtGui import QAction

from viewer.model.layout import Role
from viewer.model.shortcuts import key
from viewer.review import repository_dialog
from viewer.review.start_page import StartScreen


def file_actions(window) -> dict[str, QAction]:
    """The File menu's opening and sending actions, by name."""
    loader = window.loader
    return {name: window._action(text, slot, shortcut) for name, text, shortcut, slot in (
        ("folder", "Open &folder...", key("open_folder"), loader.choose_folder),
        ("file", "Open f&ile (DICOM, NIfTI, NRRD, zip)...", key("open_file"),
         loader.choose_file),
        ("demo", "Open &demo case (synthetic phantom)", None, window.open_demo),
        ("compare", "Open real &contrast scan for comparison...", None,
         lambda: loader.choose_file(Role.COMPARE, window.state.base is not None)),
        ("overlay", "Open digital contrast &volume (overlay)...", None,
         lambda: loader.choose_file(Role.OVERLAY, window.state.base is not None)),
        ("pacs", "Open from &PACS...", None, window.show_pacs_dialog),
        ("batch", "Open &batch results...", None, lambda: window.batch.choose()),
        ("send", "&Send results to PACS (digital contrast, annotations)...", None,
         lambda: window.pacs_send.choose()),
    )}


def connect_start_screen(window) -> None:
    """The start page's buttons are the File menu's; it says what a loading study is."""
    a = window.file_actions
    screen: StartScreen = window.start
    screen.page.set_actions([a["folder"], a["file"], a["demo"], a["pacs"]])
    window.loader.opening.connect(screen.page.set_opening)
    for job in (window.loader.job, window.loader.pacs_job):
        job.failed.connect(lambda _exc: screen.follow())


def build_file_menu(window) -> None:
    """The File menu, in reading order: open, recent, save and export, quit."""
    menu = window.menuBar().addMenu("&File")
    for action in window.file_actions.values():
        menu.addAction(action)
    window.recent_menu = menu.addMenu("&Recent studies")
    rebuild_recent(window)
    for act in (window.loader.act_offer, window.act_screenshot, window.act_export_dicom,
                window.act_export_dicom_deid, window.act_export_image,
                window.annotate.act_import, repository_dialog.open_action(window)):
        menu.addAction(act)
    menu.addAction(window._action("&Quit", window.close, key("quit")))


def rebuild_recent(window) -> None:
    """File > Recent studies and the start page's list, from the settings."""
    recent = window.settings.recent()
    window.recent_menu.clear()
    for path in recent:
        action = window.recent_menu.addAction(path)
        action.triggered.connect(lambda _=False, p=path: window.load(p))
    window.recent_menu.setEnabled(bool(recent))
    window.start.page.set_recent(recent)
