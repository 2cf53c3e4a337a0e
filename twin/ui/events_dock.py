"""The events list: every event of a recording (or of a live source so far), filterable by
text and severity; clicking one asks to jump the timeline there and select its item. Events
after the replay clock are drawn dimmed."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from twin.model.frame import Event
from twin.ui.timeline import SEVERITY_COLOURS, SEVERITY_NAMES, format_offset, format_utc

COLUMNS = ("Time", "Severity", "Kind", "Item", "Message")
MAX_LIVE_EVENTS = 20_000  # a live list keeps this many, oldest dropped first


class EventsModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.events: list[Event] = []
        self.t0 = 0.0
        self.now = float("inf")
        self._times = np.zeros(0)

    def set_events(self, events: list[Event], t0: float) -> None:
        self.beginResetModel()
        self.events = list(events)
        self.t0 = t0
        self._times = np.array([e.time_s for e in self.events])
        self.endResetModel()

    def append(self, events: list[Event]) -> None:
        if not events:
            return
        drop = max(0, len(self.events) + len(events) - MAX_LIVE_EVENTS)
        if drop:
            self.beginRemoveRows(QModelIndex(), 0, min(drop, len(self.events)) - 1)
            del self.events[:drop]
            self.endRemoveRows()
        n = len(self.events)
        self.beginInsertRows(QModelIndex(), n, n + len(events) - 1)
        self.events.extend(events)
        self.endInsertRows()
        self._times = np.array([e.time_s for e in self.events])

    def set_now(self, t: float) -> int | None:
        """Dim events after ``t``; repaints only the rows whose state changed. Returns the
        row of the latest event at or before ``t`` when that changed, else None."""
        old = int(np.searchsorted(self._times, self.now, side="right"))
        new = int(np.searchsorted(self._times, t, side="right"))
        self.now = t
        if old != new and self.events:
            a, b = min(old, new), min(max(old, new), len(self.events)) - 1
            if b >= a:
                self.dataChanged.emit(self.index(a, 0), self.index(b, len(COLUMNS) - 1))
            return new - 1 if new > 0 else None
        return None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        e = self.events[index.row()]
        col = index.column()
        R = Qt.ItemDataRole
        if role == R.DisplayRole:
            return (
                format_offset(e.time_s - self.t0),
                SEVERITY_NAMES.get(e.severity, str(e.severity)),
                str(e.kind).replace("_", " "),
                e.item,
                e.message,
            )[col]
        if role == R.DecorationRole and col == 1:
            return QColor(SEVERITY_COLOURS.get(e.severity, "#aaaaaa"))
        if role == R.ToolTipRole:
            return f"{format_utc(e.time_s)}\n{e.message}"
        if role == R.ForegroundRole and e.time_s > self.now:
            return QBrush(QColor("#6b727c"))
        if role == R.UserRole:  # for sorting and filtering
            return (e.time_s, e.severity, str(e.kind), e.item, e.message)[col]
        return None


class _Filter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.min_severity = 0
        self.text = ""

    def filterAcceptsRow(self, row, parent) -> bool:  # noqa: N802
        e = self.sourceModel().events[row]
        if e.severity < self.min_severity:
            return False
        t = self.text
        return not t or t in e.item.lower() or t in e.message.lower() or t in str(e.kind)


class EventsPanel(QWidget):
    """Table of events with a text filter and a minimum severity."""

    event_activated = Signal(object)  # Event

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EventsModel(self)
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Filter events (item, kind, text)…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._set_text)
        self.severity = QComboBox(self)
        for text, level in (("All", 0), ("Warnings +", 1), ("Critical", 2)):
            self.severity.addItem(text, level)
        self.severity.currentIndexChanged.connect(self._set_severity)
        #: unticked: a jump keeps what the user has selected (and its chart), selecting the
        #: event's item only when nothing is selected
        self.select_item = QCheckBox("Select its item", self)
        self.select_item.setToolTip(
            "When ticked, jumping to an event selects the unit, rack or GPU it names; when "
            "not, the current selection and its chart stay"
        )
        self.count = QLabel("", self)
        self.count.setStyleSheet("color: #9aa4b0;")
        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        h = self.view.horizontalHeader()
        h.setStretchLastSection(True)
        for col, width in enumerate((64, 84, 110, 130, 420)):
            h.resizeSection(col, width)
        # what happened reads beside when and how bad: in a dock narrower than the five
        # columns (its default width), "info note physics" hid the message past the edge
        h.moveSection(COLUMNS.index("Message"), 2)
        h.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.clicked.connect(self._activated)
        self.view.activated.connect(self._activated)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search, 1)
        top.addWidget(self.severity)
        top.addWidget(self.select_item)
        top.addWidget(self.count)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.view)
        self._update_count()

    def set_events(self, events: list[Event], t0: float) -> None:
        self.model.set_events(events, t0)
        self._update_count()

    def append(self, events: list[Event], t0: float | None = None) -> None:
        if t0 is not None and not self.model.events:
            self.model.t0 = t0
        self.model.append(events)
        self._update_count()

    def clear(self) -> None:
        self.model.set_events([], 0.0)
        self._update_count()

    def set_now(self, t: float) -> None:
        """Dim future events and keep the latest past one in view (unless the user is
        hovering the list, reading it)."""
        row = self.model.set_now(t)
        if row is not None and not self.view.underMouse():
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                self.view.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def row_of(self, event: Event) -> int:
        """The row the event shows on (after filtering and sorting), -1 if hidden."""
        try:
            src = self.model.events.index(event)
        except ValueError:
            return -1
        return self.proxy.mapFromSource(self.model.index(src, 0)).row()

    def _activated(self, index) -> None:
        src = self.proxy.mapToSource(index)
        if src.isValid():
            self.event_activated.emit(self.model.events[src.row()])

    def _set_text(self, text: str) -> None:
        self.proxy.text = text.strip().lower()
        self.proxy.invalidateFilter()
        self._update_count()

    def _set_severity(self, i: int) -> None:
        self.proxy.min_severity = int(self.severity.itemData(i))
        self.proxy.invalidateFilter()
        self._update_count()

    def _update_count(self) -> None:
        n, shown = self.model.rowCount(), self.proxy.rowCount()
        self.count.setText(f"{shown:,} of {n:,}" if shown != n else f"{n:,} events")
