"""A CFD's rack inlets and return are read where its own mesh puts the rack fronts and
returns, not where Twin's coarser cell snaps them. The ducted hot-aisle room's return grille
spans x 1.5-3.9 m: a 0.15 m mesh draws it there, a 0.2 m grid at 1.4-3.8 m, taking in a strip
of the room air beside the duct. Read on Twin's grid, the room's own OpenFOAM case gave a
return 0.8 K colder than the air its grilles take in, and `twin cfd compare` a return error
of +0.79 K where the stored reference (the grilles' monitors) gives +0.02 K."""

from __future__ import annotations

import json
import types
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import write_case
from twin.cfd import field
from twin.cfd.source import CfdPoints, load_field
from twin.model.loader import load_layout
from twin.physics.grid import GRILLE, RACK_FRONT, UNIT_IN, build_grid

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "hot-aisle-ducted-45kw.yaml"
CFD_CELL_M = 0.15
TWIN_CELL_M = 0.2
RETURN_C, FRONT_C, ROOM_C = 35.0, 25.0, 20.0


@pytest.fixture(scope="module")
def room():
    """The layout, its grid at the CFD's cell, and a CFD field on that grid: 35 C in the cells
    the returns draw from, 25 C at the rack fronts, 20 C everywhere else."""
    fac = load_layout(ROOM)
    own = build_grid(fac, 0, CFD_CELL_M)
    p = own.ports
    air = np.where(own.fluid, ROOM_C, np.nan).ravel()
    air[p.cell[p.kind == RACK_FRONT]] = FRONT_C
    air[p.cell[(p.kind == GRILLE) | (p.kind == UNIT_IN)]] = RETURN_C
    return fac, own, air.reshape(own.shape)


def _twin_case(tmp_path: Path, own, air: np.ndarray) -> Path:
    holder = types.SimpleNamespace(grid=own)
    return write_case(tmp_path / "case", holder, air, np.zeros(own.shape + (3,)))


def test_the_two_grids_place_the_return_differently(room):
    """What the tests below guard against: read on Twin's 0.2 m grid, the same field's return
    takes in the room air beside the grille."""
    fac, own, air = room
    grid = build_grid(fac, 0, TWIN_CELL_M)
    on_twin = field.rack_figures(grid, field._onto(air, own, grid))[2]
    assert on_twin < RETURN_C - 1.0


def test_a_twin_case_is_read_at_its_own_cells(room, tmp_path):
    fac, own, air = room
    case = _twin_case(tmp_path, own, air)
    grid = build_grid(fac, 0, TWIN_CELL_M)
    cfd = load_field(case, fac, grid)
    mean, mx, ret, read_m = cfd.figures(grid)
    assert read_m == CFD_CELL_M
    assert ret == pytest.approx(RETURN_C, rel=1e-12)
    assert mean == pytest.approx(np.full(fac.n_racks, FRONT_C), rel=1e-12)
    assert np.all(mx == FRONT_C)
    assert cfd.racks_outside == []


def test_compare_reports_the_cfds_return_through_its_own_grilles(room, tmp_path, capsys):
    from twin.cli import main

    fac, own, air = room
    case = _twin_case(tmp_path, own, air)
    rc = main(["cfd", "compare", str(ROOM), str(case), "--cell", str(TWIN_CELL_M), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["cfd_return_c"] == pytest.approx(RETURN_C, rel=1e-12)
    assert out["return_error_k"] == pytest.approx(out["twin"]["return_mean_c"] - RETURN_C)
    assert [r["cfd_mean_c"] for r in out["rows"]] == [FRONT_C] * fac.n_racks
    assert out["source"]["read_cell_m"] == CFD_CELL_M
    assert main(["cfd", "compare", str(ROOM), str(case), "--cell", str(TWIN_CELL_M)]) == 0
    text = capsys.readouterr().out
    assert (
        f"{case}: its rack inlets and return are read at its own 0.15 m cells, where its mesh "
        "puts the rack fronts and returns; the air field is compared on Twin's 0.2 m grid"
    ) in text


def test_a_foreign_field_is_read_at_its_own_spacing(room):
    """Points at the CFD's cell centres, in kelvin, from a reader (as a VTK file's would be):
    read on a grid at their spacing."""
    fac, own, air = room
    pts = (np.argwhere(own.fluid) + 0.5) * CFD_CELL_M + own.origin_m
    temp = air[own.fluid] + 273.15
    grid = build_grid(fac, 0, TWIN_CELL_M)

    def reader(path, name):
        return CfdPoints(pts.astype(np.float32), temp.astype(np.float32), "T")

    cfd = load_field(Path("cfd.vtu"), fac, grid, reader)
    mean, _, ret, read_m = cfd.figures(grid)
    assert read_m == CFD_CELL_M  # float32 points: spacing 0.14999998, read at 0.15
    assert ret == pytest.approx(RETURN_C, abs=1e-4)
    assert mean == pytest.approx(np.full(fac.n_racks, FRONT_C), abs=1e-4)


def test_an_implausible_value_at_a_port_is_left_out(room, tmp_path):
    """A fill value in one of a return's cells: the return is read from the others."""
    fac, own, air = room
    p = own.ports
    ret_cells = p.cell[(p.kind == GRILLE) | (p.kind == UNIT_IN)]
    assert len(set(ret_cells)) == len(ret_cells)  # one port per cell: q keyed by cell
    bad = air.copy().ravel()
    bad[ret_cells[0]] = 1e30
    bad[ret_cells[1]] = RETURN_C + 10.0  # plausible: counted
    grid = build_grid(fac, 0, TWIN_CELL_M)
    _, _, ret = field.figures_on_own_grid(own, bad.reshape(own.shape), grid)
    returns = (p.kind == GRILLE) | (p.kind == UNIT_IN)
    q = dict(zip(p.cell[returns], -p.q[returns], strict=True))
    kept = [c for c in ret_cells if c != ret_cells[0]]
    want = (sum(q[c] for c in kept) * RETURN_C + q[ret_cells[1]] * 10.0) / sum(q[c] for c in kept)
    assert ret == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    ("spacing", "want"),
    [
        (0.15, 0.15),
        (0.14999998, 0.15),
        (0.01, field.MIN_READ_CELL_M),
        (0.19, 0.19),
        (0.2, 0.2),
        (0.3, 0.2),
    ],
)
def test_the_read_cell_is_the_cfds_spacing_where_finer(room, spacing, want):
    fac, _, _ = room
    grid = build_grid(fac, 0, TWIN_CELL_M)
    pts = np.stack(np.meshgrid(*(np.arange(4) * spacing,) * 3, indexing="ij"), -1).reshape(-1, 3)
    assert field.read_cell_m(pts, grid) == pytest.approx(want, abs=1e-12)


def test_calibration_targets_take_the_inlets_read_at_the_cfds_cells(room, tmp_path):
    from twin.commands.cfd import _targets

    fac, own, air = room
    case = _twin_case(tmp_path, own, air)
    args = types.SimpleNamespace(source=str(case), t_from=None, t_to=None)
    t = _targets(fac, 0, TWIN_CELL_M, args)
    assert len(t.rack_index) == fac.n_racks
    assert t.rack_c == pytest.approx(np.full(fac.n_racks, FRONT_C), rel=1e-12)


def test_a_fine_cfd_of_a_large_hall_is_read_on_a_grid_of_bounded_size(room, monkeypatch):
    """A 0.01 m CFD of a factory hall would ask for a grid that does not fit in memory: the
    read grid is held to ``MAX_READ_CELLS``."""
    fac, _, _ = room
    grid = build_grid(fac, 0, TWIN_CELL_M)
    volume_m3 = float(np.prod(np.asarray(grid.shape) * grid.cell_m))
    monkeypatch.setattr(field, "MAX_READ_CELLS", int(volume_m3 / 0.1**3))
    pts = np.stack(np.meshgrid(*(np.arange(4) * 0.01,) * 3, indexing="ij"), -1).reshape(-1, 3)
    cell = field.read_cell_m(pts, grid)
    assert cell == pytest.approx(0.1, rel=1e-5)
    assert np.prod(np.asarray(grid.shape) * grid.cell_m / cell) <= field.MAX_READ_CELLS * 1.0001
    monkeypatch.setattr(field, "MAX_READ_CELLS", int(volume_m3 / 0.25**3))
    assert field.read_cell_m(pts, grid) == TWIN_CELL_M  # no finer than Twin's: Twin's grid
