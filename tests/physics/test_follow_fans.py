"""Following telemetry with measured fan flows: a flow change beyond ``FLOW_RESOLVE_FRACTION``
of rated re-solves the hall's airflow with the measured fan speeds and the heat steps on
through the new field; a smaller wobble only steps the heat. Solves are counted by the
solver's own counters (``HallSolver.flow_solves``, ``ThermalModel.flow_solves``)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.physics.test_hall_jobs import CELL_M, TWO_CRAHS
from twin.physics.fan_follow import (
    FLOW_RESOLVE_FRACTION,
    followed_flow_scale,
    measured_flow_scale,
)
from twin.physics.hall_jobs import HallSolver, ThermalRequest
from twin.physics.model import solve_steady
from twin.physics.solver_service import CancelToken

#: seconds between the frames of the test: long, so a few frames settle the hall's air
FRAME_S = 600.0


def test_the_measured_scale_is_flow_over_rated_and_unread_units_keep_theirs(write_layout):
    fac = write_layout(TWO_CRAHS)
    rated = fac.air_unit_airflow_m3s
    scale = measured_flow_scale(fac, [0.6 * rated[0], np.nan])
    np.testing.assert_allclose(scale, [0.6, np.nan])
    assert measured_flow_scale(fac, None) is None
    assert measured_flow_scale(fac, [1.0]) is None  # not one per unit
    units = np.arange(2)
    assert followed_flow_scale(None, np.array([1.02, np.nan]), units) == (None, False)
    solved = np.array([0.6, 1.0])
    same, moved = followed_flow_scale(solved, np.array([0.6 + 0.049, 1.0]), units)
    assert same is solved and not moved
    new, moved = followed_flow_scale(solved, np.array([0.6 + 0.051, np.nan]), units)
    assert moved
    np.testing.assert_allclose(new, [0.651, 1.0])
    # a unit of another hall moving does not re-solve this one
    assert followed_flow_scale(solved, np.array([0.6, 0.5]), units[:1]) == (solved, False)


def _frame(fac, t: float, flows: np.ndarray) -> ThermalRequest:
    return ThermalRequest(
        fac,
        0,
        CELL_M,
        rack_power_w=fac.rack_power_w,
        time_s=t,
        unit_flow_scale=measured_flow_scale(fac, flows),
    )


@pytest.mark.slow
def test_a_crah_measured_at_60_percent_warms_the_racks_and_a_wobble_does_not_resolve(
    write_layout,
):
    fac = write_layout(TWO_CRAHS)
    rated = fac.air_unit_airflow_m3s.astype(float)
    solver, token = HallSolver(), CancelToken()
    first = solver.run(_frame(fac, 0.0, rated), token)
    assert first.new_model and solver.flow_solves == 1
    before = first.result.rack_inlet_mean_c.copy()

    # a 2 % wobble, frame after frame: heat steps only, the same field
    flow = solver.model.flow
    for k in range(1, 5):
        wobble = rated * (1 + 0.02 * (-1) ** k)
        ans = solver.run(_frame(fac, k * FRAME_S, wobble), token)
        assert ans.stepped
    assert solver.flow_solves == 1 and solver.model.flow is flow and solver.steps == 4

    # CRAH-2 drops to 60 % of rated: one re-solve, and the air warms frame by frame
    dropped = rated * np.array([1.0, 0.6])
    t, inlets = 5 * FRAME_S, []
    for k in range(6):
        wobble = dropped * (1 + 0.02 * (-1) ** k)  # still wobbling, around the new speed
        ans = solver.run(_frame(fac, t + k * FRAME_S, wobble), token)
        assert ans.stepped
        inlets.append(ans.result.rack_inlet_mean_c)
    assert solver.flow_solves == 2
    np.testing.assert_allclose(solver.model.unit_flow_scale, [1.02, 0.612])

    # the independent path: a fresh steady solve with the fans at the scale of that frame
    target = solve_steady(fac, 0, CELL_M, unit_flow_scale=np.array([1.02, 0.612]))
    racks = fac.rack_hall == 0
    rise = (target.rack_inlet_mean_c - before)[racks]
    assert rise.max() > 0.4  # the hall has less air: the racks it feeds take in warmer air
    followed = inlets[-1][racks]
    np.testing.assert_allclose(followed, target.rack_inlet_mean_c[racks], atol=0.05)
    warmed = rise > 0.2
    assert (inlets[0][racks][warmed] > before[racks][warmed]).all()  # on the way up already
    assert (followed[warmed] >= inlets[0][racks][warmed] - 1e-3).all()


def test_a_drop_beyond_the_threshold_but_not_a_wobble_moves_the_fans(write_layout):
    """The threshold itself, on the model the solver keeps: 5 % of rated and a little more."""
    assert FLOW_RESOLVE_FRACTION == pytest.approx(0.05)
    fac = write_layout(TWO_CRAHS)
    rated = fac.air_unit_airflow_m3s.astype(float)
    solver, token = HallSolver(), CancelToken()
    solver.run(_frame(fac, 0.0, rated), token)
    solver.run(_frame(fac, 10.0, rated * [1.0, 0.955]), token)
    assert solver.flow_solves == 1 and solver.model.unit_flow_scale is None
    solver.run(_frame(fac, 20.0, rated * [1.0, 0.94]), token)
    assert solver.flow_solves == 2
    np.testing.assert_allclose(solver.model.unit_flow_scale, [1.0, 0.94])
