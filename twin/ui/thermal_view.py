"""Airflow and heat in the window: View > Thermal toggles the air temperature slices, airflow
arrows and rack inlet colours; a "Thermal" dock moves the slices, picks the hall and fails air
units. Solves go to the window's solver service (``window.solver``) and the overlays update in
place when an answer lands, so the GUI never waits for one. Answers asked for by the editor
(after each edit) are drawn too: an edit costs one solve.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QAction

from twin.physics.frame_inputs import frame_inputs
from twin.physics.hall_jobs import DEBOUNCE_S, FRAME, STEADY, ThermalAnswer
from twin.render.thermal_layer import ARROWS, INLETS, SLICE, VSLICE, ThermalLayer
from twin.ui.actions import Action, Submenu
from twin.ui.thermal_binding import SolveProgress, ThermalBinding
from twin.ui.thermal_panel import IDLE_TEXT, ThermalPanel, summarise

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.ui.main_window import MainWindow

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
        if kind == "sensor":
            return int(f.sensor_hall[index])
    except (IndexError, AttributeError):
        return None
    return None


def air_at_sensor(view: ThermalView, index: int) -> float | None:
    """The thermal view's air temperature at point sensor ``index`` (None without a result
    of the sensor's hall, or where the point lies in no air)."""
    f, res = view.window.facility, view.result
    if f is None or res is None or int(f.sensor_hall[index]) != view.hall:
        return None
    if getattr(res, "air_c", None) is None:
        return None
    from twin.physics.sample import sample_field

    v = float(sample_field(res.air_c, res.cell_m, f.sensor_position_m[index : index + 1])[0])
    return v if np.isfinite(v) else None


class ThermalView(QObject):
    """The thermal overlays of one window (``window.extensions["thermal_view"]``): asks for
    solves of what ``window.view.thermal`` says and draws the answers."""

    solved = Signal(object)  # ThermalResult, after it is drawn
    failed_solve = Signal(str)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.relay = window.solver
        self.state = window.view.thermal
        self.relay.jobs.settings = self.state  # every solve of the window uses these settings
        self.layer: ThermalLayer | None = None
        self.answer: ThermalAnswer | None = None  # the last answer for this hall
        self.error: str | None = None
        self._facility: Facility | None = None  # the layout the dock is filled for
        self._drawn = None  # the facility the layer's meshes were built for
        self._drawn_answer: ThermalAnswer | None = None
        self._closed = False
        self._debounce = QTimer(self, singleShot=True, interval=int(DEBOUNCE_S * 1000))
        self._debounce.timeout.connect(self.request_solve)
        self._build_menu()
        self._build_dock()
        self.progress = SolveProgress(window.statusBar(), lambda: self.busy_solving)
        self.status, self.busy = self.progress.label, self.progress.bar
        self.relay.solved.connect(self._on_answer)
        self.relay.asked.connect(self._on_asked)
        self.relay.failed.connect(self._on_failure)
        window.layout_loaded.connect(self._on_layout)
        window.selection_changed.connect(self._on_selection)
        window.frame_shown.connect(self._on_frame)
        window.view.events.layers.connect(lambda _layers: self._sync_layer())
        ev = self.state.events
        ev.overlays.connect(self._on_overlays)
        ev.hall.connect(self._on_hall)
        ev.cell_m.connect(self._on_cell)
        ev.failed_units.connect(self._on_failed_units)
        ev.slice_z_m.connect(self._on_height)
        ev.vslice_axis.connect(self._on_axis)
        ev.vslice_pos_m.connect(self._on_pos)
        window.installEventFilter(self)

    # ------------------------------------------------------------------ widgets
    def _build_menu(self) -> None:
        reg = self.window.action_registry
        self.menu = reg.add_submenu(Submenu("View/Thermal", "T&hermal", "3_colour", 5))
        self.actions: dict[str, QAction] = {}
        for order, (name, title) in enumerate(OVERLAY_TITLES.items()):
            self.actions[name] = reg.add(
                Action(
                    f"view.thermal.{name}",
                    title,
                    "View/Thermal",
                    "1_overlays",
                    order,
                    tip="Solve the hall's airflow and heat and show " + title.lower(),
                    checkable=True,
                    on_toggle=lambda on, n=name: self.set_overlay(n, on),
                )
            )
        self.act_recompute = reg.add(
            Action(
                "view.thermal.recompute",
                "Recompute Airflow && Heat",
                "View/Thermal",
                "2_solve",
                0,
                self.request_solve,
            )
        )
        self.act_failures = reg.add(
            Action(
                "tools.air_unit_failure",
                "Air Unit &Failure…",
                "Tools",
                "3_thermal",
                0,
                self._show_failures,
                tip="Fail air units and see how the hall's temperatures change",
            )
        )

    def _build_dock(self) -> None:
        p = self.panel = ThermalPanel()
        self.binding = ThermalBinding(p, self.state, self)
        # the panel's widgets, as the tests and other code know them
        self.hall_combo, self.cell_spin, self.axis_combo = p.hall_combo, p.cell_spin, p.axis_combo
        self.height_slider, self.pos_slider = p.height_slider, p.pos_slider
        self.height_label, self.pos_label = p.height_label, p.pos_label
        self.units_list, self.follow, self.summary = p.units_list, p.follow, p.summary
        self.dock = self.window.add_dock(
            p, "Thermal", Qt.DockWidgetArea.RightDockWidgetArea, "thermal", scroll=True
        )
        self.dock.hide()

    def _show_failures(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.units_list.setFocus()

    # ------------------------------------------------------------------ state
    @property
    def result(self):
        """The last result of this hall (a ``ThermalResult``), or None."""
        return None if self.answer is None else self.answer.result

    @property
    def busy_solving(self) -> bool:
        return self.relay.busy(STEADY) or self.relay.busy(FRAME) or self._debounce.isActive()

    @property
    def hall(self) -> int:
        return self.state.hall

    @property
    def cell_m(self) -> float | None:
        """The chosen cell size (None: the cell-size policy's choice for the hall)."""
        return self.state.cell_m

    @cell_m.setter
    def cell_m(self, value: float | None) -> None:
        self.state.cell_m = value

    @property
    def failed(self) -> frozenset[str]:
        return self.state.failed_units

    def effective_cell_m(self) -> float:
        return self.state.cell_for(self.window.facility, self.hall)

    def wanted(self) -> bool:
        return bool(self.state.overlays)

    def _current(self) -> bool:
        """Whether the dock is filled for the window's layout (not mid-way through a load)."""
        return self.window.facility is not None and self.window.facility is self._facility

    def set_overlay(self, name: str, on: bool) -> None:
        """Show or hide one overlay (the view state's choice; menus and the scene follow)."""
        self.window.view.set_thermal_overlay(name, on)

    def _on_overlays(self, new: frozenset, old: frozenset) -> None:
        for name in set(new) ^ set(old):
            self._show_overlay(name, name in new)

    def _show_overlay(self, name: str, on: bool) -> None:
        """The first overlay shown starts a solve (or draws the last answer of this hall)."""
        with QSignalBlocker(self.actions[name]):
            self.actions[name].setChecked(on)
        if on and self.window.facility is not None:
            self.dock.show()
        if on and self.answer is not None and self._drawn_answer is not self.answer:
            self._draw(self.answer)  # solved while no overlay showed (an edit, another view)
        if self.layer is not None:
            self.layer.show(name, on)
            self.window.plotter.render()
        if on and self.answer is None and not self.busy_solving:
            self.request_solve()

    def set_failed(self, units) -> None:
        """Fail exactly these air units (ids) and re-solve now."""
        self.state.failed_units = frozenset(units)
        self.request_solve()

    def set_hall(self, hall: int) -> None:
        f = self.window.facility
        if f is not None and 0 <= hall < len(f.hall_ids):
            self.state.hall = hall

    def _on_hall(self, hall: int) -> None:
        """Another hall: its units, its slices, and a solve when an overlay shows."""
        if not self._current():
            return
        f = self.window.facility
        self.state.failed_units = frozenset()
        self.answer = None  # of another hall: toggling an overlay on solves this one
        self.panel.fill_units(f, hall)
        self._fill_sliders()
        if self.wanted():
            self.request_solve()

    def _on_cell(self, _cell_m: float | None) -> None:
        if not self._current():
            return
        if self.wanted():
            self._debounce.start()
        else:
            self.answer = None

    def _on_failed_units(self, _units: frozenset) -> None:
        if self._current():
            self._debounce.start()

    # ------------------------------------------------------------------ solving
    def request_solve(self, delay_s: float = 0.0) -> None:
        """Solve the current hall on the solver service (a newer request supersedes it)."""
        f = self.window.facility
        if f is None or not len(f.hall_ids) or self._closed:
            return
        self._debounce.stop()
        self.relay.cancel(FRAME)
        if self.relay.request(f, self.hall, delay_s=delay_s) is None:
            return
        w, d, h = f.hall_size_m[self.hall]
        cell = self.effective_cell_m()
        cells = int(math.ceil(w / cell) * math.ceil(d / cell) * math.ceil(h / cell))
        fail = f", {len(self.failed)} unit(s) failed" if self.failed else ""
        hall_id = f.hall_ids[self.hall]
        self.progress.start(f"Thermal: solving {hall_id} ({cells:,} cells at {cell:g} m{fail})…")

    def _on_frame(self, frame) -> None:
        """A replay or live frame: step the hall's air with the frame's rack powers (and the
        units the frame reports off); a frame arriving while one waits replaces it."""
        f = self.window.facility
        if f is None or self._closed or not self.state.follow_telemetry or not self.wanted():
            return
        if self.answer is None and not self.relay.busy(STEADY):
            return  # nothing solved yet: the first overlay's solve comes first
        inputs = frame_inputs(f, self.hall, frame)
        if inputs is None:
            return
        power, off, fans, racks = inputs
        self.relay.request(
            f,
            self.hall,
            key=FRAME,
            rack_power_w=power,
            time_s=float(frame.time_s),
            more_failed=off,
            unit_flow_scale=fans,
            rack_flow_scale=racks,
        )
        if not self.relay.busy(STEADY):
            self.progress.start(f"Thermal: {f.hall_ids[self.hall]} following telemetry…")

    def _on_asked(self, job) -> None:
        """Someone else (the editor, after an edit) asked for this hall: say so."""
        req, f = job.tag, self.window.facility
        if job.key != STEADY or f is None or not self.wanted():
            return
        if req.source is f and req.hall == self.hall:
            self.progress.start(f"Thermal: re-solving {f.hall_ids[self.hall]} after the edit…")

    def _on_answer(self, answer: ThermalAnswer) -> None:
        """Any thermal answer of the window (ours, or the editor's after an edit)."""
        win = self.window
        if answer.source is not win.facility or answer.request.hall != self.hall:
            return  # of another layout or hall
        self.answer = answer
        self.error = None
        if self.wanted() and win.scene is not None:
            self._draw(answer)
        self.progress.done()

    def _on_failure(self, outcome) -> None:
        req = outcome.tag
        if getattr(req, "hall", None) != self.hall:
            return
        self.error = outcome.error
        self.progress.done("Thermal: solve failed")
        self.summary.setText(f"<b>Cannot solve this hall:</b> {outcome.error}")
        self.failed_solve.emit(outcome.error)

    def _draw(self, answer: ThermalAnswer) -> None:
        win, res = self.window, answer.result
        if win.scene is None:
            return
        if self.layer is None or self.layer.scene is not win.scene:
            self.layer = ThermalLayer(
                win.scene,
                slice_height_m=self.state.slice_z_m,
                vertical_axis=self.state.vslice_axis,
                vertical_pos_m=self.state.vslice_pos_m,
            )
        elif self._drawn is not answer.facility:
            self.layer.invalidate()  # another layout state: racks may have moved
        self._drawn, self._drawn_answer = answer.facility, answer
        self.layer.update(res)
        index = win.facility.air_unit_index
        self.layer.mark_failed([index[u] for u in answer.request.failed if u in index])
        self._sync_layer(render=False)
        self._update_labels()
        self.summary.setText(summarise(win.facility, res, set(self.failed)))
        self.status.setText(
            f"Thermal: {win.facility.hall_ids[res.grid.hall]} solved in {res.seconds:.1f} s"
        )
        win.plotter.render()
        self.solved.emit(res)

    def _sync_layer(self, render: bool = True) -> None:
        if self.layer is None:
            return
        shown = self.state.overlays
        for name in self.actions:
            self.layer.show(name, name in shown)
        if render:
            self.window.plotter.render()

    # ------------------------------------------------------------------ slices
    def _fill_sliders(self) -> None:
        """The hall's slider ranges; the slices back inside the hall (the middle for the
        vertical one)."""
        f = self.window.facility
        if f is None or not len(f.hall_ids):
            return
        w, d, h = (float(v) for v in f.hall_size_m[self.hall])
        self.panel.fill_sliders((w, d, h))
        st = self.state
        if not 0.0 <= st.slice_z_m <= h:
            st.slice_z_m = min(1.2, h / 2)
        st.vslice_pos_m = None
        self.binding.show_slider(self.height_slider, st.slice_z_m)
        self._update_labels()

    def _update_labels(self) -> None:
        lay = self.layer
        if lay is not None and lay.built:
            g = lay.result.grid
            ax = 0 if lay.vertical_axis == "x" else 1
            z = g.origin_m[2] + (lay.slice_k + 0.5) * g.cell_m
            p = g.origin_m[ax] + (lay.vslice_index + 0.5) * g.cell_m
        else:
            z, p = self.panel.slider_m(self.height_slider), self.panel.slider_m(self.pos_slider)
        self.panel.show_positions(z, p)

    def _on_height(self, z_m: float) -> None:
        if self.layer is not None and self.layer.built:
            self.layer.set_slice_height(z_m)
            self.window.plotter.render()
        self._update_labels()

    def _on_pos(self, pos_m: float | None) -> None:
        if self.layer is not None and self.layer.built and pos_m is not None:
            self.layer.set_vertical_slice(pos_m=pos_m)
            self.window.plotter.render()
        self._update_labels()

    def _on_axis(self, axis: str) -> None:
        """Across the other axis: the slice starts in the middle of the hall."""
        f = self.window.facility
        if f is not None and len(f.hall_ids):
            w, d, _h = f.hall_size_m[self.hall]
            self.panel.fill_position(float(w if axis == "x" else d))
        self.state.vslice_pos_m = None
        if self.layer is not None and self.layer.built:
            self.layer.set_vertical_slice(axis, self.panel.slider_m(self.pos_slider))
            self.window.plotter.render()
        self._update_labels()

    # ------------------------------------------------------------------ window events
    def _on_layout(self, facility: Facility) -> None:
        self.relay.cancel(FRAME)
        self.layer = None  # the old scene (and its actors) is gone
        self._drawn = self._drawn_answer = None
        self.answer = None
        self._facility = facility
        # the window's reset_for_layout put the hall back to 0 and cleared the failures
        self.panel.fill_halls(facility)
        self.panel.show_hall(self.hall)
        self.panel.fill_units(facility, self.hall)
        self.panel.check_units(set(self.failed))
        self._fill_sliders()
        self.summary.setText(IDLE_TEXT)
        asked = self.relay.awaiting(STEADY)
        if asked is not None and asked.tag.source is facility:
            if self.wanted():
                self.progress.start(
                    f"Thermal: re-solving {facility.hall_ids[self.hall]} after the edit…"
                )
            return  # an edit rebuilt the layout and its solve is on its way: we draw that
        if self.wanted():
            self.request_solve(delay_s=DEBOUNCE_S)

    def _on_selection(self, kind: str, index: int) -> None:
        f = self.window.facility
        if f is None or not kind:
            return
        hall = hall_of(f, kind, index)
        if hall is not None and hall != self.hall:
            self.set_hall(hall)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        """Stop asking: the running solve ends in its daemon thread, unheeded."""
        self._closed = True
        self.progress.stop()
        self._debounce.stop()
        self.relay.shutdown()


def install(window: MainWindow) -> ThermalView:
    return ThermalView(window)
