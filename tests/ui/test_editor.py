"""Edit mode in a real window under Xvfb: real mouse drags on the 3D view snap to the tile
pitch and leave the camera alone, an overlap shows in 3D and in the Problems list (a click
there selects the rack), undo/redo, keys, box selection, palette drops, save round trip and
crash recovery."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from twin.model import edits as E
from twin.model.document import LayoutDocument
from twin.model.loader import load_layout
from twin.model.recovery import RecoveryStore
from twin.model.save import layout_differences
from twin.ui.palette import KIND_ROLE, MIME, TYPE_ROLE

pytestmark = pytest.mark.gui
L, NO = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


@pytest.fixture
def settings(tmp_path):
    """The window's settings: recovery files in tmp_path, no thermal re-solve (one test
    turns it on)."""
    from PySide6.QtCore import QSettings

    s = QSettings(str(tmp_path / "twin.ini"), QSettings.Format.IniFormat)
    s.setValue("editor/recovery_dir", str(tmp_path / "recovery"))
    s.setValue("editor/thermal", "false")
    return s


@pytest.fixture
def editing(opened, qtbot):
    """The small layout open in edit mode, seen from the top; unsaved edits are discarded
    when the test's window closes."""
    win = opened
    ed = win.extensions["editor"]
    win.activateWindow()  # shortcuts go to the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5000)
    QTest.keyClick(win, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert ed.active and ed.doc is not None and ed.doc.facility is win.facility
    assert win.docks["problems"].isVisible() and win.docks["history"].isVisible()
    win.scene.view_top()
    win.plotter.render()
    ed.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    return win, ed


def _qpos(win, world) -> QPoint:
    x, y = win.scene.world_to_display(world)
    r = win.plotter.devicePixelRatioF()
    return QPoint(round(x / r), round(win.plotter.height() - 1 - y / r))


def _rack_top(f, rack_id, dxy=(0.0, 0.0)):
    i = f.rack_index[rack_id]
    return [*(f.rack_center_m[i, :2] + dxy), f.rack_size_m[i, 2]]


def _drag(win, qtbot, a: QPoint, b: QPoint, steps: int = 8, mods=NO) -> None:
    QTest.mousePress(win.plotter, L, mods, a)
    for k in range(1, steps + 1):
        QTest.mouseMove(win.plotter, a + (b - a) * (k / steps))
        qtbot.wait(5)
    QTest.mouseRelease(win.plotter, L, mods, b)
    qtbot.wait(20)


def _camera(win):
    c = win.plotter.renderer.camera
    return np.array([*c.position, *c.focal_point, *c.up])


def test_drag_snaps_overlap_shows_and_undo_restores(editing, qtbot):
    win, ed = editing
    f = win.facility
    i = f.rack_index["A01"]
    start = f.rack_center_m[i, :2].copy()
    assert not any(v.kind == "overlap" for v in ed.checker.problems)
    cam = _camera(win)
    # drag A01 by ~1.4 tiles towards A02, passing 0.6 on the way: snaps to one pitch (0.6 m)
    _drag(win, qtbot, _qpos(win, _rack_top(f, "A01")), _qpos(win, _rack_top(f, "A01", (0.8, 0))))
    moved = f.rack_center_m[i, :2] - start
    assert moved[1] == pytest.approx(0.0, abs=1e-9)
    assert moved[0] == pytest.approx(0.6, abs=1e-9)
    assert np.allclose(_camera(win), cam)  # the camera did not turn while a rack was dragged
    # the scene moved the rack's mesh in place
    box = win.scene.rack_mesh.points[8 * i : 8 * i + 8, :2].mean(axis=0)
    np.testing.assert_allclose(box, f.rack_center_m[i, :2], atol=1e-9)
    # one undo step for the whole drag
    assert ed.undo.stack.count() == 1 and ed.undo.stack.text(0) == "Move A01"
    assert win.isWindowModified() and "[*]" in win.windowTitle()
    # the overlap with A02: in the list, and red in 3D
    rows = [ed.problems.row_text(k) for k in range(ed.problems.count())]
    overlap = [k for k, r in enumerate(rows) if r[0] == "error" and "overlaps" in r[1]]
    assert overlap and "A01" in rows[overlap[0]][2] and "A02" in rows[overlap[0]][2]
    assert ed.layer.problem_cells() >= 2 * 6
    # clicking the problem selects its racks
    ed.set_selection([])
    tree = ed.problems.tree
    item = tree.topLevelItem(overlap[0])
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    QTest.mouseClick(tree.viewport(), L, NO, QPoint(rect.left() + 10, rect.center().y()))
    assert set(ed.selected) == {"A01", "A02"}
    assert win.selection is not None and win.selection[0] == "rack"
    assert f.rack_ids[win.selection[1]] in ("A01", "A02")
    # Ctrl+Z puts it back exactly, the overlap goes; Ctrl+Y redoes
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(f.rack_center_m[i, :2], start)
    assert not any(v.kind == "overlap" for v in ed.checker.problems)
    assert not win.isWindowModified()
    QTest.keyClick(win, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert f.rack_center_m[i, 0] == pytest.approx(start[0] + 0.6)
    assert ed.doc.history.index == 1 and ed.undo.stack.index() == 1


def test_box_select_rotate_duplicate_delete_drop(editing, qtbot):
    win, ed = editing
    f = win.facility
    a = [_qpos(win, _rack_top(f, r)) for r in ("A01", "A03")]
    pad = QPoint(12, 12)
    lo = QPoint(min(a[0].x(), a[1].x()), min(a[0].y(), a[1].y())) - pad
    hi = QPoint(max(a[0].x(), a[1].x()), max(a[0].y(), a[1].y())) + pad
    _drag(win, qtbot, lo, hi, mods=Qt.KeyboardModifier.ShiftModifier)
    assert sorted(ed.selected) == ["A01", "A02", "A03"]
    # R (typed into the 3D view, where VTK would reset the camera) turns the block by 90
    # degrees about its centre
    win.plotter.setFocus()
    cam = _camera(win)
    QTest.keyClick(win.plotter, Qt.Key.Key_R)
    assert np.allclose(_camera(win), cam)
    idx = [f.rack_index[r] for r in ("A01", "A02", "A03")]
    np.testing.assert_allclose(f.rack_rotation_deg[idx], 270.0)
    np.testing.assert_allclose(f.rack_center_m[idx, 0], 3.6, atol=1e-9)
    np.testing.assert_allclose(f.rack_center_m[idx, 1], [2.4, 3.0, 3.6], atol=1e-9)
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_allclose(f.rack_rotation_deg[idx], 180.0)
    # Ctrl+L aligns the selection into a row behind the first rack (A02 pulled out first)
    ed.push(E.translate(ed.doc, ["A02"], (0.0, 0.6)))
    QTest.keyClick(win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert ed.undo.stack.text(ed.undo.stack.index() - 1) == "Align 3 racks"
    np.testing.assert_allclose(f.rack_center_m[idx, 1], 3.0, atol=1e-9)
    np.testing.assert_allclose(np.diff(f.rack_center_m[idx, 0]), 0.6, atol=1e-9)
    # any angle from the edit dock
    ed.set_selection(["B01"])
    ed.panel.rotation.setValue(33.0)
    assert win.facility.rack_rotation_deg[f.rack_index["B01"]] == pytest.approx(33.0)
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    # Ctrl+D duplicates beside it (a new rack, the scene rebuilt); Del deletes it
    QTest.keyClick(win, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    f2 = win.facility
    assert f2.n_racks == 6 and ed.selected == ["B01-copy"] and f2 is ed.doc.facility
    assert win.scene.facility is f2 and ed.layer.scene is win.scene
    QTest.keyClick(win, Qt.Key.Key_Delete)
    assert win.facility.n_racks == 5 and "B01-copy" not in win.facility.rack_index
    # a server type dropped from the palette adds a filled rack at the snapped floor point
    mime = QMimeData()
    mime.setData(MIME, b"server:dgx-h100")
    pos = _qpos(win, (9.05, 5.0, 0.0))
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, L, NO)
    # (Qt routes drops only inside a real drag: hand the event to the view's filter)
    assert ed.eventFilter(win.plotter, drop) and drop.isAccepted()
    new = ed.selected[0]
    f3 = win.facility
    r = f3.rack_index[new]
    np.testing.assert_allclose(f3.rack_center_m[r, :2], [9.0, 4.8], atol=1e-9)
    assert f3.rack_gpu_count[r] == 4 * 8
    texts = [ed.undo.stack.text(k) for k in range(ed.undo.stack.count())]
    assert texts[-3:] == ["Duplicate B01", "Delete B01-copy", f"Add {new}"]
    ed.undo.stack.undo()
    assert win.facility.n_racks == 5 and new not in win.facility.rack_index


def test_save_writes_a_layout_that_loads_back_equal(editing, qtbot, small_layout):
    win, ed = editing
    f = win.facility
    _drag(win, qtbot, _qpos(win, _rack_top(f, "B02")), _qpos(win, _rack_top(f, "B02", (0.7, 0))))
    assert f.rack_center_m[f.rack_index["B02"], 0] == pytest.approx(4.2)
    assert ed.autosave_tick() and ed.store.entries()  # the first change is written at once
    assert ed.autosave_tick() is False  # nothing new since
    # closing asks about the unsaved edit: Cancel keeps the window open
    asked = []
    ed.ask_unsaved = lambda: asked.append(1) or QMessageBox.StandardButton.Cancel
    assert not win.close() and win.isVisible() and asked
    ed.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    QTest.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert ed.files.save_error_box is None, ed.files.save_error_box.text()
    assert not win.isWindowModified() and ed.undo.stack.isClean()
    assert ed.store.entries() == []  # a saved document needs no recovery file
    back = load_layout(small_layout)
    assert layout_differences(back.layout, ed.doc.layout) == []
    assert back.racks[back.rack_index["B02"]].position_m == (4.2, 6.0)
    other = small_layout.with_name("copy.yaml")
    assert ed.files.save_as(other) and ed.doc.path == other and "copy.yaml" in win.windowTitle()
    assert layout_differences(load_layout(other).layout, ed.doc.layout) == []


def test_crash_recovery_is_offered_and_recovers(settings, small_layout, qtbot, tmp_path):
    # a process edited the layout, autosaved, and died
    store = RecoveryStore(tmp_path / "recovery")
    doc = LayoutDocument.open(small_layout)
    doc.history.push(E.translate(doc, ["A03"], (1.8, 0.0)))
    store.autosave(doc)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    meta_path = next((tmp_path / "recovery").glob("*.json"))
    meta = json.loads(meta_path.read_text())
    meta["pid"], meta["token"] = int(dead.stdout), None
    meta_path.write_text(json.dumps(meta))
    assert store.pending(small_layout) is not None

    from twin.ui.main_window import MainWindow

    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    ed = win.extensions["editor"]
    ed.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: ed.files.recovery_box is not None, timeout=5000)  # offered at start
    ed.files.recovery_box.reject()  # "Later": the file stays
    qtbot.waitUntil(lambda: ed.files.recovery_box is None)
    with qtbot.waitSignal(win.layout_loaded, timeout=30000):
        win.open_layout(small_layout)
    qtbot.waitUntil(lambda: ed.files.recovery_box is not None, timeout=5000)  # offered on open
    qtbot.mouseClick(ed.files.recover_button, L)
    qtbot.waitUntil(lambda: ed.active)
    f = win.facility
    assert f is ed.doc.facility
    assert f.rack_center_m[f.rack_index["A03"], 0] == pytest.approx(4.2 + 1.8)
    assert ed.doc.dirty and win.isWindowModified() and ed.doc.path == small_layout
    assert ed.doc.source_text == small_layout.read_text()  # saves keep the author's text
    assert ed.save()
    assert store.entries() == []
    assert load_layout(small_layout).racks[f.rack_index["A03"]].position_m == (6.0, 3.0)


def test_thermal_resolve_shows_the_inlet_change(editing, qtbot):
    win, ed = editing
    th, solver = ed.thermal, win.solver.jobs.solver
    th.enabled = True
    ed.set_active(False)
    ed.set_selection(["A01"])
    ed.set_active(True)  # solves the layout as it is at once: the baseline
    assert th.busy and th.after is None
    # two quick edits while that runs: one re-solve of the newest layout, after the baseline
    ed.ops.rotate(90.0)
    ed.ops.rotate(90.0)
    qtbot.waitUntil(lambda: th.before is not None and not th.busy, timeout=120000)
    assert solver.steady_solves == 2
    text = ed.panel.thermal.text()
    assert "→" in text and "Inlet of A01" in text, text
    assert th.after["A01"] != th.before["A01"]
    rows = dict(win.inspector.rows())
    assert "→" in rows["Inlet (max)"] and "A01" in win.inspector.title.text()
    # the answer was solved on a copy of the layout with both turns, not on the live one
    answer = win.solver.last
    assert answer.facility is not win.facility and answer.source is win.facility
    i = answer.facility.rack_index["A01"]
    assert answer.facility.rack_rotation_deg[i] == win.facility.rack_rotation_deg[i] == 0.0
    # A01 now breathes its hot aisle: the thermal rules list it in Problems with the others
    # whose inlet passed A1 recommended
    hot = {r for r, t in th.after.items() if t > 27.0}
    rows = [ed.problems.row_text(i) for i in range(ed.problems.count())]
    shown = {items for _, msg, items in rows if "above ASHRAE A1" in msg}
    assert "A01" in hot and shown == hot


def test_a_failed_thermal_solve_replaces_the_last_answer_s_rules(editing, qtbot):
    """An edit that leaves the hall no possible steady state (its one CRAH set to 0.001 m3/s:
    100,000 C air) fails the re-solve; Problems then shows that failure for the hall instead
    of the rules of the answer before, which no longer hold, and undo brings them back."""
    from twin.model.edits import ChangeItem

    win, ed = editing
    th = ed.thermal
    th.enabled = True
    ed.set_active(False)
    ed.set_selection(["A01"])
    ed.set_active(True)
    qtbot.waitUntil(lambda: th.after is not None and not th.busy, timeout=120000)

    def thermal_rows():
        rows = [ed.problems.row_text(i) for i in range(ed.problems.count())]
        return [r for r in rows if "ASHRAE" in r[1] or "impossible results" in r[1]]

    before = thermal_rows()
    assert before and all("ASHRAE" in msg for _, msg, _ in before)
    ed.doc.history.push(ChangeItem("air_units", "CRAH-1", airflow_m3s=0.001))
    qtbot.waitUntil(lambda: bool(th.error) and not th.busy, timeout=120000)
    ((severity, msg, items),) = thermal_rows()
    assert severity == "error" and items == "H1"
    assert msg.startswith(
        "hall 'H1': no steady state: its "
        "racks send more heat to the air than its running air units can remove, and the "
        "solve gives impossible results, so none are shown: air temperatures from "
    )
    assert th.rules[0].field == "halls[0]" and th.redundancy == []
    assert ed.panel.thermal.text().startswith("Thermal solve failed: hall H1:")
    ed.doc.history.undo()
    qtbot.waitUntil(lambda: not th.error and th.after is not None and not th.busy, timeout=120000)
    assert thermal_rows() == before


def test_catalog_drop_in_edit_mode_keeps_the_telemetry(editing, qtbot):
    """A rack type dropped from the Catalog rebuilds the facility and the scene; the simulated
    telemetry keeps running (same source), frames keep colouring the existing GPUs, the new
    rack reads no data, the GPU legend stays, and undo keeps it all running."""
    win, ed = editing
    rp = win.extensions["replay"]
    assert rp.start_source("simulated", scenario="normal", speed=20.0, physics=False)
    qtbot.waitUntil(lambda: win.last_frame is not None, timeout=10000)
    source = win.source
    mime = QMimeData()
    mime.setData(MIME, b"server:dgx-h100")
    drop = QDropEvent(QPointF(_qpos(win, (9.05, 5.0, 0.0))), Qt.DropAction.CopyAction, mime, L, NO)
    assert ed.eventFilter(win.plotter, drop) and drop.isAccepted()
    new = ed.selected[0]
    f = win.facility
    assert win.source is source and source.running  # not stopped, not replaced
    shown = win.session.frames
    qtbot.waitUntil(lambda: win.session.frames >= shown + 2, timeout=10000)
    frame = win.last_frame
    assert frame is not None and frame.gpu["temp_c"].shape == (f.n_gpus,)
    added = f.gpu_rack == f.rack_index[new]
    assert np.all(np.isnan(frame.gpu["temp_c"][added]))  # a new rack has no telemetry yet
    assert np.all(np.isfinite(frame.gpu["temp_c"][~added]))
    colours = win.scene.gpu_values()
    assert np.isfinite(colours[~added]).all()
    assert win.scene.gpu_bar is not None and win.scene.gpu_bar.GetVisibility()
    assert rp.timeline.mode.text() == "LIVE"
    ed.undo.stack.undo()
    assert new not in win.facility.rack_index and win.source is source
    shown = win.session.frames
    qtbot.waitUntil(lambda: win.session.frames >= shown + 1, timeout=10000)
    assert np.isfinite(win.last_frame.gpu["temp_c"]).all()
    win.stop_source()


def test_save_asks_when_the_file_changed_on_disk(editing, qtbot, small_layout):
    """Another program changed the layout after the window opened it: Ctrl+S asks before
    replacing that change, and Cancel leaves the file as the other program wrote it."""
    win, ed = editing
    f = win.facility
    _drag(win, qtbot, _qpos(win, _rack_top(f, "B02")), _qpos(win, _rack_top(f, "B02", (0.7, 0))))
    theirs = small_layout.read_text() + "# changed by another program\n"
    small_layout.write_text(theirs)
    asked = []
    ed.ask_overwrite_changed = lambda msg: asked.append(msg) or False
    QTest.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert asked and "changed on disk" in asked[0]
    assert small_layout.read_text() == theirs and win.isWindowModified()
    ed.ask_overwrite_changed = lambda msg: True
    QTest.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not win.isWindowModified()
    assert load_layout(small_layout).racks[f.rack_index["B02"]].position_m == (4.2, 6.0)


#: Drives the X server's pointer through XTEST (libXtst, the extension Xvfb serves), from a
#: process of its own: Qt's drag on X11 (QDrag.exec) grabs the pointer and runs its own event
#: loop on the X server's events, so a drag can only be driven by real X pointer events, not
#: by QTest's synthetic Qt events. argv: x0 y0 x1 y1 (root window pixels).
_XTEST_DRAG = r"""
import ctypes, sys, time
x11, xtst = ctypes.CDLL("libX11.so.6"), ctypes.CDLL("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
dpy = ctypes.c_void_p(x11.XOpenDisplay(None))
assert dpy.value, "no X display"
x0, y0, x1, y1 = map(int, sys.argv[1:5])
def move(x, y):
    xtst.XTestFakeMotionEvent(dpy, -1, x, y, 0); x11.XFlush(dpy); time.sleep(0.04)
def button(down):
    xtst.XTestFakeButtonEvent(dpy, 1, down, 0); x11.XFlush(dpy); time.sleep(0.15)
move(x0, y0); time.sleep(0.3)
button(True)
for k in range(1, 31):
    move(round(x0 + (x1 - x0) * k / 30), round(y0 + (y1 - y0) * k / 30))
time.sleep(0.3); move(x1, y1); time.sleep(0.3)
button(False)
x11.XCloseDisplay(dpy)
"""


def test_catalog_drag_from_the_palette_adds_a_rack_where_it_is_dropped(editing, qtbot):
    """A real drag: the X pointer presses on the palette's "DGX H100" entry, moves into the 3D
    view and lets go there. The palette's own drag (its QDrag, its mime data) carries the type
    to the view, which adds a rack of it, snapped, at the floor point under the pointer."""
    win, ed = editing
    lst = ed.palette.list
    assert ed.palette_dock.isVisible()
    rows = [k for k in range(lst.count()) if lst.item(k).data(TYPE_ROLE) == "dgx-h100"]
    assert len(rows) == 1 and lst.item(rows[0]).data(KIND_ROLE) == "server"
    item = lst.item(rows[0])
    lst.setCurrentItem(item)  # (choosing a type resets the count to its suggestion)
    lst.scrollToItem(item)
    ed.palette.count.setValue(3)
    start = lst.viewport().mapToGlobal(lst.visualItemRect(item).center())
    end = win.plotter.mapToGlobal(_qpos(win, (9.05, 5.0, 0.0)))
    assert win.plotter.rect().contains(win.plotter.mapFromGlobal(end))
    racks = win.facility.n_racks
    args = [str(v) for v in (start.x(), start.y(), end.x(), end.y())]
    driver = subprocess.Popen([sys.executable, "-c", _XTEST_DRAG, *args])
    try:
        qtbot.waitUntil(lambda: driver.poll() is not None, timeout=20000)
        qtbot.waitUntil(lambda: win.facility.n_racks == racks + 1, timeout=5000)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 0
    new = ed.selected[0]
    f = win.facility
    r = f.rack_index[new]
    # (9.05, 5.0) snaps to the hall's 0.6 m tile pitch: (9.0, 4.8); three DGX H100, 8 GPUs each
    np.testing.assert_allclose(f.rack_center_m[r, :2], [9.0, 4.8], atol=1e-9)
    assert f.rack_gpu_count[r] == 3 * 8
    assert ed.undo.stack.text(ed.undo.stack.index() - 1) == f"Add {new}"


def test_an_n_plus_1_hall_lists_the_units_it_cannot_lose(window, qtbot, tmp_path):
    """After the edit's re-solve, an N+1 hall is failed one air unit at a time on the window's
    solver: the small what-if hall (two 77 kW CRAHs for 40 kW of racks each side) cannot lose
    either, which Problems says; a new edit drops the answer until it is checked again."""
    from tests.physics.test_thermal_checks import TEXT

    path = tmp_path / "n1.yaml"
    path.write_text(TEXT.replace("cooling_redundancy: N\n", "cooling_redundancy: N+1\n"))
    win = window
    win.view.thermal.cell_m = 0.4  # the cell of tests/physics/test_thermal_checks.py
    with qtbot.waitSignal(win.layout_loaded, timeout=30000):
        win.open_layout(path)
    ed = win.extensions["editor"]
    ed.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    ed.thermal.enabled = True
    asked = []
    win.solver.asked.connect(lambda job: asked.append(job.key))
    ed.set_active(True)
    th = ed.thermal
    qtbot.waitUntil(lambda: len(th.redundancy) == 2, timeout=180000)
    assert "thermal.redundancy" in asked
    assert sorted(v.items for v in th.redundancy) == [("CRAH-1",), ("CRAH-2",)]
    rows = [ed.problems.row_text(i) for i in range(ed.problems.count())]
    lost = sorted(items for _, msg, items in rows if "does not survive the loss of" in msg)
    assert lost == ["CRAH-1", "CRAH-2"]
    ed.set_selection(["A1"])
    ed.ops.rotate(180.0)  # any edit: the check is of the old state
    assert th.redundancy == []
    qtbot.waitUntil(lambda: len(th.redundancy) == 2, timeout=180000)
