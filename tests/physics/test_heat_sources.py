"""The heat model's source temperatures against hand-computed values: tiles fed from an
underfloor plenum blow the flow-weighted mean of the units' supplies; a unit beside tiles of a
fixed supply temperature runs at its capacity rather than declaring the hall overloaded; the
air a rack's rear blows out is its inlet plus its own rise."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from tests.physics.conftest import ENERGY_TOL, aisle_room
from twin.physics import ThermalError, ThermalModel, solve_steady
from twin.physics import heat as heat_module
from twin.physics.grid import RACK_REAR

CELL_M = 0.25
RHO_CP = 1.19 * 1005  # the layouts' default air (density 1.19 kg/m3, cp 1005 J/kgK)


def _plenum_room(scale: float = 1.0, more_units: tuple[str, ...] = ()) -> str:
    """Two rows of three 6 kW racks round a cold aisle of tiles that have no temperature of
    their own: three underfloor CRAHs of different flows and set points feed them. ``scale``
    multiplies every flow and power; ``more_units`` are further air_units entries."""
    lines = [
        "format: twin-layout/1",
        "name: plenum room",
        "halls: [{id: H, size_m: [8.4, 7.2, 3.0]}]",
        "rows:",
    ]
    for row, y, rot in (("A", 2.4, 180), ("B", 4.8, 0)):
        lines += [f"  - id: {row}", "    hall: H", "    racks:"]
        lines += [
            f"      - {{id: {row}{i}, position_m: [{3.6 + 0.6 * i:.1f}, {y}], rotation_deg: "
            f"{rot}, load: {{power_kw: {6 * scale:g}, airflow_m3s: {0.5 * scale:g}}}}}"
            for i in range(3)
        ]
    lines += [
        "cooling:",
        "  air_units:",
        "    - {id: C1, type: crah-77kw, hall: H, position_m: [1.5, 0.45], rotation_deg: 180,"
        f" supply_c: 16, airflow_m3s: {2.0 * scale:g}}}",
        "    - {id: C2, type: crah-77kw, hall: H, position_m: [6.9, 0.45], rotation_deg: 180,"
        f" supply_c: 18, airflow_m3s: {3.0 * scale:g}}}",
        "    - {id: C3, type: crah-77kw, hall: H, position_m: [4.2, 6.75], supply_c: 20,"
        f" airflow_m3s: {4.0 * scale:g}}}",
        *(f"    - {u}" for u in more_units),
        "  supplies:",
        "    - {id: T, hall: H, rect_m: [3.3, 3.0, 5.1, 4.2], open_fraction: 0.5}",
        "  returns:",
        "    - {id: RA, hall: H, rect_m: [3.3, 0.9, 5.1, 1.5]}",
        "    - {id: RB, hall: H, rect_m: [3.3, 5.7, 5.1, 6.3]}",
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("scale", [1.0, 0.1])  # 0.1: under 1 m3/s through the grilles
def test_plenum_tiles_blow_the_flow_weighted_mean_of_the_unit_supplies(write_layout, scale):
    fac = write_layout(_plenum_room(scale))
    res = solve_steady(fac, cell_m=CELL_M)
    # 36 kW (x scale) on 231 kW of units: none at capacity, each supplies its set point
    assert not res.air_unit_at_capacity.any() and not res.overloaded
    np.testing.assert_allclose(res.air_unit_supply_c, [16.0, 18.0, 20.0], atol=1e-6)
    # the plenum mixes them by flow: (2 x 16 + 3 x 18 + 4 x 20) / 9
    assert res.supply_mean_c == pytest.approx((2 * 16 + 3 * 18 + 4 * 20) / 9, abs=1e-5)
    # the returns carry the 36 kW off the 9 m3/s (the same rise at any scale)
    rise = 36e3 / (RHO_CP * 9.0)
    # (at a tenth of the flows the solve's 1e-6 residual leaves 5e-5 of the rise)
    rel = 1e-5 if scale == 1.0 else 5e-4
    assert res.return_mean_c - res.supply_mean_c == pytest.approx(rise, rel=rel)
    # every unit draws the grilles' mixture and cools it to its own set point
    flows = scale * np.array([2.0, 3.0, 4.0])
    want = RHO_CP * flows * (res.return_mean_c - np.array([16.0, 18.0, 20.0]))
    np.testing.assert_allclose(res.air_unit_load_w, want, rtol=1e-6)
    assert res.air_unit_load_w.sum() == pytest.approx(36e3 * scale, rel=rel)


def test_a_bicgstab_breakdown_falls_back_to_gmres_with_the_same_answer(write_layout, monkeypatch):
    """The plenum room's system is past DIRECT_MAX, so it is solved iteratively; a BiCGSTAB
    that breaks down hands over to GMRES, which reaches the same temperatures."""
    fac = write_layout(_plenum_room())
    ref = solve_steady(fac, cell_m=CELL_M)

    def broken(a, b, **kw):
        return np.full(b.shape, np.nan), 1

    monkeypatch.setattr(heat_module, "spla", SimpleNamespace(splu=spla.splu, bicgstab=broken))
    res = solve_steady(fac, cell_m=CELL_M)
    fluid = res.grid.fluid
    # GMRES stops on its preconditioned residual: the temperatures agree to ~0.02 K
    np.testing.assert_allclose(res.air_c[fluid], ref.air_c[fluid], atol=0.05)
    assert res.supply_mean_c == pytest.approx(ref.supply_mean_c, abs=0.05)
    assert res.energy_error < ENERGY_TOL


def test_tiles_without_a_temperature_or_an_underfloor_unit_are_refused(write_layout):
    text = aisle_room(tile_flow=6.8).replace(", supply_c: 18}", "}")
    with pytest.raises(
        ThermalError,
        match=r"^floor tiles have no supply temperature: give the "
        r"supply region supply_c or feed it from an underfloor air unit$",
    ):
        solve_steady(write_layout(text), cell_m=CELL_M)


def test_unit_beside_fixed_temperature_tiles_runs_at_capacity_not_overloaded(write_layout):
    """120 kW of racks, tiles at a fixed 18 C carrying most of it, and one 10 kW unit: the
    hall has a steady state (the tiles' air takes the rest), the unit runs at its 10 kW."""
    text = aisle_room(tile_flow=6.8) + (
        "  air_units:\n"
        "    - {id: U, type: crah-77kw, hall: H, position_m: [6.1, 3.3], rotation_deg: 90,"
        " discharge: front, capacity_kw: 10, airflow_m3s: 1.5}\n"
    )
    fac = write_layout(text)
    res = solve_steady(fac, cell_m=CELL_M)
    assert not res.overloaded
    assert res.air_unit_at_capacity[0]
    assert res.air_unit_load_w[0] == pytest.approx(10e3, rel=1e-5)
    assert res.air_unit_supply_c[0] > 18.0  # past its capacity it supplies warmer air


def test_rack_rear_ports_carry_the_rack_exhaust(write_layout):
    fac = write_layout(_plenum_room())
    model = ThermalModel(fac, cell_m=CELL_M)
    res = model.solve()
    heat = model.heat
    tp = heat.port_temps(model.state.t_cells, model.state.t_src)
    p = heat.grid.ports
    rear = p.kind == RACK_REAR
    assert rear.any()
    # exhaust = the rack's mean inlet plus its own rise, 6 kW on 0.5 m3/s
    want = res.rack_inlet_mean_c + 6e3 / (RHO_CP * 0.5)
    np.testing.assert_allclose(tp[rear], want[p.owner[rear]], rtol=1e-6)


def test_an_implicit_step_at_the_same_load_stays_at_the_steady_state(write_layout):
    """Backward Euler from the steady state under an unchanged load is that steady state again
    ((M + V/dt) x = b + V/dt x* is solved by x* when M x* = b): with the plenum and a unit held
    at its capacity (C3 rated 5 kW) in the system, the frame moves nothing and stores nothing."""
    text = _plenum_room().replace("supply_c: 20,", "supply_c: 20, capacity_kw: 5,")
    fac = write_layout(text)
    model = ThermalModel(fac, cell_m=CELL_M)
    steady = model.solve()
    assert list(steady.air_unit_at_capacity) == [False, False, True]
    # the load follows from temperatures solved to HEAT_TOL (1e-6) of the room's 36 kW
    assert steady.air_unit_load_w[2] == pytest.approx(5e3, abs=1e-6 * 36e3)
    before = model.state
    # the steady solve stops at a relative residual of 1e-6 (HEAT_TOL): its temperatures are
    # good to ~3e-4 K on this grid, which bounds how far the step may move them
    for dt in (60.0, 600.0):
        res = model.follow(dt)
        np.testing.assert_allclose(model.state.t_cells, before.t_cells, atol=3e-3)
        np.testing.assert_allclose(model.state.t_src, before.t_src, atol=3e-3)
        assert abs(res.heat_stored_w) < 1e-4 * 36e3
        assert res.supply_mean_c == pytest.approx(steady.supply_mean_c, abs=3e-3)


def _small_unit_room(write_layout):
    """The plenum room with C3 a 0.9 m3/s unit rated 1 kW: it runs at its capacity."""
    text = _plenum_room().replace(
        "supply_c: 20, airflow_m3s: 4}", "supply_c: 20, airflow_m3s: 0.9, capacity_kw: 1}"
    )
    return write_layout(text)


def test_both_transient_steps_at_the_same_load_keep_a_unit_at_its_capacity(write_layout):
    """The steady state is a fixed point of the explicit and of the implicit step alike, also
    for a unit of less than 1 m3/s held at its capacity (its supply from its own return)."""
    fac = _small_unit_room(write_layout)
    model = ThermalModel(fac, cell_m=CELL_M)
    steady = model.solve()
    assert list(steady.air_unit_at_capacity) == [False, False, True]
    assert steady.air_unit_supply_c[2] > 20.0
    before = model.state
    res = model.step(5.0)  # explicit, sub-stepped
    np.testing.assert_allclose(model.state.t_cells, before.t_cells, atol=3e-3)
    assert res.air_unit_supply_c[2] == pytest.approx(steady.air_unit_supply_c[2], abs=3e-3)


def test_a_step_longer_than_the_stable_step_is_sub_stepped(write_layout):
    """One explicit step of 1.5 stable steps is two sub-steps of 0.75: the same as two steps
    of 0.75 (from air not at its steady state, so the steps move it)."""
    fac = _small_unit_room(write_layout)
    heat = ThermalModel(fac, cell_m=CELL_M).heat
    air_w = fac.air_heat_w(fac.rack_power_w)
    t0 = np.full(heat.n, 20.0)
    h = heat.dt_stable
    one = heat.step(t0, air_w, 1.5 * h)
    two = heat.step(heat.step(t0, air_w, 0.75 * h), air_w, 0.75 * h)
    assert np.abs(one - t0).max() > 1e-3  # the step moved the air
    np.testing.assert_allclose(one, two, rtol=0, atol=1e-12)


def test_the_implicit_step_follows_a_new_set_of_units_at_capacity(write_layout):
    """After a steady solve at another load changes which units run at capacity, the implicit
    step uses the new system: from the new steady state it stays there."""
    fac = _small_unit_room(write_layout)
    model = ThermalModel(fac, cell_m=CELL_M)
    model.solve()
    model.follow(60.0)  # the implicit step's solver, built for C3 at capacity
    light = fac.rack_power_w * 0.02  # 0.7 kW in all: no unit at capacity
    steady = model.solve(light)
    assert not steady.air_unit_at_capacity.any()
    before = model.state
    model.follow(60.0, light)
    np.testing.assert_allclose(model.state.t_cells, before.t_cells, atol=3e-3)
    np.testing.assert_allclose(model.state.t_src, before.t_src, atol=3e-3)


def test_the_heat_solve_on_its_own_gives_the_models_temperatures(write_layout):
    """``HeatModel.solve`` at its default tolerance (1e-7, tighter than the model's 1e-6)
    reaches the temperatures the thermal model's own solve found."""
    fac = write_layout(_plenum_room())
    model = ThermalModel(fac, cell_m=CELL_M)
    model.solve()
    state, at_cap, overloaded = model.heat.solve(fac.air_heat_w(fac.rack_power_w))
    assert not at_cap.any() and not overloaded
    np.testing.assert_allclose(state.t_cells, model.state.t_cells, atol=3e-3)
    assert state.t_cells.min() > 15.9  # nothing below the coldest set point


def test_a_front_discharge_unit_stays_out_of_the_plenum_mix(write_layout):
    """A fourth unit blowing 24 C air out of its front into the room: the tiles still get
    the flow-weighted mean of the three underfloor units only."""
    c4 = (
        "{id: C4, type: crah-77kw, hall: H, position_m: [7.8, 3.6], rotation_deg: 90,"
        " discharge: front, supply_c: 24, airflow_m3s: 1.0}"
    )
    fac = write_layout(_plenum_room(more_units=(c4,)))
    model = ThermalModel(fac, cell_m=CELL_M)
    res = model.solve()
    assert not res.air_unit_at_capacity.any()
    plenum = model.state.t_src[model.heat.plenum]
    assert plenum == pytest.approx((2 * 16 + 3 * 18 + 4 * 20) / 9, abs=1e-5)
