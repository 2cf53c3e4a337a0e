"""A save changes only the characters of the values that changed: a wrapped flow mapping stays
wrapped, the author's numbers and comment columns stay, and a calibration's ``physics:`` block
is added at the end (and removed again) without touching any other line."""

from __future__ import annotations

import difflib

import pytest

from twin.model import edits as E
from twin.model import save as S
from twin.model.document import LayoutDocument
from twin.model.loader import facility_from_text
from twin.model.schema import Physics

TEXT = """\
format: twin-layout/1
name: wrapped   # a hand-written room
halls:
  - id: ROOM
    size_m: [7.2, 6.0, 3.0]
rows:
  - id: A
    hall: ROOM
    racks:
      - {id: A1, position_m: [2, 1.8], rotation_deg: 180, load: {power_kw: 15, airflow_m3s: 1.0}}
      - {id: A2, position_m: [2.6, 1.8], rotation_deg: 180,
         load: {power_kw: 15, airflow_m3s: 1.0}}   # wrapped by hand
cooling:
  supplies:
    - {id: TILES, hall: ROOM, rect_m: [1.8, 2.4, 4.8, 3.6], kind: floor, open_fraction: 0.4,
       flow_m3s: 4.0, supply_c: 18.0}
  returns:
    - {id: GRILLE, hall: ROOM, rect_m: [1.8, 0.0, 4.8, 1.2], kind: ceiling}  # over the hot aisle
"""


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "wrapped.yaml"
    p.write_text(TEXT)
    return p


def _changes(path) -> list[str]:
    diff = difflib.unified_diff(TEXT.splitlines(), path.read_text().splitlines(), n=0)
    return [d for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")]


def test_a_wrapped_flow_mapping_stays_wrapped(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.ChangeItem("supplies", "TILES", supply_c=19.5))
    S.save(doc)
    assert _changes(path) == [
        "-       flow_m3s: 4.0, supply_c: 18.0}",
        "+       flow_m3s: 4.0, supply_c: 19.5}",
    ]
    assert facility_from_text(path.read_text(), path).layout == doc.layout


def test_a_nested_value_of_a_wrapped_item_keeps_its_comment_column(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.ChangeRack("A2", load={"power_kw": 7.5, "airflow_m3s": 1.0}))
    S.save(doc)
    # the value grew by a character: the comment keeps its column, a blank fewer
    assert _changes(path) == [
        "-         load: {power_kw: 15, airflow_m3s: 1.0}}   # wrapped by hand",
        "+         load: {power_kw: 7.5, airflow_m3s: 1.0}}  # wrapped by hand",
    ]
    line = path.read_text().splitlines()[11]
    assert line.index("#") == TEXT.splitlines()[11].index("#")


def test_only_the_list_items_that_changed_are_written(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.MoveRacks(["A1"], [[2.0, 1.5]]))
    S.save(doc)
    assert _changes(path) == [
        "-      - {id: A1, position_m: [2, 1.8], rotation_deg: 180, load: {power_kw: 15, "
        "airflow_m3s: 1.0}}",
        "+      - {id: A1, position_m: [2, 1.5], rotation_deg: 180, load: {power_kw: 15, "
        "airflow_m3s: 1.0}}",
    ]  # the author's "2" stays


def test_a_new_key_goes_before_the_closing_brace(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.ChangeRack("A1", label="spare"))
    doc.history.push(E.ChangeItem("returns", "GRILLE", rect_m=(1.8, 0.0, 4.8, 1.5)))
    S.save(doc)
    assert _changes(path) == [
        "-      - {id: A1, position_m: [2, 1.8], rotation_deg: 180, load: {power_kw: 15, "
        "airflow_m3s: 1.0}}",
        "+      - {id: A1, position_m: [2, 1.8], rotation_deg: 180, load: {power_kw: 15, "
        "airflow_m3s: 1.0}, label: spare}",
        "-    - {id: GRILLE, hall: ROOM, rect_m: [1.8, 0.0, 4.8, 1.2], kind: ceiling}  # over the "
        "hot aisle",
        "+    - {id: GRILLE, hall: ROOM, rect_m: [1.8, 0.0, 4.8, 1.5], kind: ceiling}  # over the "
        "hot aisle",
    ]
    assert facility_from_text(path.read_text(), path).layout == doc.layout


def test_a_calibration_is_added_at_the_end_and_cleared_to_the_original_text(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.SetPhysics(Physics(eddy_viscosity_scale=1.3, turbulent_prandtl=0.7)))
    S.save(doc)
    assert _changes(path) == [
        "+physics:",
        "+  eddy_viscosity_scale: 1.3",
        "+  turbulent_prandtl: 0.7",
    ]
    again = LayoutDocument.open(path)
    assert again.layout.physics.eddy_viscosity_scale == 1.3
    again.history.push(E.SetPhysics(None))
    S.save(again)
    assert path.read_text() == TEXT


def test_a_file_without_a_final_newline_gets_the_block_on_its_own_line(tmp_path):
    p = tmp_path / "nonl.yaml"
    p.write_text(TEXT.rstrip("\n"))
    doc = LayoutDocument.open(p)
    doc.history.push(E.SetPhysics(Physics(eddy_viscosity_scale=2.0)))
    S.save(doc)
    assert p.read_text() == TEXT + "physics:\n  eddy_viscosity_scale: 2.0\n"


def test_a_renamed_layout_keeps_its_comment(path):
    doc = LayoutDocument.open(path)
    doc.layout.name = "renamed room"
    S.save(doc)
    assert _changes(path) == [
        "-name: wrapped   # a hand-written room",
        "+name: renamed room # a hand-written room",
    ]


def test_a_file_with_aliases_is_not_spliced(path):
    """``load: *std`` is composed as the anchored node, whose text stands in another rack:
    editing it there, or at the anchor, would change both racks. The splice declines any
    file that uses an alias (the whole-tree writer gives a changed place its own copy: see
    test_save_aliases.py), an edit elsewhere in it too: the stateful edit test found edits at
    an anchor and a deleted anchor that the splice got wrong."""
    text = TEXT.replace("load: {power_kw: 15, airflow_m3s: 1.0}}\n", "load: &std {power_kw: 15, "
                        "airflow_m3s: 1.0}}\n", 1)  # fmt: skip
    text = text.replace("load: {power_kw: 15, airflow_m3s: 1.0}}   #", "load: *std}   #")
    path.write_text(text)
    doc = LayoutDocument.open(path)
    doc.history.push(E.ChangeRack("A2", load={"power_kw": 20, "airflow_m3s": 1.0}))
    assert S.spliced_text(doc) is None
    other = LayoutDocument.open(path)
    other.history.push(E.ChangeItem("supplies", "TILES", supply_c=19.5))
    assert S.spliced_text(other) is None
    S.save(other)
    saved = path.read_text()
    assert "load: *std}" in saved and "supply_c: 19.5}" in saved
    assert facility_from_text(saved, path).layout == other.layout


def test_a_byte_order_mark_stays_and_does_not_shift_the_first_line(tmp_path):
    """YAML's marks do not count a leading BOM: an edit of the first line landed a column
    off ("name:renamedy"), and the whole-tree writer that took over dropped the BOM."""
    text = "\ufeff" + TEXT.replace("format: twin-layout/1\nname: wrapped", "name: wrapped", 1)
    text = text.replace(
        "   # a hand-written room\n", "   # a hand-written room\nformat: twin-layout/1\n"
    )
    p = tmp_path / "bom.yaml"
    p.write_bytes(text.encode("utf-8"))
    doc = LayoutDocument.open(p)
    doc.layout.name = "renamed"
    assert S.spliced_text(doc) == text.replace("name: wrapped", "name: renamed", 1)
    S.save(doc)
    assert p.read_bytes().decode("utf-8") == text.replace("name: wrapped", "name: renamed", 1)
    doc.layout.rows[0].racks.reverse()  # reordered in an item: that item is re-rendered
    S.save(doc)
    assert p.read_bytes().startswith("\ufeff".encode())
    doc.layout.rows.append(doc.layout.rows[0].model_copy(update={"id": "B", "racks": []}))
    S.save(doc)
    doc.layout.rows.reverse()  # reordered at the top: the whole tree is written
    assert S.spliced_text(doc) is None
    S.save(doc)
    assert p.read_bytes().startswith("\ufeff".encode())


def test_a_cleared_block_in_the_middle_goes_with_its_lines_only(path):
    """The block's own lines go; the blank line and the next key's comment stay."""
    text = TEXT.replace(
        "halls:\n",
        "physics:\n  eddy_viscosity_scale: 2.0   # fitted last spring\n  turbulent_prandtl: 0.8\n"
        "\n# the one room\n# and its walls\nhalls:\n",
        1,
    )
    path.write_text(text)
    doc = LayoutDocument.open(path)
    doc.history.push(E.SetPhysics(None))
    assert S.spliced_text(doc) == text.replace(
        "physics:\n  eddy_viscosity_scale: 2.0   # fitted last spring\n  turbulent_prandtl: 0.8\n",
        "",
    )
    flow = TEXT.replace("halls:\n", "physics: {eddy_viscosity_scale: 2.0}  # fitted\nhalls:\n", 1)
    path.write_text(flow)  # in flow style: its line ends mid-line
    doc = LayoutDocument.open(path)
    doc.history.push(E.SetPhysics(None))
    assert S.spliced_text(doc) == TEXT
    last = TEXT + "physics:\n  eddy_viscosity_scale: 2.0\n\n\n"  # the last key, blanks after
    path.write_text(last)
    doc = LayoutDocument.open(path)
    doc.history.push(E.SetPhysics(None))
    assert S.spliced_text(doc) == TEXT + "\n\n"


def test_a_top_level_value_set_to_its_default_is_written_not_dropped(path):
    """Only a value cleared to None takes its key out: ``power_redundancy: N`` set to 2N
    (the default) says 2N where it stands; a default set where the file has no key adds
    nothing."""
    path.write_text(TEXT.replace("halls:\n", "power_redundancy: N\nhalls:\n", 1))
    doc = LayoutDocument.open(path)
    doc.layout.power_redundancy = "2N"
    doc.layout.cooling_redundancy = "N"  # set, at its default, not in the file
    assert S.spliced_text(doc) == TEXT.replace("halls:\n", "power_redundancy: 2N\nhalls:\n", 1)


def test_an_alias_at_the_top_level_is_not_edited_at_its_anchor(path):
    text = TEXT.replace(
        "name: wrapped   # a hand-written room\n",
        "name: &n wrapped   # a hand-written room\ndescription: *n\n",
        1,
    )
    path.write_text(text)
    doc = LayoutDocument.open(path)
    doc.layout.description = "another room"
    assert S.spliced_text(doc) is None  # the name would have changed with it


@pytest.mark.parametrize(
    ("crlf_share", "expect_crlf"), [(1.0, True), (0.5, False), (0.4, False), (0.55, True)]
)
def test_a_whole_tree_save_takes_the_files_line_endings(tmp_path, crlf_share, expect_crlf):
    """ruamel writes LF: the file is written back CRLF when more than half its lines were."""
    text = TEXT + "  - {id: B, hall: ROOM}\n"  # a second row, to reorder the rows
    text = text.replace("rows:\n  - id: A\n", "rows:\n  - id: A\n", 1)
    lines = text.splitlines(keepends=True)
    lines[-1:] = []  # the row B line goes under rows: below
    lines.insert(lines.index("cooling:\n"), "  - {id: B, hall: ROOM}\n")
    lines.append("# twenty lines\n")
    n_crlf = round(crlf_share * len(lines))
    if crlf_share == 0.5:
        assert 2 * n_crlf == len(lines)  # exactly half
    lines = [ln.replace("\n", "\r\n") if i < n_crlf else ln for i, ln in enumerate(lines)]
    p = tmp_path / "endings.yaml"
    p.write_bytes("".join(lines).encode("utf-8"))
    doc = LayoutDocument.open(p)
    doc.layout.rows.reverse()
    assert S.spliced_text(doc) is None  # the whole tree is written
    S.save(doc)
    out = p.read_bytes()
    crlf, lf = out.count(b"\r\n"), out.count(b"\n")
    if expect_crlf:
        assert crlf == lf
    else:  # LF throughout: ruamel kept a CR in a comment when it was given CRLF text
        assert crlf == 0 < lf


def test_a_new_key_inside_a_nested_block_is_placed_in_it(path):
    """Not at the end of the file, where a top-level key goes: the splice declines and the
    whole-tree writer puts it in its block."""
    path.write_text(TEXT + "air:\n  density_kg_m3: 1.19\n")
    doc = LayoutDocument.open(path)
    doc.layout.air.cp_j_kgk = 1010.0
    assert S.spliced_text(doc) is None
    S.save(doc)
    assert path.read_text().endswith("air:\n  density_kg_m3: 1.19\n  cp_j_kgk: 1010.0\n")


def test_a_label_set_then_cleared_in_a_flow_item_leaves_the_file_as_it_was(path):
    doc = LayoutDocument.open(path)
    doc.history.push(E.ChangeRack("A2", label="spare"))
    S.save(doc)
    assert _changes(path) == ["-         load: {power_kw: 15, airflow_m3s: 1.0}}   # wrapped by hand",
                              "+         load: {power_kw: 15, airflow_m3s: 1.0}, label: spare} # wrapped by hand"]  # fmt: skip
    doc.history.push(E.ChangeRack("A2", label=None))
    S.save(doc)  # the comment keeps the column it had: ruamel's rule, and the splice's
    assert _changes(path) == ["-         load: {power_kw: 15, airflow_m3s: 1.0}}   # wrapped by hand",
                              "+         load: {power_kw: 15, airflow_m3s: 1.0}}               # wrapped by hand"]  # fmt: skip
