"""The catalog palette: server and rack types from ``twin.model.catalog``, dragged into the
3D view to add a rack there (the editor accepts the drop)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from twin.model.catalog import Catalog

MIME = "application/x-twin-catalog-item"
TYPE_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2


def suggested_count(server_u: int, rack_u: int = 48) -> int:
    """Servers of a type that sensibly fill a rack: rack-scale systems 1, others up to 4
    (about what one rack's power and cooling take for 8U AI servers)."""
    return max(1, min(4, (rack_u - 6) // max(server_u, 1)))


class _TypeList(QListWidget):
    def mimeData(self, items) -> QMimeData:  # noqa: N802 (Qt name)
        mime = QMimeData()
        if items:
            it = items[0]
            mime.setData(MIME, f"{it.data(KIND_ROLE)}:{it.data(TYPE_ROLE)}".encode())
            mime.setText(str(it.data(TYPE_ROLE)))
        return mime

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]


class CatalogPalette(QWidget):
    """Lists server types (a rack filled with ``count`` of them) and empty rack types."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = _TypeList(self)
        self.list.setDragEnabled(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.count = QSpinBox(self)
        self.count.setRange(1, 16)
        self.count.setValue(4)
        self.count.setToolTip("Servers in each new rack")
        self.list.currentItemChanged.connect(self._on_current)
        hint = QLabel("Drag a type into the hall (edit mode) to add a rack there.", self)
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Servers per rack", self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(hint)
        layout.addWidget(self.list)
        layout.addLayout(form)
        self._u: dict[str, int] = {}

    def set_catalog(self, catalog: Catalog) -> None:
        self.list.clear()
        self._u.clear()
        for kind, title in (("server", "Server"), ("rack", "Empty rack")):
            for item in sorted(catalog.of_kind(kind), key=lambda t: t.name):
                it = QListWidgetItem(f"{item.name}")
                it.setToolTip(f"{title}: {item.id}")
                it.setData(TYPE_ROLE, item.id)
                it.setData(KIND_ROLE, kind)
                self.list.addItem(it)
                self._u[item.id] = item.u
        if self.list.count():
            self.list.setCurrentRow(0)

    def types(self) -> list[tuple[str, str]]:
        """(kind, type id) of every entry, in list order."""
        return [
            (self.list.item(i).data(KIND_ROLE), self.list.item(i).data(TYPE_ROLE))
            for i in range(self.list.count())
        ]

    def _on_current(self, item: QListWidgetItem | None, _prev=None) -> None:
        if item is not None and item.data(KIND_ROLE) == "server":
            self.count.setValue(suggested_count(self._u.get(item.data(TYPE_ROLE), 8)))

    @staticmethod
    def parse(mime: QMimeData) -> tuple[str, str] | None:
        """(kind, type id) carried by a drag from the palette, or None."""
        if not mime.hasFormat(MIME):
            return None
        text = bytes(mime.data(MIME)).decode(errors="replace")
        kind, _, type_id = text.partition(":")
        if kind not in ("server", "rack") or not type_id:
            return None
        return kind, type_id
