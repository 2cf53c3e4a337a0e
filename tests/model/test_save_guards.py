"""The save's guards and fallbacks, and the splicer's finding of an item's lines: what a
refused save says (file, line, field), that a refused file is untouched, when the splice gives
way to the whole-tree writer, and the exact text of spliced block items (a wrong splice
would be caught by the load-back check and hidden behind the whole-tree writer, so these
tests look at the text itself)."""

from __future__ import annotations

import os
import stat

import pytest
from ruamel.yaml.constructor import ConstructorError

from twin.model import save as S
from twin.model.document import LayoutDocument
from twin.model.errors import Problem
from twin.model.schema import Energy, Physics, PowerDevice, Rack, RackLoad, Row, Sensor

SPLICE = """\
format: twin-layout/1
name: splice
halls:
  - id: H1
    size_m: [14, 10, 4]
rows:
  - id: A
    racks:
      - id: A01
        position_m: [2, 3]

        load: {power_kw: 20, delta_t_k: 12}
      # A02 is next
      - id: A02
        # placed by hand
        position_m: [2.6, 3]
        load:
          power_kw: 20
          delta_t_k: 12
      - id: A03
        position_m: [3.2, 3]
        load:
          power_kw: 20
          delta_t_k: 12
    hall: H1
power:
  - {id: U, type: utility-feed-5mva}
  - id: PDU
    type: pdu-300kva
  - {id: UPS, type: ups-500kw, upstream: U}
cooling:
  air_units:
  - {id: CRAH-1, type: crah-77kw, hall: H1, position_m: [12, 1]}
  - id: CRAH-2
    type: crah-77kw
    hall: H1
    position_m: [12, 9]
  cdus: []
"""

A01 = """\
      - id: A01
        position_m: [2, 3]

        load: {power_kw: 20, delta_t_k: 12}
"""
A02 = """\
      - id: A02
        # placed by hand
        position_m: [2.6, 3]
        load:
          power_kw: 20
          delta_t_k: 12
"""
A03 = """\
      - id: A03
        position_m: [3.2, 3]
        load:
          power_kw: 20
          delta_t_k: 12
"""
LOAD = RackLoad(power_kw=10, delta_t_k=10)


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "hall.yaml"
    p.write_text(SPLICE)
    return p


def _new_rack(rack_id: str, x: float, block: bool) -> str:
    """The lines of a new rack at (x, 3) with LOAD, its load in block or flow style."""
    load = (
        "        load:\n          power_kw: 10.0\n          delta_t_k: 10.0\n"
        if block
        else "        load: {power_kw: 10.0, delta_t_k: 10.0}\n"
    )
    return f"      - id: {rack_id}\n        position_m: [{x:.1f}, 3.0]\n" + load


# ---------------------------------------------------------------------- the splicer
def test_block_items_are_deleted_and_re_rendered_with_their_own_lines_only():
    """A rack that gains a key is re-rendered (its blank line kept, without trailing blanks);
    a deleted rack takes its lines and its own comment, not the comment before it, the
    row's ``hall:`` after the last rack, or a line of the next item; so does a two-line
    power device and an air unit of a list indented no deeper than its key."""
    doc = LayoutDocument.from_text(SPLICE)
    doc.update_rack("A01", label="spare")
    doc.remove_rack("A02")
    doc.remove_rack("A03")
    doc.remove_item("power", "PDU")
    doc.remove_item("air_units", "CRAH-2")
    expected = SPLICE.replace(A01, A01 + "        label: spare\n").replace(A02, "")
    expected = expected.replace(A03, "").replace("  - id: PDU\n    type: pdu-300kva\n", "")
    expected = expected.replace(
        "  - id: CRAH-2\n    type: crah-77kw\n    hall: H1\n    position_m: [12, 9]\n", ""
    )
    assert S.spliced_text(doc) == expected


def test_a_blank_line_of_spaces_in_a_re_rendered_rack_stays_blank():
    """ruamel keeps an empty line inside an item, but dropped one holding the item's
    indentation: the splice hands it over empty (and writes it so)."""
    text = SPLICE.replace(
        "        position_m: [2, 3]\n\n", "        position_m: [2, 3]\n        \n"
    )
    doc = LayoutDocument.from_text(text)
    doc.update_rack("A01", label="spare")
    assert S.spliced_text(doc) == SPLICE.replace(A01, A01 + "        label: spare\n")


def test_new_racks_go_after_the_rack_before_them_styled_like_it():
    """A new first rack goes before the first (styled like it); one after A01 goes right
    after A01's lines, before the comment that belongs to A02, even when A01 itself is
    re-rendered longer; two new ones at the end both go there, in order, like A03."""
    doc = LayoutDocument.from_text(SPLICE)
    doc.update_rack("A01", label="spare")
    doc.insert_rack("A", 0, Rack(id="N0", position_m=(5, 3), load=LOAD))
    doc.insert_rack("A", 2, Rack(id="N1", position_m=(6, 3), load=LOAD))
    doc.insert_rack("A", None, Rack(id="N2", position_m=(7, 3), load=LOAD))
    doc.insert_rack("A", None, Rack(id="N3", position_m=(8, 3), load=LOAD))
    expected = SPLICE.replace(
        A01,
        _new_rack("N0", 5, False) + A01 + "        label: spare\n" + _new_rack("N1", 6, False),
    )
    expected = expected.replace(A03, A03 + _new_rack("N2", 7, True) + _new_rack("N3", 8, True))
    assert S.spliced_text(doc) == expected


def test_a_new_rack_at_the_end_of_a_row_stays_before_a_new_row(path):
    """Row A ends with its racks: a rack added after A03 and a new row B are both inserted at
    the line after A03. The rack (made first) went after the row, under it; the load-back
    refused that splice and the whole tree was written instead (re-indenting the file)."""
    text = SPLICE.replace("  - id: A\n    racks:\n", "  - id: A\n    hall: H1\n    racks:\n")
    text = text.replace("          delta_t_k: 12\n    hall: H1\n", "          delta_t_k: 12\n")
    path.write_text(text)
    doc = LayoutDocument.open(path)
    doc.insert_rack("A", None, Rack(id="N4", position_m=(8, 3), load=LOAD))
    doc.insert_item("rows", None, Row(id="B", hall="H1"))
    expected = text.replace(A03, A03 + _new_rack("N4", 8, True) + "  - id: B\n    hall: H1\n")
    assert S.spliced_text(doc) == expected
    S.save(doc)
    assert path.read_text() == expected and doc.roundtrip_tree is None


SENSORS = "sensors:\n  - {id: S1, hall: H1, position_m: [1, 1, 1]}\n"
CATALOG = (
    "catalog:\n  - {id: r1, kind: rack, name: r1, size_m: [0.6, 1.2, 2.0], u: 42, "
    "weight_kg: 150, max_load_kg: 1200}\n"
)


@pytest.mark.parametrize("last", [SENSORS, CATALOG], ids=["sensors", "catalog"])
def test_new_top_level_keys_go_after_an_item_added_to_the_last_list(path, last):
    """The file ends with a list (``sensors:`` before ``physics:`` in the layout's order,
    ``catalog:`` after it): an item added to it goes at its end, and a new ``physics:``
    block after that (it went between the sensors and their new item)."""
    from twin.model.catalog_schema import RackType

    path.write_text(SPLICE + last)
    doc = LayoutDocument.open(path)
    if last == SENSORS:
        doc.insert_item("sensors", None, Sensor(id="S2", hall="H1", position_m=(2, 2, 1)))
        item = "  - {id: S2, hall: H1, position_m: [2.0, 2.0, 1.0]}\n"
    else:
        kind = {"kind": "rack", "size_m": (0.6, 1.2, 2.0), "u": 42, "weight_kg": 150}
        doc.layout.catalog.append(RackType(id="r2", name="r2", max_load_kg=1200, **kind))
        item = (  # in the model's field order, flow as r1 is
            "  - {id: r2, name: r2, kind: rack, size_m: [0.6, 1.2, 2.0], u: 42, "
            "weight_kg: 150.0, max_load_kg: 1200.0}\n"
        )
    doc.set_physics(Physics(eddy_viscosity_scale=1.3))
    expected = SPLICE + last + item + "physics:\n  eddy_viscosity_scale: 1.3\n"
    assert S.spliced_text(doc) == expected
    S.save(doc)
    assert path.read_text() == expected and doc.roundtrip_tree is None


def test_a_re_rendered_rack_keeps_its_lists_indented_as_the_file_is():
    """The file indents a list's dashes by 2 under its key: a rack re-rendered through ruamel
    keeps its server list so (ruamel's default is no indent)."""
    servers = "        servers:\n          - type: network-switch-1u\n            count: 2\n"
    text = SPLICE.replace(A03, A03.split("        load:")[0] + servers)
    doc = LayoutDocument.from_text(text)
    doc.update_rack("A03", label="spare")
    assert S.spliced_text(doc) == text.replace(servers, servers + "        label: spare\n")


def test_an_odd_dash_in_a_rows_racks_re_renders_that_row_only():
    """``-   id: A01`` inside row A: the racks cannot be spliced, so row A is re-rendered
    whole through ruamel; everything after it stays as written."""
    text = SPLICE.replace(A01, A01.replace("      - id", "      -   id").replace("\n  ", "\n    "))
    doc = LayoutDocument.from_text(text)
    doc.update_rack("A01", label="spare")
    out = S.spliced_text(doc)
    assert out is not None and out.startswith(text.split("    racks:")[0])
    assert out.split("power:\n")[1] == text.split("power:\n")[1]
    assert LayoutDocument.from_text(out).layout == doc.layout


def test_two_new_top_level_keys_are_both_added_in_the_layouts_order():
    doc = LayoutDocument.from_text(SPLICE)
    doc.set_physics(Physics(eddy_viscosity_scale=1.3))
    doc.layout.energy = Energy(outdoor_c=25)
    assert S.spliced_text(doc) == SPLICE + (
        "energy:\n  outdoor_c: 25.0\nphysics:\n  eddy_viscosity_scale: 1.3\n"
    )


def test_a_new_device_after_a_block_one_is_block_style():
    """The splice styles a new item like the item before it (the whole-tree writer would
    make it flow, as a sibling is)."""
    doc = LayoutDocument.from_text(SPLICE)
    doc.insert_item("power", 2, PowerDevice(id="PDU-2", type="pdu-300kva", upstream="U"))
    assert S.spliced_text(doc) == SPLICE.replace(
        "    type: pdu-300kva\n",
        "    type: pdu-300kva\n  - id: PDU-2\n    type: pdu-300kva\n    upstream: U\n",
    )


def test_an_item_whose_key_is_not_right_after_its_dash_is_left_to_the_whole_tree():
    """``-   id: PDU``: the item's text is not at the dash's column + 2, so items of that list
    cannot be re-indented as one; the splice declines and the whole tree is written."""
    text = SPLICE.replace(
        "  - id: PDU\n    type: pdu-300kva\n", "  -   id: PDU\n      type: pdu-300kva\n"
    )
    doc = LayoutDocument.from_text(text)
    doc.update_item("power", "UPS", capacity_kw=400.0)
    assert S.spliced_text(doc) is None


# ---------------------------------------------------------------------- comparing
def test_layout_differences_name_each_field_path():
    """The load-back check's report: one line per differing field, by its path, a list of
    another length said once, a value set where the other has none."""
    a = LayoutDocument.from_text(SPLICE).layout
    assert S.layout_differences(a, a.model_copy(deep=True)) == []
    b = a.model_copy(deep=True)
    b.name = "other"
    b.rows[0].racks.pop()
    b.power[0].position_m = (1, 1)
    b.cooling.air_units[0].capacity_kw = 70.0
    assert S.layout_differences(a, b) == [
        "name: 'splice' vs 'other'",
        "rows[0].racks: 3 items vs 2",
        "power[0].position_m: None vs (1.0, 1.0)",
        "cooling.air_units[0].capacity_kw: None vs 70.0",
    ]
    assert S.layout_differences(b, a)[2] == "power[0].position_m: (1.0, 1.0) vs None"


def test_layout_differences_stop_at_ten_or_at_the_limit():
    """Eleven differences: the report names the first ten (or as many as asked for)."""
    a = LayoutDocument.from_text(SPLICE).layout
    b = a.model_copy(deep=True)
    b.name, b.description = "other", "moved"
    b.halls[0].tile_m = 0.5
    for rack in b.rows[0].racks:
        rack.position_m = (rack.position_m[0], 5)
    for device in b.power:
        device.capacity_kw = 1.0
    for unit in b.cooling.air_units:
        unit.capacity_kw = 70.0
    first_ten = [
        "name: 'splice' vs 'other'",
        "description: None vs 'moved'",
        "halls[0].tile_m: 0.6 vs 0.5",
        *(f"rows[0].racks[{k}].position_m[1]: 3.0 vs 5.0" for k in range(3)),
        *(f"power[{k}].capacity_kw: None vs 1.0" for k in range(3)),
        "cooling.air_units[0].capacity_kw: None vs 70.0",
    ]
    assert S.layout_differences(a, b) == first_ten
    assert S.layout_differences(a, b, limit=4) == first_ten[:4]


# ---------------------------------------------------------------------- refused saves
def test_a_layout_with_no_file_asks_for_one():
    doc = LayoutDocument.from_text(SPLICE)
    with pytest.raises(S.SaveError) as err:
        S.save(doc)
    assert str(err.value) == "the layout has no file yet: choose where to save it (Save As)"


def test_what_the_loader_would_refuse_is_named_before_anything_is_written(path):
    """Checked before writing: each problem with its file and field path (no line: nothing
    was written to have one), one per line; a wrong reference is named as well."""
    doc = LayoutDocument.open(path)
    doc.set_rack_poses(["A02", "A03"], [(2.3, 3), (13.9, 3)])
    with pytest.raises(S.SaveError) as err:
        S.save(doc)
    assert str(err.value) == (
        "not saved: hall.yaml would not load back (the loader refuses it)\n"
        f"  {path}: rows[0].racks[2].position_m: rack 'A03' lies outside hall 'H1'\n"
        f"  {path}: rows[0].racks[1].position_m: 'A02' overlaps 'A01'"
    )
    assert err.value.problems[1] == Problem(
        "'A02' overlaps 'A01'", "rows[0].racks[1].position_m", None, str(path)
    )
    doc = LayoutDocument.open(path)
    doc.layout.rows[0].hall = "H9"
    with pytest.raises(S.SaveError) as err:
        S.save(doc)
    assert err.value.problems == [Problem("unknown hall 'H9'", "rows[0].hall", None, str(path))]
    assert path.read_text() == SPLICE
    assert [p.name for p in path.parent.iterdir()] == ["hall.yaml"]


def test_what_only_the_load_back_finds_is_named_with_its_line(path):
    """A sensor outside its hall passes the check before writing; the written text is read
    back and refused, naming the file and the line it was written on (39 ``sensors:``, 40
    its id, 41 its hall, 42 its position)."""
    doc = LayoutDocument.open(path)
    doc.insert_item("sensors", None, Sensor(id="S1", hall="H1", position_m=(20, 1, 1)))
    with pytest.raises(S.SaveError) as err:
        S.save(doc)
    assert str(err.value) == (
        "not saved: hall.yaml would not load back\n"
        f"  {path}:42: sensors[0].position_m: sensor 'S1' lies outside hall 'H1'"
    )
    assert path.read_text() == SPLICE


def test_the_load_back_uses_the_catalog_the_layout_was_opened_with(path):
    """A plugin's rack type, in the catalog the document was opened with but not the shipped
    one: the written file is read back with that catalog, and saves."""
    from twin.model.catalog import shipped_catalog
    from twin.model.catalog_schema import RackType

    half = RackType(
        id="rack-half", kind="rack", name="half height", size_m=(0.6, 1.2, 1.2), u=24,
        weight_kg=100, max_load_kg=800,
    )  # fmt: skip
    path.write_text(
        SPLICE.replace("      - id: A03\n", "      - id: A03\n        type: rack-half\n")
    )
    doc = LayoutDocument.open(path, catalog=shipped_catalog().with_items([half]))
    doc.set_rack_poses(["A03"], [(3.2, 5.0)])
    S.save(doc)
    assert "        type: rack-half\n        position_m: [3.2, 5.0]\n" in path.read_text()


def test_a_writer_that_drops_a_change_is_refused_with_the_field(path, monkeypatch):
    """Both writers losing the new label: the save is refused, naming the file and the
    field that would load back different; the file is untouched."""
    doc = LayoutDocument.open(path)
    doc.update_rack("A01", label="spare")
    monkeypatch.setattr(S, "spliced_text", lambda d: d.source_text)
    monkeypatch.setattr(S, "roundtrip_text", lambda d: d.source_text)
    with pytest.raises(S.SaveError) as err:
        S.save(doc)
    assert str(err.value) == (
        "not saved: hall.yaml would load back different from the document\n"
        f"  {path}: rows[0].racks[0].label: None vs 'spare'"
    )
    assert err.value.problems == [
        Problem("rows[0].racks[0].label: None vs 'spare'", "", None, str(path))
    ]
    assert path.read_text() == SPLICE


def test_after_a_whole_tree_save_the_whole_tree_is_written_again(path):
    """The tree parsed for one save is kept and synced for the next ones: a new device is
    then styled as the whole-tree writer does (flow, as a sibling is), not like the block
    item before it as the splice would."""
    doc = LayoutDocument.open(path)
    doc.layout.cooling.air_units.reverse()  # reordered: the whole tree
    S.save(doc)
    first = path.read_text()
    assert doc.roundtrip_tree is not None and "CRAH-2" in first
    doc.insert_item("power", 2, PowerDevice(id="PDU-2", type="pdu-300kva", upstream="U"))
    S.save(doc)
    assert path.read_text() == first.replace(
        "    type: pdu-300kva\n",
        "    type: pdu-300kva\n  - {id: PDU-2, type: pdu-300kva, upstream: U}\n",
    )


def test_a_crlf_file_gets_crlf_on_the_lines_the_splice_re_rendered(path):
    """ruamel writes LF: the re-rendered rack came out LF among the author's CRLF lines."""
    path.write_bytes(SPLICE.replace("\n", "\r\n").encode())
    doc = LayoutDocument.open(path)
    doc.update_rack("A03", label="spare")
    S.save(doc)
    expected = SPLICE.replace(A03, A03 + "        label: spare\n")
    assert path.read_bytes() == expected.replace("\n", "\r\n").encode()
    assert doc.roundtrip_tree is None  # spliced, not the whole tree


@pytest.mark.parametrize("writer", ["splice", "whole tree"])
def test_a_crlf_file_saves_as_its_lf_twin_does_blank_lines_kept(tmp_path, writer):
    """ruamel, given CRLF text, dropped the blank line inside a block item it re-wrote (A01's
    here, re-rendered for its new label, or written by the whole-tree writer for a reorder)."""
    saved = {}
    for name, endings in (("lf", "\n"), ("crlf", "\r\n")):
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(SPLICE.replace("\n", endings).encode())
        doc = LayoutDocument.open(path)
        doc.update_rack("A01", label="spare")
        if writer == "whole tree":
            doc.layout.power.reverse()
        S.save(doc)
        assert (doc.roundtrip_tree is None) == (writer == "splice")
        saved[name] = path.read_bytes()
    assert b"        position_m: [2, 3]\n\n        load:" in saved["lf"]
    assert saved["crlf"] == saved["lf"].replace(b"\n", b"\r\n")


def test_a_full_disk_is_named_by_its_reason_by_either_writer(tmp_path):
    """A private twin of /dev/full (every write fails with ENOSPC): the message gives the
    reason, not the OSError's ``[Errno 28]`` form."""
    full = tmp_path / "full"
    try:
        os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("making a device node needs root (CI runs as root)")
    doc = LayoutDocument.from_text(SPLICE)
    with pytest.raises(S.SaveError) as err:
        S.save(doc, full)  # nothing changed: spliced
    assert str(err.value) == f"could not write {full}: No space left on device"
    doc.layout.cooling.air_units.reverse()  # reordered: the whole tree
    with pytest.raises(S.SaveError) as err:
        S.save(doc, full)
    assert doc.roundtrip_tree is not None
    assert str(err.value) == f"could not write {full}: No space left on device"


def test_a_folder_that_is_not_there_is_named_by_either_writer(tmp_path):
    """The write's own reason (``cannot write ...: No such file or directory``), not the
    OSError's repr, after the target."""
    doc = LayoutDocument.from_text(SPLICE)
    target = tmp_path / "missing" / "x.yaml"
    why = f"could not write {target}: cannot write {target}: No such file or directory"
    with pytest.raises(S.SaveError) as err:
        S.save(doc, target)  # nothing changed: spliced
    assert str(err.value) == why
    doc.layout.cooling.air_units.reverse()  # reordered: the whole tree
    with pytest.raises(S.SaveError) as err:
        S.save(doc, target)
    assert doc.roundtrip_tree is not None
    assert str(err.value) == why


# ---------------------------------------------------------------------- the whole tree refused
def test_a_tab_names_the_file_read_and_a_later_splice_still_saves(path, tmp_path):
    """Save As of a layout with ``hall:<TAB>H1``: the message names the file the tab is in
    (not the new one), its line and column; nothing is written. The failed parse is not kept:
    an edit the splice can make then saves, the tab left as the author wrote it."""
    text = SPLICE.replace("    hall: H1\n", "    hall:\tH1\n")
    path.write_text(text)
    doc = LayoutDocument.open(path)
    doc.layout.cooling.air_units.reverse()  # reordered: the whole tree
    other = tmp_path / "other.yaml"
    with pytest.raises(S.SaveError) as err:
        S.save(doc, other)
    assert str(err.value) == (
        f"not saved: {other} cannot be written keeping its comments; the YAML reader that keeps "
        f"them refuses {path}, line 25, column 10: found character '\\t' that cannot start any "
        "token (a tab where YAML wants spaces: replace it)"
    )
    assert not other.exists() and path.read_text() == text
    doc.layout.cooling.air_units.reverse()
    doc.set_rack_poses(["A03"], [(3.2, 5.0)])
    S.save(doc)
    assert path.read_text() == text.replace("[3.2, 3]", "[3.2, 5.0]")


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (RecursionError("maximum recursion depth exceeded\nwhile calling a Python object"),
         "maximum recursion depth exceeded"),
        (MemoryError(), "MemoryError"),
        (ConstructorError(None, None, "found unhashable key", None), "found unhashable key"),
    ],
)  # fmt: skip
def test_a_writer_error_without_a_yaml_mark_is_named_by_its_first_line(
    tmp_path, monkeypatch, error, said
):
    """An error without a place (not the YAML reader's, or the reader's without a mark): its
    message's first line, or its kind where it has none, after the file; no tab hint."""

    def fail(doc):
        raise error

    monkeypatch.setattr(S, "roundtrip_text", fail)
    doc = LayoutDocument.from_text(SPLICE)  # no file yet: the target is named
    doc.layout.cooling.air_units.reverse()
    target = tmp_path / "new.yaml"
    with pytest.raises(S.SaveError) as err:
        S.save(doc, target)
    assert str(err.value) == (
        f"not saved: {target} cannot be written keeping its comments; the YAML reader that "
        f"keeps them refuses {target}: {said}"
    )
    assert not target.exists()


# ---------------------------------------------------------------------- changed on disk
def test_a_file_changed_on_disk_is_named_and_kept(path):
    """Another program wrote bytes that are not UTF-8: that is a change (not a crash), and the
    message says what to do."""
    doc = LayoutDocument.open(path)
    doc.set_rack_poses(["A03"], [(3.2, 5.0)])
    theirs = SPLICE.encode() + b"# \xff\n"
    path.write_bytes(theirs)
    with pytest.raises(S.ChangedOnDisk) as err:
        S.save(doc)
    assert str(err.value) == (
        "not saved: hall.yaml was changed on disk since it was opened; save anyway to replace "
        "those changes with yours, or Save As to keep both"
    )
    assert path.read_bytes() == theirs


def test_line_endings_changed_on_disk_are_no_change(path):
    """The same text with CRLF endings (a checkout on Windows) loses nothing: it saves."""
    doc = LayoutDocument.open(path)
    doc.set_rack_poses(["A03"], [(3.2, 5.0)])
    path.write_bytes(SPLICE.replace("\n", "\r\n").encode())
    S.save(doc)
    assert path.read_text() == SPLICE.replace("[3.2, 3]", "[3.2, 5.0]")


def test_a_file_that_cannot_be_read_back_for_the_check_is_named(path):
    """The layout's file replaced by a folder: the check cannot read it and says why."""
    doc = LayoutDocument.open(path)
    path.unlink()
    path.mkdir()
    with pytest.raises(S.SaveError) as err:
        S.save(doc)
    assert str(err.value) == f"could not check {path}: Is a directory"


@pytest.mark.parametrize("rack", ["A01", "A02"])
def test_a_value_set_then_cleared_leaves_the_file_as_it_was(path, rack):
    """A label set and saved, then cleared: ``label: null`` was written back (it loads the
    same, but the author never wrote it). Its line goes, and only its line."""
    doc = LayoutDocument.open(path)
    doc.update_rack(rack, label="spare")
    S.save(doc)
    with_label = path.read_text().splitlines(keepends=True)
    assert with_label.count("        label: spare\n") == 1
    doc = LayoutDocument.open(path)  # A02's label went in through the whole tree
    doc.update_rack(rack, label=None)
    S.save(doc)
    assert path.read_text() == "".join(ln for ln in with_label if "label" not in ln)
    assert doc.roundtrip_tree is None  # spliced
    if rack == "A01":  # its re-render for the label kept every line; A02 went whole-tree
        assert path.read_text() == SPLICE


def test_the_whole_tree_writer_takes_a_cleared_value_out_too(path):
    doc = LayoutDocument.open(path)
    doc.update_rack("A02", label="spare")
    S.save(doc)
    doc.update_rack("A02", label=None)
    doc.layout.power.reverse()  # the whole tree is written
    S.save(doc)
    assert doc.roundtrip_tree is not None
    assert "label" not in path.read_text()


def test_an_authors_own_null_stays_when_another_value_changes(path):
    path.write_text(SPLICE.replace("      - id: A02\n", "      - id: A02\n        label: null\n"))
    doc = LayoutDocument.open(path)
    doc.set_rack_poses(["A02"], [(2.6, 5.0)])
    S.save(doc)
    assert path.read_text() == SPLICE.replace(
        "      - id: A02\n", "      - id: A02\n        label: null\n"
    ).replace("[2.6, 3]", "[2.6, 5.0]")
