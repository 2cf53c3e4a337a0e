"""The Thermal dock bound to the view state: each widget writes the user's choice into
``ViewState.thermal`` and shows the state whatever changed it (a script, a selection in another
hall, a new layout), so nothing reads a setting back from a widget. Also the status-bar progress
of a solve."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import QLabel, QListWidgetItem, QProgressBar, QStatusBar

from twin.ui.thermal_panel import SLIDER_STEP_M, ThermalPanel
from twin.viewstate import ThermalSettings

#: Cell sizes below this on the spin box mean "auto" (the physics policy's choice).
AUTO_BELOW_M = 0.05


class ThermalBinding(QObject):
    """Two-way binding of a ``ThermalPanel`` and a ``ThermalSettings``."""

    def __init__(self, panel: ThermalPanel, state: ThermalSettings, parent: QObject) -> None:
        super().__init__(parent)
        self.panel, self.state = panel, state
        p, ev = panel, state.events
        p.hall_combo.currentIndexChanged.connect(self._hall_picked)
        p.cell_spin.valueChanged.connect(self._cell_picked)
        p.height_slider.valueChanged.connect(self._height_picked)
        p.axis_combo.currentIndexChanged.connect(self._axis_picked)
        p.pos_slider.valueChanged.connect(self._pos_picked)
        p.units_list.itemChanged.connect(self._unit_picked)
        p.follow.toggled.connect(self._follow_picked)
        ev.hall.connect(p.show_hall)
        ev.cell_m.connect(self._show_cell)
        ev.slice_z_m.connect(lambda z: self.show_slider(p.height_slider, z))
        ev.vslice_axis.connect(self._show_axis)
        ev.vslice_pos_m.connect(self._show_pos)
        ev.failed_units.connect(lambda units: p.check_units(set(units)))
        ev.follow_telemetry.connect(self._show_follow)
        self._show_cell(state.cell_m)
        self._show_follow(state.follow_telemetry)

    # ------------------------------------------------------------------ widget -> state
    def _hall_picked(self, index: int) -> None:
        if index >= 0:
            self.state.hall = index

    def _cell_picked(self, value: float) -> None:
        self.state.cell_m = None if value < AUTO_BELOW_M else float(value)

    def _height_picked(self, value: int) -> None:
        self.state.slice_z_m = value * SLIDER_STEP_M

    def _axis_picked(self, _index: int) -> None:
        self.state.vslice_axis = self.panel.axis

    def _pos_picked(self, value: int) -> None:
        self.state.vslice_pos_m = value * SLIDER_STEP_M

    def _unit_picked(self, item: QListWidgetItem) -> None:
        units = set(self.state.failed_units)
        if item.checkState() == Qt.CheckState.Checked:
            units.add(item.text())
        else:
            units.discard(item.text())
        self.state.failed_units = frozenset(units)

    def _follow_picked(self, on: bool) -> None:
        self.state.follow_telemetry = bool(on)

    # ------------------------------------------------------------------ state -> widget
    def _show_cell(self, cell_m: float | None) -> None:
        with QSignalBlocker(self.panel.cell_spin):
            self.panel.cell_spin.setValue(0.0 if cell_m is None else float(cell_m))

    @staticmethod
    def show_slider(slider, value_m: float | None) -> None:
        """Put ``slider`` at ``value_m`` (None: leave it) without echoing it to the state."""
        if value_m is None:
            return
        with QSignalBlocker(slider):
            slider.setValue(int(round(float(value_m) / SLIDER_STEP_M)))

    def _show_axis(self, axis: str) -> None:
        combo = self.panel.axis_combo
        with QSignalBlocker(combo):
            combo.setCurrentIndex(max(combo.findData(axis), 0))

    def _show_pos(self, pos_m: float | None) -> None:
        # None: the middle of the hall, where ``ThermalPanel.fill_position`` puts the slider
        self.show_slider(self.panel.pos_slider, pos_m)

    def _show_follow(self, on: bool) -> None:
        with QSignalBlocker(self.panel.follow):
            self.panel.follow.setChecked(bool(on))


class SolveProgress(QObject):
    """A status-bar text and busy bar for a solve, with the seconds it has run."""

    def __init__(self, status_bar: QStatusBar, running) -> None:
        super().__init__(status_bar)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumWidth(110)
        self.bar.setVisible(False)
        status_bar.addPermanentWidget(self.label)
        status_bar.addPermanentWidget(self.bar)
        self._running = running  # () -> bool: whether a solve still runs
        self._started = 0.0
        self._tick = QTimer(self, interval=500)
        self._tick.timeout.connect(self._show_elapsed)

    def start(self, text: str) -> None:
        self.label.setText(text)
        self.bar.setVisible(True)
        self._started = time.perf_counter()
        self._tick.start()

    def done(self, text: str | None = None) -> None:
        """Hide the bar once nothing runs (``text``: what to say now, if anything)."""
        if text is not None:
            self.label.setText(text)
        if not self._running():
            self.bar.setVisible(False)
            self._tick.stop()

    def stop(self) -> None:
        self._tick.stop()

    def _show_elapsed(self) -> None:
        if not self._running():
            self._tick.stop()
            self.bar.setVisible(False)
            return
        secs = time.perf_counter() - self._started
        self.label.setText(self.label.text().split(" — ")[0] + f" — {secs:.0f} s")
