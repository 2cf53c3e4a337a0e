"""A solve that breaks conservation or leaves the physical range of temperatures ends with a
ThermalError (``twin thermal`` exits non-zero), and a grid too big for the memory a solve may use
is refused before anything is allocated."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from twin.cli import main
from twin.model.loader import load_layout
from twin.physics import GridError, ThermalError, solve_steady
from twin.physics.plausible import check_result, impossibilities

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def room():
    fac = load_layout("layouts/test-room.yaml")
    return fac, solve_steady(fac, cell_m=0.25)


def test_a_good_solve_passes(room):
    _, res = room
    check_result(res)  # balanced to ~1e-7, temperatures 18-40 degC


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: {"heat_out_w": r.heat_in_w * 0.98}, "energy balance off by 0.02"),
        (lambda r: {"heat_out_w": float("nan")}, "energy balance"),
        (lambda r: {"mass_error": 0.011}, "mass balance off by 0.011"),
        (lambda r: {"air_c": np.where(np.isnan(r.air_c), np.nan, 1.7e13)}, "air temperatures"),
        (lambda r: {"air_c": np.where(np.isnan(r.air_c), np.nan, -300.0)}, "air temperatures"),
        (lambda r: {"rack_exhaust_c": np.full_like(r.rack_exhaust_c, np.inf)}, "rack exhaust"),
    ],
    ids=["energy-2pc", "energy-nan", "mass-1.1pc", "air-1.7e13", "air-minus-300", "exhaust-inf"],
)
def test_impossible_results_are_refused(room, change, message):
    _, res = room
    bad = dataclasses.replace(res, **change(res))
    with pytest.raises(ThermalError, match=message):
        check_result(bad, "ROOM")


def test_just_within_one_percent_passes(room):
    _, res = room
    check_result(dataclasses.replace(res, heat_out_w=res.heat_in_w * 0.995, mass_error=0.009))


def test_memory_estimate_refuses_before_allocating(room, monkeypatch, capsys):
    fac, _ = room
    monkeypatch.setenv("TWIN_MAX_SOLVE_GB", "0.01")  # 10 MB: 10,000 cells at 1 kB each
    with pytest.raises(GridError, match=r"needs about 0\.\d GB, more than the 0\.0 GB"):
        solve_steady(fac, cell_m=0.25)  # 48 x 36 x 14 = 24,192 cells
    # a --cell too fine for the memory is refused as a bad option, before any solving
    assert main(["thermal", "layouts/test-room.yaml", "--cell", "0.25"]) == 2
    assert "TWIN_MAX_SOLVE_GB" in capsys.readouterr().err


def _refusal(res, *hall: str) -> str:
    with pytest.raises(ThermalError) as caught:
        check_result(res, *hall)
    return str(caught.value)


def test_the_refusal_whole(room):
    _, res = room
    heat_kw = res.heat_in_w / 1e3
    bad = dataclasses.replace(res, heat_out_w=res.heat_in_w * 0.98, overloaded=False)
    assert _refusal(bad, "ROOM") == (
        f"hall ROOM: the solve gives impossible results, so none are shown: energy balance off "
        f"by 0.02 (heat in {heat_kw:.1f} kW, out {heat_kw * 0.98:.1f} kW; limit 0.01) (check "
        "the layout's flows, powers and supply temperatures)"
    )
    # no hall named: no "hall" prefix; every problem, in order, joined by "; "
    hot = np.where(np.isnan(res.air_c), np.nan, 300.0)
    worse = dataclasses.replace(
        bad,
        air_c=hot,
        rack_exhaust_c=res.rack_exhaust_c + 400.0,
        gpu_temp_c=np.array([60.0, 251.0]),
    )
    lo, hi = np.nanmin(res.rack_exhaust_c) + 400.0, np.nanmax(res.rack_exhaust_c) + 400.0
    assert _refusal(worse) == (
        "the solve gives impossible results, so none are shown: energy balance off by 0.02 "
        f"(heat in {heat_kw:.1f} kW, out {heat_kw * 0.98:.1f} kW; limit 0.01); air temperatures "
        "from 300 to 300 °C, outside the physical range -40..150 °C; rack exhaust temperatures "
        f"from {lo:.4g} to {hi:.4g} °C, outside the physical range -40..150 °C; GPU temperatures "
        "from 60 to 251 °C, outside the physical range -40..250 °C (check the layout's flows, "
        "powers and supply temperatures)"
    )


def test_the_bounds_themselves_pass(room):
    """Exactly at each limit is possible: 1 % of mass or energy, -40 and 150 C of air, 250 C
    of GPU; a hall with 1 W of heat or less has no energy balance to judge."""
    _, res = room
    air = np.where(np.isnan(res.air_c), np.nan, 20.0)
    air.flat[np.flatnonzero(~np.isnan(air))[:2]] = (-40.0, 150.0)
    at_bounds = dataclasses.replace(
        res,
        mass_error=0.01,
        heat_out_w=res.heat_in_w * 0.99,
        air_c=air,
        gpu_temp_c=np.array([-40.0, 250.0]),  # the test room's racks hold no GPUs
    )
    assert impossibilities(at_bounds) == []
    for heat_in_w, bad in ((1.0, False), (1.5, True)):  # 50 % off either way
        r = dataclasses.replace(res, heat_in_w=heat_in_w, heat_out_w=heat_in_w / 2)
        assert bool(impossibilities(r)) is bad
