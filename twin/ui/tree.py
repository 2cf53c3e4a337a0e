"""The facility tree: halls > rows > racks > servers, cooling units, the power chain, with a
search box that filters it (recursively, so a match keeps its parents)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from twin.model.facility import Facility
from twin.model.gpu_search import find_gpus
from twin.model.units import count_text

KIND_ROLE = Qt.ItemDataRole.UserRole + 1
#: What the search matches: the item's text and, for a server, its host names.
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 10
INDEX_ROLE = Qt.ItemDataRole.UserRole + 2


class FacilityTree(QWidget):
    """Emits ``item_selected(kind, index)`` when the user picks an item in the tree."""

    item_selected = Signal(str, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search racks, rows, units, hosts, GPU ids and UUIDs…")
        self.search.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.model.setHorizontalHeaderLabels(["Item", "Detail"])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(0)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.no_match = QLabel(self)
        self.no_match.setVisible(False)
        #: GPUs found by id or UUID (the tree has no row per GPU); a click selects one
        self.gpu_hits = QListWidget(self)
        self.gpu_hits.setObjectName("gpu_hits")
        self.gpu_hits.setMaximumHeight(120)
        self.gpu_hits.setVisible(False)
        self.gpu_hits.itemClicked.connect(self._on_gpu_hit)
        #: UUID -> GPU index known now (the window adds those a live source learned)
        self.gpu_uuids: Callable[[], Mapping[str, int]] = dict
        self.facility: Facility | None = None
        self.view = QTreeView(self)
        self.view.setModel(self.proxy)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.header().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.no_match)
        layout.addWidget(self.gpu_hits)
        layout.addWidget(self.view)
        self._items: dict[tuple[str, int], QStandardItem] = {}
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.view.selectionModel().currentChanged.connect(self._on_current)

    # ------------------------------------------------------------------ building
    def _item(
        self, text: str, kind: str, index: int, detail: str = "", also: str = ""
    ) -> list[QStandardItem]:
        """A row of the tree; the search finds it by ``text`` and by ``also`` (host names)."""
        it = QStandardItem(text)
        it.setData(f"{text} {also}" if also else text, SEARCH_ROLE)
        it.setData(kind, KIND_ROLE)
        it.setData(int(index), INDEX_ROLE)
        it.setToolTip(f"{kind.replace('_', ' ')} {text}")
        self._items[(kind, int(index))] = it
        d = QStandardItem(detail)
        d.setForeground(Qt.GlobalColor.gray)
        return [it, d]

    @staticmethod
    def _group(text: str, detail: str = "") -> list[QStandardItem]:
        it = QStandardItem(text)
        font = it.font()
        font.setBold(True)
        it.setFont(font)
        it.setSelectable(False)
        return [it, QStandardItem(detail)]

    def set_facility(self, f: Facility | None) -> None:
        """Rebuild the tree for a facility (None empties it)."""
        self.model.removeRows(0, self.model.rowCount())
        self._items.clear()
        self.facility = f
        if f is None:
            return
        root = self.model.invisibleRootItem()
        self.view.setUpdatesEnabled(False)
        try:
            self._fill(f, root)
        finally:
            self.view.setUpdatesEnabled(True)
        for r in range(min(self.proxy.rowCount(), 3)):
            self.view.expand(self.proxy.index(r, 0))
        self.view.resizeColumnToContents(0)
        longest = max((len(x) for x in f.rack_ids + f.power_ids + f.air_unit_ids), default=8)
        width = self.view.fontMetrics().horizontalAdvance("M" * min(longest + 6, 40))
        self.view.setColumnWidth(0, max(self.view.columnWidth(0), width))
        self._apply_filter()

    def _fill(self, f: Facility, root: QStandardItem) -> None:
        server_no = np.arange(len(f.server_rack)) - np.searchsorted(f.server_rack, f.server_rack)
        servers_of = np.searchsorted(f.server_rack, np.arange(f.n_racks + 1))
        first_host = np.searchsorted(f.host_server, np.arange(len(f.server_rack) + 1))
        host_ranges = [range(first_host[s], first_host[s + 1]) for s in range(len(f.server_rack))]
        halls = []
        for h, hall in enumerate(f.hall_ids):
            racks_in = int((f.rack_hall == h).sum())
            row = self._item(hall, "hall", h, count_text(racks_in, "rack"))
            root.appendRow(row)
            halls.append(row[0])
        for i, row_id in enumerate(f.row_ids):
            racks = np.flatnonzero(f.rack_row == i)
            row = self._item(f"Row {row_id}", "row", i, count_text(len(racks), "rack"))
            halls[f.row_hall[i]].appendRow(row)
            for r in racks:
                kw = f.rack_power_w[r] / 1e3
                rack = self._item(f.rack_ids[r], "rack", int(r), f"{kw:.0f} kW")
                row[0].appendRow(rack)
                for s in range(servers_of[r], servers_of[r + 1]):
                    hosts = " ".join(f.host_names[h] for h in host_ranges[s])
                    rack[0].appendRow(
                        self._item(
                            f"{f.rack_ids[r]}/s{server_no[s] + 1}",
                            "server",
                            s,
                            f.server_type[s],
                            also=hosts,
                        )
                    )
        if f.air_unit_ids or f.cdu_ids:
            cool = self._group("Cooling")
            root.appendRow(cool)
            for i, a in enumerate(f.air_unit_ids):
                cap = f.air_unit_capacity_w[i] / 1e3
                cool[0].appendRow(self._item(a, "air_unit", i, f"air, {cap:.0f} kW"))
            for i, c in enumerate(f.cdu_ids):
                cap = f.cdu_capacity_w[i] / 1e3
                cool[0].appendRow(self._item(c, "cdu", i, f"CDU, {cap:.0f} kW"))
        if f.sensor_ids:
            sensors = self._group("Sensors")
            root.appendRow(sensors)
            for i, sensor in enumerate(f.layout.sensors):
                z = f.sensor_position_m[i, 2]
                detail = f"{sensor.label}, {z:.1f} m" if sensor.label else f"{z:.1f} m high"
                sensors[0].appendRow(self._item(sensor.id, "sensor", i, detail))
        if f.power_ids:
            power = self._group("Power")
            root.appendRow(power)
            parent_item: dict[int, QStandardItem] = {}
            for level in range(int(f.power_depth.max(initial=0)) + 1):
                for i in np.flatnonzero(f.power_depth == level):
                    cap = f.power_capacity_w[i] / 1e3
                    it = self._item(
                        f.power_ids[i], "power", int(i), f"{f.power_kind[i]}, {cap:,.0f} kW"
                    )
                    up = int(f.power_upstream[i])
                    (parent_item.get(up, power[0]) if up >= 0 else power[0]).appendRow(it)
                    parent_item[int(i)] = it[0]

    # ------------------------------------------------------------------ filter and selection
    def _apply_filter(self) -> None:
        text = self.search.text().strip()
        self.proxy.setFilterFixedString(text)
        gpus = self._find_gpus(text)
        none = bool(text) and self.proxy.rowCount() == 0 and not gpus
        self.no_match.setText(f"No matches for “{text}”" if none else "")
        self.no_match.setVisible(none)
        if text and self._visible_count() < 3000:
            self.view.expandAll()

    def _find_gpus(self, text: str) -> list[tuple[int, str]]:
        """List the GPUs whose id or UUID the text names (the tree shows servers only)."""
        self.gpu_hits.clear()
        hits = find_gpus(self.facility, text, self.gpu_uuids()) if self.facility and text else []
        for g, label in hits:
            it = QListWidgetItem(f"GPU {label}")
            it.setData(INDEX_ROLE, int(g))
            self.gpu_hits.addItem(it)
        self.gpu_hits.setVisible(bool(hits))
        return hits

    def _on_gpu_hit(self, item: QListWidgetItem) -> None:
        self.item_selected.emit("gpu", int(item.data(INDEX_ROLE)))

    def _visible_count(self, parent: QModelIndex | None = None) -> int:
        parent = parent or QModelIndex()
        n = self.proxy.rowCount(parent)
        return n + sum(self._visible_count(self.proxy.index(i, 0, parent)) for i in range(n))

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        src = self.proxy.mapToSource(current)
        it = self.model.itemFromIndex(src.siblingAtColumn(0)) if src.isValid() else None
        if it is None or it.data(KIND_ROLE) is None:
            return
        self.item_selected.emit(str(it.data(KIND_ROLE)), int(it.data(INDEX_ROLE)))

    def select(self, kind: str, index: int) -> bool:
        """Select and reveal an item without emitting ``item_selected``; False if it has no
        row in the tree (e.g. a GPU: the caller selects its server)."""
        it = self._items.get((kind, int(index)))
        if it is None:
            return False
        proxy_index = self.proxy.mapFromSource(it.index())
        if not proxy_index.isValid():  # filtered out: clear the filter to show it
            self.search.clear()
            self._apply_filter()
            proxy_index = self.proxy.mapFromSource(it.index())
        blocked = self.view.selectionModel().blockSignals(True)
        try:
            self.view.setCurrentIndex(proxy_index)
            self.view.selectionModel().select(
                proxy_index,
                self.view.selectionModel().SelectionFlag.ClearAndSelect
                | self.view.selectionModel().SelectionFlag.Rows,
            )
        finally:
            self.view.selectionModel().blockSignals(blocked)
        self.view.scrollTo(proxy_index)
        return True

    def current(self) -> tuple[str, int] | None:
        idx = self.view.currentIndex()
        if not idx.isValid():
            return None
        it = self.model.itemFromIndex(self.proxy.mapToSource(idx).siblingAtColumn(0))
        if it is None or it.data(KIND_ROLE) is None:
            return None
        return str(it.data(KIND_ROLE)), int(it.data(INDEX_ROLE))

    def clear_selection(self) -> None:
        blocked = self.view.selectionModel().blockSignals(True)
        self.view.clearSelection()
        self.view.setCurrentIndex(QModelIndex())
        self.view.selectionModel().blockSignals(blocked)
