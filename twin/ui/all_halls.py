"""Thermal for every hall from the window: "Solve All Halls" runs the factory solve
(``twin.physics.factory``: one worker process per core, every hall on a coarse grid first)
as one job on the window's solver service and lists each hall's progress, a column per pass
(waiting, solving, N s, or failed with the reason), and its latest answer in columns of their
own (hottest inlet, racks outside ASHRAE A1), so that the table stays narrow enough to read
beside the 3D view at a factory's five halls.

The workers load the layout file, so the halls solved are the layout as saved. The process
pool takes jobs in plan order, so the first ``workers`` jobs not yet finished are the ones
solving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twin.model.units import count_text
from twin.physics.factory import (
    COARSE_CELL_M,
    RETRIED_NOTE,
    HallDone,
    HallJob,
    hall_brief,
    plan,
    solve_halls,
)

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

KEY = "thermal.all_halls"
STAGES = ("coarse", "fine")


#: the table's columns: the hall, its latest answer, then a column per pass (the answer
#: first: a dock narrower than the table shows what a user opened it for)
COLUMNS = ("Hall", "Hottest inlet", "Outside A1", "Coarse", "Fine")
HOT_COL, A1_COL = 1, 2
PASS_COL = {"coarse": 3, "fine": 4}
#: the widest share of the window the dock takes to show its whole table
MAX_DOCK_SHARE = 0.4


def done_text(done: HallDone) -> str:
    """What a finished job's pass cell says: its time, or why it failed."""
    if done.error:
        return f"failed: {done.error}"
    t = done.summary["seconds"]
    text = f"{t:.1f} s" if t >= 0.1 else f"{t * 1e3:.0f} ms"  # a small hall's coarse pass
    return text + (", again alone" if done.retried else "")


def _key(job: HallJob) -> tuple[int, str]:
    """A job's key in ``AllHalls.states``: its hall and pass."""
    return job.hall, job.stage


def answer_texts(done: HallDone) -> tuple[str, str, str]:
    """A finished job's answer cells (hottest inlet, racks outside A1) and their tooltip."""
    s = done.summary
    hot = "—" if s["inlet_max_c"] is None else f"{s['inlet_max_c']:.1f} °C"
    outside = f"{s['outside_a1']} of {s['racks']}"
    where = f"{done.job.stage} pass, {s['cell_m']:g} m cells"
    tip = f"From the {where}: hottest rack inlet {hot}, {outside} racks outside ASHRAE A1"
    if done.job.stage == "coarse":
        tip += " (a finished fine pass replaces it)"
    return hot, outside, tip + "."


class AllHalls(QObject):
    """The All Halls panel (``window.extensions["all_halls"]``)."""

    arrived = Signal(object)  # HallDone, emitted on the solver's worker thread

    def __init__(self, window: MainWindow, workers: int | None = None):
        super().__init__(window)
        self.window = window
        #: worker processes (None: one per core)
        self.workers = workers
        #: the fine pass's cell (None: each hall's by the cell policy) and the coarse pass's
        self.cell_m: float | None = None
        self.coarse_cell_m: float | None = COARSE_CELL_M
        self.jobs: list[HallJob] = []
        self.states: dict[tuple[int, str], str] = {}
        self._next = 0
        self._build()
        self.arrived.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        window.solver.done.connect(self._on_finished)
        window.layout_loaded.connect(self._on_layout)

    def _build(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.solve_button = QPushButton("Solve All Halls")
        self.solve_button.setToolTip(
            "Solve every hall's airflow and heat in parallel processes, a coarse grid first"
        )
        self.solve_button.clicked.connect(self.solve)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.solve_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.caption = QLabel("Solves the layout file as saved; each hall on its own core.")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("all_halls_progress")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        # each column as wide as its text (a stretched last column is at least the default
        # section's 100 px, and pushed the table past a dock that had room for its text)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.table, 1)
        win = self.window
        self.dock = win.add_dock(w, "All Halls", Qt.DockWidgetArea.RightDockWidgetArea, "all_halls")
        if "thermal" in win.docks:
            win.tabifyDockWidget(win.docks["thermal"], self.dock)
        self.dock.hide()
        from twin.ui.actions import Action

        menu = "View/Thermal" if "View/Thermal" in win.menus else "Tools"
        win.action_registry.add(
            Action(
                "view.thermal.all_halls",
                "Solve &All Halls",
                menu,
                "8_all_halls",
                0,
                self.solve,
                tip="Solve every hall in parallel processes and show each one's progress",
            )
        )

    def _on_layout(self, facility) -> None:
        if self.window.solver.busy(KEY):
            self.cancel()
        self.jobs, self.states = [], {}
        self._fill_rows(facility)

    def _fill_rows(self, facility) -> None:
        self.table.setRowCount(len(facility.hall_ids))
        for h, hid in enumerate(facility.hall_ids):
            self.table.setItem(h, 0, QTableWidgetItem(hid))
            for c in range(1, len(COLUMNS)):
                self.table.setItem(h, c, QTableWidgetItem(""))

    # ------------------------------------------------------------------ running
    def solve(self) -> bool:
        """Start solving every hall of the open layout; False (and why, in the caption) when
        there is no saved layout."""
        w = self.window
        self.dock.show()
        self.dock.raise_()
        f = w.facility
        if f is None or f.path is None:
            self.caption.setText("Open a saved layout first: the workers load its file.")
            return False
        self.jobs = plan(f, self.cell_m, self.coarse_cell_m)
        self.states = {_key(j): "waiting" for j in self.jobs}
        self._fill_rows(f)
        for h in range(len(f.hall_ids)):
            ran = {j.stage for j in self.jobs if j.hall == h}
            for stage in STAGES:
                text = "waiting" if stage in ran else "not needed"
                self.table.item(h, PASS_COL[stage]).setText(text)
        from twin.physics.factory import default_jobs

        workers = max(1, min(self.workers or default_jobs(), len(self.jobs)))
        self._next = 0
        for _ in range(workers):
            self._start_next()
        path, jobs = str(f.path), list(self.jobs)

        def run(token) -> int:
            n = 0
            for done in solve_halls(
                path, jobs, hall_brief, workers, cancelled=lambda: token.cancelled
            ):
                if token.cancelled:
                    break
                self.arrived.emit(done)
                n += 1
            return n

        w.solver.submit(KEY, run, tag="all_halls", background=True)
        self.solve_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.caption.setText(
            f"Solving {count_text(len(f.hall_ids), 'hall')} in {count_text(workers, 'process')}…"
        )
        self._fit_width()
        return True

    def _set(self, job: HallJob, text: str, state: str) -> None:
        self.states[_key(job)] = state
        item = self.table.item(job.hall, PASS_COL[job.stage])
        if item is not None:
            item.setText(text)
            item.setToolTip(text)

    def _start_next(self) -> None:
        """Mark the next job the pool takes (in plan order) as solving; one that has
        already answered (a retried job's place) is passed over, not marked again."""
        jobs = self.jobs
        while self._next < len(jobs) and self.states.get(_key(jobs[self._next])) != "waiting":
            self._next += 1
        if self._next < len(jobs):
            self._set(jobs[self._next], "solving…", "solving")
            self._next += 1

    def _on_done(self, done: HallDone) -> None:
        if _key(done.job) not in self.states:
            return  # from a layout replaced since
        self._set(done.job, done_text(done), "failed" if done.error else "done")
        if done.retried:  # the short cell, and why in its tooltip
            item = self.table.item(done.job.hall, PASS_COL[done.job.stage])
            item.setToolTip(f"{item.text()}\n{RETRIED_NOTE[0].upper()}{RETRIED_NOTE[1:]}.")
        if not done.error and self._latest(done):
            hot, outside, tip = answer_texts(done)
            for c, text in ((HOT_COL, hot), (A1_COL, outside)):
                item = self.table.item(done.job.hall, c)
                item.setText(text)
                item.setToolTip(tip)
        self.table.resizeRowsToContents()
        self._fit_width()
        self._start_next()

    def _fit_width(self) -> None:
        """Widen the dock to show the whole table (up to ``MAX_DOCK_SHARE`` of the window)
        where its columns have grown past it; never narrow it (the user may have widened it)."""
        t = self.table
        need = sum(t.columnWidth(c) for c in range(t.columnCount())) + 2 * t.frameWidth()
        need += t.verticalScrollBar().sizeHint().width() + 16  # the dock's margins
        width = min(need, int(self.window.width() * MAX_DOCK_SHARE))
        if width > self.dock.width():
            self.window.resizeDocks([self.dock], [width], Qt.Orientation.Horizontal)

    def _latest(self, done: HallDone) -> bool:
        """Whether ``done`` is its hall's latest answer: a coarse pass that ends after its
        hall's fine pass (another worker ran it) does not replace the finer answer."""
        return done.job.stage == "fine" or self.states.get((done.job.hall, "fine")) != "done"

    def _on_finished(self, outcome) -> None:
        if outcome.job.key != KEY:
            return
        self.solve_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if outcome.error:
            self.caption.setText(f"Solving all halls failed: {outcome.error}")
            for job in self.jobs:
                if self.states.get(_key(job)) in ("waiting", "solving"):
                    self._set(job, "failed", "failed")
            return
        failed = sum(1 for s in self.states.values() if s == "failed")
        self.caption.setText(
            f"All halls solved ({count_text(len(self.jobs), 'solve')}"
            + (f", {failed} failed)" if failed else ")")
        )

    def cancel(self) -> None:
        """Stop now: the solves running are killed (their workers with them), queued halls
        do not start."""
        self.window.solver.cancel(KEY)
        for job in self.jobs:
            if self.states.get(_key(job)) in ("waiting", "solving"):
                self._set(job, "cancelled", "cancelled")
        self.solve_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.caption.setText("Cancelled.")


def install(window: MainWindow) -> AllHalls:
    """Add the All Halls panel (``twin.ui.extensions``)."""
    return AllHalls(window)
