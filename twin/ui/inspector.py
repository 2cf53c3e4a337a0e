"""The inspector: the selected item's properties, what feeds and cools it, and loads against
capacity. Rows that name another item are links: double-click to select that item."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from twin.model.facility import Facility
from twin.ui.describe import Loads, describe, item_id

LINK_ROLE = Qt.ItemDataRole.UserRole + 1


class Inspector(QWidget):
    """Shows ``describe(...)`` sections; emits ``navigate(item_id)`` on a link row."""

    navigate = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Nothing selected", self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Property", "Value"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemActivated.connect(self._on_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        self._layout = layout
        self.kind: str | None = None
        self.index: int = -1

    def show_item(
        self,
        f: Facility | None,
        kind: str | None,
        index: int = -1,
        loads: Loads | None = None,
        lead: list | tuple = (),
    ) -> None:
        """Fill in one item, or clear when ``kind`` is None; ``lead``: sections shown before
        the design ones (the live state)."""
        self.tree.clear()
        self.kind, self.index = kind, index
        if f is None or kind is None:
            self.title.setText("Nothing selected")
            return
        self.title.setText(f"{kind.replace('_', ' ').title()}  {item_id(f, kind, index)}")
        for section, rows in [*lead, *describe(f, kind, index, loads)]:
            self.add_section(section, rows)
        self.tree.resizeColumnToContents(0)

    def add_panel(self, widget: QWidget) -> None:
        """Show ``widget`` under the properties (e.g. the selected rack's elevation), sharing
        the height with them."""
        self._layout.addWidget(widget, 1)

    def add_section(self, title: str, rows) -> None:
        bold = QFont(self.tree.font())
        bold.setBold(True)
        head = QTreeWidgetItem([title, ""])
        head.setFont(0, bold)
        head.setFirstColumnSpanned(True)
        head.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.tree.addTopLevelItem(head)
        for label, value, link in rows:
            it = QTreeWidgetItem([label, value])
            it.setToolTip(1, value)
            if link:
                it.setData(1, LINK_ROLE, link)
                it.setForeground(1, self.palette().link())
                it.setToolTip(1, f"{value}\nDouble-click to select {link}")
            self.tree.addTopLevelItem(it)

    def rows(self) -> list[tuple[str, str]]:
        """(property, value) of every shown row, for tests and copying."""
        return [
            (self.tree.topLevelItem(i).text(0), self.tree.topLevelItem(i).text(1))
            for i in range(self.tree.topLevelItemCount())
        ]

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        link = item.data(1, LINK_ROLE)
        if link:
            self.navigate.emit(str(link))
