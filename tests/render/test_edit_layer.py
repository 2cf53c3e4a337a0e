"""Editing overlays off screen: racks moved in place match a fresh build, problem highlights,
the rubber band and the floor/screen geometry a drag uses."""

from __future__ import annotations

import numpy as np
import pytest
from vtkmodules.util.numpy_support import vtk_to_numpy

from twin.model import edits as E
from twin.model.document import LayoutDocument
from twin.render import geometry as geo
from twin.render.edit_layer import EditLayer, snap_delta
from twin.render.scene import RACK_FACES, Scene


@pytest.fixture
def doc(small_layout):
    return LayoutDocument.open(small_layout)


def test_moved_and_turned_racks_match_a_fresh_scene(doc, plotter):
    scene = Scene(doc.facility, plotter, rack_labels=True)
    layer = EditLayer(scene)
    f = doc.facility
    gpu_before = scene.gpu_mesh.points.copy()
    doc.history.push(E.translate(doc, ["A02", "B01"], (1.2, -0.6)))
    doc.history.push(E.rotate_by(doc, ["A02"], 90))
    address = scene.rack_mesh.GetPoints().GetData().GetPointer(0)
    moved = layer.sync_racks()
    assert sorted(moved.tolist()) == sorted([f.rack_index["A02"], f.rack_index["B01"]])
    # same VTK arrays, new points equal to boxes built from scratch at the new poses
    assert scene.rack_mesh.GetPoints().GetData().GetPointer(0) == address
    c = f.rack_center_m.copy()
    c[:, 2] = f.rack_size_m[:, 2] / 2
    fresh = geo.boxes(c, f.rack_size_m, f.rack_rotation_deg, RACK_FACES)
    np.testing.assert_allclose(scene.rack_mesh.points, fresh.points, atol=1e-9)
    fresh_gpu = geo.boxes(scene.gpu_center, scene.gpu_box_size_m(), f.rack_rotation_deg[f.gpu_rack])
    np.testing.assert_allclose(scene.gpu_mesh.points, fresh_gpu.points, atol=1e-9)
    # GPUs of racks that did not move are untouched
    still = ~np.isin(f.gpu_rack, moved)
    pts_still = np.repeat(still, 8)
    assert np.array_equal(scene.gpu_mesh.points[pts_still], gpu_before[pts_still])
    assert layer.sync_racks().size == 0  # nothing left to move
    # rack labels follow; links re-routed on request match a fresh router
    from twin.render.links import LinkRouter

    assert layer._label_poly is not None
    pts = vtk_to_numpy(layer._label_poly.GetPoints().GetData())
    i = f.rack_index["A02"]
    want = f.rack_center_m[i, :2] + f.rack_front_xy[i] * f.rack_size_m[i, 1] / 2
    np.testing.assert_allclose(pts[i, :2], want, atol=1e-6)
    layer.refresh_links()
    fresh_links = LinkRouter(f, scene._origin).power_links()
    np.testing.assert_allclose(scene._power_links.points, fresh_links.points)
    assert scene.layers["power_links"].actors[0].mapper.dataset.n_points == fresh_links.n_points
    # picking finds the rack where it is now drawn
    plotter.view_xy()
    scene.view_top()
    plotter.render()
    i = f.rack_index["B01"]
    x, y = scene.world_to_display([*f.rack_center_m[i, :2], f.rack_size_m[i, 2]])
    picked = layer.pick_rack(x, y)
    assert picked is not None and picked[0] == i
    assert picked[1][2] == pytest.approx(f.rack_size_m[i, 2], abs=0.02)  # on its top
    far = scene.world_to_display([11.9, 9.9, 0.0])
    assert layer.pick_rack(*far) is None  # empty floor
    hit = scene.pick_to_item(x, y)
    assert hit is not None and hit.kind in ("rack", "gpu", "host")
    assert (hit.index if hit.kind == "rack" else f.gpu_rack[hit.index]) == i or hit.kind == "host"


def test_problem_highlight_and_box_selection(doc, plotter):
    scene = Scene(doc.facility, plotter, rack_labels=False)
    layer = EditLayer(scene)
    f = doc.facility
    layer.set_problems([("rack", 0), ("rack", 1)], [("rack", 1), ("air_unit", 0)])
    assert layer.problem_cells() == 3 * 6  # rack 1 once, in red; the air unit amber
    rgb = np.asarray(layer._problem_solid.cell_data["rgb"])
    assert (rgb[:12] == [230, 57, 70]).all() and (rgb[12:] == [255, 176, 32]).all()
    layer.set_problems([])
    assert layer.problem_cells() == 0 and "edit_problems" in scene.layers
    scene.view_top()
    plotter.render()
    # a box around row A's three racks selects exactly them
    a = [f.rack_index[r] for r in ("A01", "A02", "A03")]
    pts = np.array([scene.world_to_display([*f.rack_center_m[i, :2], 1.0]) for i in a])
    lo, hi = pts.min(axis=0) - 15, pts.max(axis=0) + 15
    assert sorted(layer.racks_in_box(lo[0], lo[1], hi[0], hi[1]).tolist()) == sorted(a)
    layer.set_box(lo[0], lo[1], hi[0], hi[1])
    assert layer.box_visible
    layer.clear_box()
    assert not layer.box_visible
    # the floor point under a rack's displayed centre is the rack's centre
    i = a[1]
    x, y = scene.world_to_display([*f.rack_center_m[i, :2], 0.0])
    np.testing.assert_allclose(layer.floor_point(x, y), f.rack_center_m[i, :2], atol=0.02)
    layer.remove()
    assert "edit_problems" not in scene.layers


def test_snap_delta():
    np.testing.assert_allclose(snap_delta([0.29, -0.31], 0.6), [0.0, -0.6])
    np.testing.assert_allclose(snap_delta([1.01, 0.5], 0.5), [1.0, 0.5])
    np.testing.assert_allclose(snap_delta([0.123, 0.2], 0.0), [0.123, 0.2])


def test_picking_after_a_move_finds_the_rack_where_it_now_is(doc, plotter):
    scene = Scene(doc.facility, plotter, rack_labels=False)
    layer = EditLayer(scene)
    f = doc.facility
    scene.view_top()
    plotter.render()
    i = f.rack_index["B01"]

    def rack_at(xy):
        scene.set_visible("gpus", False)  # the cabinet itself, not a GPU inside it
        scene.set_visible("servers", False)
        hit = scene.pick_to_item(*scene.world_to_display([*xy, f.rack_size_m[i, 2]]))
        return hit.index if hit is not None and hit.kind == "rack" else None

    before = f.rack_center_m[i, :2].copy()
    assert rack_at(before) == i  # the picker is built on the drawn points here
    doc.history.push(E.translate(doc, ["B01"], (0.0, -0.9)))
    layer.sync_racks()
    plotter.render()
    assert rack_at(f.rack_center_m[i, :2]) == i
    assert rack_at(before) != i
