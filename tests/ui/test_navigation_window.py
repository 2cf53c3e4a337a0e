"""The window's camera: a real drag orbits as a turntable (up stays up), the wheel zooms
towards the cursor, a double click flies to the item under it, Home shows the whole site."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest


def _widget_pos(window, world_point) -> QPoint:
    x, y = window.scene.world_to_display(world_point)
    widget = window.plotter
    ratio = widget.devicePixelRatioF()
    return QPoint(round(x / ratio), round(widget.height() - y / ratio))


def test_drag_orbits_with_up_kept_and_double_click_flies(opened, qtbot):
    win = opened
    win.scene.view_iso()
    win.plotter.render()
    cam = win.plotter.renderer.GetActiveCamera()
    widget = win.plotter
    start = QPoint(widget.width() // 2, widget.height() // 2)
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for k in range(1, 6):
        QTest.mouseMove(widget, start + QPoint(30 * k, 0))
        qtbot.wait(10)
    QTest.mouseRelease(
        widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(150, 0)
    )
    # the horizon stays level: the screen's right axis has no vertical part, up points up
    up = np.array(cam.GetViewUp())
    look = np.subtract(cam.GetFocalPoint(), cam.GetPosition())
    right = np.cross(look, up)
    assert abs(right[2]) < 1e-6 * np.linalg.norm(right) and up[2] > 0.5
    assert cam.GetPosition()[2] > 0.25
    assert not win.scene.lod.state.interacting  # back to full detail after the drag
    # double click on rack A02: selected and the camera moves close to it
    f = win.facility
    r = f.rack_index["A02"]
    top = f.rack_center_m[r] + [0, 0, f.rack_size_m[r, 2]]
    before = np.linalg.norm(np.subtract(cam.GetPosition(), top))
    QTest.mouseDClick(
        widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _widget_pos(win, top)
    )
    qtbot.wait(20)
    assert win.selection == ("rack", r)
    assert np.linalg.norm(np.subtract(cam.GetFocalPoint(), top)) < 1.5
    assert np.linalg.norm(np.subtract(cam.GetPosition(), top)) < before
    # Home: the whole site again
    win.action_registry.trigger("view.home")
    assert np.linalg.norm(np.subtract(cam.GetPosition(), top)) > before * 0.9


def test_wheel_zooms_towards_the_cursor(opened, qtbot):
    win = opened
    win.scene.view_top()
    win.plotter.render()
    cam = win.plotter.renderer.GetActiveCamera()
    iren = win.plotter.iren.interactor
    f = win.facility
    target = f.rack_center_m[f.rack_index["B02"]] * [1, 1, 0]
    x, y = win.scene.world_to_display(target)
    scale = cam.GetParallelScale()
    iren.SetEventInformation(int(x), int(y), 0, 0, "\0", 0)
    iren.InvokeEvent("MouseWheelForwardEvent")
    assert cam.GetParallelScale() < scale
    nx, ny = win.scene.world_to_display(target)
    assert abs(nx - x) < 1.5 and abs(ny - y) < 1.5  # the point stays under the cursor
