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
