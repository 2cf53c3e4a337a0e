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

from tests.cfd.cases import read_back, write_case
from twin.cfd import field
from twin.cfd.source import CfdPoints, load_field
from twin.model.loader import load_layout
from twin.physics.grid import GRILLE, RACK_FRONT, RACK_REAR, UNIT_IN, build_grid

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
    assert cfd.spacing_m == pytest.approx(CFD_CELL_M, abs=1e-6)
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
    monkeypatch.setattr(field, "MAX_READ_CELLS", int(volume_m3 / 0.1**3) + 1)
    pts = np.stack(np.meshgrid(*(np.arange(4) * 0.01,) * 3, indexing="ij"), -1).reshape(-1, 3)
    cell = field.read_cell_m(pts, grid)
    assert cell == 0.1  # the cap, rounded up to the millimetre
    assert np.prod(np.asarray(grid.shape) * grid.cell_m / cell) <= field.MAX_READ_CELLS * 1.0001
    monkeypatch.setattr(field, "MAX_READ_CELLS", int(volume_m3 / 0.25**3))
    assert field.read_cell_m(pts, grid) == TWIN_CELL_M  # no finer than Twin's: Twin's grid


def _ports_grid(kinds, owners, cells, q, rack_ids):
    """A stand-in grid holding only what ``rack_figures`` reads: its ports and racks."""
    from twin.physics.grid import Ports

    z = np.zeros(len(kinds), np.int64)
    ports = Ports(z, z, np.asarray(cells), z, np.asarray(kinds), np.asarray(owners), np.asarray(q))
    return types.SimpleNamespace(ports=ports, rack_ids=np.asarray(rack_ids, np.int64))


def test_rack_figures_worked_by_hand():
    """Racks 3 and 7 (facility indices), rack 11 whose front draws nothing and rack 9 with
    no front port; two grilles. Rack 3
    reads exactly half its flow (read: the share is at least a half), rack 7 reads 40 % (not
    read); the return reads 0.6 of 1.0 m3/s. No numpy warning for the racks it cannot read."""
    import warnings

    nan = np.nan
    air = np.array([20.0, nan, 22.0, 30.0, nan, nan, 26.0, 34.0])
    grid = _ports_grid(
        kinds=[RACK_FRONT] * 6 + [GRILLE] * 3 + [RACK_REAR, RACK_FRONT],
        owners=[3, 3, 7, 7, 7, 3, 0, 1, 1, 9, 11],
        cells=[0, 1, 2, 4, 5, 5, 6, 7, 5, 3, 3],
        q=[-0.25, -0.25, -0.2, -0.1, -0.2, 0.0, -0.3, -0.3, -0.4, 0.5, 0.0],
        rack_ids=[3, 7, 11, 9],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean, mx, ret = field.rack_figures(grid, air)
    # rack 3: cells 0 (20 C, 0.25) and 1 (no value, 0.25), a port of no flow at cell 5
    # rack 7: cell 2 (22 C, 0.2 of 0.5 m3/s) only
    # rack 11: a front of no flow (30 C there, but it draws nothing); rack 9: no front port
    np.testing.assert_array_equal(mean, [20.0, nan, nan, nan])
    np.testing.assert_array_equal(mx, [20.0, nan, nan, nan])
    assert ret == pytest.approx((0.3 * 26.0 + 0.3 * 34.0) / 0.6, rel=1e-15)


def test_rack_figures_return_read_only_from_half_its_flow_and_some_flow():
    nan = np.nan
    air = np.array([20.0, 30.0, nan])
    kinds = [RACK_FRONT, GRILLE, GRILLE]
    # exactly half the return flow read: read
    grid = _ports_grid(kinds, [0, 0, 1], [0, 1, 2], [-0.5, -0.2, -0.2], [0])
    assert field.rack_figures(grid, air)[2] == 30.0
    # less than half: not read
    grid = _ports_grid(kinds, [0, 0, 1], [0, 1, 2], [-0.5, -0.2, -0.21], [0])
    assert np.isnan(field.rack_figures(grid, air)[2])
    # returns that draw nothing (their units stopped): no return, and no warning
    import warnings

    grid = _ports_grid(kinds, [0, 0, 1], [0, 1, 2], [-0.5, 0.0, 0.0], [0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(field.rack_figures(grid, air)[2])


def test_a_spacing_is_read_to_a_tenth_of_a_millimetre_and_one_point_has_none(room):
    fac, _, _ = room
    grid = build_grid(fac, 0, TWIN_CELL_M)
    pts = np.stack(np.meshgrid(*(np.arange(4) * 0.14996,) * 3, indexing="ij"), -1).reshape(-1, 3)
    assert field.read_cell_m(pts, grid) == 0.15
    assert field.read_cell_m(np.zeros((1, 3)), grid) == TWIN_CELL_M  # no spacing: Twin's cell


def _mean_case(tmp_path: Path):
    """The open-aisle room solved at 0.3 m, written as a Twin case whose latest time holds T
    and U (Twin's) and TMean and UMean (the same temperatures, half the air speed)."""
    import shutil

    from twin.cfd.velocity import twin_velocity
    from twin.physics import solve_steady

    room = ROOM.parent / "open-aisle-85.yaml"
    fac = load_layout(room)
    res = solve_steady(fac, 0, 0.3)
    vel = twin_velocity(res)
    case = write_case(tmp_path / "case", res, res.air_c, vel)
    half = write_case(tmp_path / "half", res, res.air_c, 0.5 * vel)
    shutil.copy(case / "500" / "T", case / "500" / "TMean")
    shutil.copy(half / "500" / "U", case / "500" / "UMean")
    return room, fac, res, case


def test_a_running_mean_is_compared_with_the_running_mean_air(tmp_path):
    """--field TMean takes UMean as the CFD's air, T takes U."""
    from twin.commands.cfd import compare_figures

    room, _, _, case = _mean_case(tmp_path)
    plain = compare_figures(str(room), str(case), 0.3)["velocity"]
    mean = compare_figures(str(room), str(case), 0.3, field="TMean")["velocity"]
    assert plain["velocity_rms_ms"] < 1e-6  # Twin's own air
    assert mean["cfd_speed_mean_ms"] == pytest.approx(0.5 * plain["cfd_speed_mean_ms"], rel=1e-6)
    assert plain["cfd_speed_mean_ms"] > 0.1


def test_a_case_read_without_naming_a_field_reads_t(tmp_path):
    room, fac, res, case = _mean_case(tmp_path)
    (case / "500" / "T").write_text((case / "500" / "T").read_text())
    own, t, u, results = field.read_twin_case(case, fac, 0)
    assert own.cell_m == 0.3 and u.shape == own.shape + (3,)
    assert results.name == "500" and results.has("T")
    kept = read_back(own)
    np.testing.assert_allclose(t[kept], res.air_c[kept], rtol=1e-8)
    assert np.isnan(t[own.fluid & ~kept]).all() and (own.fluid & ~kept).any()


def test_a_velocity_that_is_not_a_vector_field_is_refused(tmp_path):
    """A U written as a scalar field is refused, naming it."""
    from twin.cfd.foam_mesh import foam_header
    from twin.cfd.foam_read import FoamReadError

    room, fac, res, case = _mean_case(tmp_path)
    n = len(np.load(case / "twin_cells.npy"))
    (case / "500" / "U").write_text(
        foam_header("volScalarField", "U", "500")
        + f"internalField nonuniform List<scalar> {n}(\n"
        + "\n".join("1.5" for _ in range(n))
        + "\n);\n"
    )
    with pytest.raises(FoamReadError, match=r"case: its U is not a vector field"):
        field.read_twin_case(case, fac, 0)


def test_vectors_of_two_components_are_refused():
    grid = types.SimpleNamespace()
    with pytest.raises(ValueError, match=r"velocity must be \(N, 3\), not \(4, 2\)"):
        field.vectors_from_points(np.zeros((4, 3)), np.zeros((4, 2)), grid)


def test_two_points_have_a_spacing(room):
    fac, _, _ = room
    grid = build_grid(fac, 0, TWIN_CELL_M)
    assert field.read_cell_m(np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.0]]), grid) == 0.1


def test_a_hall_without_racks_still_has_a_return():
    air = np.array([24.0, 26.0])
    grid = _ports_grid([GRILLE, GRILLE], [0, 1], [0, 1], [-1.0, -3.0], [])
    mean, mx, ret = field.rack_figures(grid, air)
    assert mean.size == 0 and mx.size == 0 and ret == pytest.approx(25.5, rel=1e-15)
    mean, mx, ret = field.figures_on_own_grid(grid, air, grid)
    assert mean.size == 0 and ret == pytest.approx(25.5, rel=1e-15)


def test_a_foreign_field_of_a_room_with_wall_units_reads_their_intakes():
    """The perimeter room returns through its CRAHs' intakes (not grilles): read at the
    field's own 0.15 m cells too."""
    fac = load_layout(ROOM.parent / "wall-crah-perimeter.yaml")
    own = build_grid(fac, 0, CFD_CELL_M)
    p = own.ports
    assert (p.kind == UNIT_IN).any() and not (p.kind == GRILLE).any()
    air = np.where(own.fluid, ROOM_C, np.nan).ravel()
    air[p.cell[p.kind == UNIT_IN]] = RETURN_C
    pts = (np.argwhere(own.fluid) + 0.5) * CFD_CELL_M + own.origin_m
    temp = air.reshape(own.shape)[own.fluid]
    grid = build_grid(fac, 0, TWIN_CELL_M)
    cfd = load_field(Path("cfd.vtu"), fac, grid, lambda path, name: CfdPoints(pts, temp, "T"))
    assert cfd.read_cell_m == CFD_CELL_M
    assert cfd.return_c == pytest.approx(RETURN_C, rel=1e-12)


# ------------------------------------------------------------- the comparison's figures
@pytest.fixture(scope="module")
def solved_room():
    """The hot-aisle room solved at Twin's cell, and Twin's own air as CFD points at its
    cells, 1.5 K warmer (``cloud``)."""
    from twin.physics import solve_steady

    fac = load_layout(ROOM)
    res = solve_steady(fac, 0, TWIN_CELL_M)
    g = res.grid
    pts = (np.argwhere(g.fluid) + 0.5) * g.cell_m + g.origin_m
    return fac, res, pts, res.air_c[g.fluid] + 1.5


def test_compare_rounds_each_row_to_the_hundredth_and_measures_the_air(solved_room):
    from twin.cfd.source import compare_source

    fac, res, pts, warm = solved_room
    asked = []

    def reader(path, name):
        asked.append(name)
        return CfdPoints(pts, warm, "T")

    out, _, cfd = compare_source(fac, 0, TWIN_CELL_M, Path("cfd.vtu"), reader, res=res)
    assert asked == [None] and cfd.kind == "vtk"
    assert out["field_rms_k"] == pytest.approx(1.5, abs=1e-9)
    assert "units_at_capacity" in out and out["source"]["spacing_m"] == TWIN_CELL_M
    for row in out["rows"]:
        r = fac.rack_index[row["id"]]
        assert row["twin_mean_c"] == round(float(res.rack_inlet_mean_c[r]), 2)
        assert row["twin_max_c"] == round(float(res.rack_inlet_max_c[r]), 2)
        assert row["cfd_mean_c"] == round(float(res.rack_inlet_mean_c[r]) + 1.5, 2)
        assert row["cfd_max_c"] == round(float(res.rack_inlet_max_c[r]) + 1.5, 2)
        assert row["error_k"] == -1.5
    # a field asked for by name reaches the reader
    compare_source(fac, 0, TWIN_CELL_M, Path("cfd.vtu"), reader, res=res, field="TMean")
    assert asked[-1] == "TMean"


def test_compare_without_the_cfds_air_does_not_solve_on_it_unless_asked(solved_room):
    from twin.cfd.source import compare_source

    fac, res, pts, warm = solved_room

    def reader(path, name):
        return CfdPoints(pts, warm, "T")

    out, _, _ = compare_source(fac, 0, TWIN_CELL_M, Path("cfd.vtu"), reader, res=res)
    assert "on_cfd_flow" not in out
    with pytest.raises(ValueError, match=r"cfd.vtu: has no air velocity \(U\), so Twin's heat "):
        compare_source(fac, 0, TWIN_CELL_M, Path("cfd.vtu"), reader, res=res, on_cfd_flow=True)


def test_a_foreign_file_needs_a_reader(room):
    fac, _, _ = room
    grid = build_grid(fac, 0, TWIN_CELL_M)
    with pytest.raises(ValueError, match=r"cfd.vtu: reading this kind of CFD source needs a VTK"):
        load_field(Path("cfd.vtu"), fac, grid)


def test_a_stored_reference_is_named_as_one(solved_room):
    from twin.cfd.source import compare_source

    fac, res, _, _ = solved_room
    ref = ROOM.parents[1] / "references" / "hot-aisle-ducted-45kw.json"
    out, _, cfd = compare_source(fac, 0, TWIN_CELL_M, ref, res=res)
    assert cfd is None and out["source"] == {"path": str(ref), "kind": "reference"}
    with pytest.raises(ValueError, match=r"Twin's heat on the CFD's flow needs the case or a VTK"):
        compare_source(fac, 0, TWIN_CELL_M, ref, res=res, on_cfd_flow=True)
    with pytest.raises(ValueError, match=r"--field picks a temperature field of a case or a VTK"):
        compare_source(fac, 0, TWIN_CELL_M, ref, res=res, field="TMean")


def test_where_the_racks_were_read_is_said_in_words():
    from twin.cfd.source import read_at_text

    own = read_at_text(0.15, 0.15, 0.2)
    assert own == (
        "its rack inlets and return are read at its own 0.15 m cells, where its mesh puts the "
        "rack fronts and returns; the air field is compared on Twin's 0.2 m grid"
    )
    assert read_at_text(0.15, None, 0.2) == own  # a Twin case's own cell
    assert read_at_text(0.15, 0.1496, 0.2) == own  # a spacing within half a millimetre
    capped = read_at_text(0.158, 0.0853, 0.2)
    assert capped.startswith(
        "its rack inlets and return are read on a 0.158 m grid (its own 0.0853 m spacing would "
        "give the hall more than 2,000,000 cells)"
    )
