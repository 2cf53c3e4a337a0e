"""Airflow and heat in the window: View > Thermal toggles the air temperature slices, airflow
arrows and rack inlet colours; a "Thermal" dock moves the slices, picks the hall and fails air
units. The physics solve runs in a worker thread (one at a time, newer requests coalesced) and
the overlays update in place when it lands, so the GUI never waits for it.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from twin.physics.cells import DEFAULT_CELL_M, choose_cell_m
from twin.render.thermal_layer import ARROWS, INLETS, SLICE, VSLICE, ThermalLayer

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.ui.main_window import MainWindow

#: Slider resolution for slice positions (m).
SLIDER_STEP_M = 0.05
#: Frames further apart than this (s), or going back in time, get a steady solve, not a step.
MAX_STEP_S = 900.0
OVERLAY_TITLES = {
    SLICE: "Air Temperature Slice (Horizontal)",
    VSLICE: "Vertical Slice",
    ARROWS: "Airflow Arrows",
    INLETS: "Rack Inlet Temperatures",
}


def hall_of(facility: Facility, kind: str, index: int) -> int | None:
    """The hall an item stands in (None for items outside halls)."""
    f = facility
    try:
        if kind == "rack":
            return int(f.rack_hall[index])
        if kind == "gpu":
            return int(f.gpu_hall[index])
        if kind in ("server", "host"):
            srv = index if kind == "server" else int(f.host_server[index])
            return int(f.rack_hall[f.server_rack[srv]])
        if kind == "row":
            racks = np.flatnonzero(f.rack_row == index)
            return int(f.rack_hall[racks[0]]) if racks.size else None
        if kind == "hall":
            return int(index)
        if kind == "air_unit":
            return int(f.air_unit_hall[index])
        if kind == "cdu":
            return int(f.cdu_hall[index])
    except (IndexError, AttributeError):
        return None
    return None


class _Solver:
    """Worker-thread side: keeps one ``ThermalModel`` and reuses it while only the failed
    units change (same grid, same multigrid hierarchy). Touched by the worker thread only."""

    def __init__(self):
        self.model = None
        self.key = None
        self.warm = None  # last steady result: a re-solve after an edit starts from it

    def solve(
        self,
        facility,
        hall: int,
        cell_m: float,
        failed: tuple[str, ...],
        fresh: bool,
        rack_power_w: np.ndarray | None = None,
        dt_s: float | None = None,
    ):
        """Steady state (nominal or given rack powers), or with ``dt_s`` one transient step of
        the model already solved (a replay or live frame)."""
        from twin.physics import ThermalModel

        t0 = time.perf_counter()
        key = (id(facility), hall, cell_m)
        same = self.model is not None and self.key == key and self.model.facility is facility
        if fresh or not same:
            # an edit of the same hall warm-starts from the last solution (physics warm_start)
            warm = self.warm if (fresh and same) else None
            self.model = self.warm = None  # free the old grid first: big halls hold 100s of MB
            self.model = ThermalModel(facility, hall, cell_m, failed, warm_start=warm)
            self.key = key
            dt_s = None
        elif tuple(self.model.failed) != tuple(failed):
            self.model.set_failed(failed)
            dt_s = None
        if dt_s is not None and self.model.state is not None:
            res = self.model.follow(dt_s, rack_power_w)
        else:
            res = self.model.solve(rack_power_w)
            self.warm = res.warm
        res.seconds = time.perf_counter() - t0
        return res


def _in_daemon_thread(fn, *args) -> Future:
    """Run ``fn(*args)`` in a daemon thread: quitting the app never waits for a long solve
    (a thread pool's workers are joined at exit). The view runs one job at a time."""
    fut: Future = Future()

    def target() -> None:
        if not fut.set_running_or_notify_cancel():
            return
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 (handed to the GUI thread)
            fut.set_exception(exc)

    threading.Thread(target=target, name="twin-thermal", daemon=True).start()
    return fut


class ThermalView(QObject):
    """State of the thermal overlays for one window (``window.extensions["thermal_view"]``)."""

    solved = Signal(object)  # ThermalResult, after it is drawn
    failed_solve = Signal(str)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.layer: ThermalLayer | None = None
        self.result = None
        self.error: str | None = None
        self.hall = 0
        self.cell_m: float | None = None  # None: choose_cell_m
        self.failed: set[str] = set()
        self._solver = _Solver()
        self._future: Future | None = None
        self._job: tuple | None = None
        self._pending = False
        self._frame_job: tuple | None = None  # (rack_power_w, dt_s, telemetry-off unit ids)
        self._frame_time: float | None = None
        self._generation = 0
        self._closed = False
        self._geometry_changed = False
        self._poll = QTimer(self, interval=50)
        self._poll.timeout.connect(self._check_done)
        self._debounce = QTimer(self, singleShot=True, interval=350)
        self._debounce.timeout.connect(self.request_solve)
        self._build_menu()
        self._build_dock()
        self._build_status()
        window.layout_loaded.connect(self._on_layout)
        window.selection_changed.connect(self._on_selection)
        window.frame_shown.connect(self._on_frame)
        window.view.events.layers.connect(lambda _layers: self._sync_layer())
        window.installEventFilter(self)
        QTimer.singleShot(0, self._connect_editor)  # installed after us

    # ------------------------------------------------------------------ widgets
    def _build_menu(self) -> None:
        w = self.window
        menu = w.menus["View"].addMenu("T&hermal")
        menu.setObjectName("thermal_menu")
        self.menu = menu
        self.actions: dict[str, QAction] = {}
        for name, title in OVERLAY_TITLES.items():
            act = QAction(title, w, checkable=True)
            act.setObjectName(f"thermal_{name}")
            act.setStatusTip("Solve the hall's airflow and heat and show " + title.lower())
            act.toggled.connect(lambda on, n=name: self.set_overlay(n, on))
            menu.addAction(act)
            self.actions[name] = act
        menu.addSeparator()
        self.act_recompute = QAction("Recompute Airflow && Heat", w)
        self.act_recompute.triggered.connect(self.request_solve)
        menu.addAction(self.act_recompute)
        tools = QAction("Air Unit &Failure…", w)
        tools.setStatusTip("Fail air units and see how the hall's temperatures change")
        tools.triggered.connect(self._show_failures)
        w.menus["Tools"].addAction(tools)
        self.act_failures = tools

    def _build_dock(self) -> None:
        panel = QWidget()
        panel.setObjectName("thermal_panel")
        box = QVBoxLayout(panel)
        form = QFormLayout()
        self.hall_combo = QComboBox()
        self.hall_combo.currentIndexChanged.connect(self._on_hall_combo)
        form.addRow("Hall", self.hall_combo)
        self.cell_spin = QDoubleSpinBox()
        self.cell_spin.setRange(0.0, 1.0)
        self.cell_spin.setSingleStep(0.05)
        self.cell_spin.setDecimals(2)
        self.cell_spin.setSuffix(" m")
        self.cell_spin.setSpecialValueText("auto")
        self.cell_spin.setToolTip("Grid cell size; auto keeps the hall under 1 M cells")
        self.cell_spin.valueChanged.connect(self._on_cell_spin)
        form.addRow("Cell", self.cell_spin)
        self.height_slider = QSlider(Qt.Orientation.Horizontal)
        self.height_label = QLabel("")
        self.height_slider.valueChanged.connect(self._on_height)
        form.addRow("Slice height", self._pair(self.height_slider, self.height_label))
        self.axis_combo = QComboBox()
        self.axis_combo.addItem("across x (y–z plane)", "x")
        self.axis_combo.addItem("across y (x–z plane)", "y")
        self.axis_combo.currentIndexChanged.connect(self._on_axis)
        form.addRow("Vertical slice", self.axis_combo)
        self.pos_slider = QSlider(Qt.Orientation.Horizontal)
        self.pos_label = QLabel("")
        self.pos_slider.valueChanged.connect(self._on_pos)
        form.addRow("Position", self._pair(self.pos_slider, self.pos_label))
        box.addLayout(form)
        group = QGroupBox("Failed air units (tick to fail, then re-solve)")
        gl = QVBoxLayout(group)
        self.units_list = QListWidget()
        self.units_list.setObjectName("thermal_failed_units")
        self.units_list.setMinimumHeight(110)
        self.units_list.itemChanged.connect(self._on_unit_changed)
        gl.addWidget(self.units_list)
        box.addWidget(group, 1)
        self.follow = QCheckBox("Follow replay / live rack power (transient steps)")
        self.follow.setChecked(True)
        self.follow.setToolTip(
            "Each frame steps the air temperatures with the frame's rack powers and the air "
            "units it reports off"
        )
        box.addWidget(self.follow)
        self.summary = QLabel("Turn on an overlay under View › Thermal to solve the hall.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.summary)
        self.dock = self.window.add_dock(
            panel, "Thermal", Qt.DockWidgetArea.RightDockWidgetArea, "thermal"
        )
        self.dock.hide()
        self.panel = panel

    @staticmethod
    def _pair(slider: QSlider, label: QLabel) -> QWidget:
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(slider, 1)
        label.setMinimumWidth(56)
        lay.addWidget(label)
        return w

    def _build_status(self) -> None:
        sb = self.window.statusBar()
        self.status = QLabel("")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(110)
        self.busy.setVisible(False)
        sb.addPermanentWidget(self.status)
        sb.addPermanentWidget(self.busy)

    def _show_failures(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.units_list.setFocus()

    # ------------------------------------------------------------------ state
    @property
    def busy_solving(self) -> bool:
        return self._future is not None

    def effective_cell_m(self) -> float:
        f = self.window.facility
        if self.cell_m is not None:
            return float(self.cell_m)
        return choose_cell_m(f, self.hall) if f is not None and len(f.hall_ids) else DEFAULT_CELL_M

    def wanted(self) -> bool:
        return any(a.isChecked() for a in self.actions.values())

    def set_overlay(self, name: str, on: bool) -> None:
        """Show or hide one overlay; the first one shown starts a solve."""
        act = self.actions[name]
        if act.isChecked() != on:
            act.setChecked(on)  # comes back here through toggled
            return
        if on and self.window.facility is not None:
            self.dock.show()
        if self.layer is not None:
            self.layer.show(name, on)
            self.window.plotter.render()
        if on and self.result is None and not self.busy_solving:
            self.request_solve()

    def set_failed(self, units) -> None:
        """Fail exactly these air units (ids) and re-solve."""
        self.failed = set(units)
        self.units_list.blockSignals(True)
        for i in range(self.units_list.count()):
            item = self.units_list.item(i)
            item.setCheckState(
                Qt.CheckState.Checked if item.text() in self.failed else Qt.CheckState.Unchecked
            )
        self.units_list.blockSignals(False)
        self.request_solve()

    def set_hall(self, hall: int) -> None:
        f = self.window.facility
        if f is None or not 0 <= hall < len(f.hall_ids) or hall == self.hall:
            return
        self.hall = hall
        self.failed = set()
        self.result = None  # of another hall: toggling an overlay on solves this one
        self.hall_combo.blockSignals(True)
        self.hall_combo.setCurrentIndex(hall)
        self.hall_combo.blockSignals(False)
        self._fill_units()
        self._fill_sliders()
        if self.wanted():
            self.request_solve()

    # ------------------------------------------------------------------ solving
    def request_solve(self) -> None:
        """Solve the current hall in the worker; a request while one runs is kept (only the
        latest) and starts when it ends."""
        f = self.window.facility
        if f is None or not len(f.hall_ids) or self._closed:
            return
        if self._future is not None:
            self._pending = True
            return
        self._pending = False
        self._frame_job = None
        self._frame_time = None
        self._submit(tuple(sorted(self.failed)))

    def _submit(self, failed: tuple[str, ...], power=None, dt_s=None) -> None:
        f = self.window.facility
        cell = self.effective_cell_m()
        job = (f, self.hall, cell, failed, self._geometry_changed, power, dt_s)
        self._geometry_changed = False
        self._job = job
        self._job_generation = self._generation
        hall_id = f.hall_ids[self.hall]
        if dt_s is not None:
            self.status.setText(f"Thermal: {hall_id} following telemetry, step of {dt_s:.0f} s…")
        else:
            w, d, h = f.hall_size_m[self.hall]
            cells = int(math.ceil(w / cell) * math.ceil(d / cell) * math.ceil(h / cell))
            fail = f", {len(failed)} unit(s) failed" if failed else ""
            self.status.setText(
                f"Thermal: solving {hall_id} ({cells:,} cells at {cell:g} m{fail})…"
            )
        self.busy.setVisible(True)
        self._started = time.perf_counter()
        self._future = _in_daemon_thread(self._solver.solve, *job)
        self._poll.start()

    def _on_frame(self, frame) -> None:
        """A replay or live frame: step the hall's air with the frame's rack powers (and units
        the frame reports off), in the worker; frames arriving meanwhile are merged."""
        f = self.window.facility
        if f is None or self._closed or not self.follow.isChecked() or not self.wanted():
            return
        if self.result is None and self._future is None:
            return  # nothing solved yet: the first overlay's solve comes first
        p = frame.rack.get("power_w") if hasattr(frame, "rack") else None
        if p is None or len(p) != f.n_racks:
            return
        p = np.asarray(p, float)
        p = np.where(np.isfinite(p) & (p >= 0), p, f.rack_power_w)
        off = set()
        state = frame.air_unit.get("state")
        if state is not None and len(state) == len(f.air_unit_ids):
            st = np.asarray(state, float)
            off = {f.air_unit_ids[a] for a in np.flatnonzero(np.isfinite(st) & (st < 0.5))}
            off &= {f.air_unit_ids[a] for a in np.flatnonzero(f.air_unit_hall == self.hall)}
        t = float(frame.time_s)
        dt = None if self._frame_time is None else t - self._frame_time
        self._frame_time = t
        if dt is not None and not 0 < dt <= MAX_STEP_S:
            dt = None  # a seek or a long gap: a steady state at these powers
        if self._frame_job is not None and dt is not None and self._frame_job[1] is not None:
            dt = min(self._frame_job[1] + dt, MAX_STEP_S)  # frames merged while busy
        self._frame_job = (p, dt, tuple(sorted(self.failed | off)))
        if self._future is None:
            self._submit_frame()

    def _submit_frame(self) -> None:
        p, dt, failed = self._frame_job
        self._frame_job = None
        self._submit(failed, p, dt)

    def _check_done(self) -> None:
        fut = self._future
        if fut is None:
            self._poll.stop()
            return
        if not fut.done():
            secs = time.perf_counter() - self._started
            self.status.setText(self.status.text().split(" — ")[0] + f" — {secs:.0f} s")
            return
        self._future = None
        self._poll.stop()
        self.busy.setVisible(False)
        job = self._job
        stale = (
            self._job_generation != self._generation
            or job[0] is not self.window.facility
            or job[1] != self.hall  # the user picked another hall meanwhile
        )
        if not stale:
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 (a bad hall must not take the GUI down)
                self._show_error(f"{type(exc).__name__}: {exc}")
            else:
                self._apply(res)
        if self._pending or (stale and self.wanted()):
            self.request_solve()
        elif self._frame_job is not None:
            self._submit_frame()

    def _show_error(self, message: str) -> None:
        self.error = message
        self.status.setText("Thermal: solve failed")
        self.summary.setText(f"<b>Cannot solve this hall:</b> {message}")
        self.failed_solve.emit(message)

    def _apply(self, res) -> None:
        win = self.window
        if win.scene is None:
            return
        self.error = None
        self.result = res
        if self.layer is None or self.layer.scene is not win.scene:
            self.layer = ThermalLayer(
                win.scene,
                slice_height_m=self._slider_m(self.height_slider),
                vertical_axis=self.axis_combo.currentData(),
                vertical_pos_m=self._slider_m(self.pos_slider),
            )
        if self._job[4]:
            self.layer.invalidate()
        self.layer.update(res)
        index = win.facility.air_unit_index
        self.layer.mark_failed([index[u] for u in self._job[3] if u in index])
        self._sync_layer(render=False)
        self._update_labels()
        self._summarise(res)
        self.status.setText(
            f"Thermal: {win.facility.hall_ids[res.grid.hall]} solved in {res.seconds:.1f} s"
        )
        win.plotter.render()
        self.solved.emit(res)

    def _sync_layer(self, render: bool = True) -> None:
        if self.layer is None:
            return
        for name, act in self.actions.items():
            self.layer.show(name, act.isChecked())
        if render:
            self.window.plotter.render()

    def _summarise(self, res) -> None:
        f = self.window.facility
        racks = np.asarray(res.grid.rack_ids)
        nx, ny, nz = res.grid.shape
        lines = [f"<b>{f.hall_ids[res.grid.hall]}</b>: {nx}×{ny}×{nz} cells of {res.cell_m:g} m"]
        if racks.size and np.isfinite(res.rack_inlet_max_c[racks]).any():
            worst = racks[int(np.nanargmax(res.rack_inlet_max_c[racks]))]
            classes = res.rack_ashrae[racks]
            lines.append(
                f"Hottest inlet {res.rack_inlet_max_c[worst]:.1f} °C at {f.rack_ids[worst]}; "
                f"A1 recommended {int((classes == 0).sum())}, allowable "
                f"{int((classes == 1).sum())}, outside {int((classes == 2).sum())} racks"
            )
        m = res.metrics
        lines.append(
            f"Supply {res.supply_mean_c:.1f} °C, return {res.return_mean_c:.1f} °C; "
            f"RCI-HI {m.get('rci_hi', float('nan')):.0f} %, RCI-LO "
            f"{m.get('rci_lo', float('nan')):.0f} %, RTI {m.get('rti', float('nan')):.0f} %"
        )
        stored = getattr(res, "heat_stored_w", 0.0)
        lines.append(
            f"Heat in {res.heat_in_w / 1e3:,.0f} kW = out {res.heat_out_w / 1e3:,.0f} kW "
            f"+ stored in the air {stored / 1e3:+,.0f} kW (solver error "
            f"{100 * res.energy_error:.2f} %); solved in {res.seconds:.1f} s"
        )
        at_cap = np.flatnonzero(res.air_unit_at_capacity)
        if at_cap.size:
            names = ", ".join(f.air_unit_ids[i] for i in at_cap[:6])
            lines.append(f"<span style='color:#e0603a'>At capacity: {names}</span>")
        if self.failed:
            lines.append("Failed: " + ", ".join(sorted(self.failed)))
        self.summary.setText("<br>".join(lines))

    # ------------------------------------------------------------------ controls
    def _slider_m(self, slider: QSlider) -> float:
        return slider.value() * SLIDER_STEP_M

    def _fill_sliders(self) -> None:
        f = self.window.facility
        if f is None or not len(f.hall_ids):
            return
        w, d, h = (float(v) for v in f.hall_size_m[self.hall])
        for s in (self.height_slider, self.pos_slider):
            s.blockSignals(True)
        self.height_slider.setRange(0, int(h / SLIDER_STEP_M))
        self.height_slider.setValue(int(round(min(1.2, h / 2) / SLIDER_STEP_M)))
        along = w if self.axis_combo.currentData() == "x" else d
        self.pos_slider.setRange(0, int(along / SLIDER_STEP_M))
        self.pos_slider.setValue(int(round(along / 2 / SLIDER_STEP_M)))
        for s in (self.height_slider, self.pos_slider):
            s.blockSignals(False)
        self._update_labels()

    def _update_labels(self) -> None:
        lay = self.layer
        if lay is not None and lay.built:
            g = lay.result.grid
            ax = 0 if lay.vertical_axis == "x" else 1
            z = g.origin_m[2] + (lay.slice_k + 0.5) * g.cell_m
            p = g.origin_m[ax] + (lay.vslice_index + 0.5) * g.cell_m
        else:
            z, p = self._slider_m(self.height_slider), self._slider_m(self.pos_slider)
        self.height_label.setText(f"{z:.2f} m")
        self.pos_label.setText(f"{self.axis_combo.currentData()} = {p:.2f} m")

    def _on_height(self, _v: int) -> None:
        if self.layer is not None and self.layer.built:
            self.layer.set_slice_height(self._slider_m(self.height_slider))
            self.window.plotter.render()
        self._update_labels()

    def _on_pos(self, _v: int) -> None:
        if self.layer is not None and self.layer.built:
            self.layer.set_vertical_slice(pos_m=self._slider_m(self.pos_slider))
            self.window.plotter.render()
        self._update_labels()

    def _on_axis(self, _i: int) -> None:
        f = self.window.facility
        if f is not None and len(f.hall_ids):
            w, d, _h = f.hall_size_m[self.hall]
            along = float(w if self.axis_combo.currentData() == "x" else d)
            self.pos_slider.blockSignals(True)
            self.pos_slider.setRange(0, int(along / SLIDER_STEP_M))
            self.pos_slider.setValue(int(round(along / 2 / SLIDER_STEP_M)))
            self.pos_slider.blockSignals(False)
        if self.layer is not None and self.layer.built:
            self.layer.set_vertical_slice(
                self.axis_combo.currentData(), self._slider_m(self.pos_slider)
            )
            self.window.plotter.render()
        self._update_labels()

    def _on_hall_combo(self, index: int) -> None:
        if index >= 0:
            self.set_hall(index)

    def _on_cell_spin(self, value: float) -> None:
        self.cell_m = None if value < 0.05 else float(value)
        if self.wanted():
            self._debounce.start()
        else:
            self.result = None

    def _on_unit_changed(self, item: QListWidgetItem) -> None:
        if item.checkState() == Qt.CheckState.Checked:
            self.failed.add(item.text())
        else:
            self.failed.discard(item.text())
        self._debounce.start()

    def _fill_units(self) -> None:
        f = self.window.facility
        self.units_list.blockSignals(True)
        self.units_list.clear()
        if f is not None:
            for a in np.flatnonzero(f.air_unit_hall == self.hall):
                item = QListWidgetItem(f.air_unit_ids[a])
                on = bool(f.air_unit_on[a])
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                if not on:  # off in the layout: already supplies nothing
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                    item.setToolTip("Off in the layout")
                self.units_list.addItem(item)
        self.units_list.blockSignals(False)

    # ------------------------------------------------------------------ window events
    def _on_layout(self, facility: Facility) -> None:
        self._generation += 1
        self._frame_job = None
        self._frame_time = None
        self.layer = None  # the old scene (and its actors) is gone
        self.result = None
        self.failed = set()
        self.hall = 0
        self.hall_combo.blockSignals(True)
        self.hall_combo.clear()
        for h in facility.layout.halls:
            self.hall_combo.addItem(h.name or h.id)
        self.hall_combo.setCurrentIndex(0)
        self.hall_combo.blockSignals(False)
        self._fill_units()
        self._fill_sliders()
        self.summary.setText("Turn on an overlay under View › Thermal to solve the hall.")
        if self.wanted():
            self.request_solve()

    def _on_selection(self, kind: str, index: int) -> None:
        f = self.window.facility
        if f is None or not kind:
            return
        hall = hall_of(f, kind, index)
        if hall is not None and hall != self.hall:
            self.set_hall(hall)

    def _connect_editor(self) -> None:
        editor = getattr(self.window, "extensions", {}).get("editor")
        signal = getattr(editor, "thermal_updated", None)
        if signal is not None:
            signal.connect(self._on_edited)

    def _on_edited(self, _result=None) -> None:
        """The layout was edited in place (racks moved, units added): solve afresh."""
        self._geometry_changed = True
        if self.wanted():
            self.request_solve()
        else:
            self.result = None

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        """Stop polling and drop queued work (a running solve ends in its daemon thread,
        unheeded)."""
        self._closed = True
        self._poll.stop()
        self._debounce.stop()
        self._pending = False
        self._frame_job = None


def install(window: MainWindow) -> ThermalView:
    return ThermalView(window)
