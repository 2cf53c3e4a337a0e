"""Steady airflow and heat: balances, recirculation, failures, rotation, linearity."""

from __future__ import annotations

import numpy as np
import pytest

from tests.physics.conftest import ENERGY_TOL, MASS_TOL, aisle_room
from twin.model.loader import load_layout
from twin.physics import GridError, ThermalModel, solve_steady
from twin.physics.model import start_air


def test_test_room_balances_mass_and_energy():
    fac = load_layout("layouts/test-room.yaml")
    res = solve_steady(fac, cell_m=0.25)
    assert res.heat_in_w == pytest.approx(12 * 20e3)
    assert res.energy_error < ENERGY_TOL
    assert res.mass_error < MASS_TOL
    # the field the heat solve sees is projected tight (1e-7; the ones that only drive
    # buoyancy stop at 1e-5, which leaves ~5e-9 here)
    assert res.mass_error < 1e-9
    # the returns carry exactly the heat: T_ret - T_sup = Q / (rho cp V)
    rise = 240e3 / (1.19 * 1005 * 16.0)
    assert res.return_mean_c - res.supply_mean_c == pytest.approx(rise, rel=ENERGY_TOL)
    # every rack's exhaust is its mean inlet plus its own rise
    r_rise = 20e3 / (1.19 * 1005 * 1.4)
    assert np.allclose(res.rack_exhaust_c - res.rack_inlet_mean_c, r_rise, rtol=1e-6)
    assert np.all(res.rack_inlet_max_c >= res.rack_inlet_mean_c - 1e-9)
    assert res.air_c.shape == res.grid.shape
    assert np.isnan(res.air_c[~res.grid.fluid]).all()
    assert np.isfinite(res.air_c[res.grid.fluid]).all()


def test_under_supplied_cold_aisle_warms_row_ends_most(write_layout):
    # the tiles give 85 % of what the racks draw: the shortfall comes round the row ends
    fac = write_layout(aisle_room(n=5, rack_flow=0.8, tile_flow=6.8))
    res = solve_steady(fac, cell_m=0.25)
    t = res.rack_inlet_mean_c.reshape(2, 5)
    ends = t[:, [0, 4]].mean()
    middle = t[:, 2].mean()
    assert ends > middle + 3.0, t
    assert res.metrics["rti"] > 100  # recirculation, in Herrlin's sense
    assert res.energy_error < ENERGY_TOL and res.mass_error < MASS_TOL


def test_a_long_march_keeps_the_row_ends_hottest(write_layout):
    """Buoyancy follows the temperatures it drives: a march of 100 + 33 steps re-solves the
    heat every ``BUOYANCY_CHUNK`` buoyant steps. (With the force frozen from the first heat
    solve, this aisle's shortfall fell into its middle racks instead: its CFD has the row
    ends hottest, as above.)"""
    fac = write_layout(aisle_room(n=5, rack_flow=0.8, tile_flow=6.8))
    res = solve_steady(fac, cell_m=0.25, flow_iterations=100)
    t = res.rack_inlet_mean_c.reshape(2, 5)
    assert t[:, [0, 4]].mean() > t[:, 2].mean() + 3.0, t
    assert res.energy_error < ENERGY_TOL and res.mass_error < MASS_TOL


def test_more_supply_cools_the_row_ends(write_layout):
    short = solve_steady(write_layout(aisle_room(tile_flow=6.8)), cell_m=0.25)
    ample = solve_steady(write_layout(aisle_room(tile_flow=10.0)), cell_m=0.25)
    assert (ample.rack_inlet_mean_c <= short.rack_inlet_mean_c + 0.05).all()
    assert ample.rack_inlet_mean_c.max() < short.rack_inlet_mean_c.max() - 1.0


def test_rack_turned_to_the_hot_aisle_draws_hotter_air(write_layout):
    base = solve_steady(write_layout(aisle_room(tile_flow=9.0)), cell_m=0.25)
    turned = solve_steady(write_layout(aisle_room(tile_flow=9.0, turned=2)), cell_m=0.25)
    assert turned.rack_inlet_mean_c[2] > base.rack_inlet_mean_c[2] + 3.0
    assert turned.energy_error < ENERGY_TOL


def _crah_row(failed_on: bool = True) -> str:
    racks = "\n".join(
        f"      - {{id: R{i}, position_m: [{2.2 + 0.6 * i:.2f}, 3.6], "
        f"load: {{power_kw: 8, delta_t_k: 12}}}}"
        for i in range(8)
    )
    return f"""format: twin-layout/1
name: crahs
halls: [{{id: H, size_m: [10, 6, 3]}}]
rows:
  - id: R
    hall: H
    racks:
{racks}
cooling:
  air_units:
    - {{id: WEST, type: crah-77kw, hall: H, position_m: [3.0, 0.6], rotation_deg: 180,
       discharge: front}}
    - {{id: EAST, type: crah-77kw, hall: H, position_m: [7.0, 0.6], rotation_deg: 180,
       discharge: front}}
"""


def test_failed_cooling_unit_warms_racks_nearest_most(write_layout):
    fac = write_layout(_crah_row())
    model = ThermalModel(fac, cell_m=0.25)
    base = model.solve()
    assert base.energy_error < ENERGY_TOL and base.mass_error < MASS_TOL
    assert np.allclose(base.air_unit_supply_c, 18.0)
    model.set_failed(["EAST"])
    # right after the trip the air is where it was, and warms from there
    first = model.step(0.25)
    assert np.abs(first.rack_inlet_mean_c - base.rack_inlet_mean_c).max() < 1.0
    hot = model.solve()
    assert hot.energy_error < ENERGY_TOL and hot.mass_error < MASS_TOL
    rise = hot.rack_inlet_mean_c - base.rack_inlet_mean_c
    # the east half only warms from the trip on; the west end may gain or lose a little: the
    # west unit's jet and the room's circulation reorganise without the east unit's
    east = slice(4, 8)
    assert (first.rack_inlet_mean_c[east] <= hot.rack_inlet_mean_c[east] + 0.2).all()
    assert (rise[east] > 2.0).all() and (np.abs(rise[:4]) < 5.0).all(), rise
    assert rise.mean() > 0.5, rise
    # nearest the failed (east) unit warms most: compare the east and west halves
    assert rise[4:].mean() > rise[:4].mean() + 0.5, rise
    assert rise[7] > rise[0], rise
    assert np.isnan(hot.air_unit_return_c[1]) and hot.air_unit_load_w[1] == 0
    # the remaining unit removes all the heat
    assert hot.air_unit_load_w[0] == pytest.approx(hot.heat_in_w, rel=0.01)
    # a throttled fan (40 %) sits between running and failed
    model.set_failed([], unit_flow_scale=np.array([1.0, 0.4]))
    slow = model.solve()
    mid = slow.rack_inlet_mean_c - base.rack_inlet_mean_c
    assert 0.2 < mid[4:].mean() < rise[4:].mean()
    assert slow.energy_error < ENERGY_TOL


def test_air_unit_past_capacity_warms_its_supply(write_layout):
    text = _crah_row().replace("power_kw: 8,", "power_kw: 12,")
    fac = write_layout(text)
    res = solve_steady(fac, cell_m=0.25, failed=["EAST"])  # 96 kW on one 77 kW unit
    assert res.overloaded
    ok = solve_steady(fac, cell_m=0.25)  # 96 kW on two 77 kW units: no unit past capacity
    assert not ok.overloaded
    assert (ok.air_unit_load_w <= ok.air_unit_capacity_w * 1.001).all()
    # one unit past capacity while the other has headroom: the first supplies warmer air
    text2 = text.replace(
        "position_m: [7.0, 0.6], rotation_deg: 180,",
        "position_m: [7.0, 0.6], rotation_deg: 180, capacity_kw: 30,",
    )
    res2 = solve_steady(write_layout(text2), cell_m=0.25)
    assert res2.air_unit_at_capacity[1] and not res2.air_unit_at_capacity[0]
    assert res2.air_unit_supply_c[1] > 18.5
    assert res2.air_unit_load_w[1] == pytest.approx(30e3, rel=0.01)
    assert res2.energy_error < ENERGY_TOL


def test_doubling_loads_doubles_rises_at_fixed_flows(write_layout):
    fac = write_layout(aisle_room(tile_flow=7.5))
    model = ThermalModel(fac, cell_m=0.25, buoyancy=False)
    one = model.solve(fac.rack_power_w)
    two = model.solve(2 * fac.rack_power_w)
    # exact to the heat solve's tolerance (relative residual 1e-6)
    assert np.allclose(two.rack_inlet_mean_c - 18, 2 * (one.rack_inlet_mean_c - 18), rtol=1e-4)
    assert np.allclose(two.rack_exhaust_c - 18, 2 * (one.rack_exhaust_c - 18), rtol=1e-4)


def test_doubling_loads_and_flows_keeps_rises(write_layout):
    # rack flow from power at a fixed rise: loads x2 -> flows x2; tiles scale with them
    one = solve_steady(
        write_layout(aisle_room(kw=10, tile_flow=6.0, rack_flow=0.7)), cell_m=0.25, buoyancy=False
    )
    two = solve_steady(
        write_layout(aisle_room(kw=20, tile_flow=12.0, rack_flow=1.4)), cell_m=0.25, buoyancy=False
    )
    assert np.allclose(two.rack_inlet_mean_c, one.rack_inlet_mean_c, atol=0.05)
    assert np.allclose(two.rack_exhaust_c, one.rack_exhaust_c, atol=0.05)


def test_grid_refinement_converges(write_layout):
    """Finer heat grids (the momentum marched on the 0.2 m grid below it) approach the same
    answer. A cell that does not divide 0.2 m takes the march's flow through an interpolation
    that moves this aisle's racks by up to 0.73 K at 0.125 m (0.1 m: 0.43 K), so the finest
    grid here is one that nests."""
    fac = write_layout(aisle_room(tile_flow=6.8))
    t = {c: solve_steady(fac, cell_m=c).rack_inlet_mean_c for c in (0.25, 0.2, 0.1)}
    coarse = np.abs(t[0.25] - t[0.1]).max()
    mid = np.abs(t[0.2] - t[0.1]).max()
    assert mid < 0.5
    assert mid <= coarse + 1e-6


def test_bad_input_is_a_clear_error(write_layout):
    fac = write_layout(aisle_room())
    with pytest.raises(GridError, match="cell size"):
        solve_steady(fac, cell_m=0.01)
    with pytest.raises(GridError, match="unknown unit"):
        solve_steady(fac, failed=["NOPE"])
    with pytest.raises(GridError, match="hall index"):
        solve_steady(fac, hall=3)
    model = ThermalModel(fac, cell_m=0.25, flow_iterations=2)
    with pytest.raises(ValueError, match="rack_power_w"):
        model.solve(np.ones(3))
    with pytest.raises(ValueError, match="dt"):
        model.step(0.0)


def test_cold_aisle_containment_stops_recirculation(write_layout):
    open_ = solve_steady(write_layout(aisle_room(tile_flow=8.8)), cell_m=0.25)
    closed = solve_steady(write_layout(aisle_room(tile_flow=8.8, contained=True)), cell_m=0.25)
    assert closed.energy_error < ENERGY_TOL and closed.mass_error < MASS_TOL
    assert closed.rack_inlet_max_c.max() < 18.5
    assert open_.rack_inlet_mean_c.max() > closed.rack_inlet_mean_c.max() + 2.0


def test_sealed_aisle_short_of_air_still_balances(write_layout):
    # racks draw 8 m3/s from a sealed aisle fed 6 m3/s: the rest leaks in through the panels
    res = solve_steady(write_layout(aisle_room(tile_flow=6.0, contained=True)), cell_m=0.25)
    assert res.energy_error < ENERGY_TOL and res.mass_error < MASS_TOL
    assert np.allclose(res.rack_airflow_m3s, 0.8)
    assert res.rack_inlet_mean_c.mean() > 19.0


def test_hot_aisle_chimney_keeps_exhaust_from_the_inlets(write_layout):
    open_ = solve_steady(write_layout(aisle_room(tile_flow=7.2)), cell_m=0.25)
    ducted = solve_steady(write_layout(aisle_room(tile_flow=7.2, hot_chimney=True)), cell_m=0.25)
    assert ducted.energy_error < ENERGY_TOL and ducted.mass_error < MASS_TOL
    assert ducted.rack_inlet_mean_c.max() < open_.rack_inlet_mean_c.max() - 1.0


def test_roofed_hot_aisles_without_grilles_return_through_their_roofs(write_layout):
    text = aisle_room(tile_flow=8.8, hot_chimney=True, grilles=False)
    res = solve_steady(write_layout(text), cell_m=0.25)
    assert res.energy_error < ENERGY_TOL and res.mass_error < MASS_TOL
    # the roofs return the tiles' 8.8 m3/s: the racks' 8 m3/s of exhaust and 0.8 m3/s of
    # room air drawn in through the panels
    mix = (8.0 * np.mean(res.rack_exhaust_c) + 0.8 * 18.0) / 8.8
    assert res.return_mean_c == pytest.approx(mix, abs=0.5)
    assert res.rack_inlet_max_c.max() < 20.0


def test_hall_without_supply_has_no_steady_state_but_warms(write_layout):
    from twin.physics import ThermalError

    fac = write_layout(_crah_row())
    model = ThermalModel(fac, cell_m=0.25, flow_iterations=4, failed=["WEST", "EAST"])
    with pytest.raises(ThermalError, match=r"no air supply .* its air warms without end$"):
        model.solve()
    t0 = model.heat.n
    from twin.physics.heat import HeatState

    model.state = HeatState(np.full(t0, 20.0), np.zeros(model.heat.n_src))
    res = model.step(10.0)
    assert np.nanmean(res.air_c) > 20.0  # the heat stays in the room
    stored = 1.19 * 1005 * model.heat.volume * (np.nanmean(res.air_c) - 20.0) * t0
    assert stored == pytest.approx(8 * 8e3 * 10.0, rel=0.01)  # all of it, exactly


def test_warm_start_after_an_edit_matches_a_cold_solve(write_layout):
    # a rack turned to face the hot aisle: warm from the solution before the edit, the new
    # one balances, agrees with a cold solve and shows the turned rack drawing hot air
    before = solve_steady(write_layout(aisle_room(tile_flow=9.0)), cell_m=0.25)
    assert before.warm is not None
    fac = write_layout(aisle_room(tile_flow=9.0, turned=2))
    cold = solve_steady(fac, cell_m=0.25)
    model = ThermalModel(fac, cell_m=0.25, warm_start=before)
    assert model.warm_started
    warm = model.solve()
    assert warm.energy_error < ENERGY_TOL and warm.mass_error < MASS_TOL
    # the flow is marched as cold and the heat solves start from the old temperatures:
    # every rack agrees to the heat solves' tolerance
    assert np.abs(warm.rack_inlet_max_c - cold.rack_inlet_max_c).max() < 0.05
    assert warm.rack_inlet_mean_c[2] > before.rack_inlet_mean_c[2] + 3.0
    # another grid, or a change of the air supplied, marches cold
    assert not ThermalModel(fac, cell_m=0.2, warm_start=before).warm_started
    less = write_layout(aisle_room(tile_flow=6.8, turned=2))
    assert not ThermalModel(less, cell_m=0.25, warm_start=before).warm_started


def test_warm_start_gives_a_moved_row_end_rack_the_cold_inlet_change(write_layout):
    # the row-end rack moved 0.6 m out along its row (a gap opens beside it, recirculation
    # changes): the change of its maximum inlet that the editor shows, warm vs cold
    text = aisle_room(tile_flow=6.8)
    old = "id: B4, position_m: [4.700,"
    assert old in text
    before = solve_steady(write_layout(text), cell_m=0.25)
    moved = write_layout(text.replace(old, "id: B4, position_m: [5.300,"))
    cold = solve_steady(moved, cell_m=0.25)
    warm = solve_steady(moved, cell_m=0.25, warm_start=before)
    r = moved.rack_index["B4"]
    d_cold = cold.rack_inlet_max_c[r] - before.rack_inlet_max_c[r]
    d_warm = warm.rack_inlet_max_c[r] - before.rack_inlet_max_c[r]
    assert abs(d_warm - d_cold) < 0.5, (d_warm, d_cold)
    assert warm.energy_error < ENERGY_TOL and warm.mass_error < MASS_TOL


def test_steady_heat_solve_starts_near_the_answer_and_ends_at_a_cold_starts(write_layout):
    # the first steady heat solve starts from the temperatures that drove the march's last
    # buoyant chunk (the same flow but for that chunk), on the heat grid itself or resampled
    # from the coarser momentum grid; it ends where a solve from nothing ends
    fac = write_layout(aisle_room(tile_flow=6.8))
    for cell_m in (0.2, 0.1):  # marched on the heat grid; marched at 0.2 m and prolonged
        model = ThermalModel(fac, cell_m=cell_m)
        start = start_air(model._warm_air, model._march_air, model.grid)
        assert start is not None and start.shape == model.grid.shape
        warm = model.solve()
        model.state = model._march_air = None  # the same solve from nothing
        assert start_air(model._warm_air, model._march_air, model.grid) is None
        cold = model.solve()
        air = cold.air_c[model.grid.fluid]
        # a uniform start at the mean would be 2.3 K off on average; this one is 0.5-1.0 K
        assert np.abs(start[model.grid.fluid] - air).mean() < 1.2
        assert np.abs(warm.rack_inlet_max_c - cold.rack_inlet_max_c).max() < 2e-3
        assert np.abs(warm.air_c - cold.air_c)[model.grid.fluid].max() < 0.02
