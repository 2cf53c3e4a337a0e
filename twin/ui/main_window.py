"""The main window: the 3D view in the middle, the facility tree and the inspector in docks,
declared menus (``twin.ui.actions``), a status bar, one ``ViewState`` and one ``Session``.

The window ticks its session on a timer and shows the frames the session emits; extensions
(replay, thermal view, editor, live status) contribute actions and docks through
``window.actions`` and ``add_dock`` and listen to ``window.session`` and ``window.view``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QMainWindow,
    QScrollArea,
    QToolBar,
    QWidget,
)
from pyvistaqt import QtInteractor

from twin.model import units
from twin.model.facility import Facility
from twin.render.colour_modes import apply_mode
from twin.render.interactive import use_interactive_rendering
from twin.render.navigation import Navigation
from twin.render.scene import Scene
from twin.session import Session
from twin.ui import dock_layout, window_actions
from twin.ui.actions import ActionRegistry
from twin.ui.describe import Loads, live_rows, modelled_here
from twin.ui.dock_layout import DEFAULT_SIZE_PX
from twin.ui.inspector import Inspector
from twin.ui.interactor import close_interactor
from twin.ui.loading import LayoutLoader
from twin.ui.recent import RecentFiles
from twin.ui.tree import FacilityTree
from twin.ui.window_parts import DialogsMixin, LoadingMixin, SelectionMixin
from twin.viewstate import ViewState

TICK_MS = 50  # the session's frame pump; a tick with nothing new costs microseconds


class MainWindow(LoadingMixin, SelectionMixin, DialogsMixin, QMainWindow):
    layout_loaded = Signal(object)  # Facility
    selection_changed = Signal(str, int)  # kind ("" when cleared), index
    frame_shown = Signal(object)  # Frame

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings("Twin", "Twin")
        self.setWindowTitle("Twin")
        self.setAcceptDrops(True)
        self.resize(*DEFAULT_SIZE_PX)
        self.setDockNestingEnabled(True)
        self.facility: Facility | None = None
        self.loads: Loads | None = None
        self.scene: Scene | None = None
        self.session: Session | None = None
        self.view = ViewState()
        self.last_frame = None
        self._loading: Path | None = None
        #: Called before a layout is replaced; any returning False keeps the current one.
        self.open_guards: list[Callable[[], bool]] = []
        #: Called by Playback › Pause / Play; the first returning True handled it (a replay
        #: plays or pauses itself); otherwise live updates are held or released.
        self.pause_handlers: list[Callable[[], bool]] = []

        self._build_view()
        self._build_panels()
        self._build_status()
        self._bind_view()

        self.tree.item_selected.connect(lambda k, i: self.select(k, i, origin="tree"))
        self.inspector.navigate.connect(self.select_id)
        self.loader = LayoutLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self._tick_timer = QTimer(self, interval=TICK_MS)
        self._tick_timer.timeout.connect(self._tick)
        self._update_actions()
        from twin.ui.extensions import install_extensions
        from twin.ui.solver_relay import SolverRelay

        #: the one background solver of this window (thermal view, editor, what-if)
        self.solver = SolverRelay(self)
        self.extensions = install_extensions(self)
        dock_layout.arrange_default(self)
        #: whether the user's own arrangement was put back (else the default is sized on show)
        self.restored_layout = dock_layout.restore(self)
        self._sized = self.restored_layout

    def _build_view(self) -> None:
        """The 3D view in the middle and how the mouse moves its camera."""
        # no periodic redraw: the scene renders after each change, and a 5 Hz redraw of a large
        # hall under software OpenGL starves the background thermal solve of CPU
        self.plotter = QtInteractor(self, auto_update=False)
        use_interactive_rendering(self.plotter)
        self.setCentralWidget(self.plotter)
        # a hall engineer's camera (turntable, zoom to the cursor, pan along the floor); the
        # scene draws its far level while the camera moves; a click picks, a double click
        # flies to the item
        self.navigation = Navigation(
            self.plotter,
            on_motion=self._camera_moving,
            on_click=self.pick_at,
            on_double_click=self.fly_to,
        )

    def _build_panels(self) -> None:
        """Menus, toolbars and actions; the Facility tree and the Inspector docks."""
        self.action_registry = ActionRegistry(self)
        self.menus = self.action_registry.menus
        self.toolbars = self.action_registry.toolbars
        self.docks: dict[str, QDockWidget] = {}
        self.tree = FacilityTree(self)
        self.tree.gpu_uuids = self.known_gpu_uuids
        self.inspector = Inspector(self)
        window_actions.declare(self)
        self.recent = RecentFiles(self.settings, self.menus["File/Open Recent"], self.open_layout)
        self.add_dock(self.tree, "Facility", Qt.DockWidgetArea.LeftDockWidgetArea, "facility")
        self.add_dock(
            self.inspector, "Inspector", Qt.DockWidgetArea.RightDockWidgetArea, "inspector"
        )

    # ------------------------------------------------------------------ extension API
    def add_dock(
        self,
        widget: QWidget,
        title: str,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
        name: str | None = None,
        scroll: bool = False,
    ) -> QDockWidget:
        """Put a widget in a dock and list it under View › Panels. ``scroll``: in a scroll
        area, so that a dock sharing a short column scrolls instead of cutting its text off."""
        name = name or title.lower().replace(" ", "_")
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        if scroll:
            box = QScrollArea()
            box.setWidgetResizable(True)
            box.setFrameShape(QFrame.Shape.NoFrame)
            box.setWidget(widget)
            # up and down only: as wide as the contents need, so text wraps to what shows
            box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            bar = box.verticalScrollBar().sizeHint().width()
            box.setMinimumWidth(widget.minimumSizeHint().width() + bar)
            widget = box
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        self.menus["View/Panels"].addAction(dock.toggleViewAction())
        return dock

    def add_toolbar(self, name: str) -> QToolBar:
        return self.action_registry.toolbar(name)

    @property
    def source(self):
        """The session's telemetry source (None without one)."""
        return self.session.source if self.session is not None else None

    # ------------------------------------------------------------------ view state
    def _bind_view(self) -> None:
        v = self.view
        v.events.gpu_metric.connect(self._on_gpu_metric)
        v.events.design_colouring.connect(self._on_design_colouring)
        v.events.layers.connect(self._on_layers)
        v.events.live_paused.connect(lambda _p: self._show_source_status())

    def _on_gpu_metric(self, metric: str) -> None:
        if self.scene is None:
            return
        self.scene.gpu_metric = metric
        if self.last_frame is not None and self.scene.update(self.last_frame):
            self.plotter.render()

    def _on_design_colouring(self, name: str) -> None:
        """Show a design colouring or a colour-mode plugin (which may read the frame); a
        plugin that fails is reported and the colouring goes back to none."""
        if self.scene is None:
            return
        from twin.model.metrics import DESIGN_COLOURINGS

        target = DESIGN_COLOURINGS[name].target if name in DESIGN_COLOURINGS else "both"
        if target in ("rack", "both"):
            self.scene.clear_rack_values()
        if target in ("gpu", "both"):
            self.scene.clear_gpu_values()
        try:
            apply_mode(self.scene, name, self.last_frame)
        except ValueError as exc:
            self.statusBar().showMessage(f"Colour By: {exc}", 8000)
            self.view.design_colouring = "none"
        self.plotter.render()

    def _on_layers(self, layers: dict[str, bool]) -> None:
        if self.scene is None:
            return
        for name, on in layers.items():
            if name in self.scene.layers and self.scene.is_visible(name) != on:
                self.scene.set_visible(name, on)
        self.plotter.render()

    def set_colouring(self, name: str) -> None:
        self.view.set_design_colouring(name)

    def set_live_metric(self, metric: str) -> None:
        """Which frame.gpu metric colours the GPUs (``twin.model.metrics.GPU_METRICS``)."""
        self.view.set_gpu_metric(metric)

    def set_layer_visible(self, name: str, on: bool) -> None:
        self.view.set_layer(name, on)

    # ------------------------------------------------------------------ facility
    def set_facility(
        self, facility: Facility, loads: Loads | None = None, *, same_layout: bool = False
    ) -> None:
        """Show a facility, replacing the current one. ``same_layout``: an edit of the open
        layout (the editor's rebuild): the telemetry keeps running, mapped onto the new
        racks, and the selection is cleared. Otherwise the source stops."""
        if self.scene is not None:
            self.scene.remove()
        self.plotter.clear()
        self.facility = facility
        self.loads = loads or Loads.of(facility)
        self.last_frame = None
        if self.session is None:
            self.session = Session(facility)
            self._connect_session(self.session)
        elif same_layout:
            self.session.set_facility(facility)
        else:
            self.session.stop_source()
            self.session.set_facility(facility)
        self.view.reset_for_layout()
        self.scene = Scene(facility, self.plotter)
        self.scene.gpu_metric = self.view.gpu_metric
        if not same_layout:
            self.scene.view_iso()
        self._sync_layer_actions()
        if self.view.design_colouring != "none":
            self._on_design_colouring(self.view.design_colouring)
        self._fill_rows_menu()
        self.tree.set_facility(facility)
        self.inspector.show_item(None, None)
        self.setWindowTitle(
            f"{facility.layout.name} — Twin" + (f" ({facility.path.name})" if facility.path else "")
        )
        self._update_status()
        self._update_actions()
        self.plotter.render()
        self.layout_loaded.emit(facility)

    def _sync_layer_actions(self) -> None:
        """Layer actions show the scene's layers; a choice the user made earlier applies."""
        scene = self.scene
        for name, on in self.view.layers.items():
            if name in scene.layers:
                scene.set_visible(name, on)
        for aid, act in self.action_registry.actions.items():
            if not aid.startswith("view.layer."):
                continue
            name = aid.removeprefix("view.layer.")
            act.blockSignals(True)
            act.setEnabled(name in scene.layers)
            act.setChecked(name in scene.layers and scene.is_visible(name))
            act.blockSignals(False)

    # ------------------------------------------------------------------ telemetry
    def _connect_session(self, session: Session) -> None:
        session.frame.connect(self._on_session_frame)
        session.status.connect(self._on_session_status)
        session.source_changed.connect(self._on_source_changed)

    def set_source(self, source, start: bool = True) -> None:
        """Show frames of a telemetry source (``twin.telemetry.source.Source``) built for the
        open facility; the session polls it and each frame recolours the scene in place."""
        if self.session is None:
            raise RuntimeError("open a layout before attaching a source")
        self.session.set_source(source, start=start)
        self.view.live_paused = False

    def stop_source(self) -> None:
        """Detach the source without waiting for its thread: a request stuck on a dead server
        must not freeze the window; the thread ends on its own."""
        if self.session is not None:
            self.session.stop_source()

    def _on_source_changed(self, source) -> None:
        if source is None:
            self._tick_timer.stop()
        else:
            self._tick_timer.start()
        self._update_actions()

    def _tick(self) -> None:
        session = self.session
        if session is None:
            return
        session.tick()
        # a source's failure or dropped frame, said once (the session never raises them);
        # a failure stays until the next message, as the source stays stopped
        problem = session.take_source_problem()
        if problem:
            self.statusBar().showMessage(problem, 0 if session.source_failure else 15000)

    def toggle_pause(self) -> None:
        for handler in self.pause_handlers:
            if handler():
                return
        if self.source is not None:
            self.view.live_paused = not self.view.live_paused

    def _on_session_frame(self, frame) -> None:
        if not self.view.live_paused:
            self.show_frame(frame)

    def show_frame(self, frame) -> None:
        """Apply one frame to the scene and the inspector."""
        self.last_frame = frame
        if self.scene is not None and self.scene.update(frame):
            self.plotter.render()
        if self.view.selection is not None:
            self._show_inspector()
        self.frame_shown.emit(frame)

    def _on_session_status(self, status) -> None:
        self._show_source_status(status)

    def _show_source_status(self, st=None) -> None:
        """The status-bar text of ``st`` (the status the session just emitted; asked of the
        session only when the pause state changes between ticks)."""
        if st is None and self.session is not None:
            st = self.session.source_status()
        if st is None:
            self.status_source.setText("")
            return
        text = f"Source: {st.state}"
        if st.age_s is not None:
            text += f", {st.age_s:.0f} s old"
        if self.view.live_paused:
            text += " (paused)"
        self.status_source.setText(text)

    def _show_inspector(self) -> None:
        sel = self.view.selection
        if sel is None or self.facility is None:
            return
        # what the item is doing now leads; the design figures follow
        modelled = modelled_here(self.session, sel.kind, sel.index)
        live = live_rows(self.last_frame, sel.kind, sel.index, self.facility, modelled)
        if sel.kind == "sensor":
            live += self._sensor_model_rows(sel.index)
        lead = [("Now", live)] if live else []
        self.inspector.show_item(self.facility, sel.kind, sel.index, self.loads, lead=lead)

    def _sensor_model_rows(self, index: int) -> list:
        """The thermal view's air at a point sensor, and the reading's difference from it:
        how far the twin is from what the site measures there."""
        from twin.ui.thermal_view import air_at_sensor

        view = self.extensions.get("thermal_view")
        model = air_at_sensor(view, index) if view is not None else None
        if model is None:
            return []
        rows = [("Model (thermal view)", f"{model:.1f} °C", None)]
        temps = self.last_frame.sensor.get("temp_c") if self.last_frame is not None else None
        if temps is not None and index < len(temps) and math.isfinite(temps[index]):
            difference = units.signed_text(float(temps[index]) - model)
            rows.append(("Reading − model", f"{difference} K", None))
        return rows

    # ------------------------------------------------------------------ enabling and closing
    def _update_actions(self) -> None:
        a = self.action_registry.actions
        has = self.scene is not None
        for aid in ("file.reload", "file.export_image", "view.top", "view.iso", "view.row"):
            a[aid].setEnabled(has)
        sel = self.view.selection is not None
        for aid in ("edit.copy_id", "edit.clear_selection", "view.frame"):
            a[aid].setEnabled(sel)
        a["file.open"].setEnabled(self._loading is None)
        live = self.source is not None
        a["playback.pause"].setEnabled(live)
        a["playback.disconnect"].setEnabled(live)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            # with the window as context: a window closed and deleted first is not sized
            QTimer.singleShot(0, self, lambda: dock_layout.size_default(self))

    def closeEvent(self, event) -> None:  # noqa: N802
        dock_layout.save(self)
        self._tick_timer.stop()
        if self.session is not None:
            self.session.close(timeout_s=0)
        self.solver.shutdown()
        self.loader.wait(10000)
        if self.scene is not None:
            self.scene.remove()
            self.scene = None
        close_interactor(self.plotter)
        super().closeEvent(event)
