"""The grid of views for the current layout; keeps views alive across layout switches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QWidget
from vtkmodules.vtkRenderingCore import vtkCamera

from viewer.model import provenance
from viewer.model.layout import Cell, Layout, Role, cells
from viewer.model.orientation import Plane
from viewer.model.state import ViewerState
from viewer.model.window_level import WindowLevel
from viewer.pixels.layers import OverlayPixels
from viewer.views import active_frame
from viewer.views.screenshot import capture, compose_grid
from viewer.views.slice_view import SliceView
from viewer.views.volume_view import VolumeView


class ViewGrid(QWidget):
    """Lays out SliceViews (and the 3-D view) for ``state.layout`` and keeps them in sync."""

    hovered = Signal(object)  # world point or None
    note_requested = Signal(object)  # Annotation (a note waiting for its text)
    details_requested = Signal()  # the domain warning of a view was clicked

    def __init__(self, state: ViewerState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(2)
        self.pixels = OverlayPixels()
        self.cameras = {p: vtkCamera() for p in Plane}
        self._views: dict[tuple, SliceView] = {}
        self.volume_view: VolumeView | None = None
        self.focus_plane = Plane.AXIAL
        self.maximised: QWidget | None = None
        self._cameras_fitted = False
        self._fits: dict[Plane, float] = {}  # each plane's fit scale when last fitted
        self._refit_timer = QTimer(self)
        self._refit_timer.setSingleShot(True)
        self._refit_timer.setInterval(0)  # after the layout settles, once per burst
        self._refit_timer.timeout.connect(self.refit)
        state.volumes_changed.connect(self._on_volumes)
        state.cursor_changed.connect(self._on_cursor)
        state.window_changed.connect(self._on_window)
        # Visibility changes labels and the 3-D view; the rest only recompose the slices.
        state.overlay_visible_changed.connect(lambda _v: self._on_overlay_visible())
        state.overlay_mode_changed.connect(lambda _m: self._on_overlay_pixels())
        state.overlay_opacity_changed.connect(lambda _o: self._on_overlay_pixels())
        state.enhancement_threshold_changed.connect(lambda _t: self._on_overlay_pixels(False))
        state.difference_threshold_changed.connect(lambda _t: self._on_overlay_pixels(False))
        state.swipe_position_changed.connect(lambda _s: self._on_overlay_pixels(False))
        state.uncertainty_changed.connect(lambda _u: self._on_overlay_pixels(False))
        state.map_smoothing_changed.connect(lambda _s: self._on_overlay_pixels(False))
        state.layout_changed.connect(lambda _layout: self.rebuild())
        state.annotations.changed.connect(lambda: self.render_all(slices_only=True))
        state.annotations.selection_changed.connect(
            lambda _id: self.render_all(slices_only=True))
        state.annotations.tool_changed.connect(self._on_tool)
        self.rebuild()

    # -- views ---------------------------------------------------------------------------------
    @property
    def cells(self) -> list[Cell]:
        """Cells of the current layout."""
        roles = self.state.roles() or (Role.BASE,)
        return cells(self.state.layout, self.focus_plane, roles)

    def _view_for(self, cell: Cell) -> QWidget:
        if cell.plane is None:
            if self.volume_view is None:
                self.volume_view = VolumeView(self)
            return self.volume_view
        key = (cell.plane, cell.role, cell.overlay)
        view = self._views.get(key)
        if view is None:
            view = SliceView(cell, self.state, self.cameras[cell.plane], self.pixels, self)
            view.hovered.connect(self.hovered.emit)
            view.note_requested.connect(self.note_requested.emit)
            view.details_requested.connect(self.details_requested.emit)
            view.maximise_requested.connect(lambda v=view: self.toggle_maximise(v))
            view.resized.connect(self._refit_timer.start)
            view.activated.connect(lambda v=view: self.set_active(v))
            self._views[key] = view
            view.refresh_content()
        view.cell = cell
        return view

    def slice_views(self) -> list[SliceView]:
        """The slice views shown in the current layout, in grid order."""
        return [w for w in self.visible_widgets() if isinstance(w, SliceView)]

    def visible_widgets(self) -> list[QWidget]:
        """Every view widget in the current layout, in grid order."""
        out = []
        for n in range(self.grid.count()):
            w = self.grid.itemAt(n).widget()
            if w is not None and w.isVisibleTo(self):
                out.append(w)
        return out

    def view(self, plane: Plane, role: Role = Role.BASE) -> SliceView:
        """The visible view of ``plane`` showing ``role``."""
        for v in self.slice_views():
            if v.plane is plane and v.cell.role is role:
                return v
        raise KeyError(f"no {plane.value} view of {role.value} in this layout")

    def rebuild(self) -> None:
        """Place the views of the current layout in the grid (reusing existing views)."""
        self.maximised = None
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
        for r in range(4):
            self.grid.setRowStretch(r, 0)
            self.grid.setColumnStretch(r, 0)
        for cell in self.cells:
            widget = self._view_for(cell)
            self.grid.addWidget(widget, cell.row, cell.col)
            self.grid.setRowStretch(cell.row, 1)
            self.grid.setColumnStretch(cell.col, 1)
            widget.show()
        self._after_show()

    def set_active(self, view: SliceView | None) -> None:
        """Mark ``view`` as the active viewport (framed); the others lose the frame."""
        for v in self._views.values():
            active_frame.set_active(v, v is view)

    @property
    def active_view(self) -> SliceView | None:
        """The framed viewport, if any."""
        return next((v for v in self._views.values() if active_frame.is_active(v)), None)

    def _after_show(self) -> None:
        shown = self.slice_views()
        if shown and self.active_view not in shown:
            self.set_active(shown[0])  # a layout opens with its first view active
        for v in self.slice_views():
            v.refresh_cursor()
        self._refresh_volume_view()
        self.render_all()
        # View sizes settle only after Qt has laid the grid out: fit the cameras then.
        QTimer.singleShot(0, self._fit_after_layout)

    def _fit_after_layout(self) -> None:
        if self.state.base is not None:
            self.reset_cameras()
            self.render_all()

    def set_focus_plane(self, plane: Plane) -> None:
        """The plane the 1x1 and compare layouts show (MPR on demand)."""
        if plane is not self.focus_plane:
            self.focus_plane = plane
            self.rebuild()

    def toggle_maximise(self, widget: QWidget) -> None:
        """Double click: show only this view, or restore the layout."""
        if self.maximised is widget:
            self.rebuild()
            return
        for w in self.visible_widgets():
            if w is not widget:
                w.hide()
        self.maximised = widget
        if isinstance(widget, SliceView):
            self.focus_plane = widget.plane
        self.render_all()

    # -- state changes ---------------------------------------------------------------------------
    def _on_volumes(self, role: Role) -> None:
        if self.state.layout is Layout.COMPARE:
            self.rebuild()
        for v in self._views.values():
            v.refresh_content()
        if role is Role.BASE and self.state.base is not None:
            self.reset_cameras()
        self._refresh_volume_view()
        self.render_all()

    def _on_cursor(self, _cursor: np.ndarray, _source: object) -> None:
        # Hidden views catch up when a layout shows them again (see _after_show).
        for v in self.slice_views():
            v.refresh_cursor()
        self.render_all(slices_only=True)

    def _on_window(self, _window: WindowLevel) -> None:
        # Hidden views catch up when a layout shows them again (refresh_cursor in _after_show).
        for v in self.slice_views():
            v.update_info()
        self.render_all(slices_only=True)

    def _on_overlay_visible(self) -> None:
        for v in self._views.values():
            v.refresh_overlay()
        self._refresh_volume_view()
        self.render_all()

    def _on_overlay_pixels(self, text_changes: bool = True) -> None:
        # The corner text names the mode and the opacity; threshold and swipe are pixels only.
        if text_changes:
            for v in self.slice_views():
                v.update_info()
        self.render_all(slices_only=True)

    def cancel_drafts(self) -> bool:
        """Drop every half-drawn shape; returns whether there was one."""
        drafting = [v for v in self._views.values() if v.drafting]
        for v in drafting:
            v.cancel_draft()
        return bool(drafting)

    def _on_tool(self, tool) -> None:
        for v in self._views.values():
            v.canvas.setCursor(Qt.CursorShape.CrossCursor if tool is not None
                               else Qt.CursorShape.ArrowCursor)
            if v.drafting:
                v.cancel_draft()

    def _refresh_volume_view(self) -> None:
        if self.volume_view is None or not self.volume_view.isVisibleTo(self):
            return
        st = self.state
        shown = st.overlay if (st.overlay is not None and st.overlay_visible) else st.base
        title = "volume" if shown is None else provenance.series_name(st, shown, "volume")
        self.volume_view.show_volume(shown, provenance.volume_banner(st, shown), title)

    def reset_cameras(self) -> None:
        """Fit every plane's shared camera so its series fits each visible view of the plane.

        Only views of the current layout count: a hidden view keeps the size of the layout it
        was last shown in, and fitting to it gave postage stamps.
        """
        for plane, views in self._shown_by_plane().items():
            base = next((v for v in views if v.cell.role is Role.BASE), views[0])
            self._fits[plane] = max(v.fit_scale() for v in views)
            base.reset_camera(self._fits[plane])

    def _shown_by_plane(self) -> dict[Plane, list[SliceView]]:
        by_plane: dict[Plane, list[SliceView]] = {}
        for v in self.slice_views():
            if v.volume is not None:
                by_plane.setdefault(v.plane, []).append(v)
        return by_plane

    def refit(self) -> None:
        """The one fit rule for every change of a view's size (a dock opened or closed, the
        window resized): each plane keeps its zoom relative to the fit, so a fitted image
        stays whole and a zoomed one stays as zoomed."""
        changed = False
        for plane, views in self._shown_by_plane().items():
            fit = max(v.fit_scale() for v in views)
            old = self._fits.get(plane)
            camera = self.cameras[plane]
            if old and fit > 0 and abs(fit - old) > 1e-9:
                camera.SetParallelScale(camera.GetParallelScale() * fit / old)
                changed = True
            self._fits[plane] = fit
        if changed:
            self.render_all(slices_only=True)

    def set_crosshair_visible(self, visible: bool) -> None:
        """Show or hide the crosshair in every view."""
        for v in self._views.values():
            v.set_crosshair_visible(visible)
        self.render_all(slices_only=True)

    def render_all(self, slices_only: bool = False) -> None:
        """Redraw the visible views (once, at the end, while ``held``)."""
        if self._held:
            self._pending = "all" if not slices_only or self._pending == "all" else "slices"
            return
        for w in self.visible_widgets():
            if isinstance(w, SliceView) or not slices_only:
                w.render()

    _held = 0
    _pending: str | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """Changes made inside draw once at the end: showing a series fires five events,
        each of which redrew every view (18 software-GL frames, about 80 ms on the GUI
        thread when a study opens)."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._pending is not None:
                slices_only, self._pending = self._pending == "slices", None
                self.render_all(slices_only)

    def capture(self) -> np.ndarray:
        """RGB pixels of the visible views arranged as on screen."""
        tiles = []
        for w in self.visible_widgets():
            pos = self.grid.getItemPosition(self.grid.indexOf(w))
            tiles.append((pos[0], pos[1], capture(w.render_window)))
        return compose_grid(tiles)

    def close_views(self) -> None:
        """Release every render window (before the window closes)."""
        for v in self._views.values():
            v.render_window.Finalize()
        if self.volume_view is not None:
            self.volume_view.render_window.Finalize()
