"""``ThermalModel.follow``: one telemetry frame in one implicit heat step. A steady state is
its fixed point, a very long step lands on the new steady state, and every step conserves
energy: the heat stored equals what came in minus what went out, at the new temperatures."""

from __future__ import annotations

import numpy as np
import pytest

from tests.physics.conftest import aisle_room
from twin.physics import ThermalModel

RHO_CP = 1.19 * 1005.0  # the layout's air (aisle_room keeps the defaults)


@pytest.fixture(params=[0.25, 0.5], ids=["multigrid", "direct"])
def model(request, write_layout):
    fac = write_layout(aisle_room(tile_flow=7.5))
    m = ThermalModel(fac, cell_m=request.param, buoyancy=False)
    m.solve()
    return m


def _implicit_dt(model) -> float:
    """A frame long enough for ``follow`` to take one implicit step."""
    dt = 1000.0 * model.heat.dt_stable
    assert model.follow_implicit(dt)
    return dt


def test_steady_state_is_a_fixed_point(model):
    base = model.solve()
    again = model.follow(_implicit_dt(model))
    # the steady solve stops at a relative residual of 1e-6 (~1e-4 K here), the step at 1e-8
    np.testing.assert_allclose(again.rack_inlet_mean_c, base.rack_inlet_mean_c, atol=2e-4)


def test_a_very_long_step_lands_on_the_new_steady_state(model):
    p2 = 1.5 * model.facility.rack_power_w
    target = ThermalModel(model.facility, cell_m=model.cell_m, buoyancy=False).solve(p2)
    res = model.follow(1e6, p2)
    np.testing.assert_allclose(res.rack_inlet_mean_c, target.rack_inlet_mean_c, atol=1e-3)


def test_each_step_stores_what_comes_in_less_what_goes_out(model):
    p2 = 1.5 * model.facility.rack_power_w
    prev = model.solve()
    before = model.state.t_cells.copy()
    dt = _implicit_dt(model)
    for _ in range(3):
        res = model.follow(dt, p2)
        stored_w = RHO_CP * model.heat.volume * (model.state.t_cells - before).sum() / dt
        assert stored_w > 0
        assert stored_w == pytest.approx(res.heat_in_w - res.heat_out_w, rel=1e-3)
        # warming towards the heavier load, rack by rack, never cooling
        assert (res.rack_inlet_mean_c >= prev.rack_inlet_mean_c - 1e-6).all()
        before, prev = model.state.t_cells.copy(), res


def test_short_frames_take_explicit_sub_steps(model):
    """Below a few stability limits ``follow`` is ``step``: the same numbers."""
    dt = 2 * model.heat.dt_stable
    assert not model.follow_implicit(dt)
    p2 = 1.2 * model.facility.rack_power_w
    start = model.state
    a = model.follow(dt, p2).rack_inlet_mean_c
    model.state = start
    b = model.step(dt, p2).rack_inlet_mean_c
    np.testing.assert_array_equal(a, b)


def test_a_unit_held_at_capacity_in_error_goes_back_to_its_set_point():
    """The units at capacity are revisited frame by frame, as the steady solve does: a set
    chosen at a fan change from a hot moment is not kept for good. Both CRAHs of the
    wall-CRAH room run below capacity; held at capacity they would supply their return less
    what their capacity cools (13.6 K colder than the return) and the hall would settle
    several kelvin too cold."""
    from pathlib import Path

    from twin.model.loader import load_layout

    room = Path(__file__).resolve().parents[1] / "validation" / "rooms"
    fac = load_layout(room / "wall-crah-plenum-mixed.yaml")
    m = ThermalModel(fac, cell_m=0.4, buoyancy=False)
    base = m.solve()
    assert not base.air_unit_at_capacity.any()
    m.heat.use_active_set(np.ones(2, dtype=bool))
    res = m.follow(_implicit_dt(m))
    assert not m.heat.active_set().any()
    np.testing.assert_allclose(res.air_unit_supply_c, fac.air_unit_supply_c, atol=1e-9)
    np.testing.assert_allclose(res.rack_inlet_mean_c, base.rack_inlet_mean_c, atol=2e-4)
