"""The what-if engine's choices and bookkeeping, each against figures set or derived by hand:
which hall and cell it follows, what a hall whose cooling and racks did not change reports,
what counts as past a limit at the start, and when a series first passes a limit."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.physics.cells import CELL_STEP_M, VIEW_MAX_CELLS
from twin.whatif import Baseline, StartState, WhatIfOptions, run_whatif
from twin.whatif.engine import WHATIF_CELL_M, _first_above, whatif_cell_m, whatif_hall

from .conftest import FAST, HALL

INF = math.inf


def _rack(rid: str, x: float, feeds: str = "{a: PDU-C, b: PDU-D}", more: str = "") -> str:
    return (
        f"  - id: {rid}\n    type: rack-600x1200-48u\n    position_m: [{x}, 2.4]\n"
        "    rotation_deg: 180.0\n    servers:\n    - {type: dgx-h100, count: 4}\n"
        f"    feeds: {feeds}\n{more}"
    )


def two_halls_text(c3_cdu: bool = True) -> str:
    """The small hall, and a second hall beside it: row C (C1 and C2 fed by PDU-C and PDU-D,
    C3 by the first hall's PDU-A and PDU-B and naming CDU-3, though its servers are
    air-cooled), its own CRAH-3 and CDU-3."""
    t = HALL.read_text()
    t = t.replace(
        "rows:\n",
        "- {id: HALL-2, origin_m: [20.0, 0.0], size_m: [9.0, 7.2, 3.5], floor: raised, "
        "tile_m: 0.6, floor_load_kg_m2: 1465.0}\nrows:\n",
        1,
    )
    t = t.replace(
        "power:\n",
        "- id: C\n  hall: HALL-2\n  racks:\n"
        + _rack("C1", 3.9)
        + _rack("C2", 4.5)
        + _rack("C3", 5.1, "{a: PDU-A, b: PDU-B}", "    cdu: CDU-3\n" if c3_cdu else "")
        + "power:\n",
        1,
    )
    t = t.replace(
        "- {id: PDU-B, type: pdu-300kva, upstream: UPS-B}\n",
        "- {id: PDU-B, type: pdu-300kva, upstream: UPS-B}\n"
        "- {id: PDU-C, type: pdu-300kva, upstream: UPS-A}\n"
        "- {id: PDU-D, type: pdu-300kva, upstream: UPS-B}\n",
    )
    t = t.replace(
        "  supplies:\n",
        "  - {id: CRAH-3, type: crah-150kw, hall: HALL-2, position_m: [4.5, 0.45], "
        "rotation_deg: 180.0, supply_c: 18.0, discharge: underfloor, intake: top}\n"
        "  cdus:\n  - {id: CDU-3, type: cdu-row-1300kw, hall: HALL-2, position_m: [7.0, 6.0]}\n"
        "  supplies:\n  - {id: TILES-2, hall: HALL-2, rect_m: [3.6, 3.0, 5.4, 4.2], "
        "open_fraction: 0.56}\n",
    )
    return t


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    path = tmp_path_factory.mktemp("two") / "two.yaml"
    path.write_text(two_halls_text())
    fac = load_layout(path)
    assert fac.hall_ids == ["HALL-1", "HALL-2"]
    return fac


@pytest.mark.parametrize(
    ("fail", "hall"),
    [
        ([], 0),  # nothing thermal: the first hall
        (["UPS-A"], 0),  # every rack keeps a feed
        (["PDU-C", "PDU-D"], 1),  # row C dark
        (["PDU-A", "PDU-B"], 0),  # six racks dark in HALL-1
        (["CRAH-3"], 1),
        (["CDU-3"], 1),
        (["CRAH-1", "CDU-3"], 0),  # an air unit first
        (["CDU-3", "PDU-A", "PDU-B"], 1),  # a CDU before dark racks
        (["CRAH-3", "PDU-A", "PDU-B"], 1),  # an air unit before dark racks
        (["PDU-A", "PDU-B"], 0),  # six dark against C3
        (["PDU-A", "PDU-B", "PDU-C", "PDU-D"], 0),  # six dark against three
    ],
)
def test_the_hall_followed(two, fail, hall):
    assert whatif_hall(two, fail) == hall
    assert whatif_hall(two, fail, options=WhatIfOptions()) == hall


def test_the_hall_asked_for_is_taken_as_it_is(two):
    # named devices are not even read: an unknown one would be refused otherwise
    assert whatif_hall(two, ["NO-SUCH"], options=WhatIfOptions(hall=1)) == 1
    assert whatif_hall(two, ["CRAH-3"], options=WhatIfOptions(hall=0)) == 0


def test_devices_off_at_the_start_count_with_those_failed(two):
    start = dataclasses.replace(StartState.nominal(two), off=("PDU-C",))
    assert whatif_hall(two, ["PDU-D"]) == 0  # row C keeps PDU-C
    assert whatif_hall(two, ["PDU-D"], start) == 1  # PDU-C already off: row C dark


def test_run_whatif_follows_the_hall_chosen(two):
    opts = WhatIfOptions(duration_s=20.0, dt_s=10.0, cell_m=0.4)
    res = run_whatif(two, ["CRAH-3"], options=opts)
    assert res.hall == 1 and res.summary()["hall"] == "HALL-2"
    assert np.isnan(res.gpu_slowdown_s[two.gpu_hall == 0]).all()  # the other hall: not followed
    assert np.isfinite(res.gpu_peak_c[two.gpu_hall == 1]).all()


def test_the_cell_is_the_momentum_grids_or_the_views_where_coarser(fac):
    assert whatif_cell_m(fac, 0) == WHATIF_CELL_M == 0.25
    assert WhatIfOptions().cell_for(fac, 0) == 0.25
    assert WhatIfOptions(cell_m=0.4).cell_for(fac, 0) == 0.4
    saved = fac.hall_size_m.copy()
    try:
        fac.hall_size_m[0] = (200.0, 150.0, 10.0)  # 300,000 m3
        edge = (300_000.0 / VIEW_MAX_CELLS) ** (1 / 3)
        want = round(math.ceil(edge / CELL_STEP_M) * CELL_STEP_M, 3)
        assert want > 0.25
        assert whatif_cell_m(fac, 0) == pytest.approx(want, abs=1e-12)
        assert WhatIfOptions().cell_for(fac, 0) == pytest.approx(want, abs=1e-12)
    finally:
        fac.hall_size_m[:] = saved


def _start_at(fac, temps: dict[int, float]) -> StartState:
    start = StartState.nominal(fac)
    for g, t in temps.items():
        start.gpu_temp_c[g] = t
    return start


def test_an_unchanged_hall_holds_its_start_state(fac):
    """A UPS lost behind 2N changes nothing thermal: every figure is the baseline's, GPUs
    already at slowdown (to within a micro-kelvin) count from time 0, the rest never."""
    slow, shut = float(fac.gpu_slowdown_c[0]), float(fac.gpu_shutdown_c[0])
    temps = {0: slow, 1: slow - 0.5e-6, 2: slow - 0.5, 3: shut, 4: shut - 0.5, 5: slow - 1e-6}
    start = _start_at(fac, temps)
    base = Baseline(fac, start, 0, FAST.cell_m)
    res = run_whatif(fac, ["UPS-A"], start, FAST, base)
    assert not res.thermal_run
    g = np.arange(fac.n_gpus)
    hot = np.isin(g, [0, 1, 3, 4, 5])  # 4 sits past slowdown, below shutdown
    assert res.gpu_slowdown_s.tolist() == np.where(hot, 0.0, INF).tolist()
    assert res.gpu_shutdown_s.tolist() == np.where(g == 3, 0.0, INF).tolist()
    np.testing.assert_array_equal(res.gpu_peak_c, base.gpu_temp_c)
    assert res.gpu_peak_c[2] == slow - 0.5
    # counted apart as the start's, so the failure itself throttled none
    assert np.flatnonzero(res.gpu_slow_at_start).tolist() == [0, 1, 3, 4, 5]
    assert np.flatnonzero(res.gpu_shut_at_start).tolist() == [3]
    assert res.summary()["gpus_throttled"] == 0
    b = base.result
    racks = b.grid.rack_ids
    np.testing.assert_array_equal(res.rack_peak_inlet_c[racks], b.rack_inlet_max_c[racks])
    assert (b.rack_inlet_max_c[racks] < 27.0).all()
    assert (res.rack_recommended_s[racks] == INF).all()
    assert (res.rack_allowable_s[racks] == INF).all()
    s = res.series
    assert s["time_s"].tolist() == [0.0, FAST.duration_s]
    np.testing.assert_array_equal(s["rack_inlet_max_c"], [b.rack_inlet_max_c[racks]] * 2)
    assert s["gpus_throttling"].tolist() == [4, 4]  # 0, 1, 4, 5: 3 is at shutdown, so off
    assert s["gpus_shut_down"].tolist() == [1, 1]
    np.testing.assert_array_equal(s["air_unit_load_w"], [b.air_unit_load_w[b.grid.unit_ids]] * 2)


def test_an_unchanged_hall_past_its_limits_reads_so_from_the_start(fac):
    base = Baseline(fac, StartState.nominal(fac), 0, FAST.cell_m)
    b = base.result
    racks = b.grid.rack_ids
    saved = b.rack_inlet_max_c.copy()
    try:  # one rack between A1 recommended and allowable, one past allowable
        b.rack_inlet_max_c[racks[0]] = 27.5
        b.rack_inlet_max_c[racks[1]] = 32.5
        b.rack_inlet_max_c[racks[2]] = 27.0  # at a limit is within it
        b.rack_inlet_max_c[racks[3]] = 32.0
        res = run_whatif(fac, ["UPS-A"], options=FAST, baseline=base)
    finally:
        b.rack_inlet_max_c[:] = saved
    assert res.rack_recommended_s[racks[:5]].tolist() == [0.0, 0.0, INF, 0.0, INF]
    assert res.rack_allowable_s[racks[:5]].tolist() == [INF, 0.0, INF, INF, INF]
    assert np.flatnonzero(res.rack_outside_at_start).tolist() == [racks[1]]


def test_a_transient_marks_what_was_past_its_limit_at_the_start(fac):
    slow, shut = float(fac.gpu_slowdown_c[0]), float(fac.gpu_shutdown_c[0])
    start = _start_at(
        fac, {0: slow - 0.5e-6, 1: slow - 0.5, 2: shut, 3: shut - 0.5, 4: slow - 1e-6}
    )
    base = Baseline(fac, start, 0, FAST.cell_m)
    res = run_whatif(fac, ["CRAH-1"], start, FAST, base)
    assert res.thermal_run
    assert np.flatnonzero(res.gpu_slow_at_start).tolist() == [0, 2, 3, 4]
    assert np.flatnonzero(res.gpu_shut_at_start).tolist() == [2]
    # GPUs at slowdown when the failure comes are throttling from time 0; one at shutdown
    # is off from time 0, as the unchanged hall counts it
    assert res.series["gpus_throttling"][0] == 3
    assert res.series["gpus_shut_down"][0] == 1
    assert res.gpu_shutdown_s[2] == 0.0
    assert res.gpu_slowdown_s[0] == 0.0 and res.gpu_slowdown_s[1] > 0.0


def test_the_gpus_throttling_at_each_step_are_those_that_reached_slowdown(fac, baseline):
    # one CRAH lost from nominal: the air only warms within the five minutes, so no GPU
    # falls back below slowdown once it is there
    res = run_whatif(fac, ["CRAH-1"], options=FAST, baseline=baseline)
    for k, t in enumerate(res.series["time_s"]):
        assert res.series["gpus_throttling"][k] == (res.gpu_slowdown_s <= t).sum()
    assert res.series["gpus_throttling"][0] == 0 and res.series["gpus_throttling"][-1] == 192


def test_first_above_by_hand():
    times = np.array([0.0, 10.0, 20.0, 30.0])
    series = np.array(
        [
            [20.0, 33.0, 20.0, np.nan, 31.0],
            [30.0, 34.0, 25.0, np.nan, 32.0],
            [36.0, 35.0, 31.0, np.nan, 40.0],
            [40.0, 36.0, 31.9, np.nan, 30.0],
        ]
    )
    got = _first_above(times, series, 32.0)
    # column 0 passes 32 between 10 s (30) and 20 s (36): a third of the way
    assert got[0] == pytest.approx(10.0 + 10.0 * 2.0 / 6.0, abs=1e-12)
    assert got[1] == 0.0  # above from the start
    assert got[2] == INF  # never above
    assert np.isnan(got[3])  # never read
    assert got[4] == pytest.approx(10.0, abs=1e-12)  # at 32 at 10 s and above right after
    # a limit met exactly is not passed
    assert _first_above(times, series, 40.0).tolist()[0] == INF


def test_first_above_in_the_first_interval_and_above_before_a_gap():
    times = np.array([0.0, 10.0, 20.0])
    series = np.array([[30.0, 33.0], [34.0, np.nan], [36.0, 35.0]])
    got = _first_above(times, series, 32.0)
    assert got[0] == pytest.approx(5.0, abs=1e-12)  # halfway from 30 to 34
    assert got[1] == 0.0  # above at the start, whatever follows


def test_first_above_a_column_starting_unread():
    times = np.array([0.0, 10.0, 20.0])
    series = np.array([[np.nan], [30.0], [34.0]])
    got = _first_above(times, series, 32.0)
    assert got[0] == pytest.approx(15.0, abs=1e-12)


def test_gpus_on_a_lost_cdu_settle_at_its_warmed_supply(tmp_path):
    """The GB200 pod's GPUs are liquid-cooled: with CDU-SU1 lost, its loop's supply rises by
    its load over the water's heat capacity (``devices``: nothing removes the heat), and each
    of its GPUs settles at that supply plus r_th x power (300 s is 20 time constants); those
    of CDU-SU2 stay at its 25 C set point plus the same."""
    from twin.physics.devices import CP_W, RHO_W

    pod = load_layout(HALL.parents[2] / "layouts" / "gb200-pod.yaml")
    opts = WhatIfOptions(duration_s=300.0, dt_s=10.0, cell_m=0.4)
    res = run_whatif(pod, ["CDU-SU1"], options=opts)
    assert res.thermal_run and res.summary()["gpus_throttled"] == 0
    lost = pod.cdu_index["CDU-SU1"]
    load_w = pod.cdu_load_w(pod.rack_power_w)[lost]
    rise_k = load_w / (RHO_W * CP_W * pod.cdu_flow_lps[lost] * 1e-3)
    assert rise_k == pytest.approx(6.95, abs=0.01)  # 897.6 kW on its loop
    g_cdu = pod.rack_cdu[pod.gpu_rack]
    assert pod.gpu_liquid.all()
    own = pod.gpu_r_th_k_per_w * pod.gpu_tdp_w  # 0.03 K/W x 1,200 W
    on_lost = g_cdu == lost
    assert on_lost.sum() == 576
    np.testing.assert_allclose(
        res.gpu_final_c[on_lost], pod.cdu_supply_c[lost] + rise_k + own[on_lost], atol=1e-6
    )
    other = g_cdu == pod.cdu_index["CDU-SU2"]
    np.testing.assert_allclose(res.gpu_final_c[other], 25.0 + own[other], atol=1e-6)


def test_an_unchanged_hall_leaves_the_other_halls_gpus_unfollowed(two):
    opts = WhatIfOptions(duration_s=20.0, dt_s=10.0, cell_m=0.4, hall=0)
    res = run_whatif(two, ["UPS-A"], options=opts)
    assert not res.thermal_run
    other = two.gpu_hall == 1
    assert np.isnan(res.gpu_slowdown_s[other]).all() and np.isnan(res.gpu_peak_c[other]).all()
    assert (res.gpu_slowdown_s[~other] == INF).all()


def test_a_lost_unit_removes_nothing_and_the_other_runs_at_its_capacity(fac, baseline):
    res = run_whatif(fac, ["CRAH-1"], options=FAST, baseline=baseline)
    load = res.series["air_unit_load_w"]
    assert fac.air_unit_ids == ["CRAH-1", "CRAH-2"]
    b = baseline.result
    np.testing.assert_array_equal(load[0], b.air_unit_load_w[b.grid.unit_ids])
    n = len(res.series["time_s"])
    assert n == 31 and all(len(v) == n for v in res.series.values())
    assert res.series["gpus_shut_down"].tolist() == [0] * n  # none shuts down
    assert np.abs(load[1:, 0]).max() < 1e-6
    np.testing.assert_allclose(load[1:, 1], 150e3, atol=0.01)  # short of the 245 kW: full out


def test_the_baseline_is_solved_at_the_start_gpu_powers(fac):
    """Same rack powers, so the same air: each GPU's temperature moves by exactly r_th times
    its power's change."""
    half = StartState.nominal(fac)
    half.gpu_power_w = half.gpu_power_w * 0.5
    full = Baseline(fac, StartState.nominal(fac), 0, FAST.cell_m)
    low = Baseline(fac, half, 0, FAST.cell_m)
    drop = full.gpu_temp_c - low.gpu_temp_c
    np.testing.assert_allclose(drop, fac.gpu_r_th_k_per_w * fac.gpu_tdp_w * 0.5, atol=1e-9)


def test_dark_racks_move_no_air_and_their_gpus_are_not_followed(two):
    """Row C's C1 and C2 lose both feeds, C3 beside them keeps its: the dark racks' fans stop
    (a rack moving no air has no inlet temperature), their GPUs are dark, C3's are followed."""
    opts = WhatIfOptions(duration_s=300.0, dt_s=10.0, cell_m=0.4)
    res = run_whatif(two, ["PDU-C", "PDU-D"], options=opts)
    assert res.hall == 1 and res.thermal_run
    # their heat stops too: CRAH-3 went from the three racks' 122.4 kW to C3's 40.8 kW
    load = res.series["air_unit_load_w"][:, 0]
    assert load[0] == pytest.approx(3 * 40.8e3, abs=1.0)
    assert load[-1] == pytest.approx(40.8e3, abs=1.0)
    c1, c2, c3 = (two.rack_index[r] for r in ("C1", "C2", "C3"))
    assert res.power.rack_dark[[c1, c2, c3]].tolist() == [True, True, False]
    assert np.isnan(res.rack_peak_inlet_c[[c1, c2]]).all()
    assert 18.0 < res.rack_peak_inlet_c[c3] < 40.0
    order = [two.rack_ids[r] for r in np.flatnonzero(two.rack_hall == 1)]
    inlets = res.series["rack_inlet_max_c"]
    assert np.isnan(inlets[:, [order.index("C1"), order.index("C2")]]).all()
    assert np.isfinite(inlets[:, order.index("C3")]).all()
    dark = np.isin(two.gpu_rack, [c1, c2])
    assert np.isnan(res.gpu_slowdown_s[dark]).all() and np.isnan(res.gpu_peak_c[dark]).all()
    live = two.gpu_rack == c3
    assert (res.gpu_slowdown_s[live] == INF).all() and np.isfinite(res.gpu_peak_c[live]).all()


@pytest.mark.parametrize(
    ("duration_s", "dt_s"), [(0.0, 10.0), (-60.0, 10.0), (60.0, 0.0), (60.0, -1.0)]
)
def test_a_duration_or_step_not_positive_is_refused(fac, baseline, duration_s, dt_s):
    opts = WhatIfOptions(duration_s=duration_s, dt_s=dt_s, cell_m=0.4, hall=0)
    with pytest.raises(ValueError, match=r"^duration and time step must be positive$"):
        run_whatif(fac, ["CRAH-1"], options=opts, baseline=baseline)


def test_a_run_shorter_than_a_second_is_followed(fac, baseline):
    opts = WhatIfOptions(duration_s=0.5, dt_s=0.5, cell_m=0.4, hall=0)
    res = run_whatif(fac, ["CRAH-1"], options=opts, baseline=baseline)
    assert res.series["time_s"].tolist() == [0.0, 0.5]
    assert 0.0 < res.seconds < 60.0


def test_power_devices_off_at_the_start_count_with_those_failed(fac, baseline):
    start = dataclasses.replace(StartState.nominal(fac), off=("PDU-A",))
    res = run_whatif(fac, ["PDU-B"], start, FAST, baseline)
    assert res.summary()["racks_dark"] == 6
    # an air unit off at the start is the hall's business, not the power's
    start = dataclasses.replace(StartState.nominal(fac), off=("CRAH-2",))
    res = run_whatif(fac, [], start, dataclasses.replace(FAST, duration_s=20.0))
    assert res.summary()["racks_dark"] == 0 and res.thermal_run


def test_overloads_are_at_the_start_loads(fac, baseline):
    ups_b = fac.power_index["UPS-B"]
    saved = fac.power_capacity_w.copy()
    half = StartState.nominal(fac)
    half.rack_power_w = half.rack_power_w * 0.5
    try:
        fac.power_capacity_w[ups_b] = 100e3
        res = run_whatif(fac, ["UPS-A"], half, FAST, baseline)
    finally:
        fac.power_capacity_w[:] = saved
    (over,) = res.summary()["overloaded"]
    # the whole hall at half load through PDU-B (98 %): 6 x 20.4 kW / 0.98
    assert over["id"] == "UPS-B" and over["load_kw"] == pytest.approx(6 * 20.4 / 0.98, rel=1e-6)


def test_the_hall_asked_for_is_the_one_followed(two):
    opts = WhatIfOptions(duration_s=20.0, dt_s=10.0, cell_m=0.4, hall=0)
    res = run_whatif(two, ["CRAH-3"], options=opts)  # a unit of the other hall
    assert res.hall == 0 and not res.thermal_run
    res = run_whatif(two, ["PDU-C", "PDU-D"], options=opts)  # racks dark in the other hall
    assert res.hall == 0 and not res.thermal_run
    assert res.summary()["racks_dark"] == 2


def test_a_transient_of_the_first_hall_leaves_the_second_unmarked(two):
    """A hall-0 transient in a layout whose later racks are another hall's; a GPU of that
    hall at slowdown is not the followed hall's at the start."""
    start = StartState.nominal(two)
    other = int(np.flatnonzero(two.gpu_hall == 1)[0])
    start.gpu_temp_c[other] = two.gpu_slowdown_c[other]
    opts = WhatIfOptions(duration_s=20.0, dt_s=10.0, cell_m=0.4)
    res = run_whatif(two, ["CRAH-1"], start, opts)
    assert res.hall == 0 and res.thermal_run
    assert not res.gpu_slow_at_start[two.gpu_hall == 1].any()
    assert np.isnan(res.gpu_slowdown_s[two.gpu_hall == 1]).all()
    assert len(res.series["gpus_throttling"]) == 3


def test_without_a_cell_the_what_if_grid_is_taken(fac, baseline):
    """No cell given: the what-if's 0.25 m, not the 0.4 m baseline passed (re-solved)."""
    opts = dataclasses.replace(FAST, duration_s=30.0, cell_m=None)
    got = run_whatif(fac, ["CRAH-1"], options=opts, baseline=baseline)
    at = run_whatif(fac, ["CRAH-1"], options=dataclasses.replace(opts, cell_m=0.25))
    np.testing.assert_array_equal(got.series["rack_inlet_max_c"], at.series["rack_inlet_max_c"])
    coarse = run_whatif(fac, ["CRAH-1"], options=dataclasses.replace(opts, cell_m=0.4))
    assert not np.array_equal(got.series["rack_inlet_max_c"], coarse.series["rack_inlet_max_c"])


def test_a_cdu_loop_warms_by_the_load_it_carries_at_the_start(tmp_path):
    from twin.physics.devices import CP_W, RHO_W

    pod = load_layout(HALL.parents[2] / "layouts" / "gb200-pod.yaml")
    half = StartState.nominal(pod)
    half.rack_power_w = half.rack_power_w * 0.5
    half.gpu_power_w = half.gpu_power_w * 0.5
    opts = WhatIfOptions(duration_s=300.0, dt_s=10.0, cell_m=0.4)
    res = run_whatif(pod, ["CDU-SU1"], half, opts)
    lost = pod.cdu_index["CDU-SU1"]
    rise_k = pod.cdu_load_w(half.rack_power_w)[lost] / (
        RHO_W * CP_W * pod.cdu_flow_lps[lost] * 1e-3
    )
    assert rise_k == pytest.approx(6.95 / 2, abs=0.01)
    on_lost = pod.rack_cdu[pod.gpu_rack] == lost
    want = pod.cdu_supply_c[lost] + rise_k + pod.gpu_r_th_k_per_w * 600.0
    np.testing.assert_allclose(res.gpu_final_c[on_lost], want[on_lost], atol=1e-6)


def test_an_air_cooled_rack_naming_a_cdu_follows_its_air(two, tmp_path):
    """C3's servers are air-cooled: the CDU it names carries none of their heat, so its GPUs
    follow the hall's air as they would without it (with CRAH-3 lost, they warm)."""
    path = tmp_path / "no-cdu.yaml"
    path.write_text(two_halls_text(c3_cdu=False))
    plain = load_layout(path)
    c3 = two.rack_index["C3"]
    assert two.rack_cdu[c3] == two.cdu_index["CDU-3"] and plain.rack_cdu[c3] == -1
    opts = WhatIfOptions(duration_s=300.0, dt_s=10.0, cell_m=0.4, hall=1)
    got = run_whatif(two, ["CRAH-3"], options=opts)
    want = run_whatif(plain, ["CRAH-3"], options=opts)
    g = two.gpu_rack == c3
    np.testing.assert_array_equal(got.gpu_final_c[g], want.gpu_final_c[g])
    assert (got.gpu_final_c[g] > got.gpu_peak_c[g] - 1e-9).all()  # still warming at the end
    assert (got.gpu_final_c[g] > Baseline(two, StartState.nominal(two), 1, 0.4).gpu_temp_c[g]).all()


def test_a_steady_start_with_a_unit_already_off_stays_where_it_is(fac):
    """Half load with CRAH-2 off at the start: one 150 kW unit holds the 122 kW, so the
    baseline is steady, and a what-if failing nothing more (followed, a unit being off) stays
    at it: the first steps start from the start's own heat, not the layout's."""
    half = dataclasses.replace(StartState.nominal(fac), off=("CRAH-2",))
    half.rack_power_w = half.rack_power_w * 0.5
    half.gpu_power_w = half.gpu_power_w * 0.5
    opts = WhatIfOptions(duration_s=60.0, dt_s=10.0, cell_m=0.4, hall=0)
    res = run_whatif(fac, [], half, opts)
    assert res.thermal_run
    inlets = res.series["rack_inlet_max_c"]
    np.testing.assert_allclose(inlets, np.broadcast_to(inlets[0], inlets.shape), atol=0.01)
    load = res.series["air_unit_load_w"]
    np.testing.assert_allclose(load[1:, 0], 6 * 20.4e3, rtol=1e-3)
