"""A rack whose fans move less air than its heat needs (a failed fan reading, a blocked
front) sends hotter air past its GPUs: the rise above its nominal one reaches them. One that
moves no air at all cannot cool them: they end throttled, at their shutdown temperature.
Before, a rack at 5 % of its airflow had an exhaust of 259 C and GPUs at 65 C, and one whose
fans stopped read 45 C, the coolest GPUs of the hall (cooled by 0 C air)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.physics import ThermalModel
from twin.physics.devices import gpu_uncooled_c

DEMO = Path(__file__).resolve().parents[2] / "layouts" / "demo-air-hall.yaml"


@pytest.fixture(scope="module")
def demo():
    return load_layout(DEMO)


def _solve(fac, share: float):
    scale = np.full(fac.n_racks, np.nan)
    scale[0] = share  # A01's server fans at this share of its rated airflow
    return ThermalModel(fac, 0, 0.25, rack_flow_scale=scale).solve()


def test_a_rack_that_moves_no_air_leaves_its_gpus_at_shutdown(demo):
    res = _solve(demo, 0.0)
    mine = demo.gpu_rack == 0
    assert mine.sum() == 32
    assert np.array_equal(res.gpu_temp_c[mine], demo.gpu_shutdown_c[mine])
    assert res.gpu_throttled[mine].all()
    others = (demo.gpu_rack != 0) & (demo.gpu_hall == 0)
    assert np.nanmax(res.gpu_temp_c[others]) < demo.gpu_shutdown_c[others].min()


def test_a_starved_rack_s_extra_rise_reaches_its_gpus(demo):
    """At 5 % of its airflow A01's 40.8 kW heat its air by 20 times its nominal 12.1 K: the
    228 K beyond it is added to the air its GPUs see, derived here from the energy balance
    (exhaust minus inlet) and the catalog's rating."""
    res = _solve(demo, 0.05)
    air = demo.layout.air
    rho_cp = air.density_kg_m3 * air.cp_j_kgk
    nominal_k = demo.air_heat_w()[0] / (rho_cp * demo.rack_airflow_m3s[0])
    rise_k = res.rack_exhaust_c[0] - res.rack_inlet_mean_c[0]
    assert rise_k == pytest.approx(nominal_k / 0.05, rel=1e-6)
    mine = demo.gpu_rack == 0
    inlet = res.gpu_coolant_c[mine] - (rise_k - nominal_k)
    # what is left is the inlet air at each GPU's height: supply or warmer, not past the
    # rack's warmest inlet cell
    assert inlet.min() >= res.supply_mean_c - 1e-6
    assert inlet.max() <= res.rack_inlet_max_c[0] + 1e-9
    assert res.gpu_throttled[mine].all()


def test_racks_at_their_nominal_rise_see_their_inlet_air(demo):
    """At rated flows and nominal powers no rack falls short: every GPU's coolant is its
    inlet air, between the supply and its rack's warmest inlet cell."""
    res = ThermalModel(demo, 0, 0.25).solve()
    inside = demo.gpu_hall == 0
    rack = demo.gpu_rack[inside]
    coolant = res.gpu_coolant_c[inside]
    assert (coolant <= res.rack_inlet_max_c[rack] + 1e-9).all()
    assert (coolant >= res.supply_mean_c - 1e-6).all()


def test_gpus_whose_rack_stops_moving_air_warm_at_their_own_heat_capacity(demo):
    """In a transient they do not jump to shutdown: A01's fans stop (a reading of zero) and
    its GPUs' heat goes into their own capacity, tau / r_th, at full power below slowdown
    (an H100: 700 W into 25 s / 0.065 K/W = 385 J/K, 1.8 K a second; from the catalog
    here), then at idle past it (70 W: 0.18 K a second), up to shutdown within a minute."""
    model = ThermalModel(demo, 0, 0.25)
    before = model.solve().gpu_temp_c.copy()
    mine = demo.gpu_rack == 0
    stopped = np.full(demo.n_racks, np.nan)
    stopped[0] = 0.0
    model.set_failed((), rack_flow_scale=stopped)
    capacity_j_k = demo.gpu_tau_s[mine] / demo.gpu_r_th_k_per_w[mine]
    after = model.step(2.0)
    want = before[mine] + demo.gpu_tdp_w[mine] * 2.0 / capacity_j_k
    assert (want < demo.gpu_slowdown_c[mine]).all()
    assert after.gpu_temp_c[mine] == pytest.approx(want, rel=1e-12)
    assert not after.gpu_throttled[mine].any()
    later = model.step(60.0)
    assert np.array_equal(later.gpu_temp_c[mine], demo.gpu_shutdown_c[mine])
    assert later.gpu_throttled[mine].all()


def test_an_uncooled_gpu_past_slowdown_warms_at_idle(demo):
    """Throttling cannot hold a GPU that nothing cools: from slowdown up (89 C for an H100,
    the threshold itself included) it draws idle power (70 W) and warms at that rate; below
    it, at its power."""
    g = np.flatnonzero(demo.gpu_rack == 0)[:3]  # one GPU each below, at and past slowdown
    capacity_j_k = demo.gpu_tau_s[g] / demo.gpu_r_th_k_per_w[g]
    slow = demo.gpu_slowdown_c[g]
    temp = demo.gpu_slowdown_c - 5.0
    temp[g] = [slow[0] - 5.0, slow[1], slow[2] + 1.0]
    warmed, throttled = gpu_uncooled_c(demo, temp, demo.gpu_tdp_w, 1.0)
    power = np.array([demo.gpu_tdp_w[g[0]], demo.gpu_idle_w[g[1]], demo.gpu_idle_w[g[2]]])
    assert warmed[g] == pytest.approx(temp[g] + power / capacity_j_k, rel=1e-12)
    assert throttled[g].tolist() == [False, True, True]
