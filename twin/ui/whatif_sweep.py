"""The N-1 sweep in the window: fail every power and cooling device of the viewed hall in turn
(``twin.whatif.sweep``, local worker processes), on the window's solver service, and rank the
cases worst first: GPUs dark, GPUs throttled, minutes of ride-through. Double-click a case to
tick its device in the What If list and look at it in detail."""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

#: The sweep's key on the window's solver (a new sweep supersedes the last).
SWEEP_KEY = "whatif.sweep"
COLUMNS = ("Failed", "GPUs dark", "GPUs thr.", "Ride-through (min)", ">32 °C racks", "Overloaded")


def case_cells(case: dict) -> tuple[str, ...]:
    """A ranked case as the table shows it."""
    ride = case.get("ride_through_min")
    over = ", ".join(o["id"] for o in case.get("overloaded", [])) or "—"
    return (
        " + ".join(case["failed"]),
        str(case["gpus_dark"]),
        str(case["gpus_throttled"]),
        "never" if ride is None else f"{ride:.1f}",
        str(case["racks_outside_allowable"]),
        over,
    )


class SweepPanel(QWidget):
    """Button, progress and ranked cases (``cases``: the last sweep's, worst first)."""

    finished = Signal(object)  # SweepResult
    chosen = Signal(str)  # a case's device, double-clicked

    def __init__(self, window, options) -> None:
        super().__init__()
        self.window = window
        self.relay = window.solver
        self._options = options  # () -> WhatIfOptions: the dock's duration and cell
        self.cases: list[dict] = []
        self._progress = (0, 0)
        self._lock = threading.Lock()
        self.button = QPushButton("Sweep All Single Failures", self)
        self.button.setToolTip(
            "Fail every power and cooling device of the viewed hall in turn and rank the results"
        )
        self.button.clicked.connect(self.run)
        self.status = QLabel("N-1: each device of the hall failed alone.", self)
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.cellDoubleClicked.connect(self._choose)
        top = QHBoxLayout()
        top.addWidget(self.button)
        top.addWidget(self.status, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        self._tick = QTimer(self, interval=300)
        self._tick.timeout.connect(self._show_progress)
        self.relay.done.connect(self._done)

    @property
    def busy(self) -> bool:
        return self.relay.busy(SWEEP_KEY)

    def run(self) -> bool:
        """Sweep the hall the thermal view shows, on the solver service."""
        from twin.physics.hall_jobs import Snapshot, layout_state
        from twin.whatif.sweep import run_sweep, single_failures

        fac = self.window.facility
        if fac is None or self.busy:
            return False
        hall = int(self.window.view.thermal.hall)
        cases = single_failures(fac, hall)
        snap = Snapshot.of(fac)  # what the workers load: the layout as it is now, edits included
        if not cases:
            self.status.setText(f"{fac.hall_ids[hall]} has no device to fail.")
            return False
        opts = self._options()

        def sweep(token):
            def progress(done: int, total: int) -> None:
                with self._lock:
                    self._progress = (done, total)

            token.check()
            return run_sweep(
                fac,
                cases,
                opts,
                text=snap.text(),
                progress=progress,
                cancelled=lambda: token.cancelled,
            )

        if self.relay.submit(SWEEP_KEY, sweep, tag=layout_state(fac), background=True) is None:
            return False
        self._progress = (0, len(cases))
        self.button.setEnabled(False)
        self.status.setText(f"Sweeping {len(cases)} devices of {fac.hall_ids[hall]}…")
        self._tick.start()
        return True

    def cancel(self) -> None:
        self.relay.cancel(SWEEP_KEY)
        self._stopped()

    def _stopped(self) -> None:
        self._tick.stop()
        self.button.setEnabled(True)

    def _show_progress(self) -> None:
        with self._lock:
            done, total = self._progress
        self.status.setText(f"Sweeping: {done} of {total} cases done…")

    def _done(self, outcome) -> None:
        if outcome.key != SWEEP_KEY:
            return
        self._stopped()
        if outcome.error:
            self.status.setText(f"Sweep failed: {outcome.error}")
            return
        if outcome.tag.facility is not self.window.facility:
            return  # of a layout since replaced
        edited = outcome.tag.edited()
        res = outcome.value
        self.cases = res.cases
        self.table.setRowCount(len(self.cases))
        for k, case in enumerate(self.cases):
            for c, text in enumerate(case_cells(case)):
                self.table.setItem(k, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        from twin.whatif.export import before_line

        worst = case_cells(self.cases[0])[0] if self.cases else "—"
        before = before_line(self.cases[0]) if self.cases else None
        self.status.setText(
            f"{len(self.cases)} cases in {res.seconds:.0f} s on {res.workers} {res.where}; "
            f"worst: {worst}"
            + (f"\n{before[0].upper()}{before[1:]}" if before else "")
            + ("\nOf the layout before the edits made while it ran: sweep again." if edited else "")
        )
        self.finished.emit(res)

    def _choose(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.cases):
            for dev in self.cases[row]["failed"]:
                self.chosen.emit(dev)

    def clear(self) -> None:
        self.cancel()
        self.cases = []
        self.table.setRowCount(0)
        self.status.setText("N-1: each device of the hall failed alone.")
