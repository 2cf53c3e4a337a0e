"""Constraint checks against hand-computed expectations, including single-failure cases."""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.constraints import CheckOptions, ConstraintChecker, failure_loads
from twin.model.document import LayoutDocument

HEAD = """\
format: twin-layout/1
name: checks
power_redundancy: {red}
cooling_redundancy: {cool}
halls: [{{id: H1, size_m: [20, 12, 4], floor_load_kg_m2: {floor}}}]
"""


def make(body: str, red: str = "2N", cool: str = "N", floor: float = 2000) -> ConstraintChecker:
    text = HEAD.format(red=red, cool=cool, floor=floor) + body
    doc = LayoutDocument.from_text(text, strict=False)
    return ConstraintChecker(doc.facility)


def of(checker: ConstraintChecker, kind: str, severity: str | None = None):
    return [
        v
        for v in checker.problems
        if v.kind == kind and (severity is None or v.severity == severity)
    ]


# ---------------------------------------------------------------------- power
# UPS-A/B 280 kW (overridden), PDU-A/B 270 kW at 98 % efficiency, five 60 kW racks on A+B.
POWER = """\
rows:
  - id: A
    hall: H1
    racks:
{racks}
power:
  - {{id: U, type: utility-feed-5mva}}
  - {{id: UPS-A, type: ups-500kw, upstream: U, capacity_kw: 280}}
  - {{id: UPS-B, type: ups-500kw, upstream: U, capacity_kw: 280}}
  - {{id: PDU-A, type: pdu-300kva, upstream: UPS-A}}
  - {{id: PDU-B, type: pdu-300kva, upstream: UPS-B}}
  - {{id: PDU-A2, type: pdu-300kva, upstream: UPS-A}}
cooling:
  air_units: [{{id: C1, type: fanwall-300kw, hall: H1, position_m: [18, 10]}}]
"""


def racks(n: int, kw: float, feeds: str = "{a: PDU-A, b: PDU-B}") -> str:
    return "\n".join(
        f"      - {{id: R{i}, position_m: [{2 + 0.6 * i:.1f}, 3], "
        f"load: {{power_kw: {kw}, delta_t_k: 12}}, feeds: {feeds}}}"
        for i in range(n)
    )


def test_four_racks_survive_any_single_failure():
    # 4 x 60 = 240 kW: normally 120 kW per PDU; if one side fails the other carries 240 < 270,
    # its UPS 240 / 0.98 = 244.9 < 280.
    c = make(POWER.format(racks=racks(4, 60)))
    assert of(c, "power") == [] and of(c, "power-failover") == [] and of(c, "feed") == []


@pytest.mark.parametrize("red", ["2N", "N+1"])
def test_five_racks_overload_the_surviving_side(red):
    # 5 x 60 = 300 kW: normal 150 kW per PDU (fine). After a failure on side A, PDU-B carries
    # 300 kW > 270 kW and UPS-B 300 / 0.98 = 306.1 kW > 280 kW; symmetric for side B.
    # N+1 promises the same as 2N here: any single failure is survived.
    c = make(POWER.format(racks=racks(5, 60)), red=red)
    assert of(c, "power") == []
    assert all(v.message.endswith(f"({red})") for v in of(c, "power-failover"))
    fo = {v.items[0]: v for v in of(c, "power-failover")}
    assert set(fo) == {"PDU-A", "PDU-B", "UPS-A", "UPS-B"}
    assert "300.0 kW" in fo["PDU-B"].message and "270.0 kW rating" in fo["PDU-B"].message
    assert fo["PDU-B"].items[1] in ("UPS-A", "PDU-A")
    assert "306.1 kW" in fo["UPS-B"].message and fo["UPS-B"].items[1] == "UPS-A"
    assert fo["UPS-B"].field == "power[2].capacity_kw"
    # N declares no redundancy: only normal operation counts
    assert of(make(POWER.format(racks=racks(5, 60)), red="N"), "power-failover") == []


def test_normal_overload_and_rack_feed_too_small():
    # one 300 kW rack: each PDU 150 kW in normal operation, but neither can carry 300 alone
    c = make(POWER.format(racks=racks(1, 300)))
    feed = of(c, "feed")
    assert len(feed) == 2
    assert all("cannot carry its full 300.0 kW" in v.message for v in feed)
    assert {v.field for v in feed} == {"rows[0].racks[0].feeds.a", "rows[0].racks[0].feeds.b"}
    # ten 60 kW racks: 300 kW per PDU in normal operation > 270; UPS 306.1 > 280
    c = make(POWER.format(racks=racks(10, 60)))
    normal = {v.items[0]: v for v in of(c, "power")}
    assert set(normal) == {"PDU-A", "PDU-B", "UPS-A", "UPS-B"}
    assert "300.0 kW in normal operation" in normal["PDU-A"].message
    assert "306.1 kW" in normal["UPS-A"].message


def test_single_corded_same_device_and_common_mode():
    body = POWER.format(
        racks="\n".join(
            [
                "      - {id: S1, position_m: [2, 3], load: {power_kw: 10, delta_t_k: 12}, "
                "feeds: {a: PDU-A}}",
                "      - {id: S2, position_m: [2.6, 3], load: {power_kw: 10, delta_t_k: 12}, "
                "feeds: {a: PDU-A, b: PDU-A}}",
                "      - {id: S3, position_m: [3.2, 3], load: {power_kw: 10, delta_t_k: 12}, "
                "feeds: {a: PDU-A, b: PDU-A2}}",
                "      - {id: S4, position_m: [3.8, 3], load: {power_kw: 10, delta_t_k: 12}}",
            ]
        )
    )
    c = make(body)
    msgs = {v.items[0]: v.message for v in of(c, "feed")}
    assert "only feed A" in msgs["S1"]
    assert "same device 'PDU-A'" in msgs["S2"]
    assert "no power feed" in msgs["S4"]
    dark = [v for v in of(c, "power-failover") if "without power" in v.message]
    # S3 has two PDUs, both under UPS-A: a UPS-A failure darkens it (S2's duplicate feed is
    # reported as a feed problem, not again here)
    assert len(dark) == 1 and dark[0].items == ("UPS-A", "S3")
    # N: a single cord is fine, no rack goes without a feed check of its own
    c = make(body, red="N")
    assert {v.items[0] for v in of(c, "feed")} == {"S4"}


def test_failure_loads_match_power_load_w_row_by_row():
    doc = LayoutDocument.from_text(
        HEAD.format(red="2N", cool="N", floor=2000) + POWER.format(racks=racks(7, 45)),
        strict=False,
    )
    fac = doc.facility
    cand = np.arange(len(fac.power_ids))
    loads, alive = failure_loads(fac, cand)
    for k, f in enumerate(cand):
        np.testing.assert_allclose(loads[k], fac.power_load_w(failed=[fac.power_ids[f]]))
        np.testing.assert_array_equal(alive[k], fac.power_alive([fac.power_ids[f]]))


# ---------------------------------------------------------------------- cooling
def test_cdu_capacity_and_liquid_rack_without_cdu():
    # 300 kW at 90 % liquid = 270 kW on a 250 kW CDU
    body = """\
rows:
  - id: A
    hall: H1
    racks:
      - {id: L1, position_m: [2, 3], load: {power_kw: 300, delta_t_k: 12, liquid_fraction: 0.9}, cdu: CDU-1}
      - {id: L2, position_m: [2.6, 3], load: {power_kw: 10, delta_t_k: 12, liquid_fraction: 0.5}}
cooling:
  air_units: [{id: C1, type: fanwall-300kw, hall: H1, position_m: [18, 10]}]
  cdus: [{id: CDU-1, type: cdu-inrow-250kw, hall: H1, position_m: [10, 10]}]
"""
    c = make(body)
    cdu = {v.items[0]: v.message for v in of(c, "cdu")}
    assert "270.0 kW of liquid heat, over its 250.0 kW" in cdu["CDU-1"]
    assert "liquid-cooled (5.0 kW) but has no CDU" in cdu["L2"]


AIR = """\
rows:
  - id: A
    hall: H1
    racks:
      - {{id: R1, position_m: [2, 3], load: {{power_kw: 100, delta_t_k: {dt}}}}}
cooling:
  air_units:
    - {{id: C1, type: crah-77kw, hall: H1, position_m: [10, 10]}}
    - {{id: C2, type: crah-77kw, hall: H1, position_m: [14, 10]}}
"""


@pytest.mark.parametrize(
    ("cool", "capacity"),
    [("N", None), ("N+1", "77.0 kW with the largest unit off"), ("2N", "77.0 kW with half")],
)
def test_air_capacity_per_hall_with_redundancy(cool, capacity):
    # 100 kW of air heat; two 77 kW CRAHs: 154 kW (N), 77 kW (N+1: one off), 77 kW (2N)
    c = make(AIR.format(dt=12), red="N", cool=cool)
    air = of(c, "air", "error")
    if capacity is None:
        assert air == []
    else:
        assert len(air) == 1 and "100.0 kW to the air" in air[0].message
        assert capacity in air[0].message


def test_airflow_shortfall_warns():
    # 100 kW at dT 5 K needs 100e3 / (1.19 * 1005 * 5) = 16.7 m3/s; two CRAHs give 9.4 m3/s
    c = make(AIR.format(dt=5), red="N")
    warn = of(c, "air", "warning")
    assert len(warn) == 1 and "16.7 m3/s" in warn[0].message and "9.4 m3/s" in warn[0].message
    assert of(make(AIR.format(dt=12), red="N"), "air", "warning") == []  # 7.0 < 9.4


# ---------------------------------------------------------------------- floor
def test_floor_load_and_enclosure_rating():
    # 600 x 1200 rack (0.72 m2) of 170 kg plus five DGX H100 (130.45 kg) = 822.25 kg
    # -> 1142 kg/m2 on a floor rated 1000; four servers (691.8 kg -> 961 kg/m2) are fine.
    body = """\
catalog:
  - {id: weak-rack, kind: rack, name: weak, size_m: [0.6, 1.2, 2.2], u: 48, weight_kg: 170, max_load_kg: 500}
rows:
  - id: A
    hall: H1
    racks:
      - {id: F5, position_m: [2, 3], servers: [{type: dgx-h100, count: 5}]}
      - {id: F4, position_m: [2.6, 3], servers: [{type: dgx-h100, count: 4}]}
      - {id: W4, type: weak-rack, position_m: [3.2, 3], servers: [{type: dgx-h100, count: 4}]}
"""
    c = make(body, red="N", floor=1000)
    fl = {v.items[0]: v.message for v in of(c, "floor-load")}
    assert set(fl) == {"F5", "W4"}
    assert "1142 kg/m²" in fl["F5"] and "rated 1000" in fl["F5"]
    assert "holds 522 kg, over its enclosure's 500 kg" in fl["W4"]


# ---------------------------------------------------------------------- geometry
def geo(racks_yaml: str, units: str = "[]", containment: str = "[]") -> ConstraintChecker:
    body = f"""\
rows:
  - id: A
    hall: H1
    racks:
{racks_yaml}
cooling:
  air_units: {units}
  containment: {containment}
"""
    return make(body, red="N")


def rack(rid: str, x: float, y: float, rot: float = 0) -> str:
    return f"      - {{id: {rid}, position_m: [{x}, {y}], rotation_deg: {rot}}}"


def test_overlap_touching_and_outside():
    c = geo("\n".join([rack("R1", 2.0, 3), rack("R2", 2.6, 3), rack("R3", 3.1, 3)]))
    ov = of(c, "overlap")
    assert [v.items for v in ov] == [("R2", "R3")]  # R1/R2 only touch
    assert ov[0].field == "rows[0].racks[2].position_m"
    c = geo(rack("R1", 0.2, 3))  # 0.3 wide half: reaches x = -0.1
    assert [v.items for v in of(c, "outside")] == [("R1",)]


@pytest.mark.parametrize(("y", "blocked"), [(0.6, False), (0.61, True)])
def test_front_clearance_hand_computed(y, blocked):
    # rack at y=3 faces -y: its front face is at 2.4, the 1.2 m zone spans y 1.2-2.4. A rack
    # 1.2 deep centred at 0.6 reaches 1.2 (touching: fine); at 0.61 it reaches 1.21 (blocked).
    c = geo("\n".join([rack("R1", 2, 3), rack("R2", 2, y, 180)]))
    cl = [v for v in of(c, "clearance", "error") if v.items == ("R1", "R2")]
    assert bool(cl) == blocked
    if blocked:
        assert "front service clearance (1.20 m) of rack 'R1'" in cl[0].message


def test_rear_clearance_and_units_block_too():
    # rear face at 3.6, 0.9 m zone to 4.5; a CRAH (0.9 deep) centred at 4.9 reaches 4.45
    c = geo(rack("R1", 2, 3), units="[{id: C1, type: crah-77kw, hall: H1, position_m: [2, 4.9]}]")
    cl = of(c, "clearance", "error")
    assert [v.items for v in cl] == [("R1", "C1")] and "rear service clearance" in cl[0].message
    c = geo(rack("R1", 2, 3), units="[{id: C1, type: crah-77kw, hall: H1, position_m: [2, 4.96]}]")
    assert of(c, "clearance", "error") == []


def test_clearance_is_configurable_and_walls_warn():
    body = "\n".join([rack("R1", 2, 3), rack("R2", 2, 0.61, 180)])
    assert of(geo(body), "clearance", "error")
    doc = LayoutDocument.from_text(
        HEAD.format(red="N", cool="N", floor=2000)
        + f"rows:\n  - id: A\n    hall: H1\n    racks:\n{body}\n",
        strict=False,
    )
    c = ConstraintChecker(doc.facility, CheckOptions(clearance_front_m=0.5))
    assert not [v for v in c.problems if v.kind == "clearance" and v.severity == "error"]
    # a rack with its front 0.5 m from the wall: the 1.2 m zone runs into the wall
    c = geo(rack("R1", 2, 1.1))
    assert [v.items for v in of(c, "clearance", "warning")] == [("R1",)]


def test_exhaust_into_facing_intake_across_aisle():
    # R1 at y=3 exhausts to +y (rear face 3.6); R2 at y=5.4 (front face 4.8) also faces -y:
    # its intake looks at R1's exhaust across a 1.2 m aisle.
    c = geo("\n".join([rack("R1", 2, 3), rack("R2", 2, 5.4)]))
    ori = of(c, "orientation", "error")
    assert [v.items for v in ori] == [("R1", "R2")]
    assert "exhausts into the intake of rack 'R2'" in ori[0].message
    # turned round (180) R2 shares a hot aisle with R1: fine
    assert of(geo("\n".join([rack("R1", 2, 3), rack("R2", 2, 5.4, 180)])), "orientation") == []
    # beyond the 2.4 m aisle reach: not facing any more
    assert of(geo("\n".join([rack("R1", 2, 3), rack("R2", 2, 6.61)])), "orientation") == []


def test_rack_facing_against_its_row():
    rows = [rack(f"R{i}", 2 + 0.6 * i, 3) for i in range(5)]
    rows[2] = rack("R2", 3.2, 3, 180)
    c = geo("\n".join(rows))
    ori = of(c, "orientation", "warning")
    assert [v.items for v in ori] == [("R2",)] and "opposite way to its row 'A'" in ori[0].message


def test_containment_orientation():
    # a cold aisle y 1.2-2.4 in front of racks at y=3 (front face 2.4): fine. A rack turned
    # round (rear face at 2.4) blows into it.
    cont = "[{id: CA, hall: H1, kind: cold-aisle, rect_m: [1.7, 1.2, 3.5, 2.4], height_m: 2.4}]"
    c = geo("\n".join([rack("R1", 2, 3), rack("R2", 2.6, 3)]), containment=cont)
    assert of(c, "orientation") == []
    c = geo(
        "\n".join([rack("R1", 2, 3), rack("R2", 2.6, 3, 180), rack("R3", 3.2, 3)]), containment=cont
    )
    ori = of(c, "orientation", "error")
    assert [v.items for v in ori] == [("R2", "CA")] and "exhausts into the cold-aisle" in ori[
        0
    ].message
    hot = cont.replace("cold-aisle", "hot-aisle")
    c = geo(rack("R1", 2, 3), containment=hot)
    assert "draws its intake from the hot-aisle" in of(c, "orientation", "error")[0].message


def test_rack_taller_than_hall():
    doc = LayoutDocument.from_text(
        HEAD.format(red="N", cool="N", floor=2000).replace("[20, 12, 4]", "[20, 12, 2.1]")
        + "rows:\n  - id: A\n    hall: H1\n    racks:\n"
        + rack("R1", 2, 3)
        + "\n",
        strict=False,
    )
    out = [v for v in ConstraintChecker(doc.facility).problems if v.kind == "outside"]
    assert [v.items for v in out] == [("R1",)] and "2.20 m) is taller" in out[0].message


def test_shipped_demo_hall_is_clean():
    from pathlib import Path

    path = Path(__file__).parents[2] / "layouts" / "demo-air-hall.yaml"
    if not path.exists():
        pytest.skip("demo layout not in this checkout")
    doc = LayoutDocument.open(path)
    c = ConstraintChecker(doc.facility)
    assert [v for v in c.problems if v.severity == "error"] == []


# ---------------------------------------------------------------------- details the summaries miss
def test_worst_failure_named_for_each_side():
    # 5 x 60 kW on A+B. UPS-A itself is overloaded only when side B fails: by UPS-B or PDU-B
    # (300 / 0.98 = 306.1 kW each), never by its own failure, which leaves it carrying nothing.
    c = make(POWER.format(racks=racks(5, 60)))
    fo = {v.items[0]: v for v in of(c, "power-failover")}
    assert fo["UPS-A"].items[1] == "UPS-B" and "306.1 kW if 'UPS-B' failed" in fo["UPS-A"].message
    assert fo["PDU-A"].items[1] in ("UPS-B", "PDU-B") and "carry 300.0 kW" in fo["PDU-A"].message


FIRST = """\
rows:
  - id: A
    hall: H1
    racks:
      - {id: R0, position_m: [2, 3], load: {power_kw: 100, delta_t_k: 12}, feeds: {a: P0, b: P1}}
power:
  - {id: P0, type: pdu-300kva, capacity_kw: 80}
  - {id: P1, type: pdu-300kva, capacity_kw: 80}
"""


def test_the_first_listed_device_counts_like_any_other():
    # a 100 kW rack on two 80 kW PDUs, the first listed power device (index 0) being feed A:
    # each side alone is too small, and each PDU carries 100 kW when the other fails
    c = make(FIRST)
    feeds = {v.field: v.message for v in of(c, "feed")}
    assert set(feeds) == {"rows[0].racks[0].feeds.a", "rows[0].racks[0].feeds.b"}
    assert (
        "feed A of rack 'R0' ('P0', 80.0 kW) cannot carry its full 100.0 kW alone"
        in (feeds["rows[0].racks[0].feeds.a"])
    )
    fo = sorted(v.items for v in of(c, "power-failover"))
    assert fo == [("P0", "P1"), ("P1", "P0")]
    loads, alive = failure_loads(c.fac, np.array([0, 1]))
    np.testing.assert_array_equal(loads, [[0.0, 100e3], [100e3, 0.0]])
    np.testing.assert_array_equal(alive, [[False, True], [True, False]])


CDU_OFF = """\
rows:
  - id: A
    hall: H1
    racks:
      - {{id: L1, position_m: [2, 3], load: {{power_kw: {kw}, delta_t_k: 12, liquid_fraction: 0.5}}, cdu: CDU-1}}
cooling:
  air_units: [{{id: C1, type: fanwall-300kw, hall: H1, position_m: [18, 10]}}]
  cdus: [{{id: CDU-1, type: cdu-inrow-250kw, hall: H1, position_m: [10, 10], state: off}}]
"""


@pytest.mark.parametrize("kw", [10, 0.001])  # 5 kW of liquid heat; 0.5 W is still some heat
def test_cdu_switched_off_while_cooling_racks(kw):
    cdu = of(make(CDU_OFF.format(kw=kw)), "cdu")
    assert [(v.items, v.severity, v.field) for v in cdu] == [
        (("CDU-1",), "error", "cooling.cdus[0].state")
    ]
    assert cdu[0].message == "CDU 'CDU-1' is off but cools racks"


def test_cdu_overload_is_an_error_at_the_capacity_field():
    body = CDU_OFF.format(kw=600).replace(", state: off", "")  # 300 kW liquid on 250 kW
    cdu = of(make(body), "cdu")
    assert [(v.items, v.severity, v.field) for v in cdu] == [
        (("CDU-1",), "error", "cooling.cdus[0].capacity_kw")
    ]


def test_air_problem_names_its_hall():
    air = of(make(AIR.format(dt=12), red="N", cool="N+1"), "air")
    assert [(v.items, v.field) for v in air] == [(("H1",), "cooling.air_units")]


def test_plant_supply_adds_airflow_and_brings_its_own_capacity():
    # one 77 kW CRAH (4.7 m3/s) and a plant-fed floor region of 10 m3/s: 14.7 m3/s against the
    # 16.7 m3/s that 100 kW at dT 5 K draws. The plant carries its own capacity, so the 100 kW
    # over the CRAH's 77 kW is no error.
    body = """\
rows:
  - id: A
    hall: H1
    racks:
      - {id: R1, position_m: [2, 3], load: {power_kw: 100, delta_t_k: 5}}
cooling:
  air_units: [{id: C1, type: crah-77kw, hall: H1, position_m: [10, 10]}]
  supplies: [{id: T, hall: H1, rect_m: [1, 1, 4, 2], flow_m3s: 10.0, supply_c: 18}]
"""
    air = of(make(body, red="N"), "air")
    assert [(v.severity, v.items, v.field) for v in air] == [
        ("warning", ("H1",), "cooling.air_units")
    ]
    assert "16.7 m3/s" in air[0].message and "supplies 14.7 m3/s" in air[0].message


def test_rear_clearance_into_the_wall_counts_the_rear_zone_only():
    # hall 12 m deep; a rack facing -y at y = 10.4 has its rear face at 11.0: its 0.9 m rear
    # zone ends at 11.9 (inside), though the 2.4 m aisle behind it would reach 13.4
    assert of(geo(rack("R1", 2, 10.4)), "clearance") == []
    # at y = 10.9 the rear zone reaches 12.4
    wall = of(geo(rack("R1", 2, 10.9)), "clearance", "warning")
    assert [v.items for v in wall] == [("R1",)]
    assert "rear service clearance (0.90 m) of rack 'R1' runs into the hall wall" in wall[0].message


def test_findings_point_at_the_field_to_fix():
    c = geo("\n".join([rack("R1", 2, 3), rack("R2", 2, 5.4)]))
    assert [v.field for v in of(c, "orientation", "error")] == ["rows[0].racks[0].rotation_deg"]
    assert [v.field for v in of(geo(rack("R1", 0.2, 3)), "outside")] == [
        "rows[0].racks[0].position_m"
    ]
    # a CDU 0.6 wide centred 0.1 m from the wall reaches past it
    c = make(
        "cooling:\n  cdus: [{id: K1, type: cdu-inrow-250kw, hall: H1, position_m: [0.1, 6]}]\n",
        red="N",
    )
    assert [(v.items, v.field) for v in of(c, "outside")] == [
        (("K1",), "cooling.cdus[0].position_m")
    ]


def test_orientation_off_skips_containment_too():
    cont = "[{id: CA, hall: H1, kind: cold-aisle, rect_m: [1.7, 1.2, 3.5, 2.4], height_m: 2.4}]"
    body = f"""\
rows:
  - id: A
    hall: H1
    racks:
{rack("R1", 2, 3, 180)}
cooling:
  containment: {cont}
"""
    doc = LayoutDocument.from_text(HEAD.format(red="N", cool="N", floor=2000) + body, strict=False)
    on = ConstraintChecker(doc.facility)
    assert [v.items for v in on.problems if v.kind == "orientation"] == [("R1", "CA")]
    off = ConstraintChecker(doc.facility, CheckOptions(orientation=False))
    assert [v for v in off.problems if v.kind == "orientation"] == []


def test_row_along_y_with_one_rack_turned_round():
    # racks turned 90 degrees face +x; the row runs along y; R2 at 270 faces -x
    rows = [rack(f"R{i}", 3, 2 + 0.6 * i, 90) for i in range(5)]
    rows[2] = rack("R2", 3, 3.2, 270)
    ori = of(geo("\n".join(rows)), "orientation", "warning")
    assert [v.items for v in ori] == [("R2",)]


def test_racks_exactly_60_degrees_apart_do_not_face_the_same_way():
    # "the same way" means fronts less than 60 degrees apart (a dot product over 0.5). At
    # 0.1 and 60.1 degrees the fronts' dot product is exactly 0.5 in floating point.
    from twin.model.geometry import front_vectors

    f = front_vectors(np.array([0.1, 60.1]))
    assert float(f[0] @ f[1]) == 0.5
    for rot, facing in ((60.1, False), (59.1, True)):
        c = geo("\n".join([rack("R1", 5, 3, 0.1), rack("R2", 5, 5.4, rot)]))
        ori = [v.items for v in of(c, "orientation", "error")]
        assert ori == ([("R1", "R2")] if facing else [])


def test_a_long_unit_reaches_into_a_deep_clearance_from_afar():
    # front clearance 2.0 m: a rack at (5, 6) facing -y keeps y 3.4-5.4 clear. A fan wall
    # turned 90 degrees is 3.0 m long along y: centred at y = 2.0 it reaches 3.5, 0.1 m into
    # the zone, with its centre 4.0 m from the rack's; centred at 1.85 it reaches 3.35.
    def checker(y: float) -> ConstraintChecker:
        body = f"""\
rows:
  - id: A
    hall: H1
    racks:
{rack("R1", 5, 6)}
cooling:
  air_units: [{{id: C1, type: fanwall-300kw, hall: H1, position_m: [5, {y}], rotation_deg: 90}}]
"""
        doc = LayoutDocument.from_text(
            HEAD.format(red="N", cool="N", floor=2000) + body, strict=False
        )
        return ConstraintChecker(doc.facility, CheckOptions(clearance_front_m=2.0))

    cl = of(checker(2.0), "clearance", "error")
    assert [v.items for v in cl] == [("R1", "C1")]
    assert "front service clearance (2.00 m)" in cl[0].message
    assert of(checker(1.85), "clearance", "error") == []


@pytest.mark.parametrize("rot", [90.0, 45.0])
def test_front_clearance_of_a_turned_rack(rot):
    # R2 stands on R1's front direction f = (sin, -cos), turned to face it. R1's 1.2 m front
    # zone ends 0.6 + 1.2 = 1.8 m from its centre; R2's face, 0.6 m from its own centre,
    # touches that end with the centres 2.4 m apart and stands 1 cm inside at 2.39 m.
    f = np.array([np.sin(np.radians(rot)), -np.cos(np.radians(rot))])
    c1 = np.array([8.0, 6.0])
    for d, blocked in ((2.4, False), (2.39, True)):
        x, y = c1 + d * f
        c = geo("\n".join([rack("R1", *c1, rot), rack("R2", f"{x:.15f}", f"{y:.15f}", rot + 180)]))
        cl = [v for v in of(c, "clearance", "error") if v.items == ("R1", "R2")]
        assert bool(cl) == blocked, (rot, d)
        assert not of(c, "overlap")
