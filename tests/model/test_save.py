"""Round-trip saving: comments and ordering kept, atomic, verified, refusing bad files."""

from __future__ import annotations

import difflib
import os
import re
import stat

import pytest

from twin.model import edits as E
from twin.model import save as S
from twin.model.document import LayoutDocument
from twin.model.loader import facility_from_text, load_layout
from twin.model.schema import AirUnit, Layout, Row, SupplyRegion

TEXT = """\
# Test hall: hand-written, with comments that must survive saving.
format: twin-layout/1
name: save test
halls:
  - id: H1          # the only hall
    size_m: [14, 10, 4]
rows:
  # row A faces -y
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [2, 3], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A02, position_m: [2.6, 3], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      # A03 is the odd one
      - id: A03
        position_m: [3.2, 3]   # keep me
        load: {power_kw: 20, delta_t_k: 12}
        label: "spare"
power:
  - {id: U, type: utility-feed-5mva}
  - {id: UPS, type: ups-500kw, upstream: U}
  - {id: PDU-A, type: pdu-300kva, upstream: UPS}
  - {id: PDU-B, type: pdu-300kva, upstream: UPS}
cooling:
  air_units:
    - {id: CRAH-1, type: crah-77kw, hall: H1, position_m: [12, 1]}  # west wall
"""


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "hall.yaml"
    p.write_text(TEXT)
    return p


def diff(a: str, b: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_unchanged_save_is_byte_identical(path):
    doc = LayoutDocument.open(path)
    S.save(doc)
    assert path.read_text() == TEXT
    assert not doc.dirty


def test_move_changes_one_line_and_keeps_comments(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.MoveRacks(["A03"], [[3.2, 4.5]]))
    assert doc.dirty
    S.save(doc)
    assert not doc.dirty
    new = path.read_text()
    changed = diff(TEXT, new)
    assert changed[0] == "-        position_m: [3.2, 3]   # keep me"
    assert len(changed) == 2 and changed[1].startswith("+        position_m: [3.2, 4.5]")
    assert changed[1].endswith("# keep me")  # the comment stays (its column may shift)
    assert load_layout(path).layout == doc.layout


def test_edits_then_undos_save_back_to_the_original_text(path):
    doc = LayoutDocument.open(path)
    h = doc.history
    h.push(E.rotate_by(doc, ["A01"], 90))
    h.push(E.ChangeRack("A02", feeds={"a": "PDU-B"}))
    h.push(E.DeleteRacks(["A03"]))
    h.push(E.MoveUnit("air_units", "CRAH-1", (11, 2)))
    while h.can_undo:
        h.undo()
    S.save(doc)
    assert path.read_text() == TEXT


def test_add_delete_duplicate_follow_the_authors_style(path):
    doc = LayoutDocument.open(path)
    h = doc.history
    h.push(E.DuplicateRacks(["A02"], (0.0, -2.0)))
    h.push(E.DeleteRacks(["A01"]))
    h.push(
        E.AddItem(
            "air_units", AirUnit(id="CRAH-2", type="crah-77kw", hall="H1", position_m=(12, 9))
        )
    )
    h.push(E.AddItem("supplies", SupplyRegion(id="T1", hall="H1", rect_m=(1.7, 1.2, 3.5, 2.4))))
    S.save(doc)
    new = path.read_text()
    assert "# Test hall: hand-written" in new and "# A03 is the odd one" in new
    assert "# keep me" in new and "# west wall" in new and "# the only hall" in new
    # flow-style siblings give flow-style newcomers
    assert (
        "- {id: A02-copy, position_m: [2.6, 1.0], servers: [{type: dgx-h100, count: 4}], "
        "feeds: {a: PDU-A, b: PDU-B}}" in new
    )
    assert "- {id: CRAH-2, type: crah-77kw, hall: H1, position_m: [12.0, 9.0]}" in new
    assert "A01" not in new
    assert new.index("A02-copy") < new.index("A03")  # right after its original
    assert load_layout(path).layout == doc.layout


def test_changed_nested_parts_replace_only_what_changed(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.ChangeRack("A03", load={"power_kw": 25, "delta_t_k": 12}, label=None))
    S.save(doc)
    changed = diff(TEXT, path.read_text())
    assert "-        load: {power_kw: 20, delta_t_k: 12}" in changed
    assert "+        load: {power_kw: 25.0, delta_t_k: 12}" in changed
    assert '-        label: "spare"' in changed
    assert load_layout(path).layout == doc.layout


def test_refuses_a_file_the_loader_would_reject_and_leaves_it_alone(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.MoveRacks(["A02"], [[2.3, 3.0]]))  # overlaps A01
    with pytest.raises(S.SaveError, match="would not load back") as info:
        S.save(doc)
    assert any("overlaps" in p.message for p in info.value.problems)
    assert path.read_text() == TEXT
    assert [p.name for p in path.parent.iterdir()] == ["hall.yaml"]  # no temp file left
    assert doc.dirty


def test_refuses_to_drop_anything(path, monkeypatch):
    doc = LayoutDocument.open(path)
    doc.history.push(E.MoveRacks(["A03"], [[3.2, 4.5]]))
    real_full, real_splice = S.roundtrip_text, S.spliced_text

    def lossy(fn):  # a writer that silently loses the label
        return lambda d: re.sub(r"\n *label: \"spare\"", "", fn(d))

    monkeypatch.setattr(S, "roundtrip_text", lossy(real_full))
    monkeypatch.setattr(S, "spliced_text", lossy(real_splice))
    with pytest.raises(S.SaveError, match="different from the document") as info:
        S.save(doc)
    assert any("label" in p.message for p in info.value.problems)
    assert path.read_text() == TEXT
    # a bad splice alone is not fatal: the whole-tree writer takes over
    monkeypatch.setattr(S, "roundtrip_text", real_full)
    S.save(doc)
    assert 'label: "spare"' in path.read_text()
    assert load_layout(path).layout == doc.layout


def test_splice_keeps_untouched_items_and_matches_the_full_writer(path):
    doc = LayoutDocument.open(path)
    h = doc.history
    h.push(E.MoveRacks(["A03"], [[3.2, 4.5]]))
    h.push(E.DuplicateRacks(["A01"], (0.0, 2.0)))
    h.push(E.DeleteRacks(["A02"]))
    h.push(E.ChangeRack("A01", feeds={"a": "PDU-B", "b": "PDU-A"}))
    h.push(
        E.AddItem(
            "air_units", AirUnit(id="CRAH-2", type="crah-77kw", hall="H1", position_m=(12, 9))
        )
    )
    spliced = S.spliced_text(doc)
    assert spliced is not None
    full = S.roundtrip_text(doc)
    assert facility_from_text(spliced).layout == facility_from_text(full).layout == doc.layout
    # identical but for where ruamel puts the last item's comment: the splice keeps it
    assert spliced.replace(" # west wall", "") == full.replace(" # west wall", "")
    assert "position_m: [12, 1]}  # west wall\n" in spliced
    doc.roundtrip_tree = None
    S.save(doc)
    assert doc.roundtrip_tree is None  # saved without parsing the whole file with ruamel
    assert path.read_text() == spliced


def test_splice_declines_what_it_cannot_do(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.ChangeItem("halls", "H1", size_m=(15, 10, 4)))
    assert S.spliced_text(doc) is not None
    doc.layout.name = "renamed"  # a changed top-level scalar: edited where it stands
    new = S.spliced_text(doc).splitlines()
    changed = [(a, b) for a, b in zip(TEXT.splitlines(), new, strict=True) if a != b]
    assert changed == [
        ("name: save test", "name: renamed"),
        ("    size_m: [14, 10, 4]", "    size_m: [15.0, 10, 4]"),
    ]
    doc.layout.power.reverse()  # reordered items: the whole tree is written
    assert S.spliced_text(doc) is None
    S.save(doc)
    assert "name: renamed" in path.read_text() and "# the only hall" in path.read_text()


def test_save_as_new_path_keeps_mode_and_comments(path, tmp_path):
    os.chmod(path, 0o640)
    doc = LayoutDocument.open(path)
    paths = []
    doc.path_changed.connect(paths.append)
    doc.history.push(E.MoveRacks(["A01"], [[2.0, 2.0]]))
    other = tmp_path / "copy.yaml"
    S.save(doc, other)
    assert doc.path == other and paths == [other] and not doc.dirty
    assert "# Test hall" in other.read_text() and path.read_text() == TEXT
    doc.history.push(E.MoveRacks(["A01"], [[2.0, 1.0]]))
    S.save(doc)  # Save now goes to the new path
    assert "position_m: [2, 1.0]" in other.read_text()  # the author's "2" stays
    S.save(doc, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_new_document_without_source_text(tmp_path):
    layout = Layout(format="twin-layout/1", name="fresh", halls=[{"id": "H", "size_m": (5, 5, 3)}])
    doc = LayoutDocument(layout)
    with pytest.raises(S.SaveError, match="Save As"):
        S.save(doc)
    doc.history.push(E.AddItem("rows", Row(id="A", hall="H")))
    doc.history.push(
        E.AddRack("A", E.rack_from_catalog(doc, "dgx-h100", (2, 2), count=2, rack_id="A01"))
    )
    out = S.save(doc, tmp_path / "fresh.yaml")
    assert load_layout(out).layout == doc.layout


def test_unwritable_folder_is_a_clear_error(tmp_path):
    doc = LayoutDocument.from_text(TEXT)
    with pytest.raises(S.SaveError, match="could not write"):
        S.save(doc, tmp_path / "missing" / "x.yaml")


def test_a_tab_the_loader_accepts_but_the_round_trip_refuses_is_named(tmp_path):
    """`supply_c:<TAB>18.0` loads (PyYAML), but ruamel.yaml, which keeps the comments, refuses
    it: the save said 'could not write the layout as YAML' over four lines naming
    '<unicode string>'. A value edited where it stands keeps the author's tab; a save that
    needs the whole tree names the file, line and column, and the file is untouched."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "layouts" / "demo-air-hall.yaml").read_text()
    text = text.replace("    supply_c: 18.0\n", "    supply_c:\t18.0\n", 1)
    path = tmp_path / "tabs.yaml"
    path.write_text(text)
    doc = LayoutDocument.open(path)
    doc.update_item("air_units", doc.facility.air_unit_ids[0], supply_c=17.0)
    S.save(doc)
    assert path.read_text() == text.replace("supply_c:\t18.0", "supply_c:\t17.0", 1)
    doc.update_item("air_units", doc.facility.air_unit_ids[0], capacity_kw=120.0)
    with pytest.raises(S.SaveError) as err:
        S.save(doc)
    assert str(err.value) == (
        f"not saved: {path} cannot be written keeping its comments; the YAML reader that keeps "
        f"them refuses {path}, line 190, column 14: found character '\\t' that cannot start any "
        "token (a tab where YAML wants spaces: replace it)"
    )
    assert path.read_text() == text.replace("supply_c:\t18.0", "supply_c:\t17.0", 1)


def test_a_crlf_layout_keeps_crlf_on_every_line_it_saves(tmp_path):
    """A layout written on Windows: the lines a save wrote came out LF among CRLF ones."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "layouts" / "demo-air-hall.yaml").read_text()
    path = tmp_path / "crlf.yaml"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    doc = LayoutDocument.open(path)
    racks = list(doc.facility.rack_ids[:2])
    doc.set_rack_poses(racks, rotations_deg=[0.0, 0.0])
    doc.update_item("air_units", doc.facility.air_unit_ids[0], supply_c=17.0)
    S.save(doc)
    raw = path.read_bytes()
    assert raw != text.replace("\n", "\r\n").encode()  # the edits were written
    assert raw.count(b"\n") == raw.count(b"\r\n") > 200  # every line CRLF
    assert b"supply_c: 17.0\r\n" in raw
    load_layout(path)  # and it loads
    unchanged = tmp_path / "lf.yaml"
    unchanged.write_text(text)
    doc = LayoutDocument.open(unchanged)
    doc.update_item("air_units", doc.facility.air_unit_ids[0], supply_c=17.0)
    S.save(doc)
    assert b"\r" not in unchanged.read_bytes()  # an LF file stays LF
