"""Twin's heat solved on a CFD's air velocity (``twin.cfd.flow_split``, ``twin cfd compare
--on-cfd-flow``): Twin's own flow handed back gives Twin's own answer, another flow gives
another, and sources without a whole velocity field are refused by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import write_case
from twin.cfd.flow_split import faces_from_cells, heat_on_flow
from twin.cfd.velocity import figures, twin_velocity
from twin.model.loader import load_layout
from twin.physics import solve_steady

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"
ROOM = ROOMS / "open-aisle-85.yaml"
CELL_M = 0.3


@pytest.fixture(scope="module")
def solved():
    fac = load_layout(ROOM)
    return fac, solve_steady(fac, 0, CELL_M)


def test_faces_take_the_mean_of_their_two_cells(solved):
    fac, res = solved
    g = res.grid
    vel = np.zeros(g.shape + (3,))
    vel[...] = (0.3, -0.2, 0.1)
    vel[~g.fluid] = 5.0  # a CFD's values inside what Twin takes for solids do not count
    u, v, w = faces_from_cells(vel, g)
    assert u.shape == g.face_shape(0) and w.shape == g.face_shape(2)
    both = g.fluid[1:] & g.fluid[:-1]  # x faces between two air cells
    assert np.allclose(u[1:-1][both], 0.3)
    one = g.fluid[1:] ^ g.fluid[:-1]  # air on one side, a solid on the other
    assert np.allclose(u[1:-1][one], 0.15)
    assert np.allclose(u[0][g.fluid[0]], 0.15)  # the hall's wall counts as still air
    assert np.allclose(v[:, 1:-1][g.fluid[:, 1:] & g.fluid[:, :-1]], -0.2)
    assert np.allclose(w[:, :, 1:-1][g.fluid[:, :, 1:] & g.fluid[:, :, :-1]], 0.1)


def test_twins_own_flow_handed_back_gives_its_own_inlets(solved):
    """Through the cell centres and back a face is smoothed over a cell, so the inlets come
    back within a quarter of a kelvin (0.26 K at worst here), not exactly; a flow turned a
    right angle, or still air, moves them by kelvins."""
    fac, res = solved
    own = twin_velocity(res)
    back = heat_on_flow(fac, 0, CELL_M, own)
    d = back.rack_inlet_mean_c - res.rack_inlet_mean_c
    assert np.abs(d).max() < 0.3
    assert back.energy_error < 1e-5  # projected divergence-free: the heat still balances
    # the result carries the flow it was solved on
    assert figures(twin_velocity(back), own)["direction_agreement"] > 0.95
    turned = np.stack([-own[..., 1], own[..., 0], own[..., 2]], -1)
    for other in (turned, np.zeros_like(own)):
        d = heat_on_flow(fac, 0, CELL_M, other).rack_inlet_mean_c - res.rack_inlet_mean_c
        assert np.abs(d).max() > 2.0


def test_a_velocity_on_another_grid_is_refused(solved):
    fac, res = solved
    want = f"on a (3, 3, 4) grid, Twin's is {res.grid.shape}"
    with pytest.raises(ValueError, match=re.escape(want)):
        heat_on_flow(fac, 0, CELL_M, np.zeros((3, 3, 4, 3)))


def test_the_models_parameters_are_used(solved):
    """A calibrated layout's turbulent Prandtl number (or one passed in) sets how fast the
    heat mixes on the CFD's air as it does on Twin's own."""
    from twin.physics.params import PhysicsParams

    fac, res = solved
    own = twin_velocity(res)
    base = heat_on_flow(fac, 0, CELL_M, own).rack_inlet_mean_c
    mixed = heat_on_flow(fac, 0, CELL_M, own, PhysicsParams(1.0, 0.1)).rack_inlet_mean_c
    assert np.abs(mixed - base).max() > 0.1


def test_cli_reports_twins_heat_on_the_cases_air(solved, tmp_path, capsys):
    from twin.cli import main

    fac, res = solved
    case = write_case(tmp_path / "case", res, res.air_c, twin_velocity(res))
    args = ["cfd", "compare", str(ROOM), str(case), "--cell", str(CELL_M)]
    assert main([*args, "--on-cfd-flow", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    split = out["on_cfd_flow"]
    assert out["rms_k"] == pytest.approx(0.0, abs=1e-6)  # the case is Twin's own solution
    assert 0.0 < split["rms_k"] < 0.3 and split["max_k"] < 0.3
    assert [r["id"] for r in split["rows"]] == [r["id"] for r in out["rows"]]
    assert main([*args, "--on-cfd-flow"]) == 0
    assert "Twin's heat on the CFD's air: RMS" in capsys.readouterr().out
    assert main([*args, "--json"]) == 0  # not asked: not solved
    assert "on_cfd_flow" not in json.loads(capsys.readouterr().out)


def test_cli_refuses_a_source_without_a_velocity_field(solved, tmp_path, capsys):
    from twin.cli import main

    fac, res = solved
    case = write_case(tmp_path / "case", res, res.air_c, twin_velocity(res))
    (case / "500" / "U").unlink()
    args = ["cfd", "compare", str(ROOM), str(case), "--cell", str(CELL_M), "--on-cfd-flow"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert str(case) in err and "no air velocity" in err
    ref = ROOMS.parent / "references" / "open-aisle-85.json"
    assert main(["cfd", "compare", str(ROOM), str(ref), "--on-cfd-flow"]) == 1
    err = capsys.readouterr().err
    assert str(ref) in err and "two planes only" in err


def test_a_cfds_leakage_through_containment_panels_is_kept():
    """A panel leaks what the projection's pressure drives through it in Twin's own march;
    handed a CFD's field, the split keeps the CFD's leakage where it comes in. Twin's own
    contained aisle with half its roof's leakage moved to the doors: kept, the roof passes
    the half it was given; projected as in the march, it takes back its own share."""
    from twin.physics.model import ThermalModel

    fac = load_layout(ROOMS / "cold-containment-leaky.yaml")
    m = ThermalModel(fac, 0, CELL_M)
    g, f = m.grid, m.flow
    h2 = g.cell_m**2
    panel = [(c > 0) & (c < 1) for c in (g.gx, g.gy, g.gz)]
    assert panel[0].any() and panel[2].any()  # doors across x, the roof

    def roof_m3s(flow):
        return np.abs(flow.w[panel[2]]).sum() * h2

    def doors_m3s(flow):
        return np.abs(flow.u[panel[0]]).sum() * h2

    roof, doors = roof_m3s(f), doors_m3s(f)
    w = np.where(panel[2], 0.5 * f.w, f.w)
    u = np.where(panel[0], f.u * (1 + 0.5 * roof / doors), f.u)
    kept = m.flow_model.from_velocity(u, f.v, w, keep_panels=True)
    assert roof_m3s(kept) == pytest.approx(0.5 * roof, rel=0.1)
    assert doors_m3s(kept) == pytest.approx(doors + 0.5 * roof, rel=0.05)
    assert kept.div_rel < 1e-6
    marched = m.flow_model.from_velocity(u, f.v, w)
    assert roof_m3s(marched) > 0.9 * roof
    # the split solves on the kept field
    cells = twin_velocity(m.solve())
    split = heat_on_flow(fac, 0, CELL_M, cells)
    kept = m.flow_model.from_velocity(*faces_from_cells(cells, g), keep_panels=True)
    assert np.allclose(split.flow.w[panel[2]], kept.w[panel[2]])
    assert not np.allclose(
        split.flow.w[panel[2]],
        m.flow_model.from_velocity(*faces_from_cells(cells, g)).w[panel[2]],
    )


@pytest.fixture(scope="module")
def marched():
    """The open aisle at the default cell, its flow marched on a coarser momentum grid (0.25
    m, the default before December 2026: the grids do not nest, the hardest case)."""
    from twin.physics.model import ThermalModel

    fac = load_layout(ROOM)
    m = ThermalModel(fac, 0, 0.2, flow_cell_m=0.25)
    assert m.flow_cell_m > m.cell_m  # the case this is about
    return fac, m, m.solve()


def _cell_centred(flow) -> np.ndarray:
    return np.stack(
        [
            0.5 * (flow.u[1:] + flow.u[:-1]),
            0.5 * (flow.v[:, 1:] + flow.v[:, :-1]),
            0.5 * (flow.w[:, :, 1:] + flow.w[:, :, :-1]),
        ],
        -1,
    )


def test_a_flow_held_on_the_momentum_grid_reaches_the_heat_as_twins_own(marched):
    """Twin's own coarse field, handed over on its momentum grid, is prolonged onto the heat
    grid as the march's is: Twin's own inlets come back (within the quarter kelvin of the
    round trip through cell centres). Read as if it were on the heat grid it is refused."""
    fac, m, res = marched
    held = _cell_centred(m.coarse_flow)
    back = heat_on_flow(fac, 0, 0.2, held, through_m=m.flow_cell_m)
    assert np.abs(back.rack_inlet_mean_c - res.rack_inlet_mean_c).max() < 0.25
    assert back.energy_error < 1e-5
    assert back.grid.shape == res.grid.shape
    with pytest.raises(ValueError, match=re.escape(f"Twin's is {res.grid.shape}")):
        heat_on_flow(fac, 0, 0.2, held)
    with pytest.raises(ValueError, match=re.escape(f"Twin's is {held.shape[:-1]}")):
        heat_on_flow(fac, 0, 0.2, twin_velocity(res), through_m=m.flow_cell_m)


def test_a_flow_held_on_the_heat_grid_itself_is_the_plain_split(marched):
    fac, _, res = marched
    own = twin_velocity(res)
    plain = heat_on_flow(fac, 0, 0.2, own).rack_inlet_mean_c
    same = heat_on_flow(fac, 0, 0.2, own, through_m=0.2).rack_inlet_mean_c
    assert np.abs(same - plain).max() < 1e-4
    turned = np.stack([-own[..., 1], own[..., 0], own[..., 2]], -1)
    assert (
        np.abs(heat_on_flow(fac, 0, 0.2, turned, through_m=0.2).rack_inlet_mean_c - plain).max()
        > 2.0
    )


def test_the_split_table_adds_the_held_column():
    from twin.cfd.scores import split_table

    def row(rms, mx, rank):
        return {"rms_k": rms, "max_k": mx, "rank_corr": rank}

    scores = [{"room": "a", **row(1.0, 2.0, 0.5)}, {"room": "b", **row(0.3, 0.4, 0.9)}]
    split = {"a": row(0.2, 0.3, 0.8)}
    lines = split_table(scores, split).splitlines()
    assert (
        len(lines) == 3 and lines[2] == "| `a` | 1.00 K / 2.00 K / 0.50 | 0.20 K / 0.30 K / 0.80 |"
    )
    held = {"a": {**row(1.5, 2.5, 0.9), "through_m": 0.25}}
    lines = split_table(scores, split, held).splitlines()
    assert "held on a 0.25 m momentum grid" in lines[0] and lines[1].count("---") == 4
    assert lines[2].endswith("| 0.20 K / 0.30 K / 0.80 | 1.50 K / 2.50 K / 0.90 |")


def test_cli_reports_the_momentum_grids_best(tmp_path, capsys):
    """At a cell finer than the momentum grid (0.1 m) ``--on-cfd-flow`` adds the CFD's air
    held on that grid. Twin's own solution as the case came from that grid, yet it does not
    come back whole: its faces pass through the heat grid's cell centres and back (0.35 K
    RMS, where the plain split gives it back within 0.03 K). At a cell with no coarser
    momentum grid nothing is added."""
    from twin.cli import main
    from twin.physics.model import ThermalModel

    m = ThermalModel(load_layout(ROOM), 0, 0.1)
    res = m.solve()
    case = write_case(tmp_path / "case", res, res.air_c, twin_velocity(res))
    args = ["cfd", "compare", str(ROOM), str(case), "--on-cfd-flow", "--cell", "0.1"]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["on_cfd_flow"]
    assert out["held_on_momentum_grid"]["cell_m"] == m.flow_cell_m
    assert out["rms_k"] < 0.05  # the plain split: 0.03 K
    assert 0.25 < out["held_on_momentum_grid"]["rms_k"] < 0.45  # held on 0.2 m first: 0.35 K
    assert main(args) == 0
    assert f"held on Twin's {m.flow_cell_m:g} m momentum grid first: RMS" in capsys.readouterr().out
    assert main([*args[:-2], "--cell", "0.3", "--json"]) == 0
    assert "held_on_momentum_grid" not in json.loads(capsys.readouterr().out)["on_cfd_flow"]


def test_compare_reads_the_field_asked_for_from_a_twin_case(tmp_path):
    """A Twin-written case whose latest time keeps a running mean (TMean, here Twin's air
    plus 1 K) beside T (Twin's air): `twin cfd compare` compares T by default and names
    TMean; with --field TMean every rack reads 1 K cooler in Twin than in the CFD; a field
    the case lacks is refused with the ones it has, and --field with a stored reference too."""
    import shutil

    from twin.commands.cfd import compare_figures

    fac = load_layout(ROOM)
    res = solve_steady(fac, 0, 0.3)
    case = write_case(tmp_path / "case", res, res.air_c, twin_velocity(res))
    warm = write_case(tmp_path / "warm", res, res.air_c + 1.0, twin_velocity(res))
    shutil.copy(warm / "500" / "T", case / "500" / "TMean")
    plain = compare_figures(str(ROOM), str(case), 0.3)
    assert (plain["source"]["field"], plain["source"]["other_fields"]) == ("T", ["TMean"])
    assert plain["max_k"] < 0.01
    mean = compare_figures(str(ROOM), str(case), 0.3, field="TMean")
    assert (mean["source"]["field"], mean["source"]["other_fields"]) == ("TMean", ["T"])
    assert [r["error_k"] for r in mean["rows"]] == pytest.approx([-1.0] * fac.n_racks, abs=0.011)
    with pytest.raises(ValueError, match="has no field 'Q'; it has T, TMean"):
        compare_figures(str(ROOM), str(case), 0.3, field="Q")
    ref = ROOM.parents[1] / "references" / "open-aisle-85.json"
    with pytest.raises(ValueError, match="--field picks a temperature field of a case"):
        compare_figures(str(ROOM), str(ref), 0.3, field="TMean")


def test_the_reports_rows_are_the_figures_to_the_hundredth(solved, tmp_path):
    """A case of Twin's own air 1.234 K warmer, on its own flow: every rack's error is
    -1.234 K (to the hundredth, -1.23), and on the CFD's air Twin's heat gives what
    ``heat_on_flow`` gives on that flow, less the same CFD racks. Twin's side carries its
    cell, time and return."""
    from twin.cfd.source import compare_source

    fac, res = solved
    own = twin_velocity(res)
    case = write_case(tmp_path / "case", res, res.air_c + 1.234, own)
    out, _, cfd = compare_source(fac, 0, CELL_M, case, res=res, on_cfd_flow=True)
    assert [r["error_k"] for r in out["rows"]] == [-1.23] * fac.n_racks
    cfd_mean = res.rack_inlet_mean_c + 1.234
    back = heat_on_flow(fac, 0, CELL_M, cfd.velocity_ms).rack_inlet_mean_c
    want = {fac.rack_ids[r]: round(back[r] - cfd_mean[r], 2) for r in res.grid.rack_ids}
    got = {r["id"]: r["error_k"] for r in out["on_cfd_flow"]["rows"]}
    assert got == want
    assert len({round(v, 1) for v in want.values()}) > 1  # not all the same figure
    assert out["twin"] == {
        "cell_m": CELL_M,
        "seconds": res.seconds,
        "return_mean_c": res.return_mean_c,
    }


def test_a_file_without_a_velocity_is_refused_for_the_cfds_flow(solved, tmp_path, capsys):
    from twin.cli import main

    pv = pytest.importorskip("pyvista")
    fac, res = solved
    g = res.grid
    cloud = pv.PolyData((np.argwhere(g.fluid) + 0.5) * g.cell_m)
    cloud.point_data["T"] = res.air_c[g.fluid]
    path = tmp_path / "t_only.vtp"
    cloud.save(str(path))
    assert (
        main(["cfd", "compare", str(ROOM), str(path), "--cell", str(CELL_M), "--on-cfd-flow"]) == 1
    )
    assert capsys.readouterr().err == (
        f"twin cfd compare: {path}: has no air velocity (U), so Twin's heat cannot be solved "
        "on the CFD's flow\n"
    )
    ref = ROOMS.parent / "references" / "open-aisle-85.json"
    assert main(["cfd", "compare", str(ROOM), str(ref), "--on-cfd-flow"]) == 1
    assert capsys.readouterr().err == (
        f"twin cfd compare: {ref}: a stored reference keeps its air velocity on two planes "
        "only; solving Twin's heat on the CFD's flow needs the case or a VTK file with U\n"
    )


def test_a_stored_reference_gives_twins_side_too(solved):
    from twin.cfd.source import compare_source

    fac, res = solved
    ref = ROOMS.parent / "references" / "open-aisle-85.json"
    out, _, cfd = compare_source(fac, 0, CELL_M, ref, res=res)
    assert cfd is None and out["source"] == {"path": str(ref), "kind": "reference"}
    assert out["twin"] == {
        "cell_m": CELL_M,
        "seconds": res.seconds,
        "return_mean_c": res.return_mean_c,
    }
