"""Thermal overlays off screen: slices show the physics grid's values at their layer, a new
result writes into the same VTK arrays, arrows sit on the subsampled lattice and scale with
speed, rack fronts show the inlet air the physics sees."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SMALL_LAYOUT
from twin.model.loader import load_layout
from twin.render.scene import Scene
from twin.render.thermal_layer import (
    ARROW_MAX_SCALE,
    ARROW_MIN_SPEED_MS,
    ARROW_REF_SPEED_MS,
    ARROWS,
    INLETS,
    SLICE,
    VSLICE,
    ThermalLayer,
    inlet_lookup_table,
)

CELL_M = 0.5  # coarse: the whole module solves in about a second

TWO_CRAHS = SMALL_LAYOUT.replace(
    "air_units: [{id: CRAH-1, type: crah-77kw, hall: H1, position_m: [1.0, 9.0]}]",
    "air_units: [{id: CRAH-1, type: crah-77kw, hall: H1, position_m: [1.0, 9.0]},"
    " {id: CRAH-2, type: crah-77kw, hall: H1, position_m: [11.0, 9.0]}]",
)


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The small hall with two CRAHs: nominal result and one with CRAH-2 failed (same grid)."""
    from twin.physics import ThermalModel

    path = tmp_path_factory.mktemp("thermal") / "two_crahs.yaml"
    assert TWO_CRAHS != SMALL_LAYOUT
    path.write_text(TWO_CRAHS)
    f = load_layout(path)
    model = ThermalModel(f, 0, CELL_M)
    nominal = model.solve()
    model.set_failed(["CRAH-2"])
    failed = model.solve()
    return f, nominal, failed


@pytest.fixture
def layer(solved, plotter):
    f, nominal, _ = solved
    scene = Scene(f, plotter)
    lay = ThermalLayer(scene, slice_height_m=1.2, arrow_spacing_m=1.0)
    lay.update(nominal)
    return lay


def _vtk_values(mesh, name):
    return np.asarray(mesh.cell_data[name])


def test_horizontal_slice_matches_grid_layer(layer, solved):
    _, res, _ = solved
    k = int(1.2 // CELL_M)
    assert layer.slice_k == k
    expect = res.air_c[:, :, k]
    np.testing.assert_array_equal(layer.slice_values(), expect)
    # the VTK array itself, in VTK's x-fastest order
    nx, ny, _ = res.grid.shape
    drawn = _vtk_values(layer.slice_mesh, "air_c").reshape(ny, nx).T
    np.testing.assert_array_equal(drawn, expect)
    assert np.isnan(drawn).any() and np.isfinite(drawn).any()  # racks cut by the slice: holes
    # the plane lies at that layer's centre height, in site coordinates
    assert layer.slice_mesh.origin[2] == pytest.approx((k + 0.5) * CELL_M)
    assert layer.slice_mesh.n_cells == nx * ny


def test_new_result_writes_into_the_same_arrays(layer, solved):
    _, nominal, failed = solved
    mesh = layer.slice_mesh
    arr = mesh.GetCellData().GetArray("air_c")
    varr = layer.vslice_mesh.GetCellData().GetArray("air_c")
    pts = layer.arrows_h.mesh.GetPoints().GetData()
    inl = layer.inlet_mesh.GetCellData().GetArray("inlet_c")
    actor = layer.slice_actor
    before = layer.slice_values().copy()
    layer.update(failed)
    assert layer.slice_mesh is mesh and layer.slice_actor is actor
    assert mesh.GetCellData().GetArray("air_c") is arr
    assert layer.vslice_mesh.GetCellData().GetArray("air_c") is varr
    assert layer.arrows_h.mesh.GetPoints().GetData() is pts
    assert layer.inlet_mesh.GetCellData().GetArray("inlet_c") is inl
    after = layer.slice_values()
    np.testing.assert_array_equal(after, failed.air_c[:, :, layer.slice_k])
    assert np.nanmax(after) > np.nanmax(before) + 1.0  # a failed CRAH warms the room


def test_slice_height_moves_the_same_mesh(layer, solved):
    _, res, _ = solved
    mesh, arr = layer.slice_mesh, layer.slice_mesh.GetCellData().GetArray("air_c")
    z = layer.set_slice_height(2.9)
    k = int(2.9 // CELL_M)
    assert layer.slice_k == k and z == pytest.approx((k + 0.5) * CELL_M)
    assert layer.slice_mesh is mesh and mesh.GetCellData().GetArray("air_c") is arr
    np.testing.assert_array_equal(layer.slice_values(), res.air_c[:, :, k])
    assert mesh.origin[2] == pytest.approx(z)
    # the arrows follow the plane
    assert np.allclose(layer.arrows_h.center_m[:, 2], z)
    # out of the hall: clamped to the top layer, never an error
    layer.set_slice_height(99.0)
    assert layer.slice_k == res.grid.shape[2] - 1


def test_vertical_slice_along_x_and_y(layer, solved):
    _, res, _ = solved
    x = layer.set_vertical_slice("x", 3.3)
    i = int(3.3 // CELL_M)
    assert x == pytest.approx((i + 0.5) * CELL_M)
    np.testing.assert_array_equal(layer.vslice_values(), res.air_c[i, :, :])
    mesh = layer.vslice_mesh
    layer.set_vertical_slice(pos_m=6.1)  # same axis: same mesh, moved
    assert layer.vslice_mesh is mesh
    np.testing.assert_array_equal(layer.vslice_values(), res.air_c[int(6.1 // CELL_M), :, :])
    layer.set_vertical_slice("y", 4.6)  # new axis: a plane of another resolution
    j = int(4.6 // CELL_M)
    np.testing.assert_array_equal(layer.vslice_values(), res.air_c[:, j, :])
    nx, _, nz = res.grid.shape
    assert layer.vslice_mesh.n_cells == nx * nz
    with pytest.raises(ValueError, match="axis"):
        layer.set_vertical_slice("z", 1.0)


def test_arrows_on_the_subsampled_lattice_scaled_by_speed(layer, solved):
    _, res, _ = solved
    nx, ny, nz = res.grid.shape
    s = int(round(1.0 / CELL_M))  # arrow spacing 1 m
    lattice = [np.arange(min(s // 2, n - 1), n, s) for n in (nx, ny)]
    n = len(lattice[0]) * len(lattice[1])
    assert layer.arrow_count("h") == n
    t = layer.arrows_h.points.shape[0] // n
    assert layer.arrows_h.mesh.n_points == n * t
    # each arrow's length along its direction is spacing * speed / reference speed (capped)
    u, v, w = res.velocity
    i, j, k = layer.arrows_h.lattice
    vel = np.stack([u[i, j, k], v[i, j, k], w[i, j, k]], 1)
    speed = np.linalg.norm(vel, axis=1)
    spacing = s * CELL_M
    want = spacing * np.minimum(speed / ARROW_REF_SPEED_MS, ARROW_MAX_SCALE)
    want[speed < ARROW_MIN_SPEED_MS] = 0.0
    pts = layer.arrows_h.points.reshape(n, t, 3)
    d = vel / np.maximum(speed, 1e-12)[:, None]
    proj = np.einsum("ntk,nk->nt", pts - layer.arrows_h.center_m[:, None, :], d)
    np.testing.assert_allclose(proj.max(1) - proj.min(1), want, atol=1e-9)
    assert (want > 0).sum() > n // 2  # most of the plane has moving air
    # the vertical plane's arrows: its lattice along the plane and up
    along = np.arange(min(s // 2, ny - 1), ny, s)  # axis x: the plane runs along y
    up = np.arange(min(s // 2, nz - 1), nz, s)
    assert layer.arrow_count("v") == len(along) * len(up)


def test_rack_inlet_bands_match_the_physics(layer, solved):
    f, res, _ = solved
    bands = layer.inlet_band_values()
    racks = np.asarray(res.grid.rack_ids)
    assert bands.shape[0] == len(racks)
    # the hottest band of each rack is the physics' maximum inlet
    np.testing.assert_allclose(np.nanmax(bands, axis=1), res.rack_inlet_max_c[racks], rtol=1e-9)
    assert np.nanmin(bands) >= res.supply_mean_c - 1e-6  # no inlet colder than the supply
    # the bands stand just in front of the rack's front face (intake side)
    r = 0
    centre = layer.inlet_mesh.cell_centers().points.reshape(len(racks), -1, 3)[r].mean(0)
    to_face = centre[:2] - f.rack_center_m[racks[r], :2]
    assert np.dot(to_face, f.rack_front_xy[racks[r]]) == pytest.approx(
        f.rack_size_m[racks[r], 1] / 2 + 0.01
    )


def test_ashrae_band_colours():
    lut = inlet_lookup_table()

    def rgb(t):
        c = [0.0, 0.0, 0.0]
        lut.GetColor(t, c)
        return tuple(round(x, 3) for x in c)

    recommended = {rgb(t) for t in (18.0, 20.0, 24.0, 26.9)}
    assert len(recommended) == 1
    assert rgb(17.99) in recommended  # rounds to 18.0
    assert rgb(16.0) != rgb(20.0) and rgb(29.0) != rgb(20.0) and rgb(33.0) != rgb(29.0)
    assert rgb(12.0) != rgb(16.0)


def test_visibility_and_offscreen_render(layer, plotter):
    scene = layer.scene
    scene.view_iso()
    base = np.asarray(plotter.screenshot(return_img=True)).astype(int)
    for name in (SLICE, ARROWS, INLETS):
        layer.show(name, True)
    assert layer.slice_actor.GetVisibility() and layer.arrows_h.actor.GetVisibility()
    assert not layer.vslice_actor.GetVisibility() and not layer.arrows_v.actor.GetVisibility()
    assert layer.air_bar.GetVisibility() and layer.inlet_bar.GetVisibility()
    assert "Horizontal slice z = 1.25 m" in layer.caption()
    plotter.render()
    img = np.asarray(plotter.screenshot(return_img=True)).astype(int)
    changed = np.abs(img - base).sum(axis=2) > 30
    assert changed.mean() > 0.1  # the slice covers much of the hall
    layer.show(VSLICE, True)
    assert layer.arrows_v.actor.GetVisibility()
    scene.set_visible("legend", False)
    layer.show(VSLICE, False)
    assert not layer.air_bar.GetVisibility()
    with pytest.raises(KeyError):
        layer.show("smoke", True)
    layer.remove()
    assert all(not scene.layers[n].actors for n in (SLICE, VSLICE, ARROWS, INLETS))


def test_layer_before_any_result(plotter, facility):
    lay = ThermalLayer(Scene(facility, plotter))
    lay.show(SLICE, True)  # nothing to show yet: no error
    assert not lay.built and lay.caption() == ""
    assert lay.set_slice_height(0.7) == pytest.approx(0.7)
    with pytest.raises(ValueError):
        ThermalLayer(lay.scene, vertical_axis="q")


def test_failed_units_are_outlined(layer, solved):
    f = solved[0]
    scene = layer.scene
    crah2 = f.air_unit_index["CRAH-2"]
    layer.mark_failed([crah2])
    actors = list(scene.layers["failed_units"].actors)
    assert len(actors) == 2 and all(a.GetVisibility() for a in actors)
    edges = actors[0].mapper.dataset
    assert edges.n_cells == 12  # one box outline
    c = f.air_unit_center_m[crah2]
    assert np.allclose(np.asarray(edges.points)[:, :2].mean(0), c[:2])
    assert np.asarray(edges.points)[:, 2].min() >= 0.0  # not through the floor
    layer.mark_failed([crah2])  # unchanged: nothing redrawn
    assert scene.layers["failed_units"].actors == actors
    layer.mark_failed([])
    assert scene.layers["failed_units"].actors == []
