"""The Problems dock: every broken design constraint (severity, message, items), errors first.
Clicking a row selects its item in the window (and all its racks in the editor)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twin.model.constraints import Violation

#: Rows beyond this are summarised: a list of 20,000 problems helps nobody and costs seconds.
MAX_ROWS = 2000
SEVERITY_COLOURS = {"error": "#e63946", "warning": "#ffb020"}
ITEMS_ROLE = Qt.ItemDataRole.UserRole + 1


class WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their text wrapped to the column's width (a tree view sizes rows by
    one line otherwise, and paints the rest of a long message nowhere)."""

    def __init__(self, tree: QTreeWidget):
        super().__init__(tree)
        self.tree = tree

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 (Qt name)
        size = super().sizeHint(option, index)
        width = max(self.tree.columnWidth(index.column()) - 8, 40)
        text = str(index.data() or "")
        box = option.fontMetrics.boundingRect(
            QRect(0, 0, width, 1_000_000), int(Qt.TextFlag.TextWordWrap), text
        )
        return QSize(size.width(), max(size.height(), box.height() + 4))


class ProblemsPanel(QWidget):
    """Shows a list of ``Violation``; emits ``activated(items)`` (ids) when a row is clicked."""

    activated = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("No layout in edit mode", self)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Severity", "Problem", "Items"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        # a long message wraps onto more lines in the width there is, never cut off
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.tree.setColumnWidth(2, 160)
        self._wrap = WrappingDelegate(self.tree)
        self.tree.setItemDelegateForColumn(1, self._wrap)
        self.tree.setItemDelegateForColumn(2, self._wrap)
        # row heights follow the column's width as the dock is resized
        header.sectionResized.connect(lambda *_: self.tree.scheduleDelayedItemsLayout())
        self.tree.itemClicked.connect(self._on_clicked)
        self.tree.itemActivated.connect(self._on_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree)
        self._shown: list[Violation] | None = None

    def set_problems(self, problems: list[Violation] | None) -> None:
        """Show the checker's current list (None: nothing is being checked)."""
        if problems is not None and self._shown is not None and problems == self._shown:
            return
        self._shown = None if problems is None else list(problems)
        self.tree.setUpdatesEnabled(False)
        try:
            self.tree.clear()
            if problems is None:
                self.summary.setText("No layout in edit mode")
                return
            n_err = sum(v.severity == "error" for v in problems)
            n_warn = len(problems) - n_err
            self.summary.setText(
                "No problems" if not problems else f"{n_err} errors, {n_warn} warnings"
            )
            rows = []
            for v in problems[:MAX_ROWS]:
                it = QTreeWidgetItem([v.severity, v.message, ", ".join(v.items)])
                colour = SEVERITY_COLOURS.get(v.severity)
                if colour:
                    it.setForeground(0, QBrush(QColor(colour)))
                it.setToolTip(1, f"{v.message}\n{v.field}")
                it.setData(0, ITEMS_ROLE, list(v.items))
                rows.append(it)
            if len(problems) > MAX_ROWS:
                more = QTreeWidgetItem(["", f"… {len(problems) - MAX_ROWS} more", ""])
                more.setFlags(Qt.ItemFlag.ItemIsEnabled)
                rows.append(more)
            self.tree.addTopLevelItems(rows)
        finally:
            self.tree.setUpdatesEnabled(True)

    def count(self) -> int:
        return self.tree.topLevelItemCount()

    def row_text(self, i: int) -> tuple[str, str, str]:
        it = self.tree.topLevelItem(i)
        return it.text(0), it.text(1), it.text(2)

    def _on_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        items = item.data(0, ITEMS_ROLE)
        if items:
            self.activated.emit(list(items))
