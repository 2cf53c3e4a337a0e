"""The energy figures as JSON: a ratio with no IT under it (a hall or facility with no rack
load, a recorded frame during a blackout) is null, never NaN, which ``json.dumps`` writes and
strict readers (jq, JavaScript's JSON.parse) refuse."""

from __future__ import annotations

import json
import math

import numpy as np

from twin.model.catalog import assets_dir
from twin.model.loader import load_layout
from twin.physics.energy import EnergyModel, EnergySeries, finite_or_none

DEMO = assets_dir().parent / "layouts" / "demo-air-hall.yaml"


def test_finite_or_none():
    assert finite_or_none(1.23456, 4) == 1.2346
    assert finite_or_none(np.float64(2.5), 0) == 2.0  # Python's round: half to even
    assert finite_or_none(math.nan, 4) is None
    assert finite_or_none(math.inf, 4) is None and finite_or_none(-math.inf, 2) is None


def test_a_facility_with_no_it_has_no_pue_in_json():
    model = EnergyModel(load_layout(DEMO))
    cond = model.nominal()
    cond.rack_power_w = np.zeros_like(cond.rack_power_w)
    d = model.breakdown(cond).as_dict()
    json.dumps(d, allow_nan=False)  # strict JSON
    assert d["it_kw"] == 0.0 and d["total_kw"] > 0.0  # fans, lights and the rest still run
    assert d["pue"] is None and d["cooling_kw_per_it_kw"] is None
    assert [h["ppue"] for h in d["halls"]] == [None]


def test_ratios_with_it_are_rounded_numbers():
    model = EnergyModel(load_layout(DEMO))
    b = model.breakdown(model.nominal())
    d = b.as_dict()
    assert d["pue"] == round(b.total_w / b.it_w, 4) and 1.0 < d["pue"] < 2.0
    assert d["cooling_kw_per_it_kw"] == round(b.cooling_w / b.it_w, 4)
    assert d["halls"][0]["ppue"] == round(float(b.hall_ppue[0]), 4)


def test_a_blackout_frame_has_no_pue_in_the_series():
    t = np.array([0.0, 1.0, 2.0])
    it = np.array([1.00000044e6, 0.0, 1e6])
    total = np.array([1.25000044e6, 5.00004e4, 1.23456789e6])
    zero = np.zeros(3)
    outdoor = np.array([20.123, np.nan, 21.0])
    s = EnergySeries(t, it, total, zero, total - it, zero, zero, zero, outdoor)
    lists = s.as_lists()
    json.dumps(lists, allow_nan=False)
    # kW to the watt, PUE to four places, outdoor to two
    assert lists["pue"] == [1.25, None, 1.2346]
    assert lists["outdoor_c"] == [20.12, None, 21.0]
    assert lists["time_s"] == [0.0, 1.0, 2.0]
    assert lists["it_kw"] == [1000.0, 0.0, 1000.0]
    assert lists["total_kw"] == [1250.0, 50.0, 1234.568]
    assert lists["cooling_kw"] == [250.0, 50.0, 234.568]
