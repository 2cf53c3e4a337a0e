"""Levels of detail: per-rack aggregates of GPU values, rack tops and fronts in those colours,
the far level chosen by a rack's size on screen with hysteresis, and forced while moving."""

from __future__ import annotations

import numpy as np
import pytest

from twin.render import lod
from twin.render.scene import Scene


def test_rack_aggregate_by_hand():
    gpu_rack = np.array([0, 0, 0, 2, 2, 3])
    v = np.array([30.0, np.nan, 50.0, np.nan, np.nan, 20.0])
    got = lod.rack_aggregate(v, gpu_rack, 5, "max")
    np.testing.assert_array_equal(got, [50.0, np.nan, np.nan, 20.0, np.nan])
    got = lod.rack_aggregate(v, gpu_rack, 5, "mean")
    np.testing.assert_array_equal(got, [40.0, np.nan, np.nan, 20.0, np.nan])
    with pytest.raises(ValueError, match="unknown aggregate"):
        lod.rack_aggregate(v, gpu_rack, 5, "median")


def _expected_max(facility, v):
    out = np.full(facility.n_racks, np.nan)
    for r in range(facility.n_racks):
        mine = v[facility.gpu_rack == r]
        if mine.size:
            out[r] = mine.max()
    return out


def test_rack_tops_carry_the_hottest_gpu_in_place(facility, plotter):
    scene = Scene(facility, plotter)
    tops = scene.lod.tops.mapper.dataset.cell_data["rack_heat"]
    arr_id = id(scene.lod._arrays[0])
    v = np.linspace(25.0, 90.0, facility.n_gpus)
    scene.set_gpu_values(v, "GPU temperature (°C)", (20.0, 95.0))
    expected = _expected_max(facility, v)
    np.testing.assert_allclose(scene.lod.values, expected)
    np.testing.assert_allclose(np.asarray(tops), expected, rtol=1e-6)
    assert id(scene.lod._arrays[0]) == arr_id  # the same VTK array, written in place
    assert scene.lod.tops.GetVisibility()  # tops show at every distance once coloured
    assert scene.lod.tops.mapper.lookup_table is scene.gpu_actor.mapper.lookup_table
    scene.lod.set_aggregate("mean")
    r = int(facility.gpu_rack[0])
    assert scene.lod.values[r] == pytest.approx(v[facility.gpu_rack == r].mean())
    scene.clear_gpu_values()
    assert np.isnan(scene.lod.values).all() and not scene.lod.tops.GetVisibility()


def test_rack_shapes_aggregate_only_for_a_draw_that_shows_them(facility, plotter):
    scene = Scene(facility, plotter)
    tops = scene.lod.tops.mapper.dataset.cell_data["rack_heat"]
    scene.set_visible("rack_heat", False)
    v = np.linspace(25.0, 90.0, facility.n_gpus)
    scene.set_gpu_values(v, "GPU temperature (°C)", (20.0, 95.0))
    plotter.ren_win.Render()
    assert np.isnan(np.asarray(tops)).all()  # hidden: nothing aggregated
    scene.set_visible("rack_heat", True)
    plotter.ren_win.Render()
    np.testing.assert_allclose(np.asarray(tops), _expected_max(facility, v), rtol=1e-6)
    v2 = v[::-1].copy()
    scene.set_gpu_values(v2, "GPU temperature (°C)", (20.0, 95.0))
    v2[:] = 0.0  # the caller reuses its buffer: the scene kept what it was given
    plotter.ren_win.Render()
    np.testing.assert_allclose(np.asarray(tops), _expected_max(facility, v[::-1]), rtol=1e-6)


def _zoom_to_rack_px(scene, px):
    """Move the camera along its line of sight until a rack is ``px`` wide on screen."""
    cam = scene._camera()
    now = scene.lod.rack_px()
    if cam.parallel_projection:
        cam.parallel_scale = cam.parallel_scale * now / px
    else:
        d = np.subtract(cam.position, cam.focal_point)
        cam.position = tuple(np.asarray(cam.focal_point) + d * now / px)
    assert scene.lod.rack_px() == pytest.approx(px, rel=1e-6)


def test_level_follows_rack_size_with_hysteresis(facility, plotter):
    scene = Scene(facility, plotter)
    scene.set_gpu_values(np.full(facility.n_gpus, 60.0), "GPU temperature (°C)", (20.0, 95.0))
    scene.view_iso()
    plotter.ren_win.Render()
    assert not scene.lod.far and scene.gpu_actor.GetVisibility()
    assert not scene.lod.fronts.GetVisibility()
    between = (lod.FAR_PX + lod.NEAR_PX) / 2
    for px, far in (
        (between, False),
        (lod.FAR_PX - 1, True),
        (between, True),
        (lod.NEAR_PX + 1, False),
    ):
        _zoom_to_rack_px(scene, px)
        plotter.ren_win.Render()
        assert scene.lod.far is far, px
        assert scene.gpu_actor.GetVisibility() is not far
        assert bool(scene.lod.fronts.GetVisibility()) is far
        servers = scene.layers["servers"].actors
        assert all(bool(a.GetVisibility()) is not far for a in servers)


def test_moving_camera_draws_the_far_level_and_hidden_gpus_stay_hidden(facility, plotter):
    scene = Scene(facility, plotter)
    scene.view_iso()
    plotter.ren_win.Render()
    scene.lod.set_interacting(True)
    assert scene.lod.far and not scene.gpu_actor.GetVisibility()
    scene.lod.set_interacting(False)
    assert scene.gpu_actor.GetVisibility()
    scene.set_visible("gpus", False)  # the user's layer choice wins at the near level
    plotter.ren_win.Render()
    assert not scene.gpu_actor.GetVisibility()


def test_far_level_picks_racks(facility, plotter):
    scene = Scene(facility, plotter)
    scene.set_gpu_values(np.full(facility.n_gpus, 60.0), "GPU temperature (°C)", (20.0, 95.0))
    scene.view_top()
    scene.lod.set_interacting(True)
    plotter.ren_win.Render()
    r = facility.rack_index["A02"]
    top = facility.rack_center_m[r] + [0, 0, facility.rack_size_m[r, 2] + lod.PROUD_M]
    hit = scene.pick_to_item(*scene.world_to_display(top))
    assert hit is not None and (hit.kind, hit.index) == ("rack", r)


def test_default_view_looks_down_the_aisles():
    from twin.render.scene import iso_direction

    dx, dy, dz = iso_direction(np.array([[0.0, 1.0], [0.0, -1.0]]))  # rows along x
    assert abs(dx) > 2 * abs(dy) and dz > 0
    dx, dy, dz = iso_direction(np.array([[1.0, 0.0], [-1.0, 0.0]]))  # rows along y
    assert abs(dy) > 2 * abs(dx) and dz > 0


def test_moving_camera_hides_containment_and_labels_until_it_stops(plotter):
    from pathlib import Path

    from twin.model.loader import load_layout

    pod = load_layout(Path(__file__).parents[2] / "layouts" / "gb200-pod.yaml")  # contained
    scene = Scene(pod, plotter, rack_labels=True)
    scene.look_at("rack", [0])  # close enough for rack labels
    plotter.ren_win.Render()
    panels = scene.layers["containment"].actors
    labels = scene.layers["rack_labels"].actors
    assert panels and labels
    assert all(a.GetVisibility() for a in panels + labels)
    scene.lod.set_interacting(True)
    plotter.ren_win.Render()
    assert not any(a.GetVisibility() for a in panels + labels)
    scene.lod.set_interacting(False)
    plotter.ren_win.Render()
    assert all(a.GetVisibility() for a in panels + labels)
    scene.set_visible("containment", False)  # the user's choice holds after a move
    scene.lod.set_interacting(True)
    scene.lod.set_interacting(False)
    assert not any(a.GetVisibility() for a in panels)
