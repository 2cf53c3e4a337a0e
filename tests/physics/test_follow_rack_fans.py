"""Following telemetry with the racks' server fans: a rack's airflow follows its power by the
simulator's own rule (``twin.model.server_fans``), and the hall's airflow is re-solved only
when a rack's implied airflow moved by more than ``FLOW_RESOLVE_FRACTION`` of its rated flow
from the field's; a wobble only steps the heat. Expected airflows are computed by hand here
(rated x (0.4 + 0.6 x load)), and the steady solves that check the followed inlets are given
the racks' airflows directly (``rack_airflow_m3s``), not the followed scales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.physics.test_hall_jobs import CELL_M, TWO_CRAHS
from twin.model.server_fans import fan_flow_fraction
from twin.physics.fan_follow import (
    FLOW_RESOLVE_FRACTION,
    measured_flow_scale,
    rack_flow_scale,
)
from twin.physics.hall_jobs import HallSolver, ThermalRequest
from twin.physics.model import solve_steady
from twin.physics.solver_service import CancelToken

DEMO = Path(__file__).parents[2] / "layouts" / "demo-air-hall.yaml"


def test_the_rack_fans_follow_load_above_a_floor_and_a_measured_flow_wins(write_layout):
    fac = write_layout(TWO_CRAHS)
    nominal = fac.rack_power_w.astype(float)
    p = nominal * np.linspace(0.0, 2.0, fac.n_racks)  # idle .. twice nominal
    load = np.minimum(p / nominal, 1.5)  # the fans stop speeding up at 1.5 x nominal
    np.testing.assert_allclose(rack_flow_scale(fac, p), 0.4 + 0.6 * load)
    np.testing.assert_allclose(rack_flow_scale(fac, nominal), 1.0)  # nominal: rated
    # a rack with no power reading keeps the field's flow; a measured flow overrides power
    p[0] = np.nan
    measured = np.full(fac.n_racks, np.nan)
    measured[1] = 0.5 * fac.rack_airflow_m3s[1]
    scale = rack_flow_scale(fac, p, measured)
    assert np.isnan(scale[0]) and scale[1] == pytest.approx(0.5)
    np.testing.assert_allclose(scale[2:], 0.4 + 0.6 * load[2:])
    # the simulator's heat balance uses the same function (its shape, checked by hand)
    assert fan_flow_fraction(np.array([0.5]))[0] == pytest.approx(0.7)


def _request(fac, t: float, power: np.ndarray) -> ThermalRequest:
    return ThermalRequest(
        fac, 0, CELL_M, rack_power_w=power, time_s=t, rack_flow_scale=rack_flow_scale(fac, power)
    )


@pytest.mark.slow
def test_a_power_wobble_steps_the_heat_and_a_load_step_resolves_once(write_layout):
    fac = write_layout(TWO_CRAHS)
    nominal = fac.rack_power_w.astype(float)
    solver, token = HallSolver(), CancelToken()
    solver.run(_request(fac, 0.0, nominal), token)
    assert solver.flow_solves == 1 and solver.model.rack_flow_scale is None  # rated: as before
    flow = solver.model.flow
    # +-6 % of nominal power moves the fans by 3.6 % of rated: under the threshold
    for k in range(1, 5):
        solver.run(_request(fac, 60.0 * k, nominal * (1 + 0.06 * (-1) ** k)), token)
    assert solver.flow_solves == 1 and solver.model.flow is flow and solver.steps == 4
    # the hall drops to 40 % load: one re-solve, then frames at that load step the heat only
    low = nominal * 0.4
    answers = [solver.run(_request(fac, 300.0 + 600.0 * k, low), token) for k in range(8)]
    assert solver.flow_solves == 2 and all(a.stepped for a in answers)
    want_flow = fac.rack_airflow_m3s * (0.4 + 0.6 * 0.4)  # 64 % of rated
    np.testing.assert_allclose(answers[-1].result.rack_airflow_m3s, want_flow, rtol=1e-9)
    target = solve_steady(fac, 0, CELL_M, rack_power_w=low, rack_airflow_m3s=want_flow)
    racks = fac.rack_hall == 0
    np.testing.assert_allclose(
        answers[-1].result.rack_inlet_mean_c[racks], target.rack_inlet_mean_c[racks], atol=0.05
    )
    assert FLOW_RESOLVE_FRACTION == pytest.approx(0.05)


@pytest.mark.slow
def test_following_the_simulated_demo_hall_at_part_load_slows_the_racks_fans_too():
    """The simulator drives its CRAHs at 1.1 x the racks' load-following fan demand; the
    followed racks now pull that reduced air too, so the hall reads like a steady solve with
    both fan speeds, and cooler at its hottest rack than with the racks' fans left at rated
    (those pull more air than the slowed CRAHs give, so more exhaust comes round)."""
    from twin.model.loader import load_layout
    from twin.telemetry.simulator import Simulator

    fac = load_layout(DEMO)
    sim = Simulator(fac, "normal", seed=1, rate_hz=1 / 60.0)
    cell = 0.4
    solver, token = HallSolver(), CancelToken()
    for _ in range(20):  # 20 minutes: the CRAH fans (90 s lag) have followed the load
        fr = sim.step()
        p = np.asarray(fr.rack["power_w"], float)
        units = measured_flow_scale(fac, fr.air_unit["flow_m3s"])
        ans = solver.run(_sim_request(fac, cell, fr.time_s, p, units), token)
    assert p.sum() < 0.8 * fac.rack_power_w.sum()  # part load
    assert np.nanmax(units) < 0.8  # the CRAHs slowed down with the racks
    # the field's rack fans follow the load (within the re-solve threshold), by hand:
    load = np.clip(p / fac.rack_power_w, 0, 1.5)
    want = 0.4 + 0.6 * load
    assert np.abs(solver.model.rack_flow_scale - want).max() <= FLOW_RESOLVE_FRACTION
    assert want.mean() < 0.9 and want.min() < 0.6  # below rated, some racks far below
    solves = solver.flow_solves
    for k in range(1, 5):  # the last frame held: the air settles, nothing is re-solved
        ans = solver.run(_sim_request(fac, cell, fr.time_s + 600.0 * k, p, units), token)
    assert solver.flow_solves == solves and ans.stepped
    got = ans.result.rack_inlet_mean_c
    # the separate path: a steady solve given the same fan speeds as airflows
    rack_m3s = fac.rack_airflow_m3s * solver.model.rack_flow_scale
    same = solve_steady(
        fac,
        0,
        cell,
        rack_power_w=p,
        rack_airflow_m3s=rack_m3s,
        unit_flow_scale=solver.model.unit_flow_scale,
    )
    np.testing.assert_allclose(got, same.rack_inlet_mean_c, atol=0.05)
    rated_fans = solve_steady(fac, 0, cell, rack_power_w=p, unit_flow_scale=units)
    assert got.max() < rated_fans.rack_inlet_mean_c.max() - 0.3  # 0.7 K cooler


def _sim_request(fac, cell: float, t: float, power: np.ndarray, units) -> ThermalRequest:
    scale = rack_flow_scale(fac, power)
    return ThermalRequest(
        fac, 0, cell, rack_power_w=power, time_s=t, unit_flow_scale=units, rack_flow_scale=scale
    )
