"""The What If dock: tick devices, run the what-if on the window's solver service, read the ranked racks
(with the change of each rack's peak inlet from the baseline), colour the 3D GPUs by minutes
to slowdown (dark GPUs at 0), export the table as CSV."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from twin.model import units
from twin.model.units import count_text
from twin.whatif.compare import GPU_VIEWS, countdown_min, gpu_view
from twin.whatif.export import air_limit_line, before_line, ramp_line

COLUMNS = ("Rack", "State", "GPUs thr.", "Slowdown (min)", ">32 °C (min)", "Peak inlet", "Δ inlet")


#: The what-if's key on the window's solver service (a new run supersedes the last).
WHATIF_KEY = "whatif.run"


def _run(fac, fail, start, opts, token) -> tuple:
    """On the solver's worker: the baseline, then the what-if (stops early when superseded)."""
    from twin.whatif import Baseline, run_whatif
    from twin.whatif.engine import whatif_hall

    hall = whatif_hall(fac, fail, start, opts)
    base = Baseline(fac, start, hall, opts.cell_for(fac, hall))
    token.check()
    return run_whatif(fac, fail, start, opts, base), base


class WhatIfDock(QWidget):
    """Device list, options, result table; ``result`` holds the last ``WhatIfResult``."""

    finished = Signal(object)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.result = None
        self.baseline = None
        #: runs on the window's one solver service, one job at a time with the thermal solves
        self.relay = window.solver
        self.relay.done.connect(self._done)
        self._build_run_controls()
        self._build_view_controls()
        self.summary = QLabel("Tick the devices to fail and press Run.", self)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.cellDoubleClicked.connect(self._select_row)
        from twin.ui.whatif_sweep import SweepPanel

        self.sweep = SweepPanel(window, self.options)
        self.sweep.chosen.connect(lambda dev: self.set_checked([dev]))
        self._lay_out()
        window.layout_loaded.connect(lambda *_: self.set_facility(window.facility))
        self.set_facility(window.facility)

    def _build_run_controls(self) -> None:
        """The devices to fail, where to start from, how long, the cell size, Run."""
        self.devices = QListWidget(self)
        self.start = QComboBox(self)
        self.start.addItems(["nominal load", "the frame shown now"])
        self.minutes = QDoubleSpinBox(self, minimum=1, maximum=240, value=30, suffix=" min")
        self.cell = QDoubleSpinBox(
            self, minimum=0.1, maximum=0.5, value=0.25, singleStep=0.05, suffix=" m"
        )
        self.ramp = QCheckBox("Ramp fans", self)
        self.ramp.setToolTip(
            "When an air unit is lost, run the hall's other units at their rated flow, as "
            "their controllers ramp them (what the N+1 design check assumes); unticked, they "
            "keep their set flow"
        )
        self.run_button = QPushButton("Run", self)
        self.run_button.clicked.connect(self.run)

    def _build_view_controls(self) -> None:
        """What the 3D view shows of the result, side by side, export."""
        self.colour = QCheckBox("Colour 3D by", self)
        self.colour.toggled.connect(self._apply_colour)
        self.view_combo = QComboBox(self)
        self.view_combo.addItems(GPU_VIEWS)
        self.view_combo.setToolTip(
            "What the GPUs show: minutes to slowdown, the peak temperature after the failure, "
            "the temperature before it, or the rise from one to the other"
        )
        self.view_combo.currentIndexChanged.connect(self._apply_colour)
        self.compare_button = QPushButton("Side by Side…", self)
        self.compare_button.setToolTip("Baseline and what-if in two linked 3D views")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self.show_side_by_side)
        self.compare_window = None
        self.export = QPushButton("Export CSV…", self)
        self.export.clicked.connect(self.export_dialog)

    def _lay_out(self) -> None:
        opts = QHBoxLayout()
        controls = (QLabel("From", self), self.start, self.minutes, self.cell, self.ramp)
        for w in (*controls, self.run_button):
            opts.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(QLabel("Fail:", self))
        lay.addWidget(self.devices, 1)
        lay.addLayout(opts)
        lay.addWidget(self.summary)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.table, "Ranked Racks")
        self.tabs.addTab(self.sweep, "N-1 Sweep")
        lay.addWidget(self.tabs, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(self.colour)
        bottom.addWidget(self.view_combo, 1)
        bottom.addWidget(self.compare_button)
        bottom.addWidget(self.export)
        lay.addLayout(bottom)

    def set_facility(self, fac) -> None:
        self.relay.cancel(WHATIF_KEY)
        self.sweep.clear()
        self.devices.clear()
        self.result = None
        self.compare_button.setEnabled(False)
        self.table.setRowCount(0)
        if fac is None:
            return
        for kind, ids in (
            ("air unit", fac.air_unit_ids),
            ("CDU", fac.cdu_ids),
            ("power", fac.power_ids),
        ):
            for i in ids:
                it = QListWidgetItem(f"{i}  ({kind})")
                it.setData(Qt.ItemDataRole.UserRole, i)
                it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                it.setCheckState(Qt.CheckState.Unchecked)
                self.devices.addItem(it)

    def checked(self) -> list[str]:
        return [
            self.devices.item(k).data(Qt.ItemDataRole.UserRole)
            for k in range(self.devices.count())
            if self.devices.item(k).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, ids: list[str]) -> None:
        for k in range(self.devices.count()):
            it = self.devices.item(k)
            on = it.data(Qt.ItemDataRole.UserRole) in ids
            it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def options(self):
        """The run's options from the dock: how long to follow, the cell size, whether the
        fans ramp."""
        from twin.whatif import WhatIfOptions

        return WhatIfOptions(
            duration_s=self.minutes.value() * 60.0,
            cell_m=self.cell.value(),
            ramp=self.ramp.isChecked(),
        )

    def run(self) -> bool:
        """Start the what-if of the ticked devices in the background (on a copy of the
        layout: the editor may patch the window's in place while it runs)."""
        from twin.physics.hall_jobs import Snapshot, layout_state
        from twin.whatif import StartState

        fac = self.window.facility
        fail = self.checked()
        if fac is None or not fail:
            self.summary.setText("Tick at least one device to fail.")
            return False
        frame = self.window.last_frame
        if self.start.currentIndex() == 1 and frame is not None:
            start = StartState.from_frame(fac, frame, "the frame shown")
        else:
            start = StartState.nominal(fac)
        opts = self.options()
        self.summary.setText(f"Running: {' + '.join(fail)} from {start.label}…")
        snap = Snapshot.of(fac)
        job = self.relay.submit(
            WHATIF_KEY,
            lambda token: _run(snap.facility(), fail, start, opts, token),
            tag=layout_state(fac),
            background=True,  # the thermal view's and the editor's solves go first
        )
        return job is not None

    @property
    def busy(self) -> bool:
        return self.relay.busy(WHATIF_KEY)

    def _done(self, outcome) -> None:
        """The solver's answer (the relay delivers only the newest run's)."""
        if outcome.key != WHATIF_KEY:
            return
        if outcome.error:
            self.summary.setText(f"What-if failed: {outcome.error}")
            return
        if outcome.tag.facility is not self.window.facility:
            return  # of a layout since replaced
        edited = outcome.tag.edited()
        self.result, self.baseline = outcome.value
        s = self.result.summary()
        ride = (  # none within the run: no "(first after ...)" (the report's rule too)
            ""
            if s["ride_through_min"] is None
            else f" (first after {s['ride_through_min']:.1f} min)"
        )
        over = ", ".join(o["id"] for o in s["overloaded"]) or "none"
        before = before_line(s)
        stopped = s["air_past_limit_min"] is not None
        self.summary.setText(
            f"{' + '.join(s['failed'])}: {count_text(s['racks_dark'], 'rack')} / "
            f"{count_text(s['gpus_dark'], 'GPU')} dark, "
            f"{count_text(s['gpus_throttled'], 'GPU')} reach slowdown{ride}, "
            f"{count_text(s['racks_outside_allowable'], 'rack')} leave A1 allowable; "
            f"overloaded: {over}"
            + (_sentence(before) if before else "")
            + (_sentence(air_limit_line(s["air_past_limit_min"])) if stopped else "")
            + (_sentence(ramp_line(s["ramped_units"])) if s["ramp_applied"] else "")
            + (
                "\nOf the layout before the edits made while it ran: run it again."
                if edited
                else ""
            )
        )
        self._fill_table()
        self.compare_button.setEnabled(True)
        self._apply_colour()
        self.finished.emit(self.result)

    def _fill_table(self) -> None:
        res, fac = self.result, self.window.facility
        base_in = self.baseline.result.rack_inlet_max_c
        rows = res.racks_ranked()
        self.table.setRowCount(len(rows))

        def txt(v, fmt="{:.1f}"):
            return "never" if v is None else fmt.format(v)

        for k, r in enumerate(rows):
            i = fac.rack_index[r["id"]]
            delta = None
            if r["peak_inlet_c"] is not None and np.isfinite(base_in[i]):
                delta = r["peak_inlet_c"] - base_in[i]
            before = r["gpus_throttled_at_start"]
            state = "DARK" if r["dark"] else ("one feed" if r["single_fed"] else "")
            if before and not r["dark"]:  # at slowdown before the failure: not counted
                state = ", ".join(filter(None, (state, f"{before} thr. before")))
            cells = (
                r["id"],
                state,
                str(r["gpus_throttled"]),
                txt(r["first_slowdown_min"]),
                # past 32 C before the failure: not the failure's 0.0 min
                "before" if r["outside_at_start"] else txt(r["outside_allowable_min"]),
                "" if r["peak_inlet_c"] is None else f"{r['peak_inlet_c']:.1f} °C",
                "" if delta is None else f"{units.signed_text(delta)} K",
            )
            for c, t in enumerate(cells):
                self.table.setItem(k, c, QTableWidgetItem(t))
        self.table.resizeColumnsToContents()

    def countdown_minutes(self) -> np.ndarray:
        """Per GPU: minutes to slowdown (dark GPUs 0, never: the run's length, other halls NaN)."""
        return countdown_min(self.result)

    def gpu_view(self, name: str | None = None):
        """The values the 3D view shows for ``name`` (the combo's choice by default)."""
        name = name or self.view_combo.currentText()
        return gpu_view(self.result, self.baseline.gpu_temp_c, name)

    def _apply_colour(self, *_args) -> None:
        scene = self.window.scene
        if scene is None:
            return
        if self.colour.isChecked() and self.result is not None:
            v = self.gpu_view()
            scene.set_gpu_values(v.values, f"{v.name} ({v.unit})", v.clim, v.cmap)
        elif scene.gpu_colouring.name.split(" (")[0] in GPU_VIEWS:
            scene.clear_gpu_values()
        self.window.plotter.render()

    def show_side_by_side(self) -> None:
        """Baseline and what-if in two linked 3D views (a window of their own)."""
        if self.result is None:
            return
        from twin.ui.whatif_compare import CompareWindow

        if self.compare_window is not None:
            self.compare_window.close()
        self.compare_window = CompareWindow(self.window, self.result, self.baseline)
        self.compare_window.destroyed.connect(self._compare_closed)
        self.compare_window.show()

    def _compare_closed(self, *_args) -> None:
        self.compare_window = None

    def _select_row(self, row: int, _col: int) -> None:
        it = self.table.item(row, 0)
        if it is not None:
            self.window.select_id(it.text())

    def export_dialog(self) -> None:
        if self.result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export What-If", "whatif.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path) -> None:
        from twin.whatif.export import write_csv

        write_csv(path, self.result.racks_ranked())


def install(window) -> WhatIfDock:
    from twin.ui.actions import Action

    dock_widget = WhatIfDock(window)
    dock = window.add_dock(dock_widget, "What If", Qt.DockWidgetArea.RightDockWidgetArea, "whatif")
    dock.hide()

    def show() -> None:
        dock.show()
        dock.raise_()

    window.action_registry.add(
        Action(
            "tools.whatif",
            "&What If…",
            "Tools",
            "5_other",
            10,
            show,
            tip="Fail devices and see what follows",
        )
    )
    dock_widget.dock = dock
    return dock_widget


def _sentence(line: str) -> str:
    """A line of the report as a new line of the summary, capitalised."""
    return f"\n{line[0].upper()}{line[1:]}"
