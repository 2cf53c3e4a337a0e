"""What a what-if result says, from times set by hand on the small hall (no physics): the
summary a sweep ranks by, the racks and GPUs soonest in trouble, and ``--json``'s object.
Each expected figure is worked out here from the times below."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.whatif import WhatIfOptions
from twin.whatif.failures import PowerOutcome
from twin.whatif.result import WhatIfResult

from .conftest import HALL

INF = math.inf


@pytest.fixture(scope="module")
def fac():
    return load_layout(HALL)


def _gpus(fac, rack: str) -> np.ndarray:
    return np.flatnonzero(fac.gpu_rack == fac.rack_index[rack])


@pytest.fixture
def res(fac):
    """A1 dark; A2 on one feed, its GPUs at slowdown before the failure (four at shutdown);
    A3's GPUs slow at 300 s; B2's one at 90 s, the rest at 150 s (one shuts down at 420 s),
    its inlet past 27 C at 120 s and 32 C at 240 s; B1 past 32 C at 500 s; B3 past both from
    the start. UPS-B overloaded."""
    ups_b = fac.power_index["UPS-B"]
    n_p, n_r = len(fac.power_ids), fac.n_racks
    rack = fac.rack_index
    dark = np.zeros(n_r, bool)
    dark[rack["A1"]] = True
    single = np.zeros(n_r, bool)
    single[rack["A2"]] = True
    over = np.zeros(n_p, bool)
    over[ups_b] = True
    load = np.zeros(n_p)
    load[ups_b] = 612345.0
    power = PowerOutcome(np.ones(n_p, bool), dark, single, load, over)
    gpu_dark = dark[fac.gpu_rack]
    opts = WhatIfOptions(duration_s=600.0, dt_s=10.0)
    r = WhatIfResult.empty(fac, ("CRAH-1",), "nominal load", 0, opts, power, gpu_dark)
    live = ~gpu_dark
    r.gpu_slowdown_s[live] = INF
    r.gpu_shutdown_s[live] = INF
    a2, a3, b2 = _gpus(fac, "A2"), _gpus(fac, "A3"), _gpus(fac, "B2")
    r.gpu_slow_at_start[a2] = True
    r.gpu_slowdown_s[a2] = 0.0
    r.gpu_shut_at_start[a2[:4]] = True
    r.gpu_shutdown_s[a2[:4]] = 0.0
    r.gpu_slowdown_s[a3] = 300.0
    r.gpu_slowdown_s[b2] = 150.0
    r.gpu_slowdown_s[b2[5]] = 90.0
    r.gpu_shutdown_s[b2[5]] = 420.0
    r.gpu_peak_c[live] = 70.0
    r.gpu_peak_c[b2[5]] = 93.25
    r.rack_recommended_s[:] = INF
    r.rack_allowable_s[:] = INF
    r.rack_peak_inlet_c[:] = [20.0, 22.0, 26.0, 33.0, 31.0, 35.0]  # A1-A3, B1-B3
    r.rack_recommended_s[rack["B2"]], r.rack_allowable_s[rack["B2"]] = 120.0, 240.0
    r.rack_recommended_s[rack["B1"]], r.rack_allowable_s[rack["B1"]] = 200.0, 500.0
    r.rack_recommended_s[rack["B3"]] = r.rack_allowable_s[rack["B3"]] = 0.0
    r.rack_outside_at_start[rack["B3"]] = True
    r.seconds = 1.23456
    return r


def test_the_summary_counts_what_the_failure_did(fac, res):
    assert fac.rack_ids == ["A1", "A2", "A3", "B1", "B2", "B3"]
    assert res.summary() == {
        "failed": ["CRAH-1"],
        "hall": "HALL-1",
        "gpus_dark": 32,
        "racks_dark": 1,
        "racks_single_fed": 1,
        "gpus_throttled": 64,  # A3 and B2; A2's were at slowdown before
        "gpus_shut_down": 1,
        "ride_through_min": 1.5,
        "first_rack_outside_allowable_min": 4.0,
        "racks_outside_allowable": 2,  # B2 and B1; B3 was outside before
        "gpus_throttled_at_start": 32,
        "gpus_shut_down_at_start": 4,
        "racks_outside_allowable_at_start": 1,
        "overloaded": [{"id": "UPS-B", "kind": "ups", "load_kw": 612.345, "capacity_kw": 500.0}],
        "duration_min": 10.0,
        "air_past_limit_min": None,  # followed for the whole ten minutes
        "ramped_units": [],  # no --ramp
        "ramp_applied": False,
        "start_overload_note": None,  # the start was not overloaded
    }
    assert res.rank_key() == (-32, -64, 90.0, ("CRAH-1",))
    assert res.followed_s == 600.0


def test_a_run_stopped_where_its_air_passed_the_limit_says_when(fac, res):
    res.air_past_limit_s = 367.0
    assert res.followed_s == 367.0
    s = res.summary()
    assert s["air_past_limit_min"] == 6.12 and s["duration_min"] == 10.0
    assert res.to_dict()["summary"]["air_past_limit_min"] == 6.12


def test_a_result_with_nothing_reached_says_never(fac, res):
    res.gpu_slowdown_s[np.isfinite(res.gpu_slowdown_s) & ~res.gpu_slow_at_start] = INF
    res.rack_allowable_s[~res.rack_outside_at_start] = INF
    s = res.summary()
    assert (s["gpus_throttled"], s["ride_through_min"]) == (0, None)
    assert (s["racks_outside_allowable"], s["first_rack_outside_allowable_min"]) == (0, None)
    assert res.ride_through_s == INF and res.gpus_ranked() == []


def test_racks_soonest_in_trouble_first(fac, res):
    rows = res.racks_ranked()
    # dark first; then by first slowdown; then by leaving A1 allowable (B3 was outside
    # before the failure, so it is not "leaving"); then hottest inlet first
    assert [r["id"] for r in rows] == ["A1", "B2", "A3", "B1", "B3", "A2"]
    by = {r["id"]: r for r in rows}
    assert by["B2"] == {
        "id": "B2",
        "dark": False,
        "single_fed": False,
        "gpus": 32,
        "gpus_throttled": 32,
        "gpus_throttled_at_start": 0,
        "outside_at_start": False,
        "first_slowdown_min": 1.5,
        "outside_recommended_min": 2.0,
        "outside_allowable_min": 4.0,
        "peak_inlet_c": 31.0,
    }
    assert (by["A1"]["dark"], by["A1"]["gpus_throttled"], by["A1"]["first_slowdown_min"]) == (
        True,
        0,
        None,
    )
    assert by["A2"]["single_fed"] and not by["B2"]["single_fed"]
    assert (by["A2"]["gpus_throttled"], by["A2"]["gpus_throttled_at_start"]) == (0, 32)
    assert by["B3"]["outside_at_start"] and by["B3"]["outside_allowable_min"] == 0.0
    assert by["B1"]["outside_allowable_min"] == pytest.approx(500.0 / 60.0, abs=0.005)


def test_gpus_soonest_first_within_the_limit(fac, res):
    b2, a3 = _gpus(fac, "B2"), _gpus(fac, "A3")
    got = res.gpus_ranked()
    assert len(got) == 50
    first = b2[5]
    assert got[0] == {
        "id": fac.gpu_label(int(first)),
        "rack": "B2",
        "slowdown_min": 1.5,
        "shutdown_min": 7.0,
        "peak_c": 93.25,
    }
    order = [first, *[g for g in b2 if g != first], *a3][:50]
    assert [g["id"] for g in got] == [fac.gpu_label(int(g)) for g in order]
    assert got[1]["shutdown_min"] is None and got[-1]["slowdown_min"] == 5.0
    assert len(res.gpus_ranked(limit=3)) == 3


def test_the_json_object(fac, res):
    res.thermal_run = True
    # integers in, floats kept (the series are arrays of float, the counts of int)
    inlets = [[20, 21, 22, 23, 24, 33], [20, 22, 26, 33, 31, 35], [21, 23, 27, 33, 31, 36]]
    res.set_series([0, 12, 600], inlets, [32, 40, 96], [4, 4, 5], [[150000, 140000]] * 3)
    for name in ("time_s", "rack_inlet_max_c", "air_unit_load_w"):
        assert res.series[name].dtype == float
    res.series["rack_inlet_max_c"][1, 1] = 22.254
    res.series["time_s"][1] = 12.345
    res.series["air_unit_load_w"][2] = [151234.0, np.nan]
    d = res.to_dict()
    assert d["summary"] == res.summary()
    assert (d["start"], d["thermal_transient"], d["dt_s"], d["seconds"]) == (
        "nominal load",
        True,
        10.0,
        1.235,
    )
    assert d["racks"] == res.racks_ranked() and d["gpus"] == res.gpus_ranked()
    assert d["series"] == {
        "time_s": [0.0, 12.3, 600.0],
        "racks": ["A1", "A2", "A3", "B1", "B2", "B3"],
        "rack_inlet_max_c": [
            [20.0, 21.0, 22.0, 23.0, 24.0, 33.0],
            [20.0, 22.25, 26.0, 33.0, 31.0, 35.0],
            [21.0, 23.0, 27.0, 33.0, 31.0, 36.0],
        ],
        "gpus_throttling": [32, 40, 96],
        "gpus_shut_down": [4, 4, 5],
        "air_units": ["CRAH-1", "CRAH-2"],
        "air_unit_load_kw": [[150.0, 140.0], [150.0, 140.0], [151.23, None]],
    }
    assert res.series["gpus_throttling"].dtype.kind == "i"


def test_a_fresh_result_is_unreached_everywhere(fac, res):
    fresh = WhatIfResult.empty(
        fac, (), "x", 0, WhatIfOptions(), res.power, np.zeros(fac.n_gpus, bool)
    )
    for name in ("gpu_slowdown_s", "gpu_shutdown_s", "gpu_peak_c", "gpu_final_c"):
        a = getattr(fresh, name)
        assert a.shape == (fac.n_gpus,) and a.dtype == float and np.isnan(a).all()
    for name in ("rack_recommended_s", "rack_allowable_s", "rack_peak_inlet_c"):
        a = getattr(fresh, name)
        assert a.shape == (fac.n_racks,) and a.dtype == float and np.isnan(a).all()
    assert not (fresh.gpu_slow_at_start.any() or fresh.rack_outside_at_start.any())
    assert fresh.duration_s == 1800.0 and fresh.dt_s == 10.0 and fresh.series == {}
    series = fresh.to_dict()["series"]  # a result not followed has empty series
    assert series["time_s"] == series["rack_inlet_max_c"] == series["air_unit_load_kw"] == []
    assert series["gpus_throttling"] == series["gpus_shut_down"] == []
