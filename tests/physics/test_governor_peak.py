"""A GPU's peak is the hottest its die has been, within a step too: a GPU shut down at its
shutdown temperature whose air then cools ends below it (the what-if once reported such GPUs'
end temperatures, 87.2 °C, as the peak of GPUs that had shut down at 92 °C)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.physics.governors import h100_governor
from twin.physics.ridethrough import GpuGovernor


def test_the_peak_starts_at_the_start_temperature_and_is_a_copy():
    temp = np.array([40.0, 55.0])
    gov = h100_governor([40.0, 55.0])
    assert gov.peak_c.tolist() == [40.0, 55.0]
    gov.temp_c[0] = 70.0
    assert gov.peak_c[0] == 40.0  # not the same array as the temperature
    given = GpuGovernor(*(np.ones(2) for _ in range(5)), temp, np.zeros(2, bool), peak_c=temp + 3)
    assert given.peak_c.tolist() == [43.0, 58.0]


def test_a_gpu_shut_down_within_a_step_peaks_at_shutdown():
    # at slowdown, coolant 88 C: idle (70 W) aims at 88 + 4.55 = 92.55 C, past shutdown, which
    # it reaches after 25 ln(3.55 / 0.55) = 46.6 s; then it switches off and cools to 88 C
    gov = h100_governor([89.0])
    gov.step(np.array([88.0]), np.array([700.0]), 60.0)
    assert gov.off[0]
    end = 88.0 + (92.0 - 88.0) * np.exp(-(60.0 - 25.0 * np.log(3.55 / 0.55)) / 25.0)
    assert gov.temp_c[0] == pytest.approx(end, abs=1e-9)
    assert gov.temp_c[0] < 91.7
    assert gov.peak_c[0] == 92.0
    # the air cools further: the die follows, the peak stays
    gov.step(np.array([30.0]), np.array([700.0]), 100.0)
    assert gov.temp_c[0] < 40.0 and gov.peak_c[0] == 92.0


def test_a_gpu_reaching_slowdown_then_cooling_peaks_at_slowdown():
    # full power 700 W over 45 C coolant aims at 90.5 C: slowdown 89 C is reached within the
    # 100 s step and held; a cooler step then lets the die fall well below it
    gov = h100_governor([80.0])
    _, t_slow, _ = gov.step(np.array([45.0]), np.array([700.0]), 100.0)
    assert t_slow[0] < 100.0
    assert gov.peak_c[0] == 89.0
    gov.step(np.array([20.0]), np.array([300.0]), 200.0)
    assert gov.temp_c[0] < 45.0 and gov.peak_c[0] == 89.0


def test_a_cooling_gpu_keeps_its_start_as_peak_and_a_warming_one_its_end():
    gov = h100_governor([70.0, 30.0])
    coolant, demand = np.array([20.0, 40.0]), np.array([200.0, 400.0])  # targets 33, 66 C
    gov.step(coolant, demand, 10.0)
    warm_end = 66.0 + (30.0 - 66.0) * np.exp(-10.0 / 25.0)
    assert gov.temp_c[1] == pytest.approx(warm_end, abs=1e-12)
    assert gov.peak_c.tolist() == [70.0, gov.temp_c[1]]


def test_an_off_gpu_peaks_with_its_air():
    # already off: the die only follows its coolant, which may be hotter than it
    gov = h100_governor([50.0])
    gov.off[0] = True
    gov.step(np.array([120.0]), np.array([700.0]), 25.0)
    assert gov.temp_c[0] == pytest.approx(120.0 - 70.0 * np.exp(-1.0), abs=1e-12)
    assert gov.peak_c[0] == gov.temp_c[0]
