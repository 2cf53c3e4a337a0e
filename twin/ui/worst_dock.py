"""A "Worst N" dock: the hottest GPUs, racks and air units of the frame on show, by the GPU
metric the hall is coloured by, refreshed with every frame while the dock is visible.

A click on a row selects the item everywhere; a double click (or "Fly To") also brings the
camera to it. The ranking is ``twin.model.worst.worst_items`` (a partial sort, no loop over
GPUs); the tables hold at most N rows each, so a frame costs a handful of cell updates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from twin.model.metrics import gpu_metric
from twin.model.worst import AIR_UNIT_METRIC, KINDS, Worst, worst_items

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow


def clock(time_s: float) -> str:
    """A frame's time as the timeline shows it (UTC)."""
    return datetime.fromtimestamp(time_s, UTC).strftime("%H:%M:%S UTC")


DEFAULT_N = 10
MAX_N = 200
TAB_TITLES = {"gpu": "GPUs", "rack": "Racks", "air_unit": "Air Units"}
INDEX_ROLE = Qt.ItemDataRole.UserRole + 1


class WorstDock(QObject):
    """State of the Worst N dock (``window.extensions["worst_dock"]``)."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.shown: dict[str, Worst] = {}
        self._build()
        window.frame_shown.connect(self._on_frame)
        window.layout_loaded.connect(lambda _f: self.refresh())
        window.view.events.gpu_metric.connect(lambda _m: self.refresh())
        self.dock.visibilityChanged.connect(lambda on: on and self.refresh())

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show the worst"))
        self.count = QSpinBox(minimum=1, maximum=MAX_N, value=DEFAULT_N)
        self.count.valueChanged.connect(lambda _n: self.refresh())
        top.addWidget(self.count)
        self.fly_button = QPushButton("Fly To")
        self.fly_button.setToolTip("Select the chosen row's item and bring the camera to it")
        self.fly_button.clicked.connect(self.fly_to_current)
        top.addStretch(1)
        top.addWidget(self.fly_button)
        lay.addLayout(top)
        self.caption = QLabel("No telemetry yet")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.tabs = QTabWidget()
        self.tables: dict[str, QTableWidget] = {}
        for kind in KINDS:
            t = QTableWidget(0, 3)
            t.setHorizontalHeaderLabels(["#", "Item", "Value"])
            t.verticalHeader().setVisible(False)
            t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            head = t.horizontalHeader()
            head.setSectionResizeMode(0, head.ResizeMode.ResizeToContents)
            head.setSectionResizeMode(1, head.ResizeMode.Stretch)
            head.setSectionResizeMode(2, head.ResizeMode.ResizeToContents)
            t.setObjectName(f"worst_{kind}")
            t.cellClicked.connect(lambda r, _c, k=kind: self.select_row(k, r))
            t.cellDoubleClicked.connect(lambda r, _c, k=kind: self.select_row(k, r, fly=True))
            self.tables[kind] = t
            self.tabs.addTab(t, TAB_TITLES[kind])
        lay.addWidget(self.tabs, 1)
        self.dock = self.window.add_dock(
            w, "Worst N", Qt.DockWidgetArea.RightDockWidgetArea, "worst"
        )
        self.dock.hide()
        from twin.ui.actions import Action

        self.window.action_registry.add(
            Action(
                "view.worst",
                "&Worst N…",
                "View",
                "4_telemetry",
                0,
                self.show,
                "Ctrl+Shift+W",
                "The hottest GPUs, racks and air units now, by the metric on show",
            )
        )

    def show(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.refresh()

    # ------------------------------------------------------------------ filling
    def _on_frame(self, _frame) -> None:
        if self.dock.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Rank the frame on show and fill the tables (skipped while the dock is hidden)."""
        w = self.window
        if w.facility is None or not self.dock.isVisible():
            return
        metric = w.view.gpu_metric
        self.shown = worst_items(w.facility, w.last_frame, metric, self.count.value())
        scale = gpu_metric(metric).scale(w.facility)
        units = {"gpu": scale.unit, "rack": scale.unit, "air_unit": "°C"}
        for kind, worst in self.shown.items():
            self._fill(self.tables[kind], worst, units[kind])
        if w.last_frame is None:
            self.caption.setText("No telemetry yet: connect a source or open a recording")
        else:
            self.caption.setText(
                f"GPUs by {scale.title}; racks by their worst GPU; air units by "
                f"{AIR_UNIT_METRIC.replace('_c', ' temperature')} at {clock(w.last_frame.time_s)}"
            )

    def _fill(self, table: QTableWidget, worst: Worst, unit: str) -> None:
        f = self.window.facility
        ids = f.ids_of(worst.kind) if worst.kind != "gpu" else None
        unit = "" if unit in ("", "class", "id") else f" {unit}"
        table.setUpdatesEnabled(False)
        try:
            table.setRowCount(len(worst.indices))
            for r, (i, v) in enumerate(zip(worst.indices, worst.values, strict=True)):
                name = f.gpu_label(int(i)) if ids is None else ids[int(i)]
                for c, text in enumerate((str(r + 1), name, f"{v:.1f}{unit}")):
                    it = table.item(r, c)
                    if it is None:
                        it = QTableWidgetItem()
                        table.setItem(r, c, it)
                    it.setText(text)
                table.item(r, 1).setData(INDEX_ROLE, int(i))
        finally:
            table.setUpdatesEnabled(True)

    # ------------------------------------------------------------------ acting
    def rows(self, kind: str) -> list[tuple[str, str]]:
        """(item, value) of every row shown for ``kind``."""
        t = self.tables[kind]
        return [(t.item(r, 1).text(), t.item(r, 2).text()) for r in range(t.rowCount())]

    def select_row(self, kind: str, row: int, fly: bool = False) -> None:
        """Select the item of ``row`` in the ``kind`` table, and fly there if asked."""
        it = self.tables[kind].item(row, 1)
        if it is None or self.window.scene is None:
            return
        index = int(it.data(INDEX_ROLE))
        self.window.select(kind, index, origin="worst")
        if fly:
            self.window.frame_selection()

    def fly_to_current(self) -> None:
        kind = KINDS[self.tabs.currentIndex()]
        row = self.tables[kind].currentRow()
        if row >= 0:
            self.select_row(kind, row, fly=True)


def install(window: MainWindow) -> WorstDock:
    """Add the Worst N dock to a main window (called from ``twin.ui.extensions``)."""
    return WorstDock(window)
