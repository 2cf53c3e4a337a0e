"""The whole-tree writer (``roundtrip_text``): what it writes when the splice cannot be used.
New items are styled like the siblings the author wrote, kept items keep their comments and
numbers, keys the model no longer writes go, and the author's indentation is read off the
file. Each test looks at the text itself: the save's load-back check accepts any text that
loads the same, so a writer that lost a comment or a style would pass it."""

from __future__ import annotations

import pytest

from twin.model import save as S
from twin.model.document import LayoutDocument
from twin.model.schema import OutdoorPoint, Physics, PowerDevice, Rack, Row, Sensor, ServerGroup

HEAD = """\
format: twin-layout/1
name: tree
halls:
  - id: H1
    size_m: [14, 10, 4]
"""

RACKS = (
    HEAD
    + """\
rows:
  - id: A
    hall: H1
    racks:
      - id: A01    # flow servers
        position_m: [2, 3]
        servers:
          - {type: network-switch-1u, count: 1}
      - id: A02
        position_m: [2.6, 3]
        servers:
          - type: network-switch-1u
            count: 1
      - id: A03
        position_m: [3.2, 3]
        servers:
          - type: network-switch-1u
            count: 2
"""
)

SWITCHES = [ServerGroup(type="network-switch-1u", count=3)]


# ---------------------------------------------------------------------- guess_indent
@pytest.mark.parametrize(
    ("text", "indent"),
    [
        (None, (2, 2, 0)),
        ("", (2, 2, 0)),
        ("a: 1\nb: 2\n", (2, 2, 0)),
        ("a:\n    b: 1\n", (4, 2, 0)),
        ("a:\n\n  # a note\n    b: 1\n", (4, 2, 0)),  # blank and comment lines skipped
        ("a:\nb:\n    c: 1\n", (4, 2, 0)),  # a key at the opener's column is no child
        ("a:\n- 1\nb:\n  - 2\nc:\n    d: 1\n", (4, 2, 0)),  # the first dash: at its key
        ("a:\n  b:\n      - 1\n", (2, 6, 4)),  # dash offset from its own key
        ("rows:\n- id: A\n  load:\n     power: 1\n", (3, 2, 0)),  # mapping from its key
        ("a:\n  - 1\nb:\n    c: 1\n", (4, 4, 2)),  # a dash first, then the mapping
        ("a:\n    b: 1\nc:\n  - 1\n", (4, 4, 2)),  # the mapping first, then a dash
        ("#\n" * 1998 + "a:\n    b: 1\n", (4, 2, 0)),  # within the first 2000 lines
        ("#\n" * 1999 + "a:\n    b: 1\n", (2, 2, 0)),  # its child is line 2001: not read
    ],
)
def test_guess_indent_reads_the_authors_indentation(text, indent):
    """(mapping, sequence, offset) of the first nested mapping and sequence: the whole-tree
    writer gives ruamel these, so a file indented by 4 is not rewritten by 2."""
    assert S.guess_indent(text) == indent


def test_a_four_space_file_is_written_back_with_four_spaces():
    """ruamel's default indentation is 2: the whole tree came back re-indented."""
    text = """\
format: twin-layout/1
name: four
air:
    density_kg_m3: 1.2
halls:
  - id: H1
    size_m: [14, 10, 4]
  - id: H2
    size_m: [8, 6, 4]
"""
    doc = LayoutDocument.from_text(text)
    doc.layout.halls.reverse()
    doc.layout.air.cp_j_kgk = 1010.0
    assert S.roundtrip_text(doc) == (
        "format: twin-layout/1\nname: four\nair:\n    density_kg_m3: 1.2\n    cp_j_kgk: 1010.0\n"
        "halls:\n  - id: H2\n    size_m: [8, 6, 4]\n  - id: H1\n    size_m: [14, 10, 4]\n"
    )


# ---------------------------------------------------------------------- new items' style
def test_new_racks_take_the_style_of_the_rack_before_them():
    """A rack inserted first is styled like the first rack; one inserted later like the rack
    before it: its servers list flow or block item by item as that rack's."""
    doc = LayoutDocument.from_text(RACKS)
    doc.insert_rack("A", 0, Rack(id="N0", position_m=(5, 3), servers=SWITCHES))
    doc.insert_rack("A", 3, Rack(id="N2", position_m=(6, 3), servers=SWITCHES))
    n0 = (
        "      - id: N0\n        position_m: [5.0, 3.0]\n        servers:\n"
        "          - {type: network-switch-1u, count: 3}\n"
    )
    n2 = (
        "      - id: N2\n        position_m: [6.0, 3.0]\n        servers:\n"
        "          - type: network-switch-1u\n            count: 3\n"
    )
    expected = RACKS.replace("      - id: A01", n0 + "      - id: A01")
    expected = expected.replace("      - id: A03", n2 + "      - id: A03")
    assert S.roundtrip_text(doc) == expected


def test_a_new_item_is_flow_style_when_any_sibling_is():
    """Items the author wrote in flow style among block ones: a new one is written in flow
    style, though the item before it is block (ids or not)."""
    text = (
        HEAD
        + """\
rows:
  - id: A
    hall: H1
    racks:
      - id: A01
        position_m: [2, 3]
        servers:
          - {type: network-switch-1u, count: 1}
          - type: network-switch-1u
            count: 1
power:
  - {id: U, type: utility-feed-5mva}
  - id: UPS
    type: ups-500kw
    upstream: U
"""
    )
    doc = LayoutDocument.from_text(text)
    doc.insert_item("power", None, PowerDevice(id="PDU", type="pdu-300kva", upstream="UPS"))
    servers = [*doc.rack("A01").servers, ServerGroup(type="network-switch-1u", count=2)]
    doc.update_rack("A01", servers=servers)
    expected = text.replace(
        "            count: 1\n",
        "            count: 1\n          - {type: network-switch-1u, count: 2}\n",
    )
    assert S.roundtrip_text(doc) == expected + "  - {id: PDU, type: pdu-300kva, upstream: UPS}\n"


def test_an_item_added_to_a_list_without_ids_follows_the_last_one():
    """Server groups and outdoor points have no ids: a new one is appended, styled like the
    last (block here); a list the author wrote empty (``[]``) gets its first one."""
    text = RACKS + "energy:\n  outdoor_series: []\n"
    doc = LayoutDocument.from_text(text)
    doc.update_rack("A03", servers=[*doc.rack("A03").servers, *SWITCHES])
    doc.layout.energy.outdoor_series = [OutdoorPoint(at="12:00", dry_bulb_c=25)]
    expected = text.replace(
        "            count: 2\n",
        "            count: 2\n          - type: network-switch-1u\n            count: 3\n",
    )
    expected = expected.replace(
        "outdoor_series: []\n", "outdoor_series:\n    - at: '12:00'\n      dry_bulb_c: 25.0\n"
    )
    assert S.roundtrip_text(doc) == expected


def test_a_time_of_day_and_a_no_are_written_quoted(tmp_path):
    """ruamel writes YAML 1.2, where ``12:00`` and ``no`` are text, and wrote them plain; the
    loader (PyYAML, YAML 1.1) reads them as 720 and False: a save that added an outdoor point
    through the whole-tree writer was refused ("'12:00' is read as base 60")."""
    text = RACKS + "energy:\n  outdoor_series:\n    - at: '06:00'\n      dry_bulb_c: 15\n"
    path = tmp_path / "times.yaml"
    path.write_text(text)
    doc = LayoutDocument.open(path)
    doc.update_rack("A01", label="no")
    doc.layout.energy.outdoor_series = [
        OutdoorPoint(at="07:00", dry_bulb_c=15),
        OutdoorPoint(at="12:00", dry_bulb_c=25),
    ]
    assert S.spliced_text(doc) is None  # a point added to a block list: the whole tree
    S.save(doc)
    expected = text.replace(
        "        servers:\n          - {type: network-switch-1u, count: 1}\n",
        "        servers:\n          - {type: network-switch-1u, count: 1}\n        label: 'no'\n",
    )
    expected = expected.replace("'06:00'", "'07:00'")
    assert path.read_text() == expected + "    - at: '12:00'\n      dry_bulb_c: 25.0\n"
    assert LayoutDocument.open(path).layout == doc.layout


# ---------------------------------------------------------------------- kept, moved, gone
def test_a_moved_rack_keeps_its_comment_and_numbers_and_the_last_one_can_go():
    """Items are matched by id: the moved rack carries its comment and the author's ``3``
    with it (matched by place, its comment stayed first and styles crossed over); the last
    rack deleted is gone; a first sensor goes into the author's empty list."""
    doc = LayoutDocument.from_text(RACKS + "sensors: []\n")
    racks = doc.layout.rows[0].racks
    racks[0], racks[1] = racks[1], racks[0]
    doc.remove_rack("A03")
    doc.insert_item("sensors", None, Sensor(id="S1", hall="H1", position_m=(1, 1, 1)))
    assert S.roundtrip_text(doc) == (
        HEAD
        + """\
rows:
  - id: A
    hall: H1
    racks:
      - id: A02
        position_m: [2.6, 3]
        servers:
          - type: network-switch-1u
            count: 1
      - id: A01    # flow servers
        position_m: [2, 3]
        servers:
          - {type: network-switch-1u, count: 1}
sensors:
  - id: S1
    hall: H1
    position_m: [1.0, 1.0, 1.0]
"""
    )


def test_a_mapping_of_names_is_synced_key_by_key():
    """``telemetry.metrics`` is a plain mapping: a kept key keeps its quotes (single or
    double, though ``on`` needs some) and comment, a changed one is written where it stands,
    a dropped one goes, a new one is added last."""
    text = (
        HEAD
        + """\
telemetry:
  metrics:    # exporter names
    temp_c: 'DCGM_FI_DEV_GPU_TEMP'   # quoted by hand
    power_w: DCGM_FI_DEV_POWER_USAGE
    mem_c: DCGM_FI_DEV_MEMORY_TEMP
    fan: "on"
"""
    )
    doc = LayoutDocument.from_text(text)
    doc.layout.telemetry.metrics = {
        "temp_c": "DCGM_FI_DEV_GPU_TEMP",
        "mem_c": "DCGM_MEM",
        "util": "DCGM_FI_DEV_GPU_UTIL",
        "fan": "on",
    }
    assert S.roundtrip_text(doc) == (
        HEAD
        + """\
telemetry:
  metrics:    # exporter names
    temp_c: 'DCGM_FI_DEV_GPU_TEMP'   # quoted by hand
    mem_c: DCGM_MEM
    fan: "on"
    util: DCGM_FI_DEV_GPU_UTIL
"""
    )


def test_a_value_the_author_left_empty_is_filled_in_where_it_stands():
    """``physics:`` and ``hosts:`` written without a value (null): the block and the list are
    written there, block and flow as a new one would be."""
    text = (
        RACKS.replace("            count: 2\n", "            count: 2\n            hosts:\n")
        + "physics:\n"
    )
    doc = LayoutDocument.from_text(text)
    group = ServerGroup(type="network-switch-1u", count=2, hosts=["sw-1", "sw-2"])
    doc.update_rack("A03", servers=[group])
    doc.set_physics(Physics(eddy_viscosity_scale=1.3))
    assert S.roundtrip_text(doc) == text.replace(
        "            hosts:\n", "            hosts: [sw-1, sw-2]\n"
    ).replace("physics:\n", "physics:\n  eddy_viscosity_scale: 1.3\n")


def test_values_set_to_their_defaults_add_no_keys():
    """Set by an edit to its default, a field the file does not have stays out (a list's
    default made by its factory too), and the fields after it are still written."""
    doc = LayoutDocument.from_text(RACKS)
    doc.layout.cooling_redundancy = "N"
    doc.layout.sensors = []
    doc.set_rack_poses(["A03"], [(3.2, 5.0)])
    assert S.roundtrip_text(doc) == RACKS.replace("[3.2, 3]", "[3.2, 5.0]")


def test_a_list_emptied_in_place_leaves_the_tree_of_an_earlier_save():
    """The whole tree is kept between saves: a new row's racks (added in place, so written
    because not empty) are in it after one save; all removed again, the row is written
    without them, as the file never had them."""
    doc = LayoutDocument.from_text(RACKS)
    doc.insert_item("rows", None, Row(id="B", hall="H1"))
    doc.insert_rack("B", None, Rack(id="B01", position_m=(2, 6), servers=SWITCHES))
    row_b = "  - id: B\n    hall: H1\n"
    assert S.roundtrip_text(doc) == RACKS + row_b + (
        "    racks:\n      - id: B01\n        position_m: [2.0, 6.0]\n        servers:\n"
        "          - {type: network-switch-1u, count: 3}\n"
    )  # styled like the first rack of the row before it
    doc.remove_rack("B01")
    assert S.roundtrip_text(doc) == RACKS + row_b


def test_a_long_description_is_folded_only_past_4096_columns():
    """The writer's width is 4096, not ruamel's 80: a long text the author wrote on one line
    stays on one line; one longer than that is folded after the first space past it."""
    doc = LayoutDocument.from_text(HEAD)
    doc.layout.description = "a" * 4000
    assert S.roundtrip_text(doc) == HEAD + "description: " + "a" * 4000 + "\n"
    value = "ab" + " a" * 2100  # spaces at odd columns after "description: "
    doc.layout.description = value
    assert S.roundtrip_text(doc) == (
        HEAD + "description: " + value[:4083] + "\n  " + value[4083:] + "\n"
    )  # the first line 4096 columns, ending on the space at column 4095
