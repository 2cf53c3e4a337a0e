"""The ride-through governor's edges and the inlet probe, by hand: a GPU reading the air at its
own height, one reaching slowdown mid-step and governed for the rest of it, one at its
shutdown temperature, one already off, and the governor built from a facility."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.physics.governors import h100_governor
from twin.model.loader import load_layout
from twin.physics import ThermalModel
from twin.physics.ridethrough import GpuGovernor, InletProbe

HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"


def test_gpus_read_the_air_at_their_own_height():
    """A field equal in each layer of cells to that layer's index: every GPU reads its own
    layer, floor(z / cell), wherever its rack's front draws air at that height."""
    fac = load_layout(HALL)
    heat = ThermalModel(fac, 0, 0.4).heat
    probe = InletProbe(fac, heat)
    layer = np.unravel_index(heat.cells, heat.grid.shape)[2].astype(float)
    mean, top = probe.rack_inlets_c(layer)
    air = probe.gpu_air_c(layer, mean)
    z = fac.gpu_position_m[probe.gpus, 2]
    np.testing.assert_array_equal(air, np.floor(z / 0.4))
    assert sorted(set(air.tolist())) == [0.0, 1.0, 2.0, 3.0]  # four servers a rack, 0.28-1.34 m
    # the front's hottest cell is its top layer; its flow-weighted mean lies between
    rack_h = float(fac.rack_size_m[0, 2])
    assert (top == np.floor(rack_h / 0.4 - 1e-9)).all()
    assert (mean > 0.0).all() and (mean < top).all()
    # air the same everywhere is read as it is
    same = np.full(heat.n, 21.5)
    m, t = probe.rack_inlets_c(same)
    np.testing.assert_allclose(m, 21.5, rtol=1e-12)
    assert (t == 21.5).all()
    np.testing.assert_allclose(probe.gpu_air_c(same, m), 21.5, rtol=1e-12)


def test_slowdown_reached_mid_step_is_governed_for_the_rest_of_it():
    # 80 C over 88 C coolant at 700 W (target 133.5 C): slowdown after 25 ln(53.5 / 44.5) s;
    # then idle (70 W) aims at 92.55 C, past shutdown, reached 25 ln(3.55 / 0.55) s later
    gov = h100_governor([80.0])
    coolant, demand = np.array([88.0]), np.array([700.0])
    t_slow = 25.0 * np.log(53.5 / 44.5)
    t_shut = 25.0 * np.log(3.55 / 0.55)
    assert t_slow < 50.0 < t_slow + t_shut
    power, slow, shut = gov.step(coolant, demand, 50.0)
    assert slow[0] == pytest.approx(t_slow, rel=1e-12)
    assert np.isinf(shut[0]) and not gov.off[0] and power[0] == pytest.approx(70.0)
    end = 92.55 - 3.55 * np.exp(-(50.0 - t_slow) / 25.0)
    assert gov.temp_c[0] == pytest.approx(end, rel=1e-12)
    _, _, shut = gov.step(coolant, demand, 50.0)
    assert 50.0 + shut[0] == pytest.approx(t_slow + t_shut, rel=1e-12) and gov.off[0]


def test_a_gpu_at_its_shutdown_temperature_shuts_down_at_once():
    gov = h100_governor([92.0])
    power, slow, shut = gov.step(np.array([30.0]), np.array([700.0]), 10.0)
    # even though its cool coolant would let it hold: it has reached the threshold
    assert shut[0] == 0.0 and gov.off[0] and power[0] == 0.0
    assert slow[0] == 0.0


def test_a_gpu_already_off_crosses_nothing():
    gov = h100_governor([60.0])
    gov.off[0] = True
    power, slow, shut = gov.step(np.array([120.0]), np.array([700.0]), 60.0)
    # it warms with its air past slowdown, but an off GPU neither throttles nor shuts down
    assert gov.temp_c[0] > 89.0
    assert np.isinf(slow[0]) and np.isinf(shut[0]) and power[0] == 0.0


def test_the_governor_from_a_facility():
    fac = SimpleNamespace(
        gpu_tau_s=np.array([0.0, 0.5, 25.0]),
        gpu_r_th_k_per_w=np.array([0.05, 0.06, 0.07]),
        gpu_slowdown_c=np.array([85.0, 86.0, 87.0]),
        gpu_shutdown_c=np.array([90.0, 91.0, 92.0]),
        gpu_idle_w=np.array([60.0, 65.0, 70.0]),
    )
    temps = [40, 50]  # integers: kept as floats
    gov = GpuGovernor.for_gpus(fac, np.array([0, 1]), temps)
    assert gov.tau_s.tolist() == [1e-9, 0.5]  # no zero time constant
    assert gov.r_k_per_w.tolist() == [0.05, 0.06]
    assert gov.slowdown_c.tolist() == [85.0, 86.0] and gov.shutdown_c.tolist() == [90.0, 91.0]
    assert gov.idle_w.tolist() == [60.0, 65.0]
    assert gov.temp_c.dtype == np.float64 and gov.temp_c.tolist() == [40.0, 50.0]
    assert gov.off.tolist() == [False, False]
    gov.temp_c[0] = 99.0
    assert temps == [40, 50]


def test_slowdown_and_shutdown_within_one_step_are_timed_from_its_start():
    # as above, with a 60 s step holding both crossings: off at t_slow + t_shut
    gov = h100_governor([80.0])
    t_slow = 25.0 * np.log(53.5 / 44.5)
    t_shut = 25.0 * np.log(3.55 / 0.55)
    power, slow, shut = gov.step(np.array([88.0]), np.array([700.0]), 60.0)
    assert slow[0] == pytest.approx(t_slow, rel=1e-12)
    assert shut[0] == pytest.approx(t_slow + t_shut, rel=1e-12) and shut[0] < 60.0
    assert gov.off[0] and power[0] == 0.0 and gov.peak_c[0] == 92.0
    end = 88.0 + 4.0 * np.exp(-(60.0 - t_slow - t_shut) / 25.0)
    assert gov.temp_c[0] == pytest.approx(end, rel=1e-12)


def test_an_off_gpu_above_slowdown_is_not_throttling():
    gov = h100_governor([95.0])
    gov.off[0] = True
    _, slow, shut = gov.step(np.array([120.0]), np.array([700.0]), 10.0)
    assert np.isinf(slow[0]) and np.isinf(shut[0])


def test_a_rack_moving_little_air_still_has_inlets():
    """Air racks of 5 kW move a few tenths of a m3/s: every rack moving any air is read."""
    fac = load_layout(HALL)
    low = fac.rack_airflow_m3s * 0.1  # 0.3 m3/s a rack
    assert (low < 1.0).all()
    heat = ThermalModel(fac, 0, 0.4, rack_airflow_m3s=low).heat
    probe = InletProbe(fac, heat)
    mean, top = probe.rack_inlets_c(np.full(heat.n, 20.0))
    np.testing.assert_allclose(mean, 20.0, rtol=1e-12)
    assert (top == 20.0).all()
