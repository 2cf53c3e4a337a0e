"""The implicit heat step ``follow`` takes per telemetry frame: its shifted multigrid is the
Galerkin hierarchy of the frame's matrix, its loose tolerance stays within a few mK of a
converged step, it converges to the explicit transient at first order as the frame shrinks,
and ``follow`` picks it only where it is estimated to cost less than the explicit sub-steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from tests.physics.conftest import aisle_room
from twin.model.loader import load_layout
from twin.physics import ThermalModel
from twin.physics.amg import shifted
from twin.physics.frame_step import EXPECTED_ITERATIONS, explicit_work
from twin.physics.model import FOLLOW_STEADY_TOL, FOLLOW_TOL

SMALL_HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"


@pytest.fixture(params=[0.25, 0.5], ids=["multigrid", "direct"])
def model(request, write_layout):
    fac = write_layout(aisle_room(tile_flow=7.5))
    m = ThermalModel(fac, cell_m=request.param, buoyancy=False)
    m.solve()
    return m


@pytest.mark.parametrize("model", [0.25], ids=["multigrid"], indirect=True)
def test_shifted_hierarchy_is_the_galerkin_hierarchy_of_the_shifted_matrix(model):
    heat = model.heat
    assert heat._ml is not None
    rng = np.random.default_rng(3)
    shift = rng.uniform(0.0, 1e-2, heat._M.shape[0])
    fine = (heat._M + sp.diags(shift)).tocsr()
    ml = shifted(heat._ml, fine, shift)
    assert ml.levels[0].A is fine
    expect = fine
    for lvl, new in zip(heat._ml.levels[:-1], ml.levels[1:], strict=True):
        expect = (lvl.R @ expect @ lvl.P).tocsr()
        diff = abs(new.A - expect).max()
        assert diff <= 1e-12 * abs(expect).max()


def test_a_loose_frame_stays_within_millikelvin_of_a_converged_step(model):
    heat, s0 = model.heat, model.state
    air_w = model.facility.air_heat_w(1.5 * model.facility.rack_power_w)
    dt = 100 * heat.dt_stable
    tight = heat.step_implicit(s0, air_w, dt, tol=1e-12)
    loose = heat.step_implicit(s0, air_w, dt, FOLLOW_TOL, FOLLOW_STEADY_TOL)
    change = np.abs(tight.t_cells - s0.t_cells).max()
    assert change > 3.0  # a real transient: the racks' heat went up by half
    # multigrid: 2.0e-3 K after two BiCGSTAB iterations; direct: exact
    assert np.abs(loose.t_cells - tight.t_cells).max() < 3e-3
    # and it stores exactly what comes in less what goes out: the residual left is moved
    # off the energy balance (a uniform shift far below the tolerance's kelvins)
    heat_in, heat_out = heat.balance(loose.t_cells, loose.t_src, air_w)
    stored_w = heat.stored_w(s0.t_cells, loose.t_cells, dt)
    assert abs(heat_in - heat_out - stored_w) < 1e-9 * heat_in


def test_implicit_steps_converge_to_the_explicit_transient_at_first_order(model):
    """Backward Euler lags the explicit (stability-limited, so fine-stepped) transient by an
    error proportional to its step: halving the step about halves the mean error (the ratio
    tends to 2 from below as the step shrinks)."""
    heat, s0 = model.heat, model.state
    air_w = model.facility.air_heat_w(1.5 * model.facility.rack_power_w)
    dt = 100 * heat.dt_stable
    ref = s0.t_cells
    for _ in range(400):  # a quarter of the stability limit: its own error is negligible
        ref = heat.step(ref, air_w, dt / 400)
    errors = []
    for k in (1, 2, 4, 8):
        x = s0
        for _ in range(k):
            x = heat.step_implicit(x, air_w, dt / k, tol=1e-12)
        errors.append(np.abs(x.t_cells - ref).mean())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert ((ratios > 1.45) & (ratios < 2.05)).all(), ratios


def test_follow_takes_the_cheaper_path(model):
    heat = model.heat
    short, long = 2 * heat.dt_stable, 1000 * heat.dt_stable
    assert not model.follow_implicit(short)
    assert model.follow_implicit(long)
    # the estimates: explicit grows with the frame, implicit does not
    assert explicit_work(heat, long) == pytest.approx(500 * explicit_work(heat, short))
    work = heat.implicit_stepper().work()
    model.follow(long, 1.5 * model.facility.rack_power_w)
    if heat._ml is not None:
        its = heat.implicit_stepper().last_iterations
        assert its >= 0.5
        assert heat.implicit_stepper().work() == pytest.approx(work * its / EXPECTED_ITERATIONS)


def test_after_a_fan_change_follow_steps_from_the_kept_temperatures():
    """``set_failed`` keeps the air temperatures; ``follow`` then steps the transient
    implicitly from them (no jump to the new steady state) and conserves energy."""
    fac = load_layout(SMALL_HALL)
    model = ThermalModel(fac, 0, 0.4)
    model.solve()
    before = model.state.t_cells.copy()
    model.set_failed(["CRAH-1"])
    assert model.heat._aug_key is None
    dt = 10.0
    assert model.follow_implicit(dt) is False  # no steady matrix yet: follow builds it
    res = model.follow(dt)
    assert model.heat._aug_key is not None
    heat = model.heat
    stored_w = heat.rho_cp * heat.volume * (model.state.t_cells - before).sum() / dt
    assert stored_w == pytest.approx(res.heat_in_w - res.heat_out_w, rel=1e-3)
    steady = ThermalModel(fac, 0, 0.4, failed=["CRAH-1"]).solve()
    # one 10 s frame of the transient, far from the warmer steady state it heads for
    gap = steady.rack_inlet_mean_c - res.rack_inlet_mean_c
    assert np.nanmax(gap) > 1.0
