"""Energy in the window: an "Energy" dock with the facility's power, its breakdown, PUE and
partial PUE per hall (from the layout, then from every frame shown, charted over time), and
"Optimise Set Points": the warmest safe set points for the hall being viewed, found on the
window's solver service, applied with one click as an undoable edit and shown in 3D through
the thermal view's rack inlet colours.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from twin.model import units
from twin.ui.charts import ChartPanel, Line, Panel

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.ui.main_window import MainWindow

#: Frames closer together than this (s) add no point to the chart.
CHART_STEP_S = 1.0
#: The search's key on the window's solver service.
OPTIMISE_KEY = "energy.optimise"
#: Points kept on the chart (a day at one a minute, an hour at one a second, ...).
CHART_POINTS = 3600
#: The chart's least height: two panels, their legends and a time axis readable at once.
CHART_HEIGHT_PX = 260


class EnergyDock(QObject):
    """State of the Energy dock (``window.extensions["energy_dock"]``)."""

    optimised = Signal(object)  # Optimisation, when a search lands

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.model = None  # EnergyModel of the window's facility
        self.breakdown = None
        self.result = None  # the last Optimisation
        #: searches run on the window's one solver service, in turn with the thermal solves
        self.relay = window.solver
        self.relay.done.connect(self._done)
        self._progress = ""
        self._lock = threading.Lock()
        self._last_t: float | None = None
        self._scale, self._unit = 1e3, "kW"  # the dock's power unit (MW for a factory)
        self._build()
        self._declare_actions()
        self._poll = QTimer(self, interval=200)
        self._poll.timeout.connect(self._show_progress)
        window.layout_loaded.connect(self._on_layout)
        window.frame_shown.connect(self._on_frame)
        if window.facility is not None:
            self._on_layout(window.facility)

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 4, 4, 4)
        self.summary = QLabel("Open a layout to see its energy")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setObjectName("energy_summary")
        lay.addWidget(self.summary)
        self.chart = ChartPanel(w)
        self.chart.setMinimumHeight(CHART_HEIGHT_PX)
        lay.addWidget(self.chart, 1)
        row = QHBoxLayout()
        self.optimise_button = QPushButton("Optimise Set Points")
        self.optimise_button.setToolTip(
            "Find the warmest supply and lowest fan flow that keep every rack inlet within "
            "ASHRAE A1, every GPU below its limit, and the hall through an air-unit failure"
        )
        self.optimise_button.clicked.connect(self.optimise)
        self.apply_button = QPushButton("Apply as Edit")
        self.apply_button.setToolTip("Change the set points in the layout (undo with Ctrl+Z)")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        row.addWidget(self.optimise_button)
        row.addWidget(self.apply_button)
        lay.addLayout(row)
        self.result_label = QLabel("")
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setWordWrap(True)
        self.result_label.setObjectName("energy_result")
        lay.addWidget(self.result_label)
        self.widget = w
        # scrolled, not squeezed, when the dock shares a short column: the breakdown's rows
        # and the chart keep their heights
        self.dock = self.window.add_dock(
            w, "Energy", Qt.DockWidgetArea.RightDockWidgetArea, scroll=True
        )
        self.dock.hide()

    def _declare_actions(self) -> None:
        from twin.ui.actions import Action

        self.act_optimise = self.window.action_registry.add(
            Action(
                "tools.optimise_set_points",
                "Optimise Cooling &Set Points…",
                "Tools",
                "3_energy",
                1,
                self.show_and_optimise,
                tip="How warm can the hall run? The warmest safe supply and lowest fan flow",
            )
        )

    def show_and_optimise(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.optimise()

    # ------------------------------------------------------------------ figures
    def _on_layout(self, facility: Facility) -> None:
        from twin.physics.energy import EnergyModel

        self.model = EnergyModel(facility)
        self.relay.cancel(OPTIMISE_KEY)  # a search of the layout replaced
        self._searching_stopped()
        self.result = None
        self.apply_button.setEnabled(False)
        self.result_label.setText("")
        self._last_t = None
        nominal = self.model.breakdown()
        # one unit for the whole dock, chosen by the facility's size (a factory in MW)
        self._scale, self._unit = units.power_unit(nominal.total_w)
        self.chart.show_panels(
            "Facility power over time",
            [
                Panel("PUE", "PUE", [Line("PUE", "#ffb000", np.zeros(0), np.zeros(0))]),
                Panel(
                    "Power",
                    self._unit,
                    [
                        Line("IT", "#4aa3ff", np.zeros(0), np.zeros(0)),
                        Line("facility", "#e9eef3", np.zeros(0), np.zeros(0)),
                        Line("cooling", "#38d39f", np.zeros(0), np.zeros(0)),
                    ],
                ),
            ],
        )
        self._show(nominal, "at nominal load")

    def _on_frame(self, frame) -> None:
        if self.model is None:
            return
        b = self.model.breakdown(self.model.from_frame(frame))
        self._show(b, "this frame")
        t = float(frame.time_s)
        if self._last_t is not None and self._last_t <= t < self._last_t + CHART_STEP_S:
            return
        if self._last_t is not None and t < self._last_t:  # a seek back: start again
            self._on_layout(self.model.facility)
        self._last_t = t
        k = self._scale
        self.chart.append(t, [[b.pue], [b.it_w / k, b.total_w / k, b.cooling_w / k]])
        self.chart.set_cursor(t)
        panel = self.chart.panels[0] if self.chart.panels else None
        if panel is not None and len(panel.lines[0].times) > CHART_POINTS:
            self.chart.trim(float(panel.lines[0].times[-CHART_POINTS]))

    def _show(self, b, when: str) -> None:
        self.breakdown = b
        rows = [
            ("IT", b.it_w),
            ("Power-chain losses", b.chain_loss_w),
            ("Fans", b.fans_w),
            ("Pumps", b.pumps_w),
            ("Chillers", b.chillers_w),
            ("Heat rejection", b.heat_rejection_w),
            ("Lighting", b.lighting_w),
            ("Fixed loads", b.fixed_w),
        ]
        k, unit = self._scale, self._unit
        digits = 2 if unit == "MW" else 1
        table = "".join(
            f"<tr><td>{name}</td><td align='right'>{w / k:,.{digits}f} {unit}</td></tr>"
            for name, w in rows
        )
        halls = ", ".join(
            f"{h} {pp:.3f}"
            for h, pp in zip(b.hall_ids, b.hall_ppue, strict=True)
            if math.isfinite(pp)
        )
        it = math.isfinite(b.pue)  # no IT load (a blackout frame): nothing to divide by
        pue = units.ratio_text(b.pue)
        per_it = f"cooling {b.cooling_per_it:.3f} kW per IT kW" if it else ""
        self.summary.setText(
            f"<b>PUE {pue}</b> ({when}, outdoor {b.dry_bulb_c:.1f} °C)<br>"
            f"Facility {b.total_w / k:,.{digits}f} {unit} for {b.it_w / k:,.{digits}f} {unit} "
            f"of IT; {per_it}<br>"
            f"<table>{table}</table>Partial PUE: {halls}"
            + "".join(f"<br><i>{n}</i>" for n in b.notes)
        )

    # ------------------------------------------------------------------ optimiser
    @property
    def busy(self) -> bool:
        return self.relay.busy(OPTIMISE_KEY)

    def hall(self) -> int:
        """The hall the thermal view shows (the first hall by default)."""
        return int(self.window.view.thermal.hall)

    def optimise(self) -> None:
        """Search the viewed hall's set points on the solver service."""
        from twin.physics.hall_jobs import Snapshot, layout_state
        from twin.physics.setpoints import SetPointOptimiser

        fac = self.window.facility
        if fac is None or self.busy:
            return
        hall = self.hall()
        snap = Snapshot.of(fac)  # the editor may patch ``fac`` in place while it searches

        def search(token):
            def progress(text: str) -> None:
                token.check()  # superseded (a new layout): stop between solves
                with self._lock:
                    self._progress = text

            return SetPointOptimiser(snap.facility(), progress=progress).run([hall])

        tag = layout_state(fac)
        if self.relay.submit(OPTIMISE_KEY, search, tag=tag, background=True) is None:
            return
        self.optimise_button.setEnabled(False)
        self.apply_button.setEnabled(False)
        self.result_label.setText(f"Optimising {fac.hall_ids[hall]}…")
        self._poll.start()

    def _show_progress(self) -> None:
        if not self.busy:
            self._poll.stop()
            return
        with self._lock:
            text = self._progress
        if text:
            self.result_label.setText(f"Optimising: solving {text}…")

    def _searching_stopped(self) -> None:
        self._poll.stop()
        with self._lock:
            self._progress = ""
        self.optimise_button.setEnabled(True)

    def _done(self, outcome) -> None:
        """The solver's answer to the newest search."""
        if outcome.key != OPTIMISE_KEY:
            return
        self._searching_stopped()
        if outcome.error:  # the window must survive a solver failure: report it
            self.result_label.setText(f"<b>Cannot optimise:</b> {outcome.error}")
            return
        if self.model is None or outcome.tag.facility is not self.model.facility:
            return  # of a layout since replaced
        result = outcome.value
        edited = outcome.tag.edited()
        self.result = None if edited else result
        self.apply_button.setEnabled(not edited and bool(result.changes()))
        text = describe(result)
        if edited:
            text += (
                "<br><i>The layout was edited while the search ran: optimise again to apply.</i>"
            )
        self.result_label.setText(text)
        self.optimised.emit(result)

    def apply(self) -> bool:
        """Apply the last result as one undoable edit and show the rack inlets in 3D."""
        from twin.physics.setpoints import as_edit

        editor = self.window.extensions.get("editor")
        if self.result is None or editor is None:
            return False
        edit = as_edit(self.result)
        if edit is None:
            return False
        editor.set_active(True)
        if not editor.push(edit):
            return False
        self.apply_button.setEnabled(False)
        tv = self.window.extensions.get("thermal_view")
        if tv is not None:
            from twin.render.thermal_layer import INLETS

            tv.set_overlay(INLETS, True)
        if self.window.facility is not None:
            self._on_layout(self.window.facility)
        return True


def describe(result) -> str:
    """The optimisation as rich text for the dock."""
    parts = []
    for h in result.halls:
        if not h.changed:
            parts.append(f"<b>{h.hall}</b>: no change ({h.binding})")
            continue
        lines = [f"<b>{h.hall}</b> ({h.solves} solves), limited by {h.binding}:"]
        if len(h.air_units):
            lines.append(
                f"air supply {h.supply_before_c.max():.1f} → {h.supply_after_c.max():.1f} °C, "
                f"fans {h.flow_after_m3s.sum() / h.flow_before_m3s.sum():.0%} of today's flow"
            )
        if len(h.cdus):
            lines.append(
                f"CDU supply {h.cdu_supply_before_c.max():.1f} → "
                f"{h.cdu_supply_after_c.max():.1f} °C"
            )
        before, after = h.inlet_before_c, h.inlet_after_c
        gpus = (
            f"; hottest GPU {h.gpu_max_before_c:.1f} → {h.gpu_max_after_c:.1f} °C"
            if np.isfinite(h.gpu_max_before_c) or np.isfinite(h.gpu_max_after_c)
            else ""  # no GPU in the hall (or none it solves): nothing to say, not "nan"
        )
        lines.append(
            f"rack inlets (max) {np.nanmin(before):.1f}–{np.nanmax(before):.1f} → "
            f"{np.nanmin(after):.1f}–{np.nanmax(after):.1f} °C{gpus}"
        )
        parts.append("<br>".join(lines))
    parts.append(
        f"<b>Saves {result.saved_w / 1e3:,.1f} kW</b>: PUE "
        f"{units.ratio_change_text(result.before.pue, result.after.pue, '→')}"
    )
    return "<br>".join(parts)


def install(window: MainWindow) -> EnergyDock:
    """Add the Energy dock to a main window (called from ``twin.ui.extensions``)."""
    return EnergyDock(window)
