"""Every edit operation and its undo, on a small layout built here."""

from __future__ import annotations

import numpy as np
import pytest

from twin.model import edits as E
from twin.model.document import LayoutDocument
from twin.model.errors import EditError
from twin.model.facility import Facility
from twin.model.schema import AirUnit, SupplyRegion

LAYOUT = """\
format: twin-layout/1
name: edit test
halls: [{id: H1, size_m: [12, 10, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [2.0, 3.0], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A02, position_m: [2.6, 3.0], servers: [{type: dgx-h100, count: 2}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A03, position_m: [3.2, 3.0], load: {power_kw: 20, delta_t_k: 12}, feeds: {a: PDU-A}}
  - id: B
    hall: H1
    racks:
      - {id: B01, position_m: [2.0, 6.0], rotation_deg: 180, servers: [{type: dgx-h100, count: 1}]}
power:
  - {id: U, type: utility-feed-5mva}
  - {id: UPS, type: ups-500kw, upstream: U}
  - {id: PDU-A, type: pdu-300kva, upstream: UPS}
  - {id: PDU-B, type: pdu-300kva, upstream: UPS}
cooling:
  air_units: [{id: CRAH-1, type: crah-77kw, hall: H1, position_m: [10, 1]}]
  cdus: [{id: CDU-1, type: cdu-inrow-250kw, hall: H1, position_m: [8, 8]}]
  supplies: [{id: T1, hall: H1, rect_m: [1.4, 4.0, 3.8, 5.4]}]
"""


@pytest.fixture
def doc() -> LayoutDocument:
    return LayoutDocument.from_text(LAYOUT)


def snapshot(doc: LayoutDocument):
    return doc.layout.model_copy(deep=True)


def assert_facility_matches(doc: LayoutDocument) -> None:
    """The in-place patched facility equals one built from scratch."""
    fresh = Facility(doc.layout, doc.catalog)
    fac = doc.facility
    assert fac.rack_ids == fresh.rack_ids
    for name in (
        "rack_center_m",
        "rack_rotation_deg",
        "rack_front_xy",
        "gpu_position_m",
        "air_unit_center_m",
        "air_unit_rotation_deg",
        "air_unit_front_xy",
        "cdu_center_m",
        "rack_power_w",
    ):
        np.testing.assert_allclose(getattr(fac, name), getattr(fresh, name), atol=1e-9)
    for name in ("rack_feed_a", "rack_feed_b", "rack_cdu"):
        np.testing.assert_array_equal(getattr(fac, name), getattr(fresh, name))


def roundtrip(doc: LayoutDocument, cmd: E.Command) -> None:
    """Push, check, undo to the exact original, redo to the exact edited state."""
    before = snapshot(doc)
    doc.history.push(cmd)
    after = snapshot(doc)
    assert after != before
    assert_facility_matches(doc)
    doc.history.undo()
    assert doc.layout == before
    assert_facility_matches(doc)
    doc.history.redo()
    assert doc.layout == after
    assert_facility_matches(doc)


def test_move_patches_arrays_in_place_and_undoes(doc):
    fac = doc.facility
    g = np.flatnonzero(fac.gpu_rack == 0)
    gpu_before = fac.gpu_position_m[g].copy()
    changes = []
    doc.changed.connect(changes.append)
    doc.history.push(E.MoveRacks(["A01"], [[5.0, 3.5]]))
    assert doc.facility is fac  # no rebuild for a move
    assert changes[-1].kind == "geometry" and changes[-1].racks.tolist() == [0]
    assert doc.rack("A01").position_m == (5.0, 3.5)
    np.testing.assert_allclose(fac.rack_center_m[0, :2], [5.0, 3.5])
    np.testing.assert_allclose(fac.gpu_position_m[g, :2] - gpu_before[:, :2], [[3.0, 0.5]] * len(g))
    roundtrip(doc, E.MoveRacks(["A02", "A03"], [[7.0, 1.0], [8.0, 1.0]]))


def test_rotate_any_angle_and_about_pivot(doc):
    roundtrip(doc, E.RotateRacks(doc, ["A01"], 37.5))
    np.testing.assert_allclose(
        doc.facility.rack_front_xy[0], [np.sin(np.radians(37.5)), -np.cos(np.radians(37.5))]
    )
    doc.history.undo()
    cmd = E.RotateRacks(doc, ["A01", "A02"], 90.0, pivot_m=(2.3, 3.0))
    roundtrip(doc, cmd)
    # turned as a block: the two racks now stand along y
    np.testing.assert_allclose(doc.rack("A01").position_m, (2.3, 2.7), atol=1e-9)
    np.testing.assert_allclose(doc.rack("A02").position_m, (2.3, 3.3), atol=1e-9)
    doc.history.push(E.rotate_by(doc, ["B01"], 90))
    assert doc.rack("B01").rotation_deg == 270.0


def test_add_rack_from_catalog(doc):
    rack = E.rack_from_catalog(
        doc, "dgx-h100", (6.0, 3.0), count=4, rack_id="A04", feeds=("PDU-A", "PDU-B")
    )
    assert rack.type == "rack-600x1200-48u"
    n_gpus = doc.facility.n_gpus
    roundtrip(doc, E.AddRack("A", rack))
    assert doc.facility.n_gpus == n_gpus + 32
    assert doc.facility.rack_ids[3] == "A04"
    with pytest.raises(EditError, match="not a server type"):
        E.rack_from_catalog(doc, "crah-77kw", (1, 1))
    with pytest.raises(EditError, match="already used"):
        doc.history.push(E.AddRack("A", rack))


def test_delete_and_duplicate(doc):
    roundtrip(doc, E.DeleteRacks(["A02", "B01"]))
    doc.history.undo()
    cmd = E.DuplicateRacks(["A01"], offset_m=(0.0, -1.2))
    roundtrip(doc, cmd)
    assert cmd.new_ids == ["A01-copy"]
    dup = doc.rack("A01-copy")
    assert dup.position_m == (2.0, 1.8)
    assert dup.servers == doc.rack("A01").servers and dup.feeds == doc.rack("A01").feeds
    assert doc.rack_loc("A01-copy") == (0, 1)  # right after its original


def test_change_contents_feeds_and_cdu(doc):
    roundtrip(doc, E.ChangeRack("A02", servers=[{"type": "dgx-h100", "count": 4}]))
    assert doc.facility.rack_power_w[1] == pytest.approx(40.8e3)
    doc.history.undo()
    fac = doc.facility
    roundtrip(doc, E.ChangeRack("A03", feeds={"a": "PDU-B", "b": "PDU-A"}))
    assert doc.facility is fac  # feeds are patched, not rebuilt
    assert fac.rack_feed_a[2] == fac.power_index["PDU-B"]
    doc.history.undo()
    roundtrip(
        doc,
        E.ChangeRack(
            "A03", load={"power_kw": 30, "delta_t_k": 10, "liquid_fraction": 0.5}, cdu="CDU-1"
        ),
    )
    assert doc.facility.cdu_load_w()[0] == pytest.approx(15e3)


def test_bad_edits_are_refused_and_change_nothing(doc):
    before = snapshot(doc)
    rev = doc.revision
    for cmd in (
        E.ChangeRack("A01", feeds={"a": "NOPE"}),
        E.ChangeRack("A01", cdu="NOPE"),
        E.ChangeRack("A01", servers=[{"type": "dgx-h100", "count": 7}]),  # 56U > 48U
        E.MoveRacks(["ZZ"], [[1, 1]]),
        E.DeleteRacks(["A01", "ZZ"]),
        E.AddItem("air_units", AirUnit(id="A01", type="crah-77kw", hall="H1", position_m=(1, 1))),
        E.ChangeItem("supplies", "T1", rect_m=(3, 3, 1, 1)),
    ):
        with pytest.raises(EditError):
            doc.history.push(cmd)
        assert doc.layout == before
        assert_facility_matches(doc)
    with pytest.raises(EditError):
        E.ChangeRack("A01", load={"power_kw": -1, "delta_t_k": 10})
    with pytest.raises(EditError):
        doc.history.push(E.MoveRacks(["A01"], [[np.nan, 1.0]]))
    assert doc.revision == rev and not doc.history.can_undo and not doc.dirty


def test_air_units_and_supply_tiles(doc):
    fac = doc.facility
    roundtrip(doc, E.MoveUnit("air_units", "CRAH-1", (9.0, 1.5), rotation_deg=90))
    assert doc.facility is fac
    np.testing.assert_allclose(fac.air_unit_front_xy[0], [1.0, 0.0], atol=1e-12)
    doc.history.undo()
    roundtrip(doc, E.MoveUnit("cdus", "CDU-1", (7.0, 8.0)))
    roundtrip(
        doc,
        E.AddItem(
            "air_units", AirUnit(id="CRAH-2", type="crah-150kw", hall="H1", position_m=(10, 9))
        ),
    )
    assert doc.facility.air_unit_ids == ["CRAH-1", "CRAH-2"]
    roundtrip(doc, E.AddItem("supplies", SupplyRegion(id="T2", hall="H1", rect_m=(5, 4, 7, 5))))
    roundtrip(doc, E.ChangeItem("supplies", "T1", rect_m=(1.4, 4.0, 4.4, 5.4)))
    roundtrip(doc, E.DeleteItem("supplies", "T1"))


def test_undo_stack_merge_clean_and_redo(doc):
    h = doc.history
    dirty = []
    doc.dirty_changed.connect(dirty.append)
    for x in (2.1, 2.2, 2.3):  # a drag: one undo step
        h.push(E.MoveRacks(["A01"], [[x, 3.0]]))
    assert len(h.commands) == 1 and h.undo_text == "Move A01"
    assert dirty == [True]
    h.seal()  # mouse released: the next drag is a new step
    h.push(E.MoveRacks(["A01"], [[2.4, 3.0]]))
    assert len(h.commands) == 2
    h.push(E.MoveRacks(["A01", "A02"], [[2.5, 3.0], [3.1, 3.0]]))  # other selection: no merge
    assert len(h.commands) == 3
    h.set_clean()
    assert not doc.dirty and dirty[-1] is False
    # as in Qt, nothing merges into the saved step: the saved state stays reachable
    h.push(E.MoveRacks(["A01", "A02"], [[2.6, 3.0], [3.2, 3.0]]))
    assert len(h.commands) == 4 and doc.dirty
    h.undo()
    assert not doc.dirty
    h.undo()
    h.undo()
    h.undo()
    assert doc.rack("A01").position_m == (2.0, 3.0) and not h.can_undo
    assert doc.dirty
    h.redo()
    assert doc.rack("A01").position_m == (2.3, 3.0)
    h.push(E.MoveRacks(["A02"], [[5, 5]]))  # a new edit drops the redo tail
    assert not h.can_redo and len(h.commands) == 2
    assert doc.dirty and h.clean_index is None  # the saved state is gone for good


def test_undo_back_to_saved_state_is_clean(doc):
    h = doc.history
    h.push(E.MoveRacks(["A01"], [[4.0, 3.0]]))
    h.seal()
    h.set_clean()
    h.push(E.DeleteRacks(["A02"]))
    assert doc.dirty
    h.undo()
    assert not doc.dirty
    h.undo()
    assert doc.dirty


def test_macro_is_one_step_and_rolls_back_on_failure(doc):
    before = snapshot(doc)
    macro = E.Macro(
        "Align",
        [E.MoveRacks(["A01"], [[2.0, 2.0]]), E.MoveRacks(["A02"], [[2.6, 2.0]])],
    )
    roundtrip(doc, macro)
    doc.history.undo()
    bad = E.Macro("Bad", [E.MoveRacks(["A01"], [[9.0, 2.0]]), E.MoveRacks(["NOPE"], [[1, 1]])])
    with pytest.raises(EditError):
        doc.history.push(bad)
    assert doc.layout == before


def test_translate_rounds_new_coordinates():
    doc = LayoutDocument.from_text(LAYOUT.replace("[2.0, 6.0]", "[2.0, 5.4]"))
    doc.history.push(E.translate(doc, ["B01"], (0.0, -0.3)))
    assert doc.rack("B01").position_m == (2.0, 5.1)


def test_align_in_row(doc):
    # A02 (x 2.6) and A03 (x 3.2) scattered; aligned behind A01 (x 2.0, y 3, rotation 0)
    doc.history.push(E.MoveRacks(["A02", "A03"], [[4.0, 3.7], [2.9, 2.2]]))
    doc.history.push(E.RotateRacks(doc, ["A03"], 33.0))
    doc.history.seal()
    cmd = E.align_in_row(doc, ["A01", "A02", "A03"], gap_m=0.1)
    roundtrip(doc, cmd)
    assert doc.rack("A01").position_m == (2.0, 3.0)
    assert doc.rack("A03").position_m == pytest.approx((2.7, 3.0))  # A03 stood nearer A01
    assert doc.rack("A02").position_m == pytest.approx((3.4, 3.0))
    assert doc.rack("A03").rotation_deg == 0.0


def test_move_supply_region(doc):
    roundtrip(doc, E.move_region(doc, "supplies", "T1", (0.6, -0.6)))
    assert doc.items("supplies")[0].rect_m == (2.0, 3.4, 4.4, 4.8)
    with pytest.raises(EditError, match="no rectangle"):
        E.move_region(doc, "air_units", "CRAH-1", (1, 1))


def test_merge_id_for_a_qt_wrapper(doc):
    a = E.MoveRacks(["A01"], [[2.1, 3.0]])
    b = E.MoveRacks(["A01"], [[2.2, 3.0]])
    c = E.MoveRacks(["A02"], [[2.2, 3.0]])
    assert a.merge_id() == b.merge_id() >= 0 and a.merge_id() != c.merge_id()
    assert E.DeleteRacks(["A01"]).merge_id() == -1


def test_adopt_an_existing_facility():
    from twin.model.loader import facility_from_text

    fac = facility_from_text(LAYOUT)
    doc = LayoutDocument(fac.layout, facility=fac)
    doc.history.push(E.MoveRacks(["A01"], [[6.0, 3.0]]))
    assert doc.facility is fac and fac.rack_center_m[0, 0] == 6.0
    assert_facility_matches(doc)
    with pytest.raises(ValueError, match="layout object"):
        LayoutDocument(fac.layout.model_copy(deep=True), facility=fac)
