"""Where the window's docks go: a default arrangement that leaves the 3D view most of the
window, and the user's own arrangement remembered between sessions.

Default (no saved arrangement): one column on the left, the Facility tree above a tab group
of Inspector, Charts and Events; the thin Timeline along the bottom; the docks opened on
demand (Thermal, All Halls, Energy, What If, Worst N, ...) tabbed together on the right, so
opening one shows it beside the view instead of splitting the window further. Docks can be
dragged onto each other to tab them (nesting on).

The arrangement (``QMainWindow.saveState``) and the window's geometry are kept in the
window's ``QSettings`` when it closes and put back when a window opens with the same
settings; ``STATE_VERSION`` changes when the default changes so an old arrangement is not
applied to docks that moved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

DEFAULT_SIZE_PX = (1600, 1000)
#: Width of the left column and heights of its two parts, at the default size (px).
COLUMN_W_PX = 370
TREE_H_PX = 300
INSPECTOR_H_PX = 520
#: Tabbed under the tree, the first one shown.
UNDER_TREE = ("inspector", "charts", "events")
#: Opened on demand, tabbed together on the right, in this order.
ON_DEMAND = ("thermal", "all_halls", "worst", "energy", "whatif", "cfd_compare")
STATE_VERSION = 3
STATE_KEY = "window/state"
GEOMETRY_KEY = "window/geometry"

A = Qt.DockWidgetArea


def arrange_default(w: MainWindow) -> None:
    """Put the docks where ``UNDER_TREE`` and ``ON_DEMAND`` say (visibility unchanged)."""
    d = w.docks
    w.addDockWidget(A.LeftDockWidgetArea, d["facility"])
    under = [d[n] for n in UNDER_TREE if n in d]
    for dock in under:
        w.addDockWidget(A.LeftDockWidgetArea, dock)
    if under:
        w.splitDockWidget(d["facility"], under[0], Qt.Orientation.Vertical)
        for dock in under[1:]:
            w.tabifyDockWidget(under[0], dock)
        under[0].raise_()
    demand = [d[n] for n in ON_DEMAND if n in d]
    for dock in demand:
        w.addDockWidget(A.RightDockWidgetArea, dock)
    for dock in demand[1:]:
        w.tabifyDockWidget(demand[0], dock)


def size_default(w: MainWindow) -> None:
    """Give the left column its width and split it between tree and inspector (once the
    window is shown, when the sizes are known)."""
    d = w.docks
    w.resizeDocks([d["facility"]], [COLUMN_W_PX], Qt.Orientation.Horizontal)
    if "timeline" in d:  # alone along the bottom: its own height, no more
        tl = d["timeline"]
        w.resizeDocks([tl], [tl.sizeHint().height()], Qt.Orientation.Vertical)
    if "inspector" in d:
        w.resizeDocks(
            [d["facility"], d["inspector"]], [TREE_H_PX, INSPECTOR_H_PX], Qt.Orientation.Vertical
        )


def save(w: MainWindow) -> None:
    w.settings.setValue(STATE_KEY, w.saveState(STATE_VERSION))
    w.settings.setValue(GEOMETRY_KEY, w.saveGeometry())
    w.settings.sync()


def restore(w: MainWindow) -> bool:
    """Put back the arrangement saved with these settings; False when there is none (or it
    is from another version of the default)."""
    state = w.settings.value(STATE_KEY)
    geometry = w.settings.value(GEOMETRY_KEY)
    if not isinstance(state, QByteArray | bytes) or not state:
        return False
    if isinstance(geometry, QByteArray | bytes) and geometry:
        w.restoreGeometry(QByteArray(geometry))
    return bool(w.restoreState(QByteArray(state), STATE_VERSION))
