"""The main window on a real display (Xvfb): open a layout, select by clicking in 3D and in
the tree, inspector and highlight follow; bad layouts keep the previous one."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

pytestmark = pytest.mark.gui


def _click_3d(window, qtbot, world_point):
    """A real left click on the VTK widget over a world point."""
    scene, widget = window.scene, window.plotter
    x, y = scene.world_to_display(world_point)
    ratio = widget.devicePixelRatioF()
    pos = QPoint(round(x / ratio), round(widget.height() - y / ratio))
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    qtbot.wait(20)


def test_click_rack_in_3d_selects_it_everywhere(opened, qtbot):
    win = opened
    f = win.facility
    assert win.scene is not None and "|   1 hall · 2 rows · 5 racks · " in win.status_layout.text()
    win.scene.view_top()
    win.plotter.render()
    r = f.rack_index["A02"]
    _click_3d(win, qtbot, f.rack_center_m[r] + [0, 0, f.rack_size_m[r, 2]])
    assert win.selection == ("rack", r)
    assert win.tree.current() == ("rack", r)
    assert "A02" in win.inspector.title.text()
    rows = dict(win.inspector.rows())
    assert rows["Feed A"] == "PDU-A" and rows["Feed B"] == "PDU-B"
    assert "PDU-A ← UPS ← UTIL" in rows["  path A"]
    assert rows["Air units (nearest)"].startswith("CRAH-1")
    kind, idx = win.scene.selection
    assert kind == "rack" and list(idx) == [r]
    assert (
        win.scene.selection_view.outline_mesh.n_cells == 12
        and win.scene.selection_view.outline_actor.GetVisibility()
    )
    assert "rack A02" in win.status_selection.text()
    # clicking empty floor clears the selection
    _click_3d(win, qtbot, (11.5, 0.5, 0.0))
    assert win.selection is None and win.scene.selection_view.outline_mesh.n_cells == 0


def test_tree_selection_drives_inspector_and_highlight(opened, qtbot):
    win = opened
    f = win.facility
    b = f.rack_index["B01"]
    item = win.tree._items[("rack", b)]
    win.tree.view.setCurrentIndex(win.tree.proxy.mapFromSource(item.index()))
    assert win.selection == ("rack", b)
    rows = dict(win.inspector.rows())
    assert rows["CDU (liquid)"] == "CDU-1"
    assert win.scene.selection[0] == "rack" and list(win.scene.selection[1]) == [b]
    # a link in the inspector selects the named item
    win.inspector.navigate.emit("CDU-1")
    assert win.selection == ("cdu", 0)
    assert dict(win.inspector.rows())["Serves racks"] == "1"
    # a GPU selects its server in the tree
    g = int(np.flatnonzero(f.gpu_rack == b)[3])
    win.select("gpu", g)
    assert win.tree.current() == ("server", int(f.gpu_server[g]))
    assert win.scene.selection_view.outline_mesh.n_cells == 24  # the GPU and its rack


def test_search_filters_the_tree(opened, qtbot):
    tree = opened.tree
    tree.search.setText("B02")
    qtbot.waitUntil(lambda: tree.proxy.filterRegularExpression().pattern() == "B02")
    hall = tree.proxy.index(0, 0)
    assert tree.proxy.rowCount(hall) == 1  # only row B remains
    row_b = tree.proxy.index(0, 0, hall)
    assert tree.proxy.rowCount(row_b) == 1
    tree.search.clear()
    qtbot.waitUntil(lambda: tree.proxy.rowCount(tree.proxy.index(0, 0)) == 2)


def test_bad_layout_shows_error_and_keeps_previous(opened, qtbot, tmp_path, small_layout):
    win = opened
    before = win.facility
    bad = tmp_path / "broken.yaml"
    bad.write_text(small_layout.read_text().replace("rotation_deg: 180", "rotation_deg: north", 1))
    win.open_layout(bad)
    qtbot.waitUntil(lambda: win._loading is None, timeout=30000)
    box = win._error_box
    assert box.isVisible()
    assert "broken.yaml:" in box.informativeText() and "rotation_deg" in box.informativeText()
    assert win.facility is before and win.scene is not None
    box.close()


def test_recent_files_drop_and_views(opened, qtbot, tmp_path, small_layout):
    win = opened
    assert win.recent.files() == [str(small_layout.resolve())]
    other = tmp_path / "other.yaml"
    other.write_text(small_layout.read_text().replace("name: small test hall", "name: dropped"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(win.layout_loaded, timeout=30000):
        win.dropEvent(event)
    assert win.facility.layout.name == "dropped"
    assert win.recent.files()[:2] == [str(other.resolve()), str(small_layout.resolve())]
    assert win.menus["File/Open Recent"].actions()[0].statusTip() == str(other.resolve())
    win.action_registry.trigger("view.top")
    assert win.plotter.camera.parallel_projection
    win.select_id("A03")
    win.action_registry.trigger("view.row")
    assert win.plotter.camera.position[2] == pytest.approx(1.7)
    win.action_registry["view.layer.power_links"].setChecked(True)
    assert win.scene.is_visible("power_links")


def test_live_source_recolours_gpus(opened, qtbot):
    from twin.telemetry.simulated import SimulatedSource

    win = opened
    win.select("gpu", 0)
    source = SimulatedSource(win.facility, rate_hz=20.0, speed=20.0)
    win.set_source(source)
    with qtbot.waitSignal(win.frame_shown, timeout=20000) as sig:
        pass
    frame = sig.args[0]
    got = np.asarray(win.scene.gpu_mesh.cell_data["gpu_value"]).reshape(win.facility.n_gpus, -1)
    assert np.allclose(got[:, 0], frame.gpu["temp_c"], equal_nan=True)
    rows = win.inspector.rows()
    assert rows[0][0] == "Now"  # the live state leads, the design figures follow
    assert any(label == "Temperature" for label, _ in rows)
    assert win.status_source.text().startswith("Source:")
    win.stop_source()
    assert win.source is None


def test_source_options_parse():
    from twin.commands.run import source_options

    assert source_options(["host=gpu-01", "interval_s=0.5", "n=3"]) == {
        "host": "gpu-01",
        "interval_s": 0.5,
        "n": 3,
    }
    with pytest.raises(ValueError, match="KEY=VALUE"):
        source_options(["nope"])


def test_search_finds_hosts_and_says_when_nothing_matches(opened, qtbot):
    tree, f = opened.tree, opened.facility
    host = f.host_names[-1]  # a host name is not any item's id
    assert all(host != i for i in f.rack_ids)
    tree.search.setText(host)
    tree._apply_filter()  # what the debounce timer runs
    assert tree._visible_count() > 0 and not tree.no_match.isVisible()
    tree.view.expandAll()
    found = []

    def walk(parent):
        for i in range(tree.proxy.rowCount(parent)):
            idx = tree.proxy.index(i, 0, parent)
            found.append(idx.data())
            walk(idx)

    walk(tree.proxy.index(-1, -1))
    server = int(f.host_server[len(f.host_names) - 1])
    rack = f.rack_ids[f.server_rack[server]]
    assert any(str(t).startswith(f"{rack}/s") for t in found)
    tree.search.setText("no-such-thing-here")
    tree._apply_filter()
    assert tree.no_match.isVisible()
    assert "no-such-thing-here" in tree.no_match.text() and "No matches" in tree.no_match.text()
    tree.search.clear()
    qtbot.waitUntil(lambda: not tree.no_match.isVisible())
