"""The simulator's per-GPU and per-rack details that the scenario tests pass over: idle GPUs,
throttle reason bits at their thresholds, throttle events grouped by rack, racks without
GPUs, the CDU alarm's severity and every event stamped with its frame's time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.frame import (
    THROTTLE_GPU_IDLE,
    THROTTLE_HW_SLOWDOWN,
    THROTTLE_HW_THERMAL,
    THROTTLE_SW_THERMAL,
    EventKind,
)
from twin.model.loader import load_layout
from twin.telemetry.scenarios import Scenario
from twin.telemetry.simulator import (
    BOOST_CLOCK_MHZ,
    IDLE_CLOCK_MHZ,
    MAX_GPU_EVENTS,
    Simulator,
)

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"


def test_an_idle_gpu_draws_its_idle_power_at_the_idle_clock_with_no_job(small_facility):
    fac = small_facility
    sim = Simulator(fac, "normal", seed=7, start_s=0)  # 32 GPUs without a job
    frames = [sim.step() for _ in range(5)]
    assert sim.steps == 5
    idle = sim.workload.gpu_job == 0
    assert idle.any() and not idle.all()
    gpu = frames[-1].gpu
    assert np.all(gpu["job"][idle] == 0) and np.all(gpu["job"][~idle] > 0)
    # an idle GPU's demand is its idle power plus 3 W of noise: never less than idle, and
    # exactly idle where the noise fell below it
    over = gpu["power_w"][idle] - fac.gpu_idle_w[idle]
    assert np.all(over > -1e-3) and np.sum(np.abs(over) < 1e-3) >= 5
    assert np.all(gpu["sm_clock_mhz"][idle] == IDLE_CLOCK_MHZ)
    assert np.all(gpu["throttle"][idle].astype(int) & THROTTLE_GPU_IDLE)
    # HBM runs 2 K plus 6 mK/W above the die
    p = gpu["power_w"].astype(float)
    hbm = gpu["mem_temp_c"] - gpu["temp_c"]
    assert hbm == pytest.approx(2.0 + 0.006 * p, abs=2e-3)


def test_throttle_bits_at_their_thresholds(small_facility):
    fac = small_facility
    sim = Simulator(fac, "normal", seed=3, start_s=0)
    sim.step()
    n = fac.n_gpus
    shutdown = fac.gpu_shutdown_c
    temp = np.where(np.arange(n) % 2 == 0, shutdown - 1.0, shutdown - 1.01)
    f = np.where(np.arange(n) % 3 == 0, 0.99, 0.985)  # the governor's clock factor
    util = np.where(np.arange(n) % 5 == 0, 0.0, 1e-6)
    throttle, clock = sim._throttle_and_clock(util, np.full(n, 500.0), np.zeros(n, bool), f, temp)
    throttle = throttle.astype(int)
    hot = (throttle & THROTTLE_HW_THERMAL) != 0
    assert np.array_equal(hot, np.arange(n) % 2 == 0)  # from 1 K under shutdown
    slowed = (throttle & (THROTTLE_SW_THERMAL | THROTTLE_HW_SLOWDOWN)) != 0
    assert np.array_equal(slowed, np.arange(n) % 3 != 0)  # a clock factor under 0.99
    working = np.arange(n) % 5 != 0
    assert np.all(clock[~working] == IDLE_CLOCK_MHZ)
    assert clock[working] == pytest.approx(BOOST_CLOCK_MHZ * np.sqrt(f[working]))


def test_many_gpus_throttling_at_once_are_told_per_rack(small_facility):
    """Over ``MAX_GPU_EVENTS`` GPUs starting (or stopping) together: one event per rack,
    counting its GPUs, instead of one per GPU."""
    fac = small_facility
    sim = Simulator(fac, "normal", seed=3, start_s=0)
    racks = np.flatnonzero(fac.rack_gpu_count > 0)[:3]
    mask = np.isin(fac.gpu_rack, racks)
    assert mask.sum() > MAX_GPU_EVENTS
    started = sim._throttle_events(50.0, mask)
    want = [
        (50.0, EventKind.THROTTLE_START, fac.rack_ids[r], 1, int((fac.gpu_rack == r).sum()))
        for r in racks
    ]
    assert [(e.time_s, e.kind, e.item, e.severity, int(e.message.split()[0])) for e in started] == (
        want
    )
    assert started[0].message == f"{want[0][4]} GPUs in {want[0][2]} started throttling"
    ended = sim._throttle_events(51.0, np.zeros(fac.n_gpus, bool))
    assert [e.message for e in ended] == [f"{w[4]} GPUs in {w[2]} stopped throttling" for w in want]


def test_a_rack_without_gpus_runs_at_three_quarters_of_its_power():
    """Storage and network racks have no GPU load to follow: 75 % of nominal, swinging by
    5 % over about an hour (at the first frame, 75 % exactly)."""
    fac = load_layout(LAYOUTS / "test-room.yaml")
    assert np.all(fac.rack_gpu_count == 0)
    frame = Simulator(fac, "normal", seed=3, start_s=0).step()
    assert frame.rack["power_w"] == pytest.approx(0.75 * fac.rack_power_w, rel=1e-6)


def test_a_cdu_alarm_is_critical_and_every_event_has_its_frames_time(small_facility):
    sc = Scenario("cdu-pump-failure", fail_at_s=20, recover_at_s=150)
    sim = Simulator(small_facility, sc, seed=7, start_s=1_000_000.0)
    frames = [sim.step() for _ in range(200)]
    (alarm,) = [
        e for f in frames for e in f.events if e.kind == EventKind.ALARM and e.item == "CDU-1"
    ]
    assert alarm.severity == 2
    kinds = {e.kind for f in frames for e in f.events}
    assert {EventKind.JOB_START, EventKind.UNIT_FAILED, EventKind.ALARM} <= kinds
    assert all(e.time_s == f.time_s for f in frames for e in f.events)
