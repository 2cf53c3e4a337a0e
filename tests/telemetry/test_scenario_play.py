"""The scenario player on its own: which unit each scenario strikes, the events at the failure
and the recovery (times, texts, severities), and the power paths a UPS failure leaves.

Targets are derived here from the layouts (the busiest unit, the UPS feeding most racks, the
busiest air-cooled rack near the middle of its row); the player is driven directly with the
time of each step, without the rest of the simulator.
"""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.document import LayoutDocument
from twin.model.frame import Event, EventKind
from twin.model.loader import facility_from_text
from twin.telemetry.scenario_play import ScenarioPlayer, pick_target
from twin.telemetry.scenarios import Scenario
from twin.telemetry.thermal import HeatBalance

HEAD = """\
format: twin-layout/1
name: play
power_redundancy: N
halls: [{id: H1, size_m: [30, 12, 4]}]
"""


def rack(rid: str, x: float, y: float, kw: float, liquid: float = 0.0, extra: str = "") -> str:
    load = f"power_kw: {kw}, delta_t_k: 12" + (f", liquid_fraction: {liquid}" if liquid else "")
    return f"      - {{id: {rid}, position_m: [{x:.1f}, {y}], load: {{{load}}}{extra}}}"


def row(rid: str, racks: list[str]) -> str:
    return f"  - id: {rid}\n    hall: H1\n    racks:\n" + "\n".join(racks) + "\n"


def player(fac, name: str, **kw) -> ScenarioPlayer:
    sc = Scenario(name, **kw)
    return ScenarioPlayer(fac, sc, HeatBalance(fac, np.random.default_rng(0)))


def play(p: ScenarioPlayer, times: list[float], start: float = 1000.0) -> list[Event]:
    out = []
    for i, t_rel in enumerate(times):
        out += p.events(start + t_rel, t_rel, i == 0)
    return out


# ---------------------------------------------------------------------- targets
def test_hot_spot_picks_the_busiest_air_rack_near_the_middle_of_its_row():
    # row S: three racks, all within one rack of the centre (1 +- 1): the busiest, S0 at an
    # end, is the pick. Row T (second, so positions count from its own start): twelve racks,
    # the middle within 3 of the centre 5.5 is positions 3..8; T3 (15 kW, 2.5 from the
    # centre) beats T5 (10 kW); T0 (25 kW) is not in the middle: 25 < 2 x 15.
    s = [rack("S0", 2, 2, 10), rack("S1", 2.6, 2, 8), rack("S2", 3.2, 2, 5)]
    kw = [25, 5, 5, 15, 5, 10, 5, 5, 5, 5, 5, 5]
    t = [rack(f"T{i}", 2 + 0.6 * i, 6, k) for i, k in enumerate(kw)]
    fac = facility_from_text(HEAD + "rows:\n" + row("S", s) + row("T", t), "hot.yaml")
    assert fac.rack_ids[pick_target(fac, "hot-spot")] == "T3"
    # S alone: the end rack S0 still counts as in the middle of a row of three
    fac = facility_from_text(HEAD + "rows:\n" + row("S", s), "hot.yaml")
    assert fac.rack_ids[pick_target(fac, "hot-spot")] == "S0"


def test_hot_spot_prefers_air_cooled_racks_and_falls_back_to_any():
    # half liquid is not air-cooled: the 8 kW air rack wins over the 30 kW half-liquid one
    racks = [rack("Q0", 2, 2, 30, liquid=0.5), rack("Q1", 2.6, 2, 8), rack("Q2", 3.2, 2, 4)]
    fac = facility_from_text(HEAD + "rows:\n" + row("Q", racks), "air.yaml")
    assert fac.rack_ids[pick_target(fac, "hot-spot")] == "Q1"
    # no air-cooled rack at all: the busiest rack of any kind
    racks = [rack("Q0", 2, 2, 20, liquid=0.8), rack("Q1", 2.6, 2, 30, liquid=0.8)]
    fac = facility_from_text(HEAD + "rows:\n" + row("Q", racks), "liquid.yaml")
    assert fac.rack_ids[pick_target(fac, "hot-spot")] == "Q1"


def test_hot_spot_turns_the_rack_and_warns_once():
    racks = [rack(f"R{i}", 2 + 0.6 * i, 2, 10 + (i == 2)) for i in range(5)]
    fac = facility_from_text(HEAD + "rows:\n" + row("R", racks), "hot.yaml")
    p = player(fac, "hot-spot")
    assert p.target == 2
    # its intake draws hot-aisle air, its exhaust reaches its neighbours' intakes
    np.testing.assert_array_equal(p.heat.extra_recirc, [0, 0.3, 0.9, 0.3, 0])
    np.testing.assert_array_equal(p.heat.self_recirc, [0, 0, 0.3, 0, 0])
    assert play(p, [0.0, 1.0, 200.0]) == [
        Event(1000.0, EventKind.NOTE, "R2", "R2 is installed facing the hot aisle", 1)
    ]


UNITS = """\
cooling:
  air_units:
    - {{id: C-W, type: crah-77kw, hall: H1, position_m: [2, 10]}}
    - {{id: C-E, type: crah-150kw, hall: H1, position_m: [25, 10]}}
  cdus:
    - {{id: K1, type: cdu-inrow-250kw, hall: H1, position_m: [10, 10]{k1}}}
    - {{id: K2, type: cdu-inrow-250kw, hall: H1, position_m: [12, 10]}}
"""


def units_facility(k1: str = ""):
    # L0 (100 kW, 80 % liquid) on K1, L1 (60 kW) on K2; the air units share the air heat by
    # airflow, so the bigger crah-150kw (C-E, listed second) carries the most
    racks = [
        rack("L0", 2, 2, 100, liquid=0.8, extra=", cdu: K1"),
        rack("L1", 2.6, 2, 60, liquid=0.8, extra=", cdu: K2"),
    ]
    text = HEAD + "rows:\n" + row("L", racks) + UNITS.format(k1=k1)
    return LayoutDocument.from_text(text, strict=False).facility


def test_the_busiest_running_units_are_struck():
    fac = units_facility()
    assert fac.air_unit_ids[pick_target(fac, "crah-trip")] == "C-E"
    assert fac.cdu_ids[pick_target(fac, "cdu-pump-failure")] == "K1"
    # K1 switched off (its rack's heat on a CDU that is off): the running K2 is struck
    fac = units_facility(", state: off")
    assert fac.cdu_ids[pick_target(fac, "cdu-pump-failure")] == "K2"


def test_crah_trip_and_restart_events():
    fac = units_facility()
    p = player(fac, "crah-trip", fail_at_s=10.0, recover_at_s=30.0)
    k = fac.air_unit_index["C-E"]
    assert play(p, [0.0, 9.0]) == [] and p.heat.air_unit_on[k]
    assert play(p, [10.0], start=1000.0) == [
        Event(1010.0, EventKind.UNIT_FAILED, "C-E", "C-E tripped: 150 kW of cooling lost", 2)
    ]
    assert not p.heat.air_unit_on[k] and p.heat.air_unit_on.sum() == 1
    assert play(p, [11.0, 29.0]) == []
    assert play(p, [30.0]) == [Event(1030.0, EventKind.UNIT_RECOVERED, "C-E", "C-E restarted", 0)]
    assert p.heat.air_unit_on[k]
    assert play(p, [31.0, 500.0]) == []


def test_cdu_pump_failure_and_standby_events():
    fac = units_facility()
    p = player(fac, "cdu-pump-failure", fail_at_s=5.0, recover_at_s=None)
    got = play(p, [0.0, 4.0, 5.0, 6.0, 10_000.0])
    assert got == [
        Event(
            1005.0, EventKind.UNIT_FAILED, "K1", "K1 pumps failed: coolant flow lost to 1 racks", 2
        )
    ]
    np.testing.assert_array_equal(p.heat.cdu_pump_frac, [0.02, 1.0])  # residual flow only
    p = player(fac, "cdu-pump-failure", fail_at_s=5.0, recover_at_s=8.0)
    got = play(p, [5.0, 8.0])[1:]
    assert got == [
        Event(1008.0, EventKind.UNIT_RECOVERED, "K1", "K1 standby pump running, flow restored", 0)
    ]
    np.testing.assert_array_equal(p.heat.cdu_pump_frac, [1.0, 1.0])


def test_missing_equipment_is_named():
    bare = facility_from_text(HEAD + "rows:\n" + row("R", [rack("R0", 2, 2, 10)]), "bare.yaml")
    with pytest.raises(
        ValueError, match="^scenario ups-failover needs a layout with a UPS feeding racks$"
    ):
        pick_target(bare, "ups-failover")
    empty = facility_from_text(HEAD, "empty.yaml")
    with pytest.raises(ValueError, match="^scenario hot-spot needs a layout with racks$"):
        pick_target(empty, "hot-spot")
    assert pick_target(bare, "normal") == -1


# ---------------------------------------------------------------------- power paths
POWER = """\
power:
{first}
{second}
  - {{id: UPS-A, type: ups-500kw, upstream: U-A}}
  - {{id: UPS-B, type: ups-500kw, upstream: U-B}}
  - {{id: U-A, type: utility-feed-5mva}}
  - {{id: U-B, type: utility-feed-5mva}}
"""


@pytest.mark.parametrize("first", ["A", "B"])
@pytest.mark.parametrize("busy", ["A", "B"])
def test_ups_failure_caps_the_dual_fed_and_darkens_the_single_fed(first, busy):
    # D (one DGX H100: 8 GPUs) is fed by both PDUs; S1 and S2 only by the PDU on the busy
    # side, whose UPS therefore feeds the most racks and fails; O (8 GPUs) only by the other
    # side's PDU, so it neither transfers nor is capped. Either PDU may be the first power
    # device (index 0).
    other = "B" if busy == "A" else "A"
    pdu = {s: f"  - {{id: PDU-{s}, type: pdu-300kva, upstream: UPS-{s}}}" for s in "AB"}
    second = "B" if first == "A" else "A"
    racks = [
        "      - {id: D, position_m: [2, 2], servers: [{type: dgx-h100, count: 1}], "
        "feeds: {a: PDU-A, b: PDU-B}}",
        rack("S1", 2.6, 2, 10, extra=f", feeds: {{{busy.lower()}: PDU-{busy}}}"),
        rack("S2", 3.2, 2, 10, extra=f", feeds: {{{busy.lower()}: PDU-{busy}}}"),
        "      - {id: O, position_m: [3.8, 2], servers: [{type: dgx-h100, count: 1}], "
        f"feeds: {{{other.lower()}: PDU-{other}}}}}",
    ]
    text = HEAD + "rows:\n" + row("R", racks) + POWER.format(first=pdu[first], second=pdu[second])
    fac = facility_from_text(text, "ups.yaml")
    p = player(fac, "ups-failover", fail_at_s=10.0, recover_at_s=20.0)
    ups = f"UPS-{busy}"
    assert fac.power_ids[p.target] == ups
    tdp = fac.gpu_tdp_w
    assert play(p, [0.0]) == [] and p.rack_dark is None
    assert play(p, [10.0]) == [
        Event(1010.0, EventKind.UNIT_FAILED, ups, f"{ups} failed", 2),
        Event(1010.0, EventKind.FAILOVER, ups, "1 racks transferred to their other feed", 2),
        Event(1010.0, EventKind.ALARM, ups, "single power path: 8 GPUs capped at 75 % of TDP", 1),
    ]
    assert p.failed_power == {ups}
    np.testing.assert_array_equal(p.rack_dark, [False, True, True, False])
    d = fac.gpu_rack == fac.rack_index["D"]
    assert d.sum() == 8 and len(d) == 16
    np.testing.assert_array_equal(p.gpu_cap_w, np.where(d, 0.75 * tdp, tdp))
    assert play(p, [20.0]) == [
        Event(1020.0, EventKind.UNIT_RECOVERED, ups, f"{ups} back online, both feeds restored", 0),
        Event(1020.0, EventKind.ALARM_CLEARED, ups, "power caps lifted", 0),
    ]
    assert p.failed_power == set() and not p.rack_dark.any()
    np.testing.assert_array_equal(p.gpu_cap_w, tdp)
