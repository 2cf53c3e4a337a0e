"""How the user puts several items on one chart and fits its time range: View › Chart
actions, the same as buttons on the Charts dock's title row and in its context menu, and
Ctrl+click on an item (3D view or tree), which adds it to what is charted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMenu, QToolButton

from twin.ui.actions import Action, Submenu
from twin.ui.chart_feed import ChartFeed
from twin.ui.chart_range import TimeRangeBinding
from twin.ui.charts import ChartPanel

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow


class ChartControls:
    """Pin, unpin and fit for the Charts dock of ``window``."""

    def __init__(
        self, window: MainWindow, charts: ChartPanel, feed: ChartFeed, time: TimeRangeBinding
    ) -> None:
        self.window, self.charts, self.feed, self.time = window, charts, feed, time
        self._last: tuple[str, int] | None = None
        reg = window.action_registry
        reg.add_submenu(Submenu("View/Chart", "C&hart", "8_chart", 0))
        self.act_pin = reg.add(
            Action(
                "view.chart_pin",
                "&Pin Selection to Chart",
                "View/Chart",
                "1_items",
                0,
                self.pin_selection,
                "Ctrl+Shift+P",
                "Keep the selected item on the chart while the selection moves on "
                "(Ctrl+click an item does the same)",
            )
        )
        self.act_unpin = reg.add(
            Action(
                "view.chart_unpin_all",
                "&Unpin All",
                "View/Chart",
                "1_items",
                1,
                self.clear_pins,
                tip="Chart the selection alone again",
            )
        )
        self.act_fit = reg.add(
            Action(
                "view.chart_fit",
                "&Fit Time Range",
                "View/Chart",
                "2_time",
                0,
                time.fit,
                tip="Show the whole span on the charts and the timeline (or double-click a chart)",
            )
        )
        for act, text in (
            (self.act_pin, "Pin"),
            (self.act_unpin, "Unpin all"),
            (self.act_fit, "Fit"),
        ):
            button = QToolButton(charts)
            button.setDefaultAction(act)
            button.setText(text)
            button.setAutoRaise(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            charts.tools.addWidget(button)
        charts.graphics.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        charts.graphics.customContextMenuRequested.connect(self._context_menu)
        window.selection_changed.connect(self._on_selection)
        window.view.events.time_range.connect(lambda _r: self.refresh())
        self.refresh()

    # ------------------------------------------------------------------ commands
    def pin_selection(self) -> None:
        sel = self.window.selection
        if sel is not None:
            self._say(self.feed.pin(sel))
        self.refresh()

    def unpin(self, item: tuple[str, int]) -> None:
        self.feed.unpin(item)
        self.refresh()

    def clear_pins(self) -> None:
        self.feed.clear_pins()
        self.refresh()

    def refresh(self) -> None:
        """Enable what applies now."""
        self.act_pin.setEnabled(
            self.window.selection is not None and self.window.selection not in self.feed.pinned
        )
        self.act_unpin.setEnabled(bool(self.feed.pinned))
        self.act_fit.setEnabled(self.window.view.time_range is not None)

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 4000)

    # ------------------------------------------------------------------ events
    def _on_selection(self, kind: str, index: int) -> None:
        """Ctrl+click adds: the item clicked and the one selected before it (when of one
        kind) both stay on the chart."""
        item = (kind, int(index)) if kind else None
        ctrl = QApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier
        editing = getattr(self.window.extensions.get("editor"), "active", False)
        if item is not None and ctrl and not editing:
            if self._last is not None and self._last[0] == kind:
                self.feed.pin(self._last)
            self._say(self.feed.pin(item))
        self._last = item
        self.refresh()

    def _context_menu(self, pos: QPoint) -> None:
        self.context_menu().popup(self.charts.graphics.mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """Pin the selection, unpin each pinned item or all, fit the time range."""
        menu = QMenu(self.charts)
        menu.addAction(self.act_pin)
        for item in self.feed.pinned:
            name = f"{item[0].replace('_', ' ')} {self.feed.name(item)}"
            menu.addAction(f"Unpin {name}", lambda it=item: self.unpin(it))
        menu.addAction(self.act_unpin)
        menu.addSeparator()
        menu.addAction(self.act_fit)
        return menu
