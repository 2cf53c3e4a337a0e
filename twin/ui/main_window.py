"""The main window: the 3D view in the middle, the facility tree and the inspector in docks,
menus File/Edit/View/Playback/Tools/Help, a status bar, and one selection shared by all.

Extension points for later features (replay, editing, live sources):
``add_dock(widget, title)``, ``menus["Playback"]`` etc., ``add_toolbar(name)``,
``set_source(source)``, and the ``layout_loaded`` / ``selection_changed`` / ``frame_shown``
signals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QToolBar,
    QWidget,
)
from pyvistaqt import QtInteractor

from twin import __version__
from twin.model.facility import Facility
from twin.render.colour_modes import MODES, apply_mode
from twin.render.scene import Scene
from twin.ui.describe import Loads, item_id, live_rows
from twin.ui.inspector import Inspector
from twin.ui.loading import LayoutLoader
from twin.ui.tree import FacilityTree

LAYOUT_SUFFIXES = (".yaml", ".yml")
MAX_RECENT = 10
#: Layer names and the labels the View menu shows for them.
LAYER_LABELS = {
    "racks": "Racks",
    "gpus": "GPUs",
    "servers": "Server trays",
    "air_units": "Air units",
    "cdus": "CDUs",
    "power_devices": "Power devices",
    "power_links": "Power connections",
    "cooling_links": "Cooling connections",
    "supplies": "Floor tiles / diffusers",
    "returns": "Return grilles",
    "containment": "Containment",
    "sensors": "Sensors",
    "hall_labels": "Hall labels",
    "row_labels": "Row labels",
    "rack_labels": "Rack labels",
    "walls": "Walls",
    "floor": "Floor",
    "legend": "Legend",
}


#: Live GPU metrics the View menu offers (frame.gpu keys).
LIVE_GPU_METRICS = {
    "temp_c": "Temperature",
    "mem_temp_c": "HBM temperature",
    "power_w": "Power",
    "util_pct": "Utilisation",
    "sm_clock_mhz": "SM clock",
}


class MainWindow(QMainWindow):
    layout_loaded = Signal(object)  # Facility
    selection_changed = Signal(str, int)  # kind ("" when cleared), index
    frame_shown = Signal(object)  # Frame

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings("Twin", "Twin")
        self.setWindowTitle("Twin")
        self.setAcceptDrops(True)
        self.resize(1500, 950)
        self.facility: Facility | None = None
        self.loads: Loads | None = None
        self.scene: Scene | None = None
        self.source = None
        self.last_frame = None
        self.selection: tuple[str, int] | None = None
        self._loading: Path | None = None
        self._press_xy: tuple[int, int] | None = None

        # no periodic redraw: the scene renders after each change, and a 5 Hz redraw of a large
        # hall under software OpenGL starves the background thermal solve of CPU
        self.plotter = QtInteractor(self, auto_update=False)
        self.plotter.enable_anti_aliasing("fxaa")
        self.setCentralWidget(self.plotter)
        self.plotter.iren.add_observer("LeftButtonPressEvent", self._on_press)
        self.plotter.iren.add_observer("LeftButtonReleaseEvent", self._on_release)

        self.menus: dict[str, QMenu] = {}
        self.toolbars: dict[str, QToolBar] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.tree = FacilityTree(self)
        self.inspector = Inspector(self)
        self._build_menus()
        self.add_dock(self.tree, "Facility", Qt.DockWidgetArea.LeftDockWidgetArea, "facility")
        self.add_dock(
            self.inspector, "Inspector", Qt.DockWidgetArea.RightDockWidgetArea, "inspector"
        )
        self.resizeDocks(
            [self.docks["facility"], self.docks["inspector"]],
            [300, 420],
            Qt.Orientation.Horizontal,
        )
        self._build_toolbar()
        self._build_status()

        self.tree.item_selected.connect(lambda k, i: self.select(k, i, origin="tree"))
        self.inspector.navigate.connect(self.select_id)
        self.loader = LayoutLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self._poll_timer = QTimer(self, interval=200)
        self._poll_timer.timeout.connect(self._poll_source)
        self._update_recent_menu()
        self._update_actions()
        from twin.ui.extensions import install_extensions
        from twin.ui.solver_relay import SolverRelay

        #: the one background solver of this window (thermal view, editor, what-if)
        self.solver = SolverRelay(self)
        self.extensions = install_extensions(self)

    # ------------------------------------------------------------------ extension API
    def add_dock(
        self,
        widget: QWidget,
        title: str,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
        name: str | None = None,
    ) -> QDockWidget:
        """Put a widget in a dock and list it under View > Panels."""
        name = name or title.lower().replace(" ", "_")
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        self._panels_menu.addAction(dock.toggleViewAction())
        return dock

    def add_toolbar(self, name: str) -> QToolBar:
        bar = self.toolbars.get(name)
        if bar is None:
            bar = self.addToolBar(name)
            bar.setObjectName(f"toolbar_{name}")
            bar.setMovable(True)
            self.toolbars[name] = bar
        return bar

    def _action(self, menu: str, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        self.menus[menu].addAction(act)
        return act

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        bar = self.menuBar()
        for name in ("File", "Edit", "View", "Playback", "Tools", "Help"):
            self.menus[name] = bar.addMenu(f"&{name}")
        S = QKeySequence.StandardKey
        self.act_open = self._action("File", "&Open Layout…", self.open_dialog, S.Open)
        self.recent_menu = self.menus["File"].addMenu("Open &Recent")
        self.act_reload = self._action("File", "Re&load", self.reload, S.Refresh)
        self.menus["File"].addSeparator()
        self.act_export = self._action(
            "File", "&Export Image…", self.export_image, "Ctrl+Shift+E", "Save the 3D view as PNG"
        )
        self.menus["File"].addSeparator()
        self._action("File", "&Quit", self.close, S.Quit)

        self.act_copy = self._action("Edit", "&Copy Item Id", self.copy_selection, S.Copy)
        self._action("Edit", "&Find…", self.focus_search, S.Find)
        self.act_clear = self._action("Edit", "Clear &Selection", self.clear_selection, "Esc")

        view = self.menus["View"]
        self.act_top = self._action("View", "&Top", lambda: self._view("top"), "Ctrl+1")
        self.act_iso = self._action("View", "&Isometric", lambda: self._view("iso"), "Ctrl+2")
        self.act_row = self._action("View", "Along Selected &Row", self.view_selected_row, "Ctrl+3")
        self.rows_menu = view.addMenu("Along Row")
        self.act_frame = self._action("View", "&Frame Selection", self.frame_selection, "F")
        view.addSeparator()
        self.colour_menu = view.addMenu("&Colour By")
        self.colour_group = group = QActionGroup(self)
        self.colour_actions: dict[str, QAction] = {}
        for name, title in [("none", "Nothing")] + [(k, m.title) for k, m in MODES.items()]:
            act = QAction(title, self, checkable=True)
            act.triggered.connect(lambda _c=False, n=name: self.set_colouring(n))
            group.addAction(act)
            self.colour_menu.addAction(act)
            self.colour_actions[name] = act
        self.colour_actions["none"].setChecked(True)
        self.live_menu = view.addMenu("Live &GPU Metric")
        # kept on self: asking an action for its group later can return a stale shiboken wrapper
        self.live_group = live_group = QActionGroup(self)
        self.live_actions: dict[str, QAction] = {}
        for metric, title in LIVE_GPU_METRICS.items():
            act = QAction(title, self, checkable=True)
            act.triggered.connect(lambda _c=False, m=metric: self.set_live_metric(m))
            live_group.addAction(act)
            self.live_menu.addAction(act)
            self.live_actions[metric] = act
        self.live_actions["temp_c"].setChecked(True)
        self.layers_menu = view.addMenu("&Layers")
        self.layer_actions: dict[str, QAction] = {}
        for name, label in LAYER_LABELS.items():
            act = QAction(label, self, checkable=True)
            act.toggled.connect(lambda on, n=name: self.set_layer_visible(n, on))
            self.layers_menu.addAction(act)
            self.layer_actions[name] = act
        view.addSeparator()
        self._panels_menu = view.addMenu("&Panels")

        self.act_pause = self._action("Playback", "&Pause Live Updates", self.toggle_pause, "Space")
        self.act_pause.setCheckable(True)
        self.act_stop = self._action("Playback", "&Disconnect Source", self.stop_source)

        self._action("Tools", "&Validate Layout", self.validate_layout, "Ctrl+Shift+V")
        self._action("Help", "&Keyboard Shortcuts", self.show_shortcuts, S.HelpContents)
        self._action("Help", "&About Twin", self.show_about)

    def _build_toolbar(self) -> None:
        bar = self.add_toolbar("Main")
        bar.addAction(self.act_open)
        bar.addSeparator()
        for act in (self.act_top, self.act_iso, self.act_row, self.act_frame):
            bar.addAction(act)
        bar.addSeparator()
        for name in ("power_links", "cooling_links"):
            bar.addAction(self.layer_actions[name])

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.status_layout = QLabel("No layout")
        self.status_selection = QLabel("")
        self.status_source = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy
        self.progress.setMaximumWidth(160)
        self.progress.setVisible(False)
        sb.addWidget(self.status_layout, 1)
        sb.addPermanentWidget(self.status_selection)
        sb.addPermanentWidget(self.status_source)
        sb.addPermanentWidget(self.progress)

    def _update_actions(self) -> None:
        has = self.scene is not None
        for act in (self.act_reload, self.act_export, self.act_top, self.act_iso, self.act_row):
            act.setEnabled(has)
        sel = self.selection is not None
        for act in (self.act_copy, self.act_clear, self.act_frame):
            act.setEnabled(sel)
        self.act_open.setEnabled(self._loading is None)
        live = self.source is not None
        self.act_pause.setEnabled(live)
        self.act_stop.setEnabled(live)

    # ------------------------------------------------------------------ opening layouts
    def open_dialog(self) -> None:
        start = str(self.facility.path.parent) if self.facility and self.facility.path else ""
        path, _ = QFileDialog.getOpenFileName(
            self, "Open Layout", start, "Twin layouts (*.yaml *.yml);;All files (*)"
        )
        if path:
            self.open_layout(path)

    def open_layout(self, path: str | Path) -> None:
        """Load a layout in the background; the current one stays until the new one is good."""
        path = Path(path)
        if self._loading is not None:
            self.statusBar().showMessage(f"Still loading {self._loading.name}…", 3000)
            return
        self._loading = path
        self.progress.setVisible(True)
        self.status_layout.setText(f"Loading {path.name}…")
        QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        self._update_actions()
        self.loader.load(path)

    def reload(self) -> None:
        if self.facility is not None and self.facility.path is not None:
            self.open_layout(self.facility.path)

    def _finish_loading(self) -> None:
        self._loading = None
        self.progress.setVisible(False)
        QApplication.restoreOverrideCursor()
        self._update_actions()

    def _on_failed(self, path: Path, message: str) -> None:
        self._finish_loading()
        self._update_status()
        self.last_error = message
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Cannot open layout",
            f"{Path(path).name} was not opened; the current layout is unchanged.",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setDetailedText(message)
        box.setInformativeText(message if len(message) < 1500 else message[:1500] + "…")
        box.setObjectName("layout_error_box")
        box.open()  # not exec(): the window keeps running (and tests can close it)
        self._error_box = box

    def _on_loaded(self, path: Path, facility: Facility, loads: Loads) -> None:
        self.statusBar().showMessage("Building 3D scene…")
        QApplication.processEvents()
        try:
            self.set_facility(facility, loads)
        finally:
            self._finish_loading()
        self._add_recent(path)
        self.statusBar().showMessage(f"Opened {path}", 4000)

    def set_facility(self, facility: Facility, loads: Loads | None = None) -> None:
        """Show a loaded facility (replacing the current one) and reset view and selection."""
        if self.source is not None:
            self.stop_source()
        if self.scene is not None:
            self.scene.remove()
        self.plotter.clear()
        self.facility = facility
        self.loads = loads or Loads.of(facility)
        self.selection = None
        self.scene = Scene(facility, self.plotter)
        self.scene.gpu_metric = next(m for m, a in self.live_actions.items() if a.isChecked())
        self.scene.view_iso()
        for name, act in self.layer_actions.items():
            act.blockSignals(True)
            act.setEnabled(name in self.scene.layers)
            act.setChecked(name in self.scene.layers and self.scene.is_visible(name))
            act.blockSignals(False)
        self.colour_actions["none"].setChecked(True)
        self._fill_rows_menu()
        self.tree.set_facility(facility)
        self.inspector.show_item(None, None)
        name = facility.layout.name
        self.setWindowTitle(
            f"{name} — Twin" + (f" ({facility.path.name})" if facility.path else "")
        )
        self._update_status()
        self._update_actions()
        self.plotter.render()
        self.layout_loaded.emit(facility)

    def _fill_rows_menu(self) -> None:
        self.rows_menu.clear()
        f = self.facility
        if f is None:
            return
        for row in f.row_ids[:60]:
            act = self.rows_menu.addAction(f"Row {row}")
            act.triggered.connect(lambda _c=False, r=row: self._view(f"row:{r}"))
        if len(f.row_ids) > 60:
            self.rows_menu.addAction(
                f"… {len(f.row_ids) - 60} more: select a rack, Ctrl+3"
            ).setEnabled(False)
        self.rows_menu.setEnabled(bool(f.row_ids))

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        files = [p] + [f for f in self.recent_files() if f != p]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self.settings.sync()
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for i, f in enumerate(files):
            act = self.recent_menu.addAction(f"&{i + 1}  {Path(f).name}")
            act.setToolTip(f)
            act.setStatusTip(f)
            act.triggered.connect(lambda _c=False, p=f: self.open_layout(p))
        if files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent", self._clear_recent)
        self.recent_menu.setEnabled(bool(files))

    def _clear_recent(self) -> None:
        self.settings.setValue("recent_files", [])
        self._update_recent_menu()

    # ------------------------------------------------------------------ drag and drop
    @staticmethod
    def _dropped_layout(mime) -> str | None:
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith(LAYOUT_SUFFIXES):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self._dropped_layout(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802
        path = self._dropped_layout(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.open_layout(path)

    # ------------------------------------------------------------------ selection
    def select(self, kind: str, index: int, origin: str = "api") -> None:
        """Select one item everywhere: 3D highlight, tree, inspector, status bar."""
        f = self.facility
        if f is None or self.scene is None:
            return
        self.selection = (kind, int(index))
        hl_kind, hl_index = kind, index
        if kind == "server":
            hl_kind, hl_index = "server", index
        self.scene.highlight(hl_kind, [hl_index])
        if origin != "tree":
            if kind == "gpu":
                self.tree.select("server", int(f.gpu_server[index]))
            elif kind == "host":
                self.tree.select("server", int(f.host_server[index]))
            else:
                self.tree.select(kind, index)
        self._show_inspector()
        self.status_selection.setText(
            f"Selected: {kind.replace('_', ' ')} {item_id(f, kind, index)}"
        )
        self._update_actions()
        self.plotter.render()
        self.selection_changed.emit(kind, int(index))

    def select_id(self, item: str) -> bool:
        """Select by id (rack, row, hall, unit, host or ``host/gpuN``); False if unknown."""
        if self.facility is None:
            return False
        found = self.facility.find(item)
        if found is None:
            self.statusBar().showMessage(f"No item {item!r} in this layout", 3000)
            return False
        self.select(*found)
        return True

    def clear_selection(self) -> None:
        self.selection = None
        if self.scene is not None:
            self.scene.highlight(None)
            self.plotter.render()
        self.tree.clear_selection()
        self.inspector.show_item(None, None)
        self.status_selection.setText("")
        self._update_actions()
        self.selection_changed.emit("", -1)

    def _show_inspector(self) -> None:
        if self.selection is None:
            return
        kind, index = self.selection
        self.inspector.show_item(self.facility, kind, index, self.loads)
        live = live_rows(self.last_frame, kind, index)
        if live:
            self.inspector.add_section("Live", live)

    def copy_selection(self) -> None:
        if self.selection and self.facility:
            QApplication.clipboard().setText(item_id(self.facility, *self.selection))

    def focus_search(self) -> None:
        self.docks["facility"].show()
        self.tree.search.setFocus()
        self.tree.search.selectAll()

    # ------------------------------------------------------------------ 3D picking
    def _on_press(self, _obj, _event) -> None:
        self._press_xy = tuple(self.plotter.iren.get_event_position())

    def _on_release(self, _obj, _event) -> None:
        if self._press_xy is None:
            return
        x, y = self.plotter.iren.get_event_position()
        px, py = self._press_xy
        self._press_xy = None
        if abs(x - px) + abs(y - py) <= 4:  # a click, not the end of a rotation
            self.pick_at(x, y)

    def pick_at(self, x: float, y: float):
        """Select what is under display position (x, y) (VTK pixels, origin bottom-left);
        clicking empty space clears the selection. Returns the ``Picked`` or None."""
        if self.scene is None:
            return None
        hit = self.scene.pick_to_item(x, y)
        if hit is None:
            self.clear_selection()
        else:
            self.select(hit.kind, hit.index, origin="3d")
        return hit

    # ------------------------------------------------------------------ view
    def _view(self, view: str) -> None:
        if self.scene is None:
            return
        try:
            self.scene.set_view(view)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 4000)
            return
        self.plotter.render()

    def view_selected_row(self) -> None:
        f = self.facility
        if f is None or self.scene is None:
            return
        row = None
        if self.selection is not None:
            kind, i = self.selection
            rack = {
                "rack": i,
                "gpu": int(f.gpu_rack[i]) if kind == "gpu" else -1,
                "server": int(f.server_rack[i]) if kind == "server" else -1,
            }.get(kind, -1)
            if kind == "row":
                row = i
            elif rack >= 0:
                row = int(f.rack_row[rack])
        if row is None:
            rows = np.flatnonzero(np.bincount(f.rack_row, minlength=len(f.row_ids)) > 0)
            if rows.size == 0:
                return
            row = int(rows[0])
        self._view(f"row:{f.row_ids[row]}")

    def frame_selection(self) -> None:
        if self.scene is not None and self.selection is not None:
            self.scene.look_at(*self.selection[:1], [self.selection[1]])
            self.plotter.render()

    def set_colouring(self, name: str) -> None:
        if self.scene is None:
            return
        if name == "none" or MODES[name].target == "rack":
            self.scene.clear_rack_values()
        if name == "none" or MODES[name].target == "gpu":
            self.scene.clear_gpu_values()
        apply_mode(self.scene, name)
        self.colour_actions[name].setChecked(True)
        self.plotter.render()

    def set_live_metric(self, metric: str) -> None:
        """Which frame.gpu metric colours the GPUs while a source runs."""
        self.live_actions[metric].setChecked(True)
        if self.scene is None:
            return
        self.scene.gpu_metric = metric
        if self.last_frame is not None and self.scene.update(self.last_frame):
            self.plotter.render()

    def set_layer_visible(self, name: str, on: bool) -> None:
        if self.scene is not None and name in self.scene.layers:
            self.scene.set_visible(name, on)
            self.plotter.render()
        act = self.layer_actions.get(name)
        if act is not None and act.isChecked() != on:
            act.blockSignals(True)
            act.setChecked(on)
            act.blockSignals(False)

    def export_image(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Image", "twin.png", "PNG (*.png)")
        if path:
            self.plotter.screenshot(path)
            self.statusBar().showMessage(f"Saved {path}", 4000)

    # ------------------------------------------------------------------ live data
    def set_source(self, source, start: bool = True) -> None:
        """Attach a telemetry source (``twin.telemetry.source.Source``): a timer polls it and
        each new frame recolours the scene in place (GPU temperature by default)."""
        self.stop_source()
        self.source = source
        if start:
            source.start()
        self._poll_timer.start()
        self.act_pause.setChecked(False)
        self._update_actions()
        self._update_source_status()

    def stop_source(self) -> None:
        """Detach the source without waiting for its thread: a request stuck on a dead server
        must not freeze the window; the thread ends on its own."""
        self._poll_timer.stop()
        if self.source is not None:
            try:
                self.source.stop(timeout_s=0)
            except TypeError:  # a plugin source whose stop() takes no timeout
                self.source.stop()
            finally:
                self.source = None
        self.status_source.setText("")
        self._update_actions()

    def toggle_pause(self) -> None:
        if self.source is None:
            return
        if self._poll_timer.isActive():
            self._poll_timer.stop()
            self.act_pause.setChecked(True)
        else:
            self._poll_timer.start()
            self.act_pause.setChecked(False)
        self._update_source_status()

    def _poll_source(self) -> None:
        if self.source is None:
            return
        frame = self.source.poll()
        if frame is not None:
            self.show_frame(frame)
        self._update_source_status()

    def show_frame(self, frame) -> None:
        """Apply one frame to the scene and the inspector."""
        self.last_frame = frame
        if self.scene is not None and self.scene.update(frame):
            self.plotter.render()
        if self.selection is not None:
            self._show_inspector()
        self.frame_shown.emit(frame)

    def _update_source_status(self) -> None:
        if self.source is None:
            self.status_source.setText("")
            return
        st = self.source.status()
        text = f"Source: {st.state}"
        if st.age_s is not None:
            text += f", {st.age_s:.0f} s old"
        if not self._poll_timer.isActive():
            text += " (paused)"
        self.status_source.setText(text)

    # ------------------------------------------------------------------ tools and help
    def validate_layout(self) -> None:
        if self.facility is None or self.facility.path is None:
            return
        from twin.model.errors import LayoutError
        from twin.model.loader import load_layout

        try:
            f = load_layout(self.facility.path)
        except LayoutError as exc:
            QMessageBox.warning(self, "Layout problems", str(exc))
            return
        QMessageBox.information(
            self,
            "Layout valid",
            f"{self.facility.path.name} is valid: {f.n_racks} racks, {f.n_gpus} GPUs.",
        )

    def show_shortcuts(self) -> None:
        lines = []
        for menu in self.menus.values():
            for act in menu.actions():
                if not act.shortcut().isEmpty():
                    lines.append(f"{act.text().replace('&', ''):28s} {act.shortcut().toString()}")
        QMessageBox.information(self, "Keyboard shortcuts", "\n".join(lines))

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Twin",
            f"<b>Twin {__version__}</b><br>A desktop digital twin of an AI factory: racks, power, "
            "cooling and live GPU thermals in 3D.",
        )

    # ------------------------------------------------------------------ status and closing
    def _update_status(self) -> None:
        f = self.facility
        if f is None:
            self.status_layout.setText("No layout — File › Open or drop a layout here")
            return
        kw = f.rack_power_w.sum() / 1e3
        self.status_layout.setText(
            f"{f.layout.name}   |   {len(f.hall_ids)} halls · {len(f.row_ids)} rows · "
            f"{f.n_racks:,} racks · {f.n_gpus:,} GPUs · {kw:,.0f} kW IT"
        )

    def closeEvent(self, event) -> None:  # noqa: N802
        self.stop_source()
        self.solver.shutdown()
        self.loader.wait(10000)
        if self.scene is not None:
            self.scene.remove()
            self.scene = None
        self.plotter.close()
        super().closeEvent(event)
