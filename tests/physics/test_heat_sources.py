"""The heat model's source temperatures against hand-computed values: tiles fed from an
underfloor plenum blow the flow-weighted mean of the units' supplies; a unit beside tiles of a
fixed supply temperature runs at its capacity rather than declaring the hall overloaded; the
air a rack's rear blows out is its inlet plus its own rise."""

from __future__ import annotations

import numpy as np
import pytest

from tests.physics.conftest import aisle_room
from twin.physics import ThermalError, ThermalModel, solve_steady
from twin.physics.grid import RACK_REAR

CELL_M = 0.25
RHO_CP = 1.19 * 1005  # the layouts' default air (density 1.19 kg/m3, cp 1005 J/kgK)


def _plenum_room() -> str:
    """Two rows of three 6 kW racks round a cold aisle of tiles that have no temperature of
    their own: three underfloor CRAHs of different flows and set points feed them."""
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
            f"{rot}, load: {{power_kw: 6, airflow_m3s: 0.5}}}}"
            for i in range(3)
        ]
    lines += [
        "cooling:",
        "  air_units:",
        "    - {id: C1, type: crah-77kw, hall: H, position_m: [1.5, 0.45], rotation_deg: 180,"
        " supply_c: 16, airflow_m3s: 2.0}",
        "    - {id: C2, type: crah-77kw, hall: H, position_m: [6.9, 0.45], rotation_deg: 180,"
        " supply_c: 18, airflow_m3s: 3.0}",
        "    - {id: C3, type: crah-77kw, hall: H, position_m: [4.2, 6.75], supply_c: 20,"
        " airflow_m3s: 4.0}",
        "  supplies:",
        "    - {id: T, hall: H, rect_m: [3.3, 3.0, 5.1, 4.2], open_fraction: 0.5}",
        "  returns:",
        "    - {id: RA, hall: H, rect_m: [3.3, 0.9, 5.1, 1.5]}",
        "    - {id: RB, hall: H, rect_m: [3.3, 5.7, 5.1, 6.3]}",
    ]
    return "\n".join(lines) + "\n"


def test_plenum_tiles_blow_the_flow_weighted_mean_of_the_unit_supplies(write_layout):
    fac = write_layout(_plenum_room())
    res = solve_steady(fac, cell_m=CELL_M)
    # 36 kW on 231 kW of units: none at capacity, each supplies its set point
    assert not res.air_unit_at_capacity.any() and not res.overloaded
    np.testing.assert_allclose(res.air_unit_supply_c, [16.0, 18.0, 20.0], atol=1e-6)
    # the plenum mixes them by flow: (2 x 16 + 3 x 18 + 4 x 20) / 9
    assert res.supply_mean_c == pytest.approx((2 * 16 + 3 * 18 + 4 * 20) / 9, abs=1e-5)
    # the returns carry the 36 kW off the 9 m3/s
    rise = 36e3 / (RHO_CP * 9.0)
    assert res.return_mean_c - res.supply_mean_c == pytest.approx(rise, rel=1e-5)
    # every unit draws the grilles' mixture and cools it to its own set point
    want = RHO_CP * np.array([2.0, 3.0, 4.0]) * (res.return_mean_c - np.array([16.0, 18.0, 20.0]))
    np.testing.assert_allclose(res.air_unit_load_w, want, rtol=1e-6)
    assert res.air_unit_load_w.sum() == pytest.approx(36e3, rel=1e-5)


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
    assert steady.air_unit_load_w[2] == pytest.approx(5e3, rel=1e-6)
    before = model.state
    # the steady solve stops at a relative residual of 1e-6 (HEAT_TOL): its temperatures are
    # good to ~3e-4 K on this grid, which bounds how far the step may move them
    for dt in (60.0, 600.0):
        res = model.follow(dt)
        np.testing.assert_allclose(model.state.t_cells, before.t_cells, atol=3e-3)
        np.testing.assert_allclose(model.state.t_src, before.t_src, atol=3e-3)
        assert abs(res.heat_stored_w) < 1e-4 * 36e3
        assert res.supply_mean_c == pytest.approx(steady.supply_mean_c, abs=3e-3)
