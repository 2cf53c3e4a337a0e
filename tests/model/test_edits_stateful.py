"""Random sequences of edits, undos and redos (hypothesis stateful testing).

Invariants: the in-place patched facility always equals a fresh build; undoing everything
returns to the original layout exactly; saving round-trips through the loader (or is refused,
exactly when the loader would refuse the text); incremental checks equal a full check.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from twin.model import edits as E
from twin.model import save as S
from twin.model.constraints import ConstraintChecker
from twin.model.document import LayoutDocument
from twin.model.errors import EditError, LayoutError
from twin.model.facility import Facility
from twin.model.loader import facility_from_text, load_layout, parse_layout
from twin.model.schema import AirUnit, SupplyRegion

TEXT = """\
# stateful test hall
format: twin-layout/1
name: stateful
power_redundancy: 2N
halls: [{id: H1, size_m: [24, 16, 4]}]
rows:
- id: A
  hall: H1
  racks:
  - {id: A01, position_m: [3, 3], servers: [{type: dgx-h100, count: 2}], feeds: {a: PDU-A, b: PDU-B}}
  - {id: A02, position_m: [3.6, 3], load: {power_kw: 20, delta_t_k: 12}, feeds: {a: PDU-A}}
- id: B
  hall: H1
  racks:
  - {id: B01, position_m: [3, 7], rotation_deg: 180, load: {power_kw: 30, delta_t_k: 10, liquid_fraction: 0.5}, cdu: CDU-1}
power:
- {id: U, type: utility-feed-5mva}
- {id: UPS, type: ups-500kw, upstream: U}
- {id: PDU-A, type: pdu-300kva, upstream: UPS}
- {id: PDU-B, type: pdu-300kva, upstream: UPS}
cooling:
  air_units:
  - {id: CRAH-1, type: crah-77kw, hall: H1, position_m: [20, 1]}
  cdus:
  - {id: CDU-1, type: cdu-inrow-250kw, hall: H1, position_m: [20, 12]}
  supplies:
  - {id: T1, hall: H1, rect_m: [2.4, 4.2, 6.0, 5.4]}
"""

# a coarse grid of places so that collisions happen but are not the rule
xs = st.integers(1, 38).map(lambda i: i * 0.6)
ys = st.integers(1, 25).map(lambda i: i * 0.6)
angles = st.sampled_from([0.0, 90.0, 180.0, 270.0, 45.0])
feeds = st.sampled_from([None, "PDU-A", "PDU-B", "UPS"])


class EditMachine(RuleBasedStateMachine):
    text = TEXT

    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="twin-stateful-"))
        self.path = self.dir / "hall.yaml"
        self.path.write_text(self.text)
        self.doc = LayoutDocument.open(self.path)
        self.original = self.doc.layout.model_copy(deep=True)
        self.checker = ConstraintChecker(self.doc.facility).attach(self.doc)
        self.n = 0

    def teardown(self):
        self.checker.detach()
        shutil.rmtree(self.dir, ignore_errors=True)

    def racks(self) -> list[str]:
        return list(self.doc.facility.rack_ids)

    def push(self, cmd) -> None:
        try:
            self.doc.history.push(cmd)
        except EditError:
            pass  # refused edits must leave everything as it was (checked by invariants)

    # ------------------------------------------------------------ edits
    @precondition(lambda self: self.doc.facility.n_racks > 0)
    @rule(data=st.data(), x=xs, y=ys)
    def move(self, data, x, y):
        rid = data.draw(st.sampled_from(self.racks()))
        self.push(E.MoveRacks([rid], [[x, y]]))

    @precondition(lambda self: self.doc.facility.n_racks > 1)
    @rule(data=st.data(), dx=st.integers(-3, 3), dy=st.integers(-3, 3))
    def drag_two(self, data, dx, dy):
        sel = data.draw(
            st.lists(st.sampled_from(self.racks()), min_size=2, max_size=2, unique=True)
        )
        self.push(E.translate(self.doc, sel, (dx * 0.6, dy * 0.6)))

    @precondition(lambda self: self.doc.facility.n_racks > 0)
    @rule(data=st.data(), angle=angles)
    def rotate(self, data, angle):
        rid = data.draw(st.sampled_from(self.racks()))
        self.push(E.RotateRacks(self.doc, [rid], angle))

    @rule(x=xs, y=ys, count=st.integers(1, 4), row=st.sampled_from(["A", "B"]))
    def add(self, x, y, count, row):
        self.n += 1
        rack = E.rack_from_catalog(self.doc, "dgx-h100", (x, y), count=count, rack_id=f"N{self.n}")
        self.push(E.AddRack(row, rack))

    @precondition(lambda self: self.doc.facility.n_racks > 0)
    @rule(data=st.data())
    def delete(self, data):
        self.push(E.DeleteRacks([data.draw(st.sampled_from(self.racks()))]))

    @precondition(lambda self: self.doc.facility.n_racks > 0)
    @rule(data=st.data())
    def duplicate(self, data):
        self.push(E.DuplicateRacks([data.draw(st.sampled_from(self.racks()))], (0.0, 1.8)))

    @precondition(lambda self: self.doc.facility.n_racks > 0)
    @rule(data=st.data(), a=feeds, b=feeds)
    def change_feeds(self, data, a, b):
        rid = data.draw(st.sampled_from(self.racks()))
        self.push(E.ChangeRack(rid, feeds={"a": a, "b": b}))

    @precondition(lambda self: self.doc.facility.n_racks > 0)
    @rule(data=st.data(), kw=st.floats(1, 200), liquid=st.sampled_from([0.0, 0.5]))
    def change_load(self, data, kw, liquid):
        rid = data.draw(st.sampled_from(self.racks()))
        load = {"power_kw": kw, "delta_t_k": 12, "liquid_fraction": liquid}
        self.push(E.ChangeRack(rid, servers=[], load=load, cdu="CDU-1" if liquid else None))

    @rule(x=xs, y=ys, angle=angles)
    def move_air_unit(self, x, y, angle):
        self.push(E.MoveUnit("air_units", "CRAH-1", (x, y), angle))

    @rule(x=xs, y=ys)
    def add_air_unit(self, x, y):
        self.n += 1
        unit = AirUnit(id=f"CRAH-N{self.n}", type="crah-77kw", hall="H1", position_m=(x, y))
        self.push(E.AddItem("air_units", unit))

    @rule(x=xs, y=ys)
    def add_supply(self, x, y):
        self.n += 1
        self.push(
            E.AddItem(
                "supplies",
                SupplyRegion(id=f"T{self.n}", hall="H1", rect_m=(x, y, x + 1.2, y + 0.6)),
            )
        )

    @rule(w=st.integers(1, 6))
    def resize_supply(self, w):
        self.push(E.ChangeItem("supplies", "T1", rect_m=(2.4, 4.2, 2.4 + 0.6 * w, 5.4)))

    @rule()
    def undo(self):
        self.doc.history.undo()

    @rule()
    def redo(self):
        self.doc.history.redo()

    @rule()
    def seal(self):
        self.doc.history.seal()

    # ------------------------------------------------------------ saving
    @rule()
    def save_and_reload(self):
        # whether the loader accepts this layout, found independently of the round-trip writer
        plain = yaml.safe_dump(self.doc.layout.model_dump(mode="json"), sort_keys=False)
        try:
            facility_from_text(plain, self.path)
            loader_accepts = True
        except LayoutError:
            loader_accepts = False
        try:
            S.save(self.doc)
        except S.SaveError:
            assert not loader_accepts
            return
        assert loader_accepts
        assert load_layout(self.path).layout == self.doc.layout
        assert not self.doc.dirty
        assert "# stateful test hall" in self.path.read_text()

    @rule()
    def splice_equals_full_writer(self):
        spliced = S.spliced_text(self.doc) if self.doc.roundtrip_tree is None else None
        if spliced is not None:
            full = S.roundtrip_text(self.doc)
            assert parse_layout(spliced) == parse_layout(full) == self.doc.layout
            self.doc.roundtrip_tree = None

    # ------------------------------------------------------------ invariants
    @invariant()
    def facility_mirrors_layout(self):
        fac, fresh = self.doc.facility, Facility(self.doc.layout, self.doc.catalog)
        assert fac.rack_ids == fresh.rack_ids
        np.testing.assert_allclose(fac.rack_center_m, fresh.rack_center_m, atol=1e-9)
        np.testing.assert_allclose(fac.rack_front_xy, fresh.rack_front_xy, atol=1e-9)
        np.testing.assert_allclose(fac.gpu_position_m, fresh.gpu_position_m, atol=1e-9)
        np.testing.assert_allclose(fac.air_unit_center_m, fresh.air_unit_center_m, atol=1e-9)
        np.testing.assert_array_equal(fac.rack_feed_a, fresh.rack_feed_a)
        np.testing.assert_array_equal(fac.rack_cdu, fresh.rack_cdu)

    @invariant()
    def incremental_checks_equal_full(self):
        def key(ps):
            return sorted((v.kind, v.items, v.message, v.field) for v in ps)

        assert key(self.checker.problems) == key(ConstraintChecker(self.doc.facility).problems)

    @invariant()
    def undo_all_returns_to_the_original(self):
        h = self.doc.history
        if h.index != len(h.commands) or h.index == 0:
            return  # checked once per step from the top of the history only
        steps = h.index
        after = self.doc.layout.model_copy(deep=True)
        for _ in range(steps):
            h.undo()
        assert self.doc.layout == self.original
        for _ in range(steps):
            h.redo()
        assert self.doc.layout == after


TestEdits = EditMachine.TestCase
TestEdits.settings = settings(
    max_examples=20,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class AliasedEditMachine(EditMachine):
    """The same hall written with YAML anchors, aliases and a merge key, as a hand-written
    layout may be: every save must still succeed where the loader accepts the layout (an
    edit at one place of an alias was refused as 'would load back different')."""

    text = (
        TEXT.replace("feeds: {a: PDU-A, b: PDU-B}}", "feeds: &ab {a: PDU-A, b: PDU-B}}")
        .replace("load: {power_kw: 20, delta_t_k: 12}, feeds: {a: PDU-A}}",
                 "load: &std {power_kw: 20, delta_t_k: 12}, feeds: *ab}")
        .replace("- {id: B01, position_m: [3, 7], rotation_deg: 180, load: {power_kw: 30, "
                 "delta_t_k: 10, liquid_fraction: 0.5}, cdu: CDU-1}",
                 "- {id: B01, position_m: [3, 7], rotation_deg: 180, load: {<<: *std, "
                 "liquid_fraction: 0.5}, cdu: CDU-1}")
    )  # fmt: skip


TestAliasedEdits = AliasedEditMachine.TestCase
TestAliasedEdits.settings = TestEdits.settings
