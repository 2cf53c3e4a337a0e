"""Incremental constraint checking after edits gives exactly what a full check gives."""

from __future__ import annotations

import numpy as np

from twin.model import edits as E
from twin.model.constraints import ConstraintChecker
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
