"""Every keyboard shortcut the README promises, pressed in the real window (Xvfb), checked by
what the user then sees: the camera, the frame on screen, the speed box, the selection.

Keys go to the active window with the 3D view focused, as after a click in the view (a
focused text box would take ``,`` and ``.`` as typing)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QMessageBox

from twin.cli import main

pytestmark = pytest.mark.gui

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def press(win, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    if QApplication.activeWindow() is not win:
        win.activateWindow()
        deadline = time.monotonic() + 5
        while QApplication.activeWindow() is not win and time.monotonic() < deadline:
            QApplication.processEvents()
        assert QApplication.activeWindow() is win, "the window did not become active"
    win.plotter.setFocus()
    QTest.keyClick(win.plotter, key, modifiers)


def camera(win):
    cam = win.plotter.camera
    pos, focal = np.array(cam.position), np.array(cam.focal_point)
    look = (focal - pos) / np.linalg.norm(focal - pos)
    return pos, focal, look, cam.parallel_projection


def test_view_shortcuts_top_iso_row_and_frame(opened, qtbot):
    """Ctrl+1 top, Ctrl+2 isometric, Ctrl+3 along the selected row (from its cold aisle),
    F frames the selection."""
    win = opened
    fac = win.facility
    press(win, Qt.Key.Key_1, CTRL)
    _, _, look, parallel = camera(win)
    assert parallel and np.allclose(look, [0, 0, -1], atol=1e-6)
    press(win, Qt.Key.Key_2, CTRL)
    _, _, look, parallel = camera(win)
    assert not parallel and look[2] < -0.3 and abs(look[0]) > 0.2 and abs(look[1]) > 0.2
    # small layout: row A at y = 3 faces +y, row B at y = 6 faces -y; racks 1.2 m deep, so
    # the cold aisle both rows breathe from is 3.6 < y < 5.4
    depth = fac.rack_size_m[0, 1]
    aisle = (3.0 + depth / 2, 6.0 - depth / 2)
    for rack in ("A03", "B01"):
        win.select_id(rack)
        press(win, Qt.Key.Key_3, CTRL)
        pos, focal, look, parallel = camera(win)
        assert not parallel
        assert aisle[0] < pos[1] < aisle[1], (rack, pos)  # in the cold aisle, not the hot one
        assert aisle[0] < focal[1] < aisle[1]
        assert pos[2] == pytest.approx(1.7)  # eye level
        assert abs(look[0]) > 0.8  # looking along the row (rows run along x)
    # F: the selected rack is in the middle of the view
    win.select_id("A02")
    press(win, Qt.Key.Key_F)
    _, focal, _, _ = camera(win)
    centre = fac.rack_center_m[fac.rack_index["A02"]]
    np.testing.assert_allclose(focal[:2], centre[:2], atol=1e-6)


@pytest.fixture
def recording(small_layout, tmp_path):
    """20 s of the small hall at 1 Hz; its only CRAH trips at +5 s and is back at +12 s."""
    out = tmp_path / "run.h5"
    args = ["simulate", str(small_layout), "--scenario", "crah-trip", "--duration", "20s"]
    args += ["--fail-at", "5s", "--recover-at", "12s", "--seed", "3", "-o", str(out), "-q"]
    assert main(args) == 0
    return out


def shown_time(win) -> float:
    return win.last_frame.time_s


def speed_box(win) -> QComboBox:
    (box,) = [b for b in win.findChildren(QComboBox) if b.toolTip() == "Replay speed"]
    return box


def test_replay_shortcuts_space_step_speed_and_events(opened, qtbot, recording):
    """Space plays and pauses, `,` `.` step one sample, `[` `]` change speed, Ctrl+Left/Right
    jump between events."""
    from twin.recording import open_recording

    win = opened
    with open_recording(recording) as rec:
        times = np.array(rec.times)
        event_times = sorted({e.time_s for e in rec.events if e.time_s > times[0]})
    assert win.extensions["replay"].open_recording(recording, autoplay=False)
    qtbot.waitUntil(
        lambda: win.last_frame is not None and shown_time(win) == times[0], timeout=5000
    )
    # . and , step exactly one sample
    press(win, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: shown_time(win) == times[1], timeout=5000)
    press(win, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: shown_time(win) == times[2], timeout=5000)
    press(win, Qt.Key.Key_Comma)
    qtbot.waitUntil(lambda: shown_time(win) == times[1], timeout=5000)
    # ] and [ move through the speeds shown in the speed box
    box = speed_box(win)
    assert box.currentText() == "×1"
    press(win, Qt.Key.Key_BracketRight)
    faster = box.currentData()
    assert faster > 1
    press(win, Qt.Key.Key_BracketRight)
    assert box.currentData() > faster
    press(win, Qt.Key.Key_BracketLeft)
    assert box.currentData() == faster
    press(win, Qt.Key.Key_BracketLeft)
    press(win, Qt.Key.Key_BracketLeft)
    assert box.currentData() < 1
    for _ in range(3):
        press(win, Qt.Key.Key_BracketRight)  # x10 or so: play visibly moves
    assert box.currentData() >= 5
    # Ctrl+Right / Ctrl+Left: next / previous event
    press(win, Qt.Key.Key_Right, CTRL)
    qtbot.waitUntil(lambda: shown_time(win) == event_times[0], timeout=5000)
    press(win, Qt.Key.Key_Right, CTRL)
    qtbot.waitUntil(lambda: shown_time(win) == event_times[1], timeout=5000)
    press(win, Qt.Key.Key_Left, CTRL)
    qtbot.waitUntil(lambda: shown_time(win) == event_times[0], timeout=5000)
    # Space plays: the frame on screen moves on; Space again pauses: it stays
    start = shown_time(win)
    press(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: shown_time(win) >= start + 3, timeout=10000)
    press(win, Qt.Key.Key_Space)
    qtbot.wait(300)
    paused = shown_time(win)
    qtbot.wait(1200)
    assert shown_time(win) == paused


@pytest.fixture
def editing(opened, qtbot):
    win = opened
    press(win, Qt.Key.Key_E, CTRL)
    ed = win.extensions["editor"]
    assert ed.active
    # closing the window at teardown must not stop at the unsaved-changes question
    ed.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    return win


def rotation(win, rack: str) -> float:
    fac = win.facility
    return float(fac.rack_rotation_deg[fac.rack_index[rack]]) % 360


def test_edit_shortcuts_rotate_back_undo_and_redo(editing, qtbot):
    """R turns the selection by 90 deg, Shift+R back; Ctrl+Z undoes, Ctrl+Shift+Z redoes."""
    win = editing
    win.select_id("A02")
    before = rotation(win, "A02")
    press(win, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: rotation(win, "A02") == (before + 90) % 360, timeout=5000)
    press(win, Qt.Key.Key_R, SHIFT)
    qtbot.waitUntil(lambda: rotation(win, "A02") == before, timeout=5000)
    press(win, Qt.Key.Key_R, SHIFT)
    qtbot.waitUntil(lambda: rotation(win, "A02") == (before - 90) % 360, timeout=5000)
    press(win, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: rotation(win, "A02") == before, timeout=5000)
    press(win, Qt.Key.Key_Z, CTRL | SHIFT)
    qtbot.waitUntil(lambda: rotation(win, "A02") == (before - 90) % 360, timeout=5000)
