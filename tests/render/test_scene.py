"""The 3D scene built off screen: geometry matches the facility, colouring is in place,
picking and highlight find the right items."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.frame import Frame
from twin.model.loader import load_layout
from twin.render.scene import GPU_FACES, RACK_FACES, Scene


def test_meshes_match_the_facility(facility, plotter):
    scene = Scene(facility, plotter)
    assert scene.rack_mesh.n_cells == facility.n_racks * len(RACK_FACES)
    assert scene.gpu_mesh.n_cells == facility.n_gpus * len(GPU_FACES)
    assert scene.gpu_mesh.n_points == facility.n_gpus * 8
    racks = np.asarray(scene.rack_mesh.cell_data["rack_index"])
    assert np.array_equal(racks, np.repeat(np.arange(facility.n_racks), len(RACK_FACES)))
    # one actor per big mesh, not per rack or GPU
    assert len(scene.layers["gpus"].actors) == 1
    assert len(scene.layers["racks"].actors) == 2  # faces + frame edges
    # every GPU box sits inside its rack's footprint (hall-local == site here)
    c = scene.gpu_mesh.points.reshape(-1, 8, 3).mean(axis=1)
    rc = facility.rack_center_m[facility.gpu_rack]
    assert np.all(np.abs(c[:, :2] - rc[:, :2]).max(axis=1) < 0.6)
    assert {"air_units", "cdus", "power_devices", "power_links", "cooling_links"} <= set(
        scene.layers
    )
    # 5 racks with feeds: A01-A03, B01 on both sides, B02 on A only; 3 upstream links
    assert scene.links.power_links().n_cells == 4 * 2 + 1 + 3
    assert scene.links.cooling_links().n_cells == 1  # B01 -> CDU-1


def test_gpu_colouring_writes_the_same_vtk_array(facility, plotter):
    scene = Scene(facility, plotter)
    arr = scene.gpu_mesh.GetCellData().GetArray("gpu_value")
    address = arr.GetPointer(0)
    n_actors = len(plotter.renderer.actors)
    values = np.linspace(30, 80, facility.n_gpus)
    scene.set_gpu_values(values, "GPU temperature (°C)", (25, 90), "inferno")
    after = scene.gpu_mesh.GetCellData().GetArray("gpu_value")
    assert after is arr or after.GetPointer(0) == address
    assert after.GetPointer(0) == address
    got = np.asarray(scene.gpu_mesh.cell_data["gpu_value"]).reshape(-1, len(GPU_FACES))
    assert np.allclose(got, values[:, None])  # every face of every GPU
    assert len(plotter.renderer.actors) == n_actors
    assert scene.gpu_actor.mapper.scalar_range == pytest.approx((25, 90))
    assert scene.gpu_bar.GetVisibility() and scene.gpu_bar.GetTitle() == "GPU temperature (°C)"
    with pytest.raises(ValueError):
        scene.set_gpu_values(values[:-1])


def test_rack_colouring_in_place_and_clear(facility, plotter):
    scene = Scene(facility, plotter)
    arr = scene.rack_mesh.GetCellData().GetArray("rack_value")
    address = arr.GetPointer(0)
    scene.set_rack_values(facility.rack_power_w / 1e3, "Rack power (kW)")
    got = np.asarray(scene.rack_mesh.cell_data["rack_value"]).reshape(-1, len(RACK_FACES))
    assert np.allclose(got[:, 0], facility.rack_power_w / 1e3)
    assert scene.rack_mesh.GetCellData().GetArray("rack_value").GetPointer(0) == address
    scene.clear_rack_values()
    assert np.isnan(np.asarray(scene.rack_mesh.cell_data["rack_value"])).all()
    assert not scene.rack_bar.GetVisibility()


def test_colour_change_shows_in_the_image(facility, plotter):
    scene = Scene(facility, plotter)
    scene.view_along_row("A")
    before = plotter.screenshot(return_img=True).astype(int)
    scene.set_gpu_values(np.full(facility.n_gpus, 90.0), "t", (0, 100), "inferno")
    plotter.render()
    after = plotter.screenshot(return_img=True).astype(int)
    changed = np.abs(after - before).sum(axis=2) > 30
    assert changed.mean() > 0.005  # the GPUs in view changed colour, nothing was rebuilt


def test_frame_update_colours_by_gpu_temperature(facility, plotter):
    scene = Scene(facility, plotter)
    frame = Frame.empty(0.0, facility.counts())
    assert not scene.update(Frame(time_s=0.0))  # no temperatures: nothing to do
    frame.gpu["temp_c"][:] = np.arange(facility.n_gpus, dtype=np.float32) % 60 + 30
    assert scene.update(frame)
    got = np.asarray(scene.gpu_mesh.cell_data["gpu_value"]).reshape(-1, len(GPU_FACES))[:, 0]
    assert np.allclose(got, frame.gpu["temp_c"])
    assert "temperature" in scene.gpu_colouring.name


def test_pick_rack_from_top_and_gpu_from_front(facility, plotter):
    scene = Scene(facility, plotter)
    scene.view_top()
    plotter.render()
    r = facility.rack_index["A02"]
    top = facility.rack_center_m[r] + [0, 0, facility.rack_size_m[r, 2]]
    hit = scene.pick_to_item(*scene.world_to_display(top))
    assert hit is not None and (hit.kind, hit.index) == ("rack", r)
    # look straight into the front of B01 at the height of its lowest GPUs
    b = facility.rack_index["B01"]
    g = int(np.flatnonzero(facility.gpu_rack == b)[0])
    target = facility.gpu_position_m[g].copy()
    front = np.array([*facility.rack_front_xy[b], 0.0])
    cam = plotter.camera
    cam.parallel_projection = False
    cam.focal_point = tuple(target)
    cam.position = tuple(target + front * 2.0)
    cam.up = (0, 0, 1)
    plotter.renderer.ResetCameraClippingRange()
    plotter.render()
    hit = scene.pick_to_item(*scene.world_to_display(target))
    assert hit is not None and hit.kind == "gpu"
    assert facility.gpu_rack[hit.index] == b
    assert np.linalg.norm(facility.gpu_position_m[hit.index] - target) < 0.2
    # empty floor far from everything picks nothing
    scene.view_top()
    plotter.render()
    assert scene.pick_to_item(*scene.world_to_display((11.5, 0.5, 0.0))) is None


def test_highlight_outlines_items_and_clears(facility, plotter):
    scene = Scene(facility, plotter)
    scene.highlight("rack", [1])
    assert scene.selection[0] == "rack" and scene.selection_view.outline_mesh.n_cells == 12
    scene.highlight("gpu", [5])  # the GPU and its rack
    assert scene.selection_view.outline_mesh.n_cells == 24
    scene.highlight("row", [facility.row_index["A"]])
    assert scene.selection_view.outline_mesh.n_cells == 12 * 3
    scene.highlight("power", [facility.power_index["UTIL"]])  # no position: nothing drawn
    assert scene.selection_view.outline_mesh.n_cells == 0
    scene.highlight(None)
    assert scene.selection_view.outline_mesh.n_cells == 0 and scene.selection[0] == ""


def test_layers_toggle_and_camera_presets(facility, plotter):
    scene = Scene(facility, plotter)
    assert not scene.is_visible("power_links")
    scene.set_visible("power_links", True)
    assert all(a.GetVisibility() for a in scene.layers["power_links"].actors)
    scene.set_visible("gpus", False)
    assert not scene.gpu_actor.GetVisibility()
    with pytest.raises(KeyError):
        scene.set_visible("no-such-layer", True)
    scene.view_top()
    cam = plotter.camera
    d = np.subtract(cam.position, cam.focal_point)
    assert d[2] > 0 and np.hypot(d[0], d[1]) < 1e-6 * abs(d[2]) + 1e-9
    scene.view_iso()
    d = np.subtract(cam.position, cam.focal_point)
    assert d[2] > 0 and d[1] < 0 and d[0] < 0
    # along a row: eye level, standing in the cold aisle the row breathes from (small layout:
    # row A at y = 3 faces +y, row B at y = 6 faces -y, racks 1.2 m deep: 3.6 < y < 5.4),
    # looking down the row (+x); set_view("row:ID") is what `twin render --view` calls
    for row in ("A", "B"):
        scene.set_view(f"row:{row}")
        pos, focal = np.array(cam.position), np.array(cam.focal_point)
        assert pos[2] == pytest.approx(1.7) and not cam.parallel_projection
        assert 3.6 < pos[1] < 5.4 and 3.6 < focal[1] < 5.4, (row, pos, focal)
        look = (focal - pos) / np.linalg.norm(focal - pos)
        assert look[0] > 0.8
    with pytest.raises(ValueError, match="unknown row"):
        scene.set_view("row:Z")
    with pytest.raises(ValueError, match="unknown view"):
        scene.set_view("sideways")


def test_remove_takes_every_actor_out(facility, plotter):
    n0 = len(plotter.renderer.actors)
    scene = Scene(facility, plotter)
    scene.highlight("rack", [0])
    assert len(plotter.renderer.actors) > n0
    scene.remove()
    assert len(plotter.renderer.actors) == n0


def test_selection_shows_what_feeds_and_cools_it(facility, plotter):
    scene = Scene(facility, plotter)
    f = facility
    scene.highlight("rack", [f.rack_index["A01"]])
    # feeds A and B, then PDU-A -> UPS, PDU-B -> UPS, UPS -> UTIL
    assert scene.selection_view.links_mesh.n_cells == 2 + 3
    scene.highlight("rack", [f.rack_index["B01"]])
    assert scene.selection_view.links_mesh.n_cells == 2 + 3 + 1  # and its CDU loop
    scene.highlight("power", [f.power_index["UPS"]])
    assert scene.selection_view.links_mesh.n_cells == 3  # UTIL -> UPS, UPS -> PDU-A, UPS -> PDU-B
    scene.highlight("cdu", [0])
    assert scene.selection_view.links_mesh.n_cells == 1
    scene.highlight(None)
    assert scene.selection_view.links_mesh.n_cells == 0


def test_server_trays_pick_their_host(facility, plotter):
    scene = Scene(facility, plotter)
    assert scene.layers["servers"].actors
    r = facility.rack_index["A01"]
    host = int(np.flatnonzero(facility.host_rack == r)[1])
    g = int(facility.host_first_gpu[host])
    # look down into the open rack from above its front, at the tray between GPUs
    scene.set_visible("racks", False)
    scene.set_visible("gpus", False)
    target = facility.gpu_position_m[g].copy()
    target[2] -= 0.5 * scene.gpu_box_size_m()[g, 2] + 0.005  # just under the GPU
    cam = scene._camera()
    cam.focal_point = tuple(target)
    cam.position = tuple(target + [0.0, 0.0, 0.25])  # below the next tray up
    cam.up = (0, 1, 0)
    plotter.renderer.ResetCameraClippingRange()
    plotter.render()
    hit = scene.pick_to_item(*scene.world_to_display(target))
    assert hit is not None and (hit.kind, hit.index) == ("host", host)


def test_legend_layer_shows_only_active_bars_and_look_at_frames(facility, plotter):
    scene = Scene(facility, plotter)
    scene.set_visible("legend", False)
    scene.set_visible("legend", True)
    assert not scene.gpu_bar.GetVisibility() and not scene.rack_bar.GetVisibility()
    scene.set_rack_values(facility.rack_power_w)
    assert scene.rack_bar.GetVisibility() and not scene.gpu_bar.GetVisibility()
    scene.view_iso()
    r = facility.rack_index["B02"]
    scene.look_at("rack", [r])
    cam = plotter.camera
    centre = facility.rack_center_m[r] + [0, 0, facility.rack_size_m[r, 2] / 2]
    assert np.allclose(cam.focal_point, centre)
    assert np.linalg.norm(np.subtract(cam.position, cam.focal_point)) < 15


def test_frame_update_colours_the_sensors_by_their_ashrae_band(tmp_path, plotter):
    from twin.render.style import SENSOR, hex_rgb
    from twin.render.thermal_inlets import INLET_COLOURS

    room = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"
    p = tmp_path / "room.yaml"
    p.write_text(
        room.read_text()
        + "sensors:\n"
        + "".join(
            f"  - {{id: S{i}, hall: ROOM, position_m: [{1 + i}, 0.5, 1.2]}}\n" for i in range(4)
        )
    )
    fac = load_layout(p)
    scene = Scene(fac, plotter)
    frame = Frame.empty(0.0, fac.counts())
    frame.sensor["temp_c"][:] = [22.0, 29.0, 35.0, np.nan]
    assert scene.update(frame)
    mesh = scene.sensor_mesh
    assert mesh.points[:, :2] == pytest.approx(fac.sensor_position_m[:, :2])
    lut = scene.layers["sensors"].actors[0].mapper.lookup_table
    rgb = [tuple(round(255 * c) for c in lut.map_value(v)[:3]) for v in mesh["temp_c"]]
    # recommended (green), allowable (amber), outside allowable (red), no reading (grey)
    want = [INLET_COLOURS[2][1], INLET_COLOURS[3][1], INLET_COLOURS[4][1], SENSOR]
    assert rgb == [hex_rgb(c) for c in want]
