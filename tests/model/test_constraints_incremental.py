"""Incremental constraint checking after edits gives exactly what a full check gives."""

from __future__ import annotations

import numpy as np

from twin.model import edits as E
from twin.model.constraints import CheckOptions, ConstraintChecker
from twin.model.document import LayoutDocument


def dense_layout(rows: int = 4, per_row: int = 10) -> str:
    """Rows facing alternately, 1.2 m aisles, a cold-aisle containment, CRAHs and CDUs near
    the racks, dual feeds: many interacting checks within reach of each other."""
    lines = [
        "format: twin-layout/1",
        "name: dense",
        "power_redundancy: 2N",
        "halls: [{id: H1, size_m: [12, 16, 4]}]",
        "rows:",
    ]
    for r in range(rows):
        y = 2.0 + r * 2.4 + (0.6 if r % 2 else 0)
        rot = 180 if r % 2 == 0 else 0
        lines += [f"  - id: ROW{r}", "    hall: H1", "    racks:"]
        for k in range(per_row):
            side = "A" if k % 2 else "B"
            lines.append(
                f"      - {{id: R{r}-{k}, position_m: [{1.5 + 0.6 * k:.1f}, {y}], "
                f"rotation_deg: {rot}, load: {{power_kw: 25, delta_t_k: 12, "
                f"liquid_fraction: 0.3}}, feeds: {{a: PDU-{side}1, b: PDU-{side}2}}, cdu: CDU-{r % 2}}}"
            )
    lines += [
        "power:",
        "  - {id: U, type: utility-feed-5mva}",
        "  - {id: UPS-1, type: ups-500kw, upstream: U}",
        "  - {id: UPS-2, type: ups-500kw, upstream: U}",
        "  - {id: PDU-A1, type: pdu-300kva, upstream: UPS-1}",
        "  - {id: PDU-A2, type: pdu-300kva, upstream: UPS-2}",
        "  - {id: PDU-B1, type: pdu-300kva, upstream: UPS-1}",
        "  - {id: PDU-B2, type: pdu-300kva, upstream: UPS-2}",
        "cooling:",
        "  air_units:",
        "    - {id: C1, type: crah-77kw, hall: H1, position_m: [10.5, 1.0]}",
        "    - {id: C2, type: crah-77kw, hall: H1, position_m: [10.5, 8.0], rotation_deg: 90}",
        "  cdus:",
        "    - {id: CDU-0, type: cdu-inrow-250kw, hall: H1, position_m: [8.0, 2.0]}",
        "    - {id: CDU-1, type: cdu-inrow-250kw, hall: H1, position_m: [8.0, 5.0]}",
        "  containment:",
        "    - {id: CA1, hall: H1, kind: cold-aisle, rect_m: [1.2, 2.6, 7.2, 3.8], height_m: 2.4}",
    ]
    return "\n".join(lines) + "\n"


def as_set(problems):
    return sorted((v.kind, v.severity, v.items, v.message, v.field) for v in problems)


def test_incremental_equals_full_over_random_edits():
    doc = LayoutDocument.from_text(dense_layout(), strict=False)
    live = ConstraintChecker(doc.facility).attach(doc)
    rng = np.random.default_rng(7)
    ids = list(doc.facility.rack_ids)
    kinds_seen = set()
    for step in range(80):
        op = rng.integers(0, 6)
        if op <= 2:  # move one or a few racks, often into trouble
            k = int(rng.integers(1, 4))
            sel = list(rng.choice(ids, size=k, replace=False))
            cur = np.array([doc.rack(r).position_m for r in sel])
            doc.history.push(E.MoveRacks(sel, cur + rng.normal(0, 0.8, size=cur.shape)))
        elif op == 3:
            sel = [str(rng.choice(ids))]
            doc.history.push(E.RotateRacks(doc, sel, float(rng.choice([0, 90, 180, 270, 33]))))
        elif op == 4:
            unit = str(rng.choice(["C1", "C2"]))
            coll = "air_units"
            if rng.random() < 0.5:
                unit, coll = str(rng.choice(["CDU-0", "CDU-1"])), "cdus"
            doc.history.push(E.MoveUnit(coll, unit, rng.uniform(0, 12, 2)))
        else:
            doc.history.undo()
        kinds_seen.update(v.kind for v in live.problems)
        full = ConstraintChecker(doc.facility)
        assert as_set(live.problems) == as_set(full.problems), f"step {step}"
    # the walk did exercise the geometric checks
    assert {"overlap", "clearance", "orientation"} <= kinds_seen


def test_incremental_follows_power_cooling_and_structure_changes():
    doc = LayoutDocument.from_text(dense_layout(2, 6), strict=False)
    live = ConstraintChecker(doc.facility).attach(doc)
    seen = []
    live.problems_changed.connect(lambda: seen.append(len(live.problems)))
    for cmd in (
        E.ChangeRack("R0-0", feeds={"a": "PDU-A1"}),  # single-corded under 2N
        E.ChangeRack("R0-1", cdu=None),  # liquid rack without CDU
        E.ChangeRack("R1-0", load={"power_kw": 400, "delta_t_k": 12}),  # rebuild
        E.DeleteRacks(["R0-2"]),
        E.DuplicateRacks(["R1-1"], (0.0, 0.3)),  # overlaps its original
        E.ChangeItem("containment", "CA1", rect_m=(1.2, 0.0, 7.2, 1.4)),
    ):
        doc.history.push(cmd)
        assert as_set(live.problems) == as_set(ConstraintChecker(doc.facility).problems)
    kinds = {v.kind for v in live.problems}
    assert {"feed", "cdu", "overlap"} <= kinds
    while doc.history.can_undo:
        doc.history.undo()
        assert as_set(live.problems) == as_set(ConstraintChecker(doc.facility).problems)
    assert seen  # listeners heard about every change
    live.detach()


AIR = """\
format: twin-layout/1
name: air
power_redundancy: N
halls: [{id: H1, size_m: [20, 12, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: R1, position_m: [2, 3], load: {power_kw: 100, delta_t_k: 5}, feeds: {a: P}}
power:
  - {id: P, type: pdu-300kva}
cooling:
  air_units: [{id: C1, type: crah-77kw, hall: H1, position_m: [10, 10]}]
  cdus: [{id: K1, type: cdu-inrow-250kw, hall: H1, position_m: [6, 10]}]
  supplies: [{id: T, hall: H1, rect_m: [1, 1, 4, 2]}]
"""


def kinds(checker):
    return sorted((v.kind, v.severity) for v in checker.problems)


def test_a_supply_given_its_own_flow_is_rechecked():
    # 100 kW at dT 5 K on one 77 kW CRAH (4.7 m3/s): over capacity and short of air (16.7 m3/s).
    # Giving the tiles 15 m3/s of plant air (19.7 m3/s in all) and their own capacity clears both.
    doc = LayoutDocument.from_text(AIR, strict=False)
    live = ConstraintChecker(doc.facility).attach(doc)
    assert kinds(live) == [("air", "error"), ("air", "warning")]
    doc.history.push(E.ChangeItem("supplies", "T", flow_m3s=15.0, supply_c=18.0))
    assert kinds(live) == [] == kinds(ConstraintChecker(doc.facility))
    doc.history.undo()
    assert kinds(live) == [("air", "error"), ("air", "warning")]


def test_attach_checks_the_documents_facility():
    clean = LayoutDocument.from_text(dense_layout(1, 2), strict=False)
    doc = LayoutDocument.from_text(AIR, strict=False)
    checker = ConstraintChecker(clean.facility)
    assert kinds(checker) == []
    checker.attach(doc)
    assert kinds(checker) == [("air", "error"), ("air", "warning")]


def test_detaching_one_checker_leaves_the_others_following():
    doc = LayoutDocument.from_text(dense_layout(1, 4), strict=False)
    a = ConstraintChecker(doc.facility).attach(doc)
    b = ConstraintChecker(doc.facility).attach(doc)
    a.detach()
    doc.history.push(E.MoveRacks(["R0-1"], np.array([doc.rack("R0-0").position_m])))
    assert ("overlap", "error") in kinds(b)
    assert ("overlap", "error") not in kinds(a)


def test_nothing_or_empty_lists_moved_changes_nothing():
    doc = LayoutDocument.from_text(dense_layout(2, 6), strict=False)
    c = ConstraintChecker(doc.facility)
    before = as_set(c.problems)
    assert before
    assert as_set(c.update_geometry()) == before
    assert as_set(c.update_geometry(racks=[], air_units=[], cdus=[])) == before
    assert as_set(c.update_geometry(racks=[0], air_units=[], cdus=[])) == before
    assert as_set(c.update_geometry(racks=[], air_units=[0], cdus=[1])) == before


def test_each_family_can_be_switched_off():
    text = (
        dense_layout(2, 6)
        .replace("cdu: CDU-1", "cdu: null")  # liquid racks without a CDU
        .replace("size_m: [12, 16, 4]", "size_m: [12, 16, 4], floor_load_kg_m2: 100")
        .replace("feeds: {a: PDU-B1, b: PDU-B2}", "feeds: {a: PDU-B1}")  # single-corded
        .replace("R0-3, position_m: [3.3, 2.0], rotation_deg: 180", "R0-3, position_m: [3.3, 2.0]")
        .replace(
            "CDU-0, type: cdu-inrow-250kw, hall: H1, position_m: [8.0, 2.0]",
            "CDU-0, type: cdu-inrow-250kw, hall: H1, position_m: [1.5, 0.6]",
        )
    )
    fac = LayoutDocument.from_text(text, strict=False).facility
    every = {v.kind for v in ConstraintChecker(fac).problems}
    assert {"cdu", "feed", "floor-load", "clearance", "orientation"} <= every, every
    off = {
        "cooling": {"cdu", "air"},
        "power": {"power", "power-failover", "feed"},
        "floor_load": {"floor-load"},
        "clearance": {"clearance"},
        "orientation": {"orientation"},
    }
    for option, families in off.items():
        got = {v.kind for v in ConstraintChecker(fac, CheckOptions(**{option: False})).problems}
        assert not got & families, option
        assert got == every - families, option
