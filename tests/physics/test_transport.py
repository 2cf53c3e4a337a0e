"""Transport checks with known answers: a uniform duct, 1-D advection-diffusion, transients."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.physics.conftest import aisle_room
from twin.physics import ThermalModel
from twin.physics.heat import PR_T, HeatModel, HeatState


def duct(height: float = 4.0, flow: float = 0.8, supply_c: float = 20.0) -> str:
    """An empty vertical duct: the whole floor supplies, the whole ceiling returns."""
    return f"""format: twin-layout/1
name: duct
halls: [{{id: D, size_m: [2, 2, {height}]}}]
cooling:
  supplies: [{{id: IN, hall: D, rect_m: [0, 0, 2, 2], flow_m3s: {flow}, supply_c: {supply_c}}}]
  returns: [{{id: OUT, hall: D, rect_m: [0, 0, 2, 2]}}]
"""


def test_uniform_duct_flow_gives_uniform_fields(write_layout):
    fac = write_layout(duct())
    model = ThermalModel(fac, cell_m=0.25, flow_cell_m=0.25)
    res = model.solve()
    u, v, w = res.velocity
    # uniform to 0.1 % (the loose per-step projections leave round-off-level swirl)
    assert np.allclose(w, 0.8 / 4.0, rtol=1e-3)
    assert np.abs(u).max() < 2e-4 and np.abs(v).max() < 2e-4
    assert np.allclose(res.air_c, 20.0, atol=1e-6)
    assert res.mass_error < 1e-6


def test_1d_advection_diffusion_matches_analytic(write_layout):
    """A temperature step entering a uniform duct through a flux (third-type) inlet, against
    van Genuchten & Alves (1982, solution A2):
    C/C0 = 1/2 erfc(a) + sqrt(U^2 t / (pi D)) exp(-a^2)
           - 1/2 (1 + U z / D + U^2 t / D) exp(U z / D) erfc(b),
    a = (z - U t) / (2 sqrt(D t)), b = (z + U t) / (2 sqrt(D t)), with D the physical
    diffusivity plus first-order upwind's own, U h / 2 (1 - U dt / h)."""
    h, area, flow, kappa = 0.1, 1.0, 0.1, 0.02
    text = duct(height=6.0, flow=flow, supply_c=28.0).replace("[2, 2, 6.0]", "[1, 1, 6.0]")
    text = text.replace("[0, 0, 2, 2]", "[0, 0, 1, 1]")
    fac = write_layout(text)
    model = ThermalModel(fac, cell_m=h, flow_cell_m=h, flow_iterations=0, buoyancy=False)
    model.flow.nu_t[:] = (kappa - 2.2e-5) * PR_T  # a uniform diffusivity kappa
    model.heat = HeatModel(fac, model.grid, model.flow)
    hm = model.heat
    t_end = 25.0
    t = hm.step(np.full(hm.n, 18.0), fac.air_heat_w(), t_end)
    z = (np.arange(model.grid.shape[2]) + 0.5) * h
    col = np.full(model.grid.n_cells, np.nan)
    col[hm.cells] = t
    col = col.reshape(model.grid.shape).mean(axis=(0, 1))
    U = flow / area
    n_sub = math.ceil(t_end / hm.dt_stable - 1e-9)
    d = kappa + U * h / 2 * (1 - U * (t_end / n_sub) / h)
    s = 2 * math.sqrt(d * t_end)
    from scipy.special import erfc

    a = (z - U * t_end) / s
    b = (z + U * t_end) / s
    c = (
        0.5 * erfc(a)
        + math.sqrt(U * U * t_end / (math.pi * d)) * np.exp(-a * a)
        - 0.5 * (1 + U * z / d + U * U * t_end / d) * np.exp(U * z / d) * erfc(b)
    )
    exact = 18.0 + 10.0 * c
    assert np.abs(col - exact).max() < 0.05, np.c_[z, col, exact][:40]
    # and the front has moved U t: the 50 % point within a cell of 2.5 m
    z50 = np.interp(23.0, col[::-1], z[::-1])
    assert z50 == pytest.approx(U * t_end, abs=h)


def test_transient_settles_on_the_steady_state(write_layout):
    fac = write_layout(aisle_room(tile_flow=7.5))
    model = ThermalModel(fac, cell_m=0.25, buoyancy=False)
    p2 = 1.5 * fac.rack_power_w
    target = model.solve(p2)  # same model, same flow
    base = model.solve()
    # a steady state is a fixed point of the step
    again = model.step(5.0)
    assert np.allclose(again.rack_inlet_mean_c, base.rack_inlet_mean_c, atol=1e-6)
    # step up the load: the air warms towards the new steady state, never past it
    prev = base.rack_inlet_mean_c
    for _ in range(10):
        res = model.step(30.0, p2)
        assert (res.rack_inlet_mean_c >= prev - 1e-6).all()
        assert (res.rack_inlet_mean_c <= target.rack_inlet_mean_c + 1e-6).all()
        prev = res.rack_inlet_mean_c
    assert np.allclose(res.rack_inlet_mean_c, target.rack_inlet_mean_c, atol=0.05)
    assert res.energy_error < 0.01  # nearly settled: what goes in comes out
    assert model.heat.dt_stable > 0


def test_step_sub_steps_are_stable_for_long_frames(write_layout):
    fac = write_layout(aisle_room(tile_flow=7.5))
    model = ThermalModel(fac, cell_m=0.25, flow_iterations=4, buoyancy=False)
    model.solve()
    model.state = HeatState(np.full(model.heat.n, 18.0), model.state.t_src)
    res = model.step(120.0)
    fl = res.air_c[res.grid.fluid]
    assert np.isfinite(fl).all()
    assert fl.min() >= 18.0 - 1e-9
    assert fl.max() <= np.nanmax(res.rack_exhaust_c) + 1e-9
