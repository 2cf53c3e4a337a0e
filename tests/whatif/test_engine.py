"""The what-if engine on a small 2N / two-CRAH hall: power consequences by hand, thermal
consequences against the governor's closed form and against each other."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twin.model.frame import Frame
from twin.whatif import StartState, WhatIfError, power_outcome, run_whatif

from .conftest import FAST


def test_losing_one_ups_puts_every_rack_on_one_feed(fac, baseline):
    res = run_whatif(fac, ["UPS-A"], options=FAST, baseline=baseline)
    s = res.summary()
    assert (s["racks_dark"], s["gpus_dark"], s["racks_single_fed"]) == (0, 0, 6)
    assert not res.thermal_run  # nothing in the hall's cooling or racks changed
    assert s["gpus_throttled"] == 0 and s["ride_through_min"] is None
    assert s["overloaded"] == []


def test_failover_overload_is_reported_with_its_load(fac):
    ups_b = fac.power_index["UPS-B"]
    saved = fac.power_capacity_w.copy()
    try:
        fac.power_capacity_w[ups_b] = 200e3  # carries half (125 kW) in normal operation
        out = power_outcome(fac, ("UPS-A",))
    finally:
        fac.power_capacity_w[:] = saved
    over = out.overloads(fac)
    # the whole hall through PDU-B (98 %): 6 x 40.8 kW / 0.98
    assert [o["id"] for o in over] == ["UPS-B"]
    assert over[0]["load_kw"] == pytest.approx(6 * 40.8 / 0.98, rel=1e-6)


def test_both_pdus_leave_the_hall_dark_and_cold(fac, baseline):
    res = run_whatif(fac, ["PDU-A", "PDU-B"], options=FAST, baseline=baseline)
    s = res.summary()
    assert (s["racks_dark"], s["gpus_dark"]) == (6, 192)
    assert s["gpus_throttled"] == 0
    assert np.isnan(res.gpu_slowdown_s).all()  # dark GPUs are not followed
    assert all(r["dark"] for r in res.racks_ranked())


def test_a_crah_trip_throttles_and_ranks_racks(fac, baseline):
    res = run_whatif(fac, ["CRAH-1"], options=FAST, baseline=baseline)
    s = res.summary()
    assert res.thermal_run and s["gpus_dark"] == 0
    # one 150 kW unit left for 245 kW: the hall overheats within the five minutes
    assert s["gpus_throttled"] > 0 and 0 < s["ride_through_min"] < 5
    assert s["racks_outside_allowable"] > 0
    racks = res.racks_ranked()
    firsts = [r["first_slowdown_min"] for r in racks if r["first_slowdown_min"] is not None]
    assert firsts == sorted(firsts) and firsts[0] == s["ride_through_min"]
    # a rack's first slowdown is its earliest GPU's
    r0 = fac.rack_index[racks[0]["id"]]
    g = np.flatnonzero(fac.gpu_rack == r0)
    assert np.nanmin(res.gpu_slowdown_s[g]) / 60 == pytest.approx(
        racks[0]["first_slowdown_min"], abs=0.006
    )
    # inlets leave A1 recommended (27 C) before allowable (32 C)
    ok = np.isfinite(res.rack_allowable_s)
    assert (res.rack_recommended_s[ok] <= res.rack_allowable_s[ok]).all()
    series = res.series
    assert series["rack_inlet_max_c"].shape == (31, 6)
    assert series["gpus_throttling"][-1] > 0


def test_halving_the_step_keeps_the_ride_through(fac, baseline):
    a = run_whatif(fac, ["CRAH-1"], options=FAST, baseline=baseline)
    b = run_whatif(fac, ["CRAH-1"], options=dataclasses.replace(FAST, dt_s=5.0), baseline=baseline)
    assert b.ride_through_s == pytest.approx(a.ride_through_s, rel=0.1)


def test_a_frame_at_half_load_rides_through_longer(fac):
    frame = Frame(time_s=1.7e9)
    frame.rack["power_w"] = (fac.rack_power_w * 0.5).astype(np.float32)
    frame.gpu["power_w"] = (fac.gpu_tdp_w * 0.5).astype(np.float32)
    frame.air_unit["state"] = np.array([1.0, 1.0], dtype=np.float32)
    half = StartState.from_frame(fac, frame, "half")
    assert half.off == ()
    full = run_whatif(fac, ["CRAH-1"], options=FAST)
    slow = run_whatif(fac, ["CRAH-1"], start=half, options=FAST)
    assert slow.ride_through_s > full.ride_through_s
    assert slow.start_label == "half"


def test_a_frame_reports_units_already_off(fac):
    frame = Frame(time_s=1.7e9)
    frame.air_unit["state"] = np.array([0.0, 1.0], dtype=np.float32)
    frame.power["state"] = np.ones(len(fac.power_ids), dtype=np.float32)
    start = StartState.from_frame(fac, frame)
    assert start.off == ("CRAH-1",)
    np.testing.assert_array_equal(start.rack_power_w, fac.rack_power_w)  # missing: nominal


def test_unknown_or_unfailable_ids_are_refused(fac):
    with pytest.raises(WhatIfError, match="'NOPE'.*not in the layout"):
        run_whatif(fac, ["NOPE"], options=FAST)
    with pytest.raises(WhatIfError, match="'A1' \\(a rack\\)"):
        run_whatif(fac, ["A1"], options=FAST)
