"""A closed and deleted view keeps no wrapper of the GL surface Qt deleted with it: shiboken would
hand that dead ``QSurface`` back for the next Qt object allocated at its address (CI once got one
for a menu separator, and the menu's layout failed on ``isSeparator``)."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QSurface


def _surfaces(obj) -> list:
    return [k for k, v in vars(obj).items() if isinstance(v, QSurface)]


def test_a_deleted_main_window_leaves_no_surface_wrapper(qtbot, settings):
    from twin.ui.main_window import MainWindow

    win = MainWindow(settings=settings)
    win.show()
    qtbot.waitExposed(win)
    win.plotter.render()
    plotter = win.plotter
    assert _surfaces(plotter), "the open view holds its GL surface (else this test shows nothing)"
    win.close()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(plotter)  # the widget is gone, its Python object is not
    assert not _surfaces(plotter)
