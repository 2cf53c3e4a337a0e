"""Implicit (BDF2) transient steps and the GPU governor, against the explicit stepper and
closed-form answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.physics.governors import h100_governor
from twin.model.loader import load_layout
from twin.physics import ThermalModel
from twin.physics.heat import HeatState
from twin.physics.ridethrough import GpuGovernor
from twin.physics.transient import ImplicitStepper

HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"


@pytest.fixture(scope="module")
def tripped():
    """The small hall at its nominal steady state, then CRAH-1 stopped (air kept)."""
    fac = load_layout(HALL)
    model = ThermalModel(fac, 0, 0.4)
    model.solve()
    model.set_failed(["CRAH-1"])
    return fac, model


def test_bdf2_follows_the_explicit_transient(tripped):
    fac, model = tripped
    hm, s0 = model.heat, model.state
    air = fac.air_heat_w()
    t = s0.t_cells.copy()
    for _ in range(30):  # 60 s at the explicit stepper's stability limit
        t = hm.step(t, air, 2.0)
    ref = hm.W_rack @ t
    rise = ref - hm.W_rack @ s0.t_cells
    assert rise.max() > 5.0  # a real transient: the inlets warm by kelvins in a minute

    stepper = ImplicitStepper(hm, 2.0)
    s = s0
    for _ in range(30):
        s, _ = stepper.step(s, air)
    err = np.abs(hm.W_rack @ s.t_cells - ref)
    assert err.max() < 0.05 * rise.max()


def test_each_step_conserves_energy(tripped):
    """Heat stored in the air over a step = rack heat in - what the returns take out."""
    fac, model = tripped
    hm, s0 = model.heat, model.state
    air = fac.air_heat_w()
    dt = 5.0
    stepper = ImplicitStepper(hm, dt)  # first step: backward Euler
    s1, _ = stepper.step(s0, air)
    stored_w = hm.rho_cp * hm.volume * float((s1.t_cells - s0.t_cells).sum()) / dt
    heat_in, heat_out = hm.balance(s1.t_cells, s1.t_src, air)
    assert abs(heat_in - heat_out) > 0.2 * heat_in  # the hall is storing heat
    assert stored_w == pytest.approx(heat_in - heat_out, rel=2e-3)


def test_no_change_stays_at_the_steady_state():
    fac = load_layout(HALL)
    model = ThermalModel(fac, 0, 0.4)
    res = model.solve()
    stepper = ImplicitStepper(model.heat, 30.0)
    s = model.state
    for _ in range(4):
        s, info = stepper.step(s, fac.air_heat_w())
    assert not info.at_cap.any()
    inlet = model.heat.W_rack @ s.t_cells
    np.testing.assert_allclose(inlet, res.rack_inlet_mean_c[res.grid.rack_ids], atol=1e-3)


def _gov(n: int, temp_c: float) -> GpuGovernor:
    return h100_governor([temp_c] * n)


def test_governor_slowdown_time_is_the_closed_form():
    gov = _gov(1, 60.0)
    coolant, power = np.array([45.0]), np.array([700.0])  # target 45 + 45.5 = 90.5 C
    target = 45.0 + 0.065 * 700.0
    expected = 25.0 * np.log((target - 60.0) / (target - 89.0))  # ~74 s
    first = np.inf
    for k in range(20):
        drawn, t_slow, _ = gov.step(coolant, power, 10.0)
        if np.isfinite(t_slow[0]) and np.isinf(first):
            first = k * 10.0 + t_slow[0]
    assert first == pytest.approx(expected, rel=1e-9)
    # held at slowdown by cutting power to (89 - 45) / 0.065 W
    assert gov.temp_c[0] == pytest.approx(89.0, abs=1e-6)
    assert drawn[0] == pytest.approx(44.0 / 0.065)


def test_governor_shuts_down_when_idle_cannot_hold():
    gov = _gov(1, 89.0)  # at slowdown already
    coolant = np.array([88.0])  # idle target 88 + 4.55 = 92.55 C > shutdown
    target = 88.0 + 0.065 * 70.0
    expected = 25.0 * np.log((target - 89.0) / (target - 92.0))
    first = np.inf
    for k in range(40):
        drawn, _, t_shut = gov.step(coolant, np.array([700.0]), 5.0)
        if np.isfinite(t_shut[0]) and np.isinf(first):
            first = k * 5.0 + t_shut[0]
    assert first == pytest.approx(expected, rel=1e-9)
    assert gov.off[0] and drawn[0] == 0.0
    assert gov.temp_c[0] < 92.0  # switched off, cooling towards the coolant


def test_governor_releases_when_the_coolant_recovers():
    gov = _gov(1, 89.0)
    gov.step(np.array([50.0]), np.array([700.0]), 10.0)  # held: 50 + 0.065 * 600 = 89
    drawn, _, _ = gov.step(np.array([30.0]), np.array([700.0]), 100.0)
    assert drawn[0] == pytest.approx(700.0)  # cool again: full power
    assert gov.temp_c[0] < 89.0
    drawn, t_slow, _ = gov.step(np.array([30.0]), np.array([700.0]), 100.0)
    assert np.isinf(t_slow[0]) and drawn[0] == pytest.approx(700.0)


def test_heatstate_start_for_other_failures_has_same_cells(tripped):
    """Failing a unit keeps the air cells: a baseline's temperatures map one to one."""
    fac, model = tripped
    base = ThermalModel(fac, 0, 0.4)
    assert base.heat.n == model.heat.n
    assert isinstance(model.state, HeatState)
