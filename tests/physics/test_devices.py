"""GPU and CDU temperatures, throttling and inertia; metric formulas; the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.physics.conftest import ENERGY_TOL
from twin.cli import main
from twin.physics import ThermalModel, devices, metrics
from twin.physics.devices import CP_W, RHO_W

ROOM = """format: twin-layout/1
name: gpus
halls: [{id: H, size_m: [6, 5, 3]}]
rows:
  - id: R
    hall: H
    racks:
      - {id: DGX, position_m: [2.5, 3.2], servers: [{type: dgx-h100, count: 4}]}
      - {id: NVL, type: rack-nvl72, position_m: [3.1, 3.2], servers: [{type: gb200-nvl72}],
         cdu: CDU1}
cooling:
  cdus: [{id: CDU1, type: cdu-inrow-250kw, hall: H, position_m: [4.5, 3.2]}]
  supplies: [{id: T, hall: H, rect_m: [1.8, 1.8, 3.6, 2.6], flow_m3s: 4.0, supply_c: 20}]
  returns: [{id: G, hall: H, rect_m: [1.8, 3.8, 3.6, 4.6]}]
"""


@pytest.fixture
def gpu_model(write_layout):
    fac = write_layout(ROOM)
    return fac, ThermalModel(fac, cell_m=0.25, flow_iterations=8)


def test_gpu_temperature_from_coolant_power_and_resistance(gpu_model):
    fac, model = gpu_model
    res = model.solve()
    air = ~fac.gpu_liquid
    assert air.sum() == 32 and (~air).sum() == 72
    p = devices.gpu_power_from_racks(fac, fac.rack_power_w)
    ok = ~res.gpu_throttled
    expect = res.gpu_coolant_c + fac.gpu_r_th_k_per_w * p
    assert np.allclose(res.gpu_temp_c[ok], expect[ok])
    # air-cooled GPUs breathe the rack inlet air; liquid ones the CDU supply
    r = fac.rack_index["DGX"]
    assert res.gpu_coolant_c[air].min() >= 20.0 - 1e-6
    assert res.gpu_coolant_c[air].max() <= res.rack_inlet_max_c[r] + 1e-6
    assert np.allclose(res.gpu_coolant_c[~air], res.cdu_supply_c[0])
    assert (res.gpu_temp_c <= fac.gpu_slowdown_c + 1e-9).all()


def test_cdu_takes_the_liquid_share(gpu_model):
    fac, model = gpu_model
    res = model.solve()
    r = fac.rack_index["NVL"]
    q = 132e3 * 0.85
    assert res.cdu_load_w[0] == pytest.approx(q)
    assert res.cdu_supply_c[0] == pytest.approx(25.0)
    assert res.cdu_return_c[0] == pytest.approx(25.0 + q / (RHO_W * CP_W * 6.0e-3))
    # the air gets only the rest
    assert res.heat_in_w == pytest.approx(4 * 10.2e3 + 132e3 * 0.15)
    assert res.energy_error < ENERGY_TOL
    rise = res.rack_exhaust_c[r] - res.rack_inlet_mean_c[r]
    assert rise == pytest.approx(132e3 * 0.15 / (1.19 * 1005 * fac.rack_airflow_m3s[r]))


def test_cdu_past_capacity_warms_its_supply(gpu_model):
    fac, _ = gpu_model
    load, sup, ret = devices.cdu_temps(fac, 3 * fac.rack_power_w)  # 337 kW on 250 kW
    mcp = RHO_W * CP_W * 6.0e-3
    assert sup[0] == pytest.approx(25.0 + (load[0] - 250e3) / mcp)
    assert ret[0] == pytest.approx(sup[0] + load[0] / mcp)


def test_a_cdu_that_is_off_removes_nothing(write_layout):
    """An off CDU has no capacity: all its load warms its supply (flow given in the layout)."""
    fac = write_layout(
        ROOM.replace(
            "position_m: [4.5, 3.2]}", "position_m: [4.5, 3.2], state: off, flow_lps: 4.0}"
        )
    )
    load, sup, ret = devices.cdu_temps(fac, fac.rack_power_w)
    mcp = RHO_W * CP_W * 4.0e-3
    assert load[0] == pytest.approx(132e3 * 0.85, rel=1e-12)
    assert sup[0] == pytest.approx(25.0 + load[0] / mcp, rel=1e-12)
    assert ret[0] == pytest.approx(sup[0] + load[0] / mcp, rel=1e-12)


def test_a_what_if_can_turn_a_running_cdu_off(gpu_model):
    """``on`` overrides the layout's states: the running CDU failed removes nothing."""
    fac, _ = gpu_model
    assert fac.cdu_on.all()
    load, sup, ret = devices.cdu_temps(fac, fac.rack_power_w, on=np.array([False]))
    mcp = RHO_W * CP_W * 6.0e-3
    assert sup[0] == pytest.approx(25.0 + load[0] / mcp, rel=1e-12)
    assert ret[0] == pytest.approx(sup[0] + load[0] / mcp, rel=1e-12)
    _, sup_on, _ = devices.cdu_temps(fac, fac.rack_power_w, on=np.array([True]))
    assert sup_on[0] == pytest.approx(25.0)


def test_a_gpu_held_back_by_half_a_watt_counts_as_throttled(gpu_model):
    fac, _ = gpu_model
    # coolant such that slowdown is reached 0.5 W below TDP
    coolant = fac.gpu_slowdown_c - fac.gpu_r_th_k_per_w * (fac.gpu_tdp_w - 0.5)
    p, thr = devices.throttled_power(fac, coolant, fac.gpu_tdp_w)
    np.testing.assert_allclose(p, fac.gpu_tdp_w - 0.5, rtol=1e-12)
    assert thr.all()


def test_throttling_holds_a_gpu_at_slowdown(gpu_model):
    fac, _ = gpu_model
    hot = np.full(fac.n_gpus, 60.0)
    t, thr = devices.gpu_steady_c(fac, hot, fac.gpu_tdp_w)
    h100 = ~fac.gpu_liquid  # 60 + 0.065 * 700 = 105.5 C unthrottled
    assert thr[h100].all()
    assert np.allclose(t[h100], 89.0)
    cool = np.full(fac.n_gpus, 20.0)
    t, thr = devices.gpu_steady_c(fac, cool, fac.gpu_tdp_w)
    assert not thr.any()
    assert np.allclose(t, 20.0 + fac.gpu_r_th_k_per_w * fac.gpu_tdp_w)


def test_gpu_on_coolant_past_slowdown_idles_and_never_draws_negative_power(gpu_model):
    """Coolant at 95 C is past slowdown (89 C): no power holds the GPU there, so it falls back
    to its idle draw (catalog: H100 70 W, GB200 120 W) and runs hot, flagged throttled."""
    fac, _ = gpu_model
    hot = np.full(fac.n_gpus, 95.0)
    p, thr = devices.throttled_power(fac, hot, fac.gpu_tdp_w)
    h100, gb200 = ~fac.gpu_liquid, fac.gpu_liquid
    np.testing.assert_array_equal(p[h100], 70.0)
    np.testing.assert_array_equal(p[gb200], 120.0)
    assert thr.all()
    t, thr = devices.gpu_steady_c(fac, hot, fac.gpu_tdp_w)
    np.testing.assert_allclose(t[h100], 95.0 + 0.065 * 70.0, rtol=1e-12)
    np.testing.assert_allclose(t[gb200], 95.0 + 0.03 * 120.0, rtol=1e-12)
    assert thr.all()
    # a GPU asked for less than idle (an idle job) draws what it is asked, unthrottled
    low = np.full(fac.n_gpus, 50.0)
    p, thr = devices.throttled_power(fac, np.full(fac.n_gpus, 20.0), low)
    np.testing.assert_array_equal(p, 50.0)
    assert not thr.any()


def test_a_gpu_at_slowdown_is_flagged_throttled_while_it_cools(gpu_model):
    """A GPU still at or above slowdown is braking even when its new target is cool."""
    fac, _ = gpu_model
    cool = np.full(fac.n_gpus, 20.0)
    temp = np.where(np.arange(fac.n_gpus) % 2 == 0, 89.0, 88.9)
    t, thr = devices.gpu_step_c(fac, temp, cool, 0.5 * fac.gpu_tdp_w, 1.0)
    np.testing.assert_array_equal(thr, temp >= 89.0)
    assert (t < temp).all()


def test_gpu_inertia_is_first_order(gpu_model):
    fac, _ = gpu_model
    cool = np.full(fac.n_gpus, 20.0)
    start = np.full(fac.n_gpus, 20.0)
    target = 20.0 + fac.gpu_r_th_k_per_w * fac.gpu_tdp_w
    t1, _ = devices.gpu_step_c(fac, start, cool, fac.gpu_tdp_w, float(fac.gpu_tau_s[0]))
    frac = (t1 - start) / (target - start)
    tau = np.where(fac.gpu_liquid, 15.0, 25.0)  # catalog: GB200 15 s, H100 25 s
    np.testing.assert_allclose(frac, 1 - np.exp(-float(fac.gpu_tau_s[0]) / tau), rtol=1e-12)
    # two half steps equal one whole step (exact exponential update)
    a, _ = devices.gpu_step_c(fac, start, cool, fac.gpu_tdp_w, 5.0)
    a, _ = devices.gpu_step_c(fac, a, cool, fac.gpu_tdp_w, 5.0)
    b, _ = devices.gpu_step_c(fac, start, cool, fac.gpu_tdp_w, 10.0)
    assert np.allclose(a, b)


def test_model_step_moves_gpus_with_inertia(gpu_model):
    fac, model = gpu_model
    base = model.solve(0.3 * fac.rack_power_w)
    res = model.step(1.0, fac.rack_power_w)
    assert (res.gpu_temp_c > base.gpu_temp_c).all()
    steady = model.solve(fac.rack_power_w)
    assert (res.gpu_temp_c < steady.gpu_temp_c).all()


def test_metric_formulas():
    t = np.array([20.0, 29.0, 33.0, 16.0])
    assert metrics.ashrae_a1(t).tolist() == [0, 1, 2, 1]
    # RCI_HI: (29-27) + (33-27) over (32-27) * 4
    assert metrics.rci_hi(t) == pytest.approx((1 - 8 / 20) * 100)
    assert metrics.rci_lo(t) == pytest.approx((1 - 2 / 12) * 100)
    assert metrics.rci_hi(np.array([20.0, 25.0])) == 100.0
    # RTI: return-supply over flow-weighted rack rise
    assert metrics.rti(30.0, 18.0, [20, 20], [32, 32], [1, 1]) == pytest.approx(100.0)
    shi, rhi = metrics.shi_rhi(18.0, [20, 22], [30, 34], [1.0, 1.0])
    assert shi == pytest.approx(6 / 28) and rhi == pytest.approx(22 / 28)
    # racks that add no heat (a hall at zero power): undefined, not ratios of round-off
    for rise in (0.0, 1e-9, 9e-4):
        shi, rhi = metrics.shi_rhi(18.0, [18.0 + 1e-12, 18.0], [18.0 + rise, 18.0 + rise], [1, 1])
        assert np.isnan(shi) and np.isnan(rhi)
    shi, rhi = metrics.shi_rhi(18.0, [18.0, 18.0], [18.0011, 18.0011], [1.0, 1.0])
    assert shi == pytest.approx(0.0) and rhi == pytest.approx(1.0)
    # RTI likewise (a hall at zero power read 336 %): n/a below a 1 mK mean rise
    for rise in (0.0, 1e-9, 9e-4):
        assert np.isnan(metrics.rti(18.0 + 3e-6, 18.0, [18.0, 18.0], [18 + rise] * 2, [1, 1]))
    assert metrics.rti(18.0011, 18.0, [18.0, 18.0], [18.0011, 18.0011], [1, 1]) == pytest.approx(
        100.0
    )


def test_cli_json(capsys):
    assert main(["thermal", "layouts/test-room.yaml", "--json", "--cell", "0.25"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"racks", "return_mean_c", "balance", "metrics", "grid", "seconds"} <= set(data)
    assert len(data["racks"]) == 12
    assert set(data["racks"][0]) >= {
        "id",
        "power_kw",
        "airflow_m3s",
        "inlet_mean_c",
        "inlet_max_c",
        "exhaust_mean_c",
    }
    assert set(data["balance"]) >= {"heat_in_kw", "heat_out_kw", "error"}
    assert data["balance"]["error"] < 0.01
    assert set(data["metrics"]) == {"rci_hi", "rci_lo", "rti", "shi", "rhi"}
    assert data["grid"]["shape"] == [48, 36, 14] and data["grid"]["cell_m"] == 0.25


def test_cli_at_zero_heat_says_so_instead_of_a_share(capsys, tmp_path):
    """A hall whose racks draw no power: the balance error is watts against nothing, and
    RTI, SHI and RHI are undefined (they read 1.85e-02, 336 %, 1.554 and -0.554)."""
    room = Path("layouts/test-room.yaml").read_text().replace("power_kw: 20", "power_kw: 0")
    path = tmp_path / "cold.yaml"
    path.write_text(room)
    assert main(["thermal", str(path), "--cell", "0.25"]) == 0
    out = capsys.readouterr().out
    balance = next(line for line in out.splitlines() if "heat in" in line)
    assert re.fullmatch(r".*heat in 0\.0 kW, out 0\.0 kW \(no heat: [0-9.e+-]+ W\)", balance)
    assert "RTI     n/a %  SHI     n/a  RHI     n/a" in out
    assert main(["thermal", "layouts/test-room.yaml", "--cell", "0.25"]) == 0
    assert re.search(
        r"heat in 240\.0 kW, out 240\.0 kW \(error \d\.\d\de-\d\d\)", capsys.readouterr().out
    )


def test_cli_table_and_errors(capsys, tmp_path):
    path = tmp_path / "room.yaml"
    path.write_text(ROOM)
    assert main(["thermal", str(path), "--cell", "0.25", "--hall", "H"]) == 0
    out = capsys.readouterr().out
    assert "DGX" in out and "RCI_HI" in out and "CDU CDU1" in out
    assert main(["thermal", "layouts/test-room.yaml", "--fail", "CRAH-9"]) == 2  # a bad option
    assert "--fail: no air unit or CDU CRAH-9" in capsys.readouterr().err
    assert main(["thermal", "layouts/test-room.yaml", "--hall", "NOPE"]) == 2
    assert main(["thermal", str(tmp_path / "missing.yaml")]) == 2


@pytest.fixture
def no_solving(monkeypatch):
    """Any solve that starts fails the test: bad options are refused first."""
    import twin.physics
    import twin.physics.factory

    def solve(*args, **kwargs):
        raise AssertionError("a solve started")

    monkeypatch.setattr(twin.physics, "solve_steady", solve)
    monkeypatch.setattr(twin.physics.factory, "solve_halls", solve)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--cell", "nan"], "--cell must be a number from 0.05 to 1 m"),
        (["--cell", "0"], "--cell must be a number from 0.05 to 1 m"),
        (["--cell", "5"], "--cell must be a number from 0.05 to 1 m"),
        (["--fail", "CRAH-9"], "--fail: no air unit or CDU CRAH-9"),
        (["--all", "--jobs", "0"], "--jobs must be a whole number from 1"),
        (["--all", "--jobs", "-3"], "--jobs must be a whole number from 1"),
        (["--all", "--coarse", "nan"], "--coarse must be a number from 0.05 to 1 m"),
        (["--all", "--coarse", "0.01"], "--coarse must be a number from 0.05 to 1 m"),
        (["--all", "--coarse", "0.1"], "no hall's cell is finer than --coarse 0.1"),
        (["--all", "--cell", "0.5", "--coarse", "0.4"], "no hall's cell is finer"),
        (["--jobs", "4"], "--jobs goes with --all"),
        (["--coarse", "0.5"], "--coarse goes with --all"),
    ],
)
def test_cli_refuses_bad_options_with_exit_2(no_solving, capsys, args, says):
    """``--all --jobs 0`` was taken, ``--coarse nan`` or ``0.01`` skipped the first pass
    without a word, and a bad ``--cell`` exited 1 like a failed solve."""
    assert main(["thermal", "layouts/test-room.yaml", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin thermal: ") and err.count("\n") == 1 and says in err
