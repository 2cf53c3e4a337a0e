"""GUI fixtures: a real main window under Xvfb, closed at teardown, and a check that no test
leaves a top-level window or a plotter behind (like napari's leak checks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyvista.plotting.plotter import _ALL_PLOTTERS


@pytest.fixture(autouse=True)
def gc_on_the_main_thread():
    """No cyclic garbage collection while a GUI test runs, one on the main thread after its
    windows are closed: what ``twin.ui.gui_gc`` does in the app. Garbage of an earlier test's
    plotters, collected by a worker thread of a later one while the main thread rendered,
    deadlocked a CI run (VTK's collector lock against the GIL)."""
    import gc

    gc.disable()
    yield
    gc.enable()
    gc.collect()


@pytest.fixture(autouse=True)
def no_leaked_windows(request):
    """Runs before qtbot (so its teardown runs after qtbot has closed registered widgets)."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    from PySide6.QtWidgets import QWidget

    qapp = request.getfixturevalue("qapp")

    def visible() -> list:
        # shiboken may hand back a stale wrapper of another type for a reused address
        return [w for w in qapp.topLevelWidgets() if isinstance(w, QWidget) and w.isVisible()]

    plotters = set(_ALL_PLOTTERS)
    widgets = {id(w) for w in visible()}
    yield
    qapp.processEvents()
    leaked = [w for w in visible() if id(w) not in widgets]
    new_plotters = [k for k in _ALL_PLOTTERS if k not in plotters]
    for w in leaked:
        w.close()
    for k in new_plotters:
        _ALL_PLOTTERS[k].close()
    assert not leaked, f"test leaked top-level windows: {[type(w).__name__ for w in leaked]}"
    assert not new_plotters, f"test leaked {len(new_plotters)} plotter(s)"


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "twin.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    from twin.ui.main_window import MainWindow

    win = MainWindow(settings=settings)
    qtbot.addWidget(win)  # qtbot closes it at teardown (closeEvent closes the plotter)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def opened(window, qtbot, small_layout):
    """The window with the small layout loaded."""
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(small_layout)
        assert window.progress.isVisible() and not window.action_registry["file.open"].isEnabled()
    assert not window.progress.isVisible() and window.action_registry["file.open"].isEnabled()
    return window


#: The validation room the compare and calibrate tests compare with CFD sources.
CFD_ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"


@pytest.fixture
def compared(window, qtbot):
    """``compared(source, cell_m=0.3)``: the open-aisle validation room opened in the window
    and compared with ``source``; the compare extension, its dialog up."""

    def compare(source, cell_m: float = 0.3):
        with qtbot.waitSignal(window.layout_loaded, timeout=30000):
            window.open_layout(CFD_ROOM)
        window.extensions["thermal_view"].cell_m = cell_m
        ext = window.extensions["cfd_compare"]
        ext.compare(str(source))
        qtbot.waitUntil(lambda: ext.dialog is not None or ext.error is not None, timeout=90_000)
        assert ext.error is None
        return ext

    return compare


@pytest.fixture
def editor(window):
    """The window's editor, switched on, whose edits are discarded at close (the unsaved
    changes prompt would wait for ever under the test)."""
    from PySide6.QtWidgets import QMessageBox

    ed = window.extensions["editor"]
    ed.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    return ed
