"""A Twin-written case's own files read back with checks (``twin.cfd.case_files``): a case
of another hall, or of the layout before a rack moved or turned, is refused, not read cell by
cell onto air it does not describe (a moved rack read +16.24 K against its old neighbour's
air), and a damaged ``twin_case.json`` or ``twin_cells.npy`` is named with what is wrong
instead of a KeyError, TypeError or IndexError."""

from __future__ import annotations

import json
import pickle
import types
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import write_case
from twin.cfd import case_files
from twin.cfd.foam_case import write_case as write_foam_case
from twin.cli import main
from twin.model.loader import load_layout
from twin.physics.grid import build_grid

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "cold-containment-leaky.yaml"
CELL_M = 0.3


@pytest.fixture()
def case(tmp_path) -> Path:
    """The room at 0.3 m as a case Twin wrote and a run finished (uniform 20 C, still air)."""
    grid = build_grid(load_layout(ROOM), 0, CELL_M)
    air = np.where(grid.fluid, 20.0, np.nan)
    return write_case(
        tmp_path / "case", types.SimpleNamespace(grid=grid), air, np.zeros(grid.shape + (3,))
    )


def _compare(layout: Path, case: Path, capsys, *extra: str) -> str:
    """``twin cfd compare``'s error line (it must fail)."""
    assert main(["cfd", "compare", str(layout), str(case), *extra]) != 0
    return capsys.readouterr().err.strip().splitlines()[-1]


def _set(case: Path, **fields) -> None:
    desc = json.loads((case / "twin_case.json").read_text())
    (case / "twin_case.json").write_text(json.dumps({**desc, **fields}))


@pytest.mark.parametrize(
    "text, why",
    [
        ('{"cell_m": 0.3, "hall": "RO', "not a case description Twin can read (Unterminated"),
        ("[0.3]", "not a case description Twin wrote (not a JSON object)"),
        ('{"hall": "ROOM"}', "its cell_m is None, not a cell size in metres"),
        ('{"cell_m": "0.3", "hall": "ROOM"}', "its cell_m is '0.3', not a cell size in metres"),
        ('{"cell_m": true, "hall": "ROOM"}', "its cell_m is True, not a cell size in metres"),
        ('{"cell_m": NaN, "hall": "ROOM"}', "its cell_m is nan, not a cell size in metres"),
        (
            '{"cell_m": 0.001, "hall": "ROOM"}',
            "its cell_m is 0.001 m, outside the 0.05-1 m a case is written at",
        ),
        ('{"cell_m": 0.3, "hall": 1}', "its hall is 1, not a hall id"),
    ],
)
def test_a_damaged_description_is_named_with_what_is_wrong(case, capsys, text, why):
    (case / "twin_case.json").write_text(text)
    assert _compare(ROOM, case, capsys).startswith(
        f"twin cfd compare: {case / 'twin_case.json'}: {why}"
    )


def _save(case: Path, cells) -> None:
    np.save(case / "twin_cells.npy", cells, allow_pickle=True)


@pytest.mark.parametrize(
    "damage, why",
    [
        (lambda c: (c / "twin_cells.npy").unlink(), "No such file or directory"),
        (lambda c: (c / "twin_cells.npy").write_bytes(b"not numpy"), "not the cell map"),
        (lambda c: _save(c, np.load(c / "twin_cells.npy").astype(float)), "float64 values"),
        (lambda c: _save(c, np.array(["a", "b"])), "<U1 values of shape (2,)"),
        (lambda c: _save(c, np.zeros((2, 2), int)), "int64 values of shape (2, 2)"),
        (lambda c: _save(c, np.array([{"a": 1}], dtype=object)), "allow_pickle=False"),
    ],
)
def test_a_damaged_cell_map_is_named_with_what_is_wrong(case, capsys, damage, why):
    damage(case)
    err = _compare(ROOM, case, capsys)
    assert err.startswith(
        f"twin cfd compare: {case / 'twin_cells.npy'}: not the cell map Twin wrote ("
    )
    assert why in err


@pytest.mark.parametrize("where", [0, -1])
def test_a_cell_number_outside_the_hall_or_out_of_order_is_refused(case, capsys, where):
    """A number past the hall's cells (an IndexError before) or below zero (read from the
    far end of the grid, in silence, before)."""
    cells = np.load(case / "twin_cells.npy")
    cells[where] = -3 if where == 0 else 10**7
    _save(case, cells)
    assert _compare(ROOM, case, capsys) == (
        f"twin cfd compare: {case / 'twin_cells.npy'}: not the cell map Twin wrote (its cell "
        "numbers are not increasing within the hall's 4,800 cells at 0.3 m)"
    )


def test_no_pickle_in_a_cell_map_is_ever_run(case, tmp_path, capsys):
    """A cell map holding a pickle that would write a file when loaded: refused unloaded."""
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.write_text, (marker, "x"))

    (case / "twin_cells.npy").write_bytes(pickle.dumps(Payload()))
    assert "not the cell map Twin wrote" in _compare(ROOM, case, capsys)
    assert not marker.exists()


def test_a_case_of_another_hall_is_refused_with_the_hall_to_compare_it_with(case, tmp_path, capsys):
    text = ROOM.read_text().replace(
        "halls:\n", "halls:\n  - id: ANNEX\n    size_m: [7.2, 6.0, 3.0]\n    floor: slab\n", 1
    )
    layout = tmp_path / "two-halls.yaml"
    layout.write_text(text)
    assert _compare(layout, case, capsys, "--hall", "ANNEX") == (
        f"twin cfd compare: {case} is a case of hall ROOM, not ANNEX: compare it with --hall ROOM"
    )
    _set(case, hall="GONE")
    assert _compare(layout, case, capsys, "--hall", "ROOM") == (
        f"twin cfd compare: {case} is a case of hall GONE, a hall this layout does not have "
        "(its halls: ANNEX, ROOM)"
    )


def test_a_case_of_the_layout_before_a_rack_moved_is_refused(case, tmp_path, capsys):
    """Rack A1 moved to the room's corner and turned: 56 cells of the old mesh are rack now
    and 56 of the new air are not meshed (read as they were, A1 read +16.24 K)."""
    moved = tmp_path / "moved.yaml"
    moved.write_text(
        ROOM.read_text().replace(
            "position_m: [2.1, 1.8], rotation_deg: 180", "position_m: [1.2, 1.2], rotation_deg: 90"
        )
    )
    err = _compare(moved, case, capsys)
    assert err == (
        f"twin cfd compare: {case} was written from another layout of hall ROOM: 56 of its "
        "4,240 mesh cells are not air in this layout at 0.3 m, and 56 of the layout's air "
        "cells are not in the mesh (a rack, air unit or containment panel has moved since); "
        f"write its case again (twin cfd case LAYOUT {case} --cell 0.3 --run --force)"
    )


def test_a_case_of_the_layout_before_a_rack_turned_in_place_is_refused(tmp_path, capsys):
    """Rack A3 turned about its centre: the same air cells, its front and rear swapped. A
    case keeps where its ports are (``port_digest``), and its own layout reads it."""
    case = tmp_path / "written"
    desc = write_foam_case(load_layout(ROOM), case, cell_m=CELL_M)
    grid = build_grid(load_layout(ROOM), 0, CELL_M)
    assert desc["port_digest"] == case_files.port_digest(grid)
    turned = tmp_path / "turned.yaml"
    text = ROOM.read_text().replace(
        "{id: A3, position_m: [3.3, 1.8], rotation_deg: 180,", "{id: A3, position_m: [3.3, 1.8],"
    )
    assert text != ROOM.read_text()
    turned.write_text(text)
    moved = build_grid(load_layout(turned), 0, CELL_M)
    assert np.array_equal(moved.fluid, grid.fluid)  # the same air: only the ports tell
    assert _compare(turned, case, capsys) == (
        f"twin cfd compare: {case} was written from another layout of hall ROOM: its mesh is "
        "this layout's air, but its ports are not (a rack turned, or a tile, grille or air unit "
        f"moved or changed, since); write its case again (twin cfd case LAYOUT {case} --cell "
        "0.3 --run --force)"
    )
    # its own layout gets past the checks to the case's own state (not run yet)
    assert "only its initial time 0 holds a field 'T'" in _compare(ROOM, case, capsys)


def test_the_same_ports_give_the_same_fingerprint_whatever_their_flows():
    """Flows and ids are not where the ports are: a fan change does not refuse a case."""
    fac = load_layout(ROOM)
    grid = build_grid(fac, 0, CELL_M)
    slower = build_grid(fac, 0, CELL_M, rack_airflow_m3s=0.5 * fac.rack_airflow_m3s)
    assert not np.allclose(slower.ports.q, grid.ports.q)
    assert case_files.port_digest(slower) == case_files.port_digest(grid)


@pytest.mark.parametrize("cell_m", [0.05, 1.0])
def test_the_ends_of_the_cell_range_are_cells_a_case_is_written_at(case, cell_m):
    _set(case, cell_m=cell_m)
    assert case_files.description(case)["cell_m"] == cell_m


@pytest.mark.parametrize("damage", ["past the end", "repeated"])
def test_a_cell_map_one_past_the_hall_or_repeating_a_cell_is_refused(case, damage):
    grid = build_grid(load_layout(ROOM), 0, CELL_M)
    cells = np.load(case / "twin_cells.npy")
    if damage == "past the end":
        cells[-1] = grid.n_cells  # the first number that is not a cell
    else:
        cells[7] = cells[6]
    _save(case, cells)
    with pytest.raises(
        case_files.CaseFilesError, match="not increasing within the hall's 4,800 cells"
    ):
        case_files.cell_map(case, grid)


def test_the_port_fingerprint_is_kept_from_version_to_version_and_ignores_port_order():
    """A case written today must be read by later versions: the contained room's ports at
    0.3 m have this fingerprint, whatever order the grid lists them in."""
    grid = build_grid(load_layout(ROOM), 0, CELL_M)
    assert case_files.port_digest(grid) == "521b873211f7dbc4"
    p = grid.ports
    order = np.random.default_rng(1).permutation(len(p.q))
    for name in ("kind", "owner", "cell", "axis", "sign", "q"):
        setattr(p, name, getattr(p, name)[order])
    assert case_files.port_digest(grid) == "521b873211f7dbc4"


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda d: d.update(patches="x"), "its patches are str, not a list"),
        (lambda d: d.update(patches=[1, 2]), "patches[0] is 1, not a patch"),
        (lambda d: d["patches"][0].update(kind=3), "patches[0].kind is 3, not a name"),
        (lambda d: d["patches"][0].pop("owner_id"), "patches[0].owner_id is None, not a name"),
        (lambda d: d["patches"][12].pop("rise_k"), "patches[12].rise_k (A1) is None, not a number"),
        (
            lambda d: d["patches"][12].update(flow_m3s="a"),
            "patches[12].flow_m3s (A1) is 'a', not a number",
        ),
        (lambda d: d.update(rho_cp="x"), "its rho_cp is 'x', not a number"),
        (lambda d: d.update(supply_mean_c="hot"), "its supply_mean_c is 'hot', not a number"),
    ],
)
def test_a_damaged_patch_list_is_named_with_what_is_wrong(tmp_path, capsys, damage, why):
    """The patches are what a case's loads are read from (``case_loads``): a hand-edited
    list ended compare in a TypeError or KeyError."""
    case = tmp_path / "written"
    write_foam_case(load_layout(ROOM), case, cell_m=CELL_M)
    desc = json.loads((case / "twin_case.json").read_text())
    # two grilles, ten rack fronts, then rack A1's rear
    assert desc["patches"][12]["kind"] == "rack_rear" and desc["patches"][12]["owner_id"] == "A1"
    damage(desc)
    (case / "twin_case.json").write_text(json.dumps(desc))
    assert _compare(ROOM, case, capsys) == f"twin cfd compare: {case / 'twin_case.json'}: {why}"


def test_a_description_without_a_mean_supply_is_read(tmp_path):
    """Cases written before it was kept have none: nothing to set Twin's supply against."""
    case = tmp_path / "written"
    write_foam_case(load_layout(ROOM), case, cell_m=CELL_M)
    desc = json.loads((case / "twin_case.json").read_text())
    del desc["supply_mean_c"]
    (case / "twin_case.json").write_text(json.dumps(desc))
    assert "supply_mean_c" not in case_files.description(case)


def _two_halls(tmp_path: Path) -> Path:
    text = ROOM.read_text().replace(
        "halls:\n", "halls:\n  - id: ANNEX\n    size_m: [7.2, 6.0, 3.0]\n    floor: slab\n", 1
    )
    layout = tmp_path / "two-halls.yaml"
    layout.write_text(text)
    return layout


def test_a_case_of_another_hall_is_refused_before_twin_solves(case, tmp_path, capsys, monkeypatch):
    """The refusal comes first: a factory hall's solve takes seconds, and its answer would be
    thrown away with the case."""
    import twin.physics

    def solve(*args, **kwargs):
        raise AssertionError("solved before the case was checked")

    monkeypatch.setattr(twin.physics, "solve_steady", solve)
    assert _compare(_two_halls(tmp_path), case, capsys, "--hall", "ANNEX") == (
        f"twin cfd compare: {case} is a case of hall ROOM, not ANNEX: compare it with --hall ROOM"
    )


def test_a_case_of_another_hall_is_refused_where_read_without_a_comparison(case, tmp_path):
    """``load_field`` (which calibration reads its targets with, no comparison before it)
    reads a case only onto the hall it was written of."""
    from twin.cfd.calibrate import targets_from_source
    from twin.cfd.source import load_field

    fac = load_layout(_two_halls(tmp_path))
    annex = build_grid(fac, fac.hall_ids.index("ANNEX"), CELL_M)
    with pytest.raises(case_files.CaseFilesError, match=r"is a case of hall ROOM, not ANNEX"):
        load_field(case, fac, annex)
    with pytest.raises(case_files.CaseFilesError, match=r"is a case of hall ROOM, not ANNEX"):
        targets_from_source(fac, annex.hall, CELL_M, case, None)
    room = build_grid(fac, fac.hall_ids.index("ROOM"), CELL_M)
    cfd = load_field(case, fac, room)
    assert cfd.read_cell_m == cfd.spacing_m == CELL_M  # its own cell, where it was read
