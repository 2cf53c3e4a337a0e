"""Room for the view: the 3D view has most of a default window, docks are tabbed, the user's
arrangement comes back with the same settings, and Problems wraps long text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt


@pytest.fixture
def fresh(qtbot, settings):
    """A main window at its default size with the test's settings."""
    from twin.ui.main_window import MainWindow

    def make():
        win = MainWindow(settings=settings)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
        qtbot.wait(100)  # the default sizes apply once the window is laid out
        return win

    return make


def _area(widget) -> int:
    return widget.width() * widget.height()


def test_the_view_gets_most_of_the_default_window(fresh):
    win = fresh()
    assert not win.restored_layout
    assert (win.width(), win.height()) == (1600, 1000)
    assert _area(win.plotter) >= 0.6 * _area(win)
    # Inspector, Charts and Events share one tab group under the tree; the Inspector shows
    d = win.docks
    tabbed = win.tabifiedDockWidgets(d["inspector"])
    assert d["charts"] in tabbed and d["events"] in tabbed
    assert d["inspector"].isVisible() and not d["charts"].visibleRegion().boundingRect().width()
    assert win.dockWidgetArea(d["facility"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    # the docks opened on demand are tabbed together on the right, hidden until asked for
    assert d["thermal"].isHidden() and d["worst"].isHidden()
    d["thermal"].show()
    win.extensions["worst_dock"].show()
    assert d["worst"] in win.tabifiedDockWidgets(d["thermal"])
    assert win.dockWidgetArea(d["worst"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert win.isDockNestingEnabled()


def test_arrangement_is_remembered(fresh, qtbot):
    win = fresh()
    d = win.docks
    win.extensions["worst_dock"].show()
    win.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, d["facility"])
    win.resize(700, 500)  # inside the test screen: restoreGeometry keeps windows on it
    qtbot.wait(50)
    size = win.size().toTuple()
    assert size != (1600, 1000)
    win.close()

    again = fresh()
    assert again.restored_layout
    d2 = again.docks
    assert again.size().toTuple() == size
    assert again.dockWidgetArea(d2["facility"]) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert d2["worst"].isVisible()
    assert d2["thermal"].isHidden()


def test_problems_wrap_long_messages(qtbot):
    from twin.model.checks.base import Violation
    from twin.ui.problems import ProblemsPanel

    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 300)
    panel.show()
    qtbot.waitExposed(panel)
    long = "rack A01 draws more power than its PDU can deliver at its rated load " * 4
    panel.set_problems(
        [
            Violation("power", "error", long.strip(), ("A01",), "rows[0]"),
            Violation("power", "warning", "short", ("A02",), "rows[0]"),
        ]
    )
    qtbot.wait(50)
    tree = panel.tree
    line = tree.fontMetrics().height()
    long_rect = tree.visualItemRect(tree.topLevelItem(0))
    short_rect = tree.visualItemRect(tree.topLevelItem(1))
    assert tree.columnWidth(1) < tree.fontMetrics().horizontalAdvance(long)  # it must wrap
    assert long_rect.height() >= 3 * line > short_rect.height()
    assert (
        tree.columnWidth(0) + tree.columnWidth(1) + tree.columnWidth(2)
        <= tree.viewport().width() + 1
    )


def test_show_all_legends_is_a_remembered_view_choice(opened, settings):
    from twin.render.legend_layout import DEFAULT_LIMIT

    win = opened
    assert win.scene.labels.legend_limit == DEFAULT_LIMIT == 2
    win.action_registry.trigger("view.all_legends")
    assert win.scene.labels.legend_limit > 4
    assert settings.value("view/all_legends") == "true"
    win.action_registry.trigger("view.all_legends")
    assert win.scene.labels.legend_limit == DEFAULT_LIMIT


@pytest.fixture
def editing(fresh, qtbot, small_layout):
    """A default window with the small layout open in edit mode (its edits discarded at
    close)."""
    from PySide6.QtWidgets import QMessageBox

    win = fresh()
    with qtbot.waitSignal(win.layout_loaded, timeout=30000):
        win.open_layout(small_layout)
    ed = win.extensions["editor"]
    ed.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    ed.set_active(True)
    return win


def test_edit_mode_leaves_the_energy_dock_room_for_its_figures(editing, qtbot):
    """Edit mode's History and Edit docks share one tab group on the right, as tall as the
    Edit panel, so a dock opened on demand beside them keeps the column: the Energy dock's
    breakdown is not cut off and its chart is shown at its full height (they were squeezed
    to a strip, the breakdown's last rows cut off)."""
    from twin.ui.energy_dock import CHART_HEIGHT_PX

    win = editing
    ed = win.extensions["editor"]
    energy = win.extensions["energy_dock"]
    energy.dock.show()
    qtbot.wait(200)
    d = win.docks
    assert d["history"] in win.tabifiedDockWidgets(d["edit"])
    assert d["edit"].isVisible() and not d["history"].visibleRegion().boundingRect().height()
    panel = ed.docks.panel
    assert panel.height() == panel.sizeHint().height()  # the Edit panel whole, no taller
    summary = energy.summary
    assert summary.height() >= summary.heightForWidth(summary.width())  # no row cut off
    shown = energy.chart.visibleRegion().boundingRect().height()
    assert energy.chart.height() == CHART_HEIGHT_PX and shown >= 0.9 * CHART_HEIGHT_PX


def test_the_thermal_dock_beside_edit_mode_scrolls_instead_of_cutting_its_summary(editing, qtbot):
    """The Thermal dock's summary (heat balance, the march's settling note) was cut off
    above the Compare button when edit mode's docks shared the column."""
    from PySide6.QtWidgets import QScrollArea

    win = editing
    tv = win.extensions["thermal_view"]
    with qtbot.waitSignal(tv.solved, timeout=60000):
        tv.set_overlay("air_slice", True)
    qtbot.wait(200)
    assert isinstance(win.docks["thermal"].widget(), QScrollArea)
    summary = tv.summary
    assert summary.text().count("<br>") + summary.text().count("\n") >= 3  # a long summary
    assert summary.height() >= summary.heightForWidth(summary.width())
