"""The Qt-free view state: checked setters, events only on a change, bookmarks by name, and a
new layout resetting what depends on indices while keeping the user's choices."""

from __future__ import annotations

import pytest

from twin.viewstate import CameraBookmark, Selection, ViewState


def test_events_fire_once_per_change_and_bad_values_are_refused():
    v = ViewState()
    seen: list[tuple[str, object]] = []
    v.events.gpu_metric.connect(lambda new, old: seen.append(("metric", new)))
    v.events.layers.connect(lambda new, old: seen.append(("layers", dict(new))))
    v.thermal.events.overlays.connect(lambda new, old: seen.append(("overlays", set(new))))
    v.set_gpu_metric("power_w")
    v.set_gpu_metric("power_w")  # unchanged: no event
    v.set_layer("racks", False)
    v.set_layer("racks", False)
    v.set_layer("legend", True)
    v.set_thermal_overlay("air_slice", True)
    v.set_thermal_overlay("air_arrows", True)
    v.set_thermal_overlay("air_slice", False)
    assert seen == [
        ("metric", "power_w"),
        ("layers", {"racks": False}),
        ("layers", {"racks": False, "legend": True}),
        ("overlays", {"air_slice"}),
        ("overlays", {"air_slice", "air_arrows"}),
        ("overlays", {"air_arrows"}),
    ]
    with pytest.raises(ValueError, match="unknown GPU metric 'fan_rpm'"):
        v.set_gpu_metric("fan_rpm")
    with pytest.raises(ValueError, match="unknown colouring"):
        v.set_design_colouring("astrology")
    with pytest.raises(ValueError, match="unknown thermal overlay"):
        v.set_thermal_overlay("smoke", True)
    assert v.gpu_metric == "power_w"


def test_bookmarks_and_a_new_layout():
    v = ViewState()
    v.add_bookmark(CameraBookmark("aisle", (1, 2, 3), (4, 5, 6)))
    v.add_bookmark(CameraBookmark("top", (0, 0, 50), (0, 0, 0), (0, 1, 0)))
    v.add_bookmark(CameraBookmark("aisle", (9, 9, 9), (4, 5, 6)))  # replaces by name
    assert [b.name for b in v.bookmarks] == ["top", "aisle"]
    assert v.bookmark("aisle").position == (9, 9, 9)
    with pytest.raises(KeyError):
        v.bookmark("nowhere")
    v.select("rack", 3)
    v.set_gpu_metric("util_pct")
    v.set_layer("power_links", True)
    v.thermal.failed_units = frozenset({"CRAH-1"})
    v.thermal.hall = 2
    v.reset_for_layout()
    assert v.selection is None and v.thermal.failed_units == frozenset() and v.thermal.hall == 0
    assert v.gpu_metric == "util_pct" and v.layers == {"power_links": True}
    assert len(v.bookmarks) == 2
    assert Selection("rack", 3) == Selection("rack", 3)


def test_thermal_overlays_are_the_scene_layers():
    from twin.render.thermal_layer import OVERLAYS
    from twin.viewstate import THERMAL_OVERLAYS

    assert THERMAL_OVERLAYS == OVERLAYS
