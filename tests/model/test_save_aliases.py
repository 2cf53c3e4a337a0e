"""Saving a layout whose author wrote YAML anchors, aliases and merge keys (``&std``, ``*std``,
``<<: *r``). An alias is the anchored node itself once loaded: a value changed at one of its
places used to be changed in the shared node, so every place changed with it, and the
load-back check refused the save ("would load back different"). A designer could not save an
edit of such a rack at all. Now only the place that changed gets its own copy."""

from __future__ import annotations

import pytest
import yaml

from twin.model import edits as E
from twin.model import save as S
from twin.model.document import LayoutDocument
from twin.model.loader import facility_from_text
from twin.model.schema import ServerGroup
from twin.model.shared_nodes import has_aliases

HEAD = """\
format: twin-layout/1
name: anchored
halls:
  - id: ROOM
    size_m: [7.2, 6.0, 3.0]
rows:
  - id: A
    hall: ROOM
    racks:
"""
TAIL = """\
cooling:
  supplies:
    - {id: TILES, hall: ROOM, rect_m: [1.8, 2.4, 4.8, 3.6], kind: floor, flow_m3s: 4.0}
  returns:
    - {id: GRILLE, hall: ROOM, rect_m: [1.8, 0.0, 4.8, 1.2], kind: ceiling}
"""
A1 = "      - {id: A1, position_m: [2, 1.8], rotation_deg: 180, load: %s}\n"
A2 = "      - {id: A2, position_m: [2.6, 1.8], rotation_deg: 180, load: %s}\n"
A3 = "      - {id: A3, position_m: [3.2, 1.8], rotation_deg: 180, load: %s}\n"
STD = "{power_kw: 15, airflow_m3s: 1.0}"
ALIASED = HEAD + A1 % f"&std {STD}" + A2 % "*std" + A3 % "*std" + TAIL


def _open(tmp_path, text: str) -> tuple[LayoutDocument, object]:
    path = tmp_path / "anchored.yaml"
    path.write_text(text)
    return LayoutDocument.open(path), path


def _loads(doc: LayoutDocument, path) -> dict[str, float]:
    """Each rack's power as the saved file loads, after checking it is the document's."""
    layout = facility_from_text(path.read_text(), path).layout
    assert layout == doc.layout
    return {r.id: r.load.power_kw for r in layout.rows[0].racks}


def test_an_aliased_value_changed_at_one_place_is_saved_for_that_place_only(tmp_path):
    doc, path = _open(tmp_path, ALIASED)
    doc.history.push(E.ChangeRack("A2", load={"power_kw": 20, "airflow_m3s": 1.0}))
    S.save(doc)
    assert _loads(doc, path) == {"A1": 15, "A2": 20, "A3": 15}
    assert path.read_text() == (
        HEAD + A1 % f"&std {STD}" + A2 % "{power_kw: 20.0, airflow_m3s: 1.0}" + A3 % "*std" + TAIL
    )


def test_a_value_changed_at_its_anchor_leaves_the_aliases_as_they_were(tmp_path):
    """The other places keep the old value: the anchor moves to the first of them."""
    doc, path = _open(tmp_path, ALIASED)
    doc.history.push(E.ChangeRack("A1", load={"power_kw": 25, "airflow_m3s": 1.5}))
    S.save(doc)
    assert _loads(doc, path) == {"A1": 25, "A2": 15, "A3": 15}
    assert path.read_text() == (
        HEAD + A1 % "{power_kw: 25.0, airflow_m3s: 1.5}" + A2 % f"&std {STD}" + A3 % "*std" + TAIL
    )


def test_the_same_change_at_every_place_is_saved_at_every_place(tmp_path):
    doc, path = _open(tmp_path, ALIASED)
    for rack in ("A1", "A2", "A3"):
        doc.history.push(E.ChangeRack(rack, load={"power_kw": 30, "airflow_m3s": 2.0}))
    S.save(doc)
    assert _loads(doc, path) == {"A1": 30, "A2": 30, "A3": 30}


def test_the_whole_tree_writer_keeps_every_unchanged_anchor_and_alias(tmp_path):
    doc, _ = _open(tmp_path, ALIASED)
    doc.history.push(E.ChangeItem("supplies", "TILES", flow_m3s=4.5))
    assert S.roundtrip_text(doc) == ALIASED.replace("flow_m3s: 4.0}", "flow_m3s: 4.5}")


def test_a_reordered_row_moves_the_anchor_to_the_first_place(tmp_path):
    doc, path = _open(tmp_path, ALIASED)
    racks = doc.layout.rows[0].racks
    racks[:] = [racks[2], racks[0], racks[1]]
    S.save(doc)
    assert path.read_text() == HEAD + A3 % f"&std {STD}" + A1 % "*std" + A2 % "*std" + TAIL


MERGED = (
    HEAD
    + (A1 % STD).replace("- {id: A1", "- &r {id: A1")
    + "      - {<<: *r, id: A2, position_m: [2.6, 1.8]}\n"
    + TAIL
)


@pytest.mark.parametrize(
    ("edit", "a2_line"),
    [
        (
            E.ChangeRack("A2", load={"power_kw": 20, "airflow_m3s": 1.0}),
            "{<<: *r, id: A2, position_m: [2.6, 1.8], load: {power_kw: 20.0, airflow_m3s: 1.0}}",
        ),
        (
            E.ChangeRack("A2", rotation_deg=0),
            "{<<: *r, id: A2, position_m: [2.6, 1.8], rotation_deg: 0.0}",
        ),
    ],
    ids=["merged-mapping", "merged-scalar"],
)
def test_a_merged_value_is_overridden_where_it_changed(tmp_path, edit, a2_line):
    """``<<: *r`` brings A1's keys, and A1's very load mapping, into A2: an edit of A2 writes
    its own key beside the merge, and A1 is as it was."""
    doc, path = _open(tmp_path, MERGED)
    doc.history.push(edit)
    S.save(doc)
    assert _loads(doc, path)["A1"] == 15
    assert path.read_text() == MERGED.replace("{<<: *r, id: A2, position_m: [2.6, 1.8]}", a2_line)


def test_an_aliased_scalar_changed_at_one_place_is_saved_for_that_place_only(tmp_path):
    """A scalar is replaced where it stands; the anchor no alias uses now stays, as written."""
    text = ALIASED.replace("name: anchored\n", "name: &n anchored\ndescription: *n\n")
    doc, path = _open(tmp_path, text)
    doc.layout.description = "a room with anchors"
    S.save(doc)
    assert path.read_text() == ALIASED.replace(
        "name: anchored\n", "name: &n anchored\ndescription: a room with anchors\n"
    )


BLOCK = (
    """\
format: twin-layout/1
name: anchored
halls:
  - id: ROOM
    size_m: &size [7.2, 6.0, 3.0]
  - id: ANNEX
    size_m: *size
rows:
  - id: A
    hall: ROOM
    racks:
      - id: A1
        position_m: [2, 1.8]
        rotation_deg: 180
        load: &std
          airflow_m3s: 1.0   # per rack, at 15 kW
          power_kw: 15
      - id: A2
        position_m: [2.6, 1.8]
        rotation_deg: 180
        load: *std
"""
    + TAIL
)


def test_the_copy_of_a_block_mapping_keeps_its_order_style_and_comment(tmp_path):
    """The place that changed is written as the author wrote the anchored node, with the one
    value changed: their key order, block style and comment, not the model's. ruamel writes
    an anchor only where an alias still names it."""
    doc, path = _open(tmp_path, BLOCK)
    doc.history.push(E.ChangeRack("A2", load={"power_kw": 20, "airflow_m3s": 1.0}))
    S.save(doc)
    assert _loads(doc, path) == {"A1": 15, "A2": 20}
    no_alias_left = BLOCK.replace("load: &std\n", "load:\n")  # an anchor nothing names
    assert path.read_text() == no_alias_left.replace(
        "        load: *std\n",
        "        load:\n          airflow_m3s: 1.0   # per rack, at 15 kW\n          power_kw: 20.0\n",
    )


def test_an_aliased_list_changed_at_one_place_is_saved_for_that_place_only(tmp_path):
    doc, path = _open(tmp_path, BLOCK)
    doc.layout.halls[1].size_m = (9.0, 6.0, 3.0)
    S.save(doc)
    assert facility_from_text(path.read_text(), path).layout == doc.layout
    no_alias_left = BLOCK.replace("&size ", "")
    assert path.read_text() == no_alias_left.replace("size_m: *size", "size_m: [9.0, 6.0, 3.0]")


def test_an_aliased_list_of_mappings_changed_inside_is_saved_for_that_place_only(tmp_path):
    """Two racks sharing one ``servers:`` list: a count changed in one rack's group is a
    change inside a mapping inside the shared list, which must be copied whole."""
    servers = "servers: [{type: network-switch-1u, count: 3}]"
    text = (
        HEAD
        + (A1 % STD).replace(f"load: {STD}", servers.replace(": [", ": &sv [", 1))
        + (A2 % STD).replace(f"load: {STD}", "servers: *sv")
        + TAIL
    )
    doc, path = _open(tmp_path, text)
    doc.update_rack("A2", servers=[ServerGroup(type="network-switch-1u", count=2)])
    S.save(doc)
    layout = facility_from_text(path.read_text(), path).layout
    assert layout == doc.layout
    assert [g.count for r in layout.rows[0].racks for g in r.servers] == [3, 2]
    assert path.read_text() == text.replace("&sv ", "").replace(
        "servers: *sv", servers.replace("count: 3", "count: 2")
    )


@pytest.mark.parametrize(
    ("text", "aliased"),
    [
        ("a: {p: 1}\nb: {p: 1}\n", False),  # equal values, written twice: not shared
        ("a: &x {p: 1}\nb: 2\n", False),  # an anchor nothing names
        ("a: &x {p: 1}\nb: *x\n", True),
        ("a: &x [1, 2]\nb: [3, *x]\n", True),  # in a list
        ("a: &x 1\nb: *x\n", True),  # a scalar
        ("a: &x {p: 1}\nb: {<<: *x, q: 2}\n", True),  # a merge key
        ("a: [{p: &x 1}]\nb: {q: [*x]}\n", True),  # deep on both sides
    ],
)
def test_has_aliases_finds_a_node_the_composer_put_at_two_places(text, aliased):
    assert has_aliases(yaml.compose(text)) is aliased


def test_a_file_with_aliases_goes_to_the_whole_tree_writer(tmp_path):
    doc, _ = _open(tmp_path, ALIASED)
    doc.history.push(E.ChangeItem("supplies", "TILES", flow_m3s=4.5))
    assert S.spliced_text(doc) is None
    plain, _ = _open(tmp_path, ALIASED.replace("&std ", "").replace("*std", STD))
    plain.history.push(E.ChangeItem("supplies", "TILES", flow_m3s=4.5))
    assert S.spliced_text(plain) is not None
