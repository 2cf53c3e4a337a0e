"""The Worst N dock lists the frame's hottest GPUs, racks and air units, and a click selects;
the tree's search finds GPUs by id and by UUID."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def frame_of(opened):
    from twin.model.frame import Frame

    def make(seed: int):
        f = opened.facility
        rng = np.random.default_rng(seed)
        fr = Frame.empty(1.8e9 + seed, f.counts())
        fr.gpu["temp_c"] = rng.uniform(30, 90, f.n_gpus).astype(np.float32)
        fr.gpu["temp_c"][3] = np.nan  # a GPU without a reading is never listed
        fr.air_unit["return_c"] = rng.uniform(25, 40, len(f.air_unit_ids)).astype(np.float32)
        return fr

    return make


def test_worst_rows_follow_each_frame(opened, qtbot, frame_of):
    win = opened
    worst = win.extensions["worst_dock"]
    win.action_registry.trigger("view.worst")
    assert worst.dock.isVisible()
    worst.count.setValue(5)
    f = win.facility
    for seed in (1, 2):
        fr = frame_of(seed)
        win.show_frame(fr)
        t = fr.gpu["temp_c"].astype(float)
        order = np.argsort(np.where(np.isnan(t), -np.inf, t))[::-1][:5]  # independent ranking
        assert [r[0] for r in worst.rows("gpu")] == [f.gpu_label(int(g)) for g in order]
        assert [float(r[1].split()[0]) for r in worst.rows("gpu")] == pytest.approx(
            t[order], abs=0.051
        )
        rack_max = {r: np.nanmax(t[f.gpu_rack == r]) for r in set(f.gpu_rack.tolist())}
        by_value = sorted(rack_max, key=lambda r: -rack_max[r])  # racks without GPUs: unlisted
        expected_racks = [f.rack_ids[r] for r in by_value[:5]]
        assert [r[0] for r in worst.rows("rack")] == expected_racks
        air = fr.air_unit["return_c"]
        assert [r[0] for r in worst.rows("air_unit")] == [
            f.air_unit_ids[i] for i in np.argsort(-air, kind="stable")[: min(5, len(air))]
        ]


def test_click_selects_and_double_click_flies(opened, qtbot, frame_of):
    win = opened
    worst = win.extensions["worst_dock"]
    worst.show()
    win.show_frame(frame_of(3))
    table = worst.tables["rack"]
    r = win.facility.rack_index[worst.rows("rack")[1][0]]
    qtbot.mouseClick(
        table.viewport(), qtbot_left(), pos=table.visualItemRect(table.item(1, 1)).center()
    )
    assert win.selection == ("rack", r)
    assert win.inspector.kind == "rack" and win.inspector.index == r
    cam = win.plotter.renderer.camera
    before = np.array(cam.focal_point)
    worst.tabs.setCurrentIndex(0)
    g = int(worst.tables["gpu"].item(0, 1).data(worst_index_role()))
    worst.select_row("gpu", 0, fly=True)
    assert win.selection == ("gpu", g)
    centre = win.scene.item_boxes("gpu", [g])[0].mean(axis=0)
    after = np.array(cam.focal_point)
    assert np.linalg.norm(after - centre) < np.linalg.norm(before - centre)
    assert np.linalg.norm(after[:2] - centre[:2]) < 0.5


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def worst_index_role():
    from twin.ui.worst_dock import INDEX_ROLE

    return INDEX_ROLE


def test_hidden_dock_does_no_work(opened, frame_of):
    worst = opened.extensions["worst_dock"]
    assert not worst.dock.isVisible()
    opened.show_frame(frame_of(4))
    assert worst.shown == {} and worst.tables["gpu"].rowCount() == 0


def test_search_finds_gpus_by_id_and_uuid(opened, qtbot):
    win = opened
    f = win.facility
    tree = win.tree
    g = 17
    tree.search.setText(f.gpu_label(g))
    qtbot.waitUntil(lambda: tree.gpu_hits.count() == 1)
    assert not tree.no_match.isVisible()
    # a UUID the live source learned next to a known host/GPU
    uuid = "GPU-5f1c2a90-7d3c-4a5e-9f1b-0123456789ab"

    class Mapper:
        def known_uuids(self):
            return {uuid: g}

    class Source:
        mapper = Mapper()

    win.session.source = Source()
    try:
        tree.search.setText("7d3c-4a5e")
        qtbot.waitUntil(
            lambda: tree.gpu_hits.count() == 1 and "GPU-" in tree.gpu_hits.item(0).text()
        )
        item = tree.gpu_hits.item(0)
        assert uuid in item.text() and f.gpu_label(g) in item.text()
        qtbot.mouseClick(
            tree.gpu_hits.viewport(),
            qtbot_left(),
            pos=tree.gpu_hits.visualItemRect(item).center(),
        )
        assert win.selection == ("gpu", g)
        tree.search.setText("GPU-ffffffff")
        qtbot.waitUntil(lambda: tree.no_match.isVisible())
        assert tree.gpu_hits.count() == 0
    finally:
        win.session.source = None


def test_layout_uuid_table_is_searchable(small_facility):
    from twin.model.gpu_search import find_gpus, layout_uuids

    f = small_facility
    uuid = "GPU-00000000-aaaa-bbbb-cccc-000000000001"
    f.layout.telemetry.gpu_uuids[uuid] = f.gpu_label(9)
    try:
        assert f.find(uuid) == ("gpu", 9)
        table = layout_uuids(f)
        assert table == {uuid: 9}
        assert find_gpus(f, "aaaa-BBBB", table) == [(9, f"{f.gpu_label(9)}  {uuid}")]
        assert find_gpus(f, "aaa", table) == []  # too short to search UUIDs
    finally:
        del f.layout.telemetry.gpu_uuids[uuid]
