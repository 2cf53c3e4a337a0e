"""Twin against a CFD field: the figures, the resampling, and `twin cfd compare` on an
OpenFOAM-like VTK file whose answer is known."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from twin.cfd import compare, field
from twin.cfd.source import CfdField, compare_field
from twin.model.loader import load_layout
from twin.physics import solve_steady

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"


@pytest.fixture(scope="module")
def solved():
    fac = load_layout(ROOM)
    return fac, solve_steady(fac, 0, 0.3)


def test_rank_correlation_known_values():
    assert compare.rank_correlation([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert compare.rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # one swap among four: 1 - 6 * 2 / (4 * 15) = 0.8
    assert compare.rank_correlation([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert np.isnan(compare.rank_correlation([1, 2], [2, 1]))


def test_resolved_pairs_count_only_what_the_cfd_tells_apart():
    ids = ["a", "b", "c", "d"]
    cfd = np.array([20.0, 20.01, 22.0, 25.0])
    u = np.array([0.1, 0.1, 0.2, 0.2])  # a and b: 0.01 K apart, within 0.2 K together
    good = compare.resolved_pairs(ids, np.array([21.0, 20.5, 21.5, 24.0]), cfd, u)
    assert good == {"resolved": 5, "ordered": 5, "misordered": []}
    # a over c is the wrong way round; b over a (unresolved) counts for nothing
    bad = compare.resolved_pairs(ids, np.array([21.0, 20.5, 20.8, 24.0]), cfd, u)
    assert bad == {"resolved": 5, "ordered": 4, "misordered": [["a", "c"]]}
    # ten times the uncertainty: only d against a and b (5 K apart, against 3 K) is resolved
    wide = compare.resolved_pairs(ids, np.array([21.0, 20.5, 20.8, 24.0]), cfd, u * 10)
    assert wide == {"resolved": 2, "ordered": 2, "misordered": []}


def test_a_pair_exactly_as_far_apart_as_its_uncertainty_is_not_resolved():
    """Resolved means further apart than both racks' uncertainty together, strictly."""
    out = compare.resolved_pairs(["a", "b"], [21.0, 20.0], [20.0, 21.0], np.array([0.5, 0.5]))
    assert out == {"resolved": 0, "ordered": 0, "misordered": []}
    out = compare.resolved_pairs(["a", "b"], [21.0, 20.0], [20.0, 21.0], np.array([0.5, 0.25]))
    assert out == {"resolved": 1, "ordered": 0, "misordered": [["a", "b"]]}


def test_rank_correlation_from_three_racks_with_ties_at_their_average_rank():
    assert compare.rank_correlation([20.0, 21.0, 23.0], [18.0, 19.0, 30.0]) == pytest.approx(1.0)
    assert compare.rank_correlation([20.0, 21.0, 23.0], [3.0, 2.0, 1.0]) == pytest.approx(-1.0)
    # ranks (1.5, 1.5, 3, 4) against (1, 2, 3, 4): 4.5 / sqrt(4.5 * 5), worked by hand
    got = compare.rank_correlation([20.0, 20.0, 21.0, 22.0], [1.0, 2.0, 3.0, 4.0])
    assert got == pytest.approx(4.5 / np.sqrt(4.5 * 5.0), abs=1e-12)
    # one side with every rack alike orders nothing (and says so without a numpy warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(compare.rank_correlation([20.0, 20.0, 20.0], [1.0, 2.0, 3.0]))
        assert np.isnan(compare.rank_correlation([1.0, 2.0, 3.0], [5.0, 5.0, 5.0]))


def test_rank_correlation_with_ranks_whose_spread_is_one():
    """Ranks (1.5, 1.5, 3.5, 3.5) have a standard deviation of exactly 1, a perfectly good
    ranking: 4 / sqrt(4 * 5) against (1, 2, 3, 4), worked by hand, on either side."""
    tied, plain = [20.0, 20.0, 21.0, 21.0], [1.0, 2.0, 3.0, 4.0]
    assert compare.rank_correlation(tied, plain) == pytest.approx(4.0 / np.sqrt(20.0))
    assert compare.rank_correlation(plain, tied) == pytest.approx(4.0 / np.sqrt(20.0))


def test_plane_points_are_the_cfd_cells_centres_where_it_has_air():
    """A reference's planes: cell (i, j) of the horizontal plane is at ((i + 1/2) h,
    (j + 1/2) h, z), cell (j, k) of the vertical one at (x, (j + 1/2) h, (k + 1/2) h); NaN
    cells (solids) are left out, and a velocity cell with any NaN component too."""
    nan = np.nan
    planes = {
        "cell_m": 0.5,
        "horizontal_z_m": 1.25,
        "vertical_x_m": 3.0,
        "horizontal_c": [[20.0, nan, 22.0], [23.0, 24.0, nan]],
        "vertical_c": [[30.0, 31.0], [nan, 33.0]],
        "horizontal_u": [[[1.0, 0.0, 0.0], [nan, 0.0, 0.0]], [[0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]],
        "vertical_u": [[[0.5, 0.5, 0.5], [1.0, 1.0, nan]], [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]],
    }
    got = compare.plane_points(planes)
    assert set(got) == {"horizontal", "vertical"}
    pts, vals = got["horizontal"]
    np.testing.assert_array_equal(
        pts, [[0.25, 0.25, 1.25], [0.25, 1.25, 1.25], [0.75, 0.25, 1.25], [0.75, 0.75, 1.25]]
    )
    np.testing.assert_array_equal(vals, [20.0, 22.0, 23.0, 24.0])
    pts, vals = got["vertical"]
    np.testing.assert_array_equal(pts, [[3.0, 0.25, 0.25], [3.0, 0.25, 0.75], [3.0, 0.75, 0.75]])
    np.testing.assert_array_equal(vals, [30.0, 31.0, 33.0])
    u = compare.plane_points(planes, "u")
    pts, vals = u["horizontal"]
    np.testing.assert_array_equal(pts[:, :2], [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75]])
    np.testing.assert_array_equal(vals, [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    pts, vals = u["vertical"]
    np.testing.assert_array_equal(pts[:, 1:], [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75]])
    np.testing.assert_array_equal(vals, [[0.5, 0.5, 0.5], [2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    # a reference without velocity planes
    assert compare.plane_points({k: v for k, v in planes.items() if "_u" not in k}, "u") == {}


def test_summary_figures_worked_by_hand():
    rows = [
        compare.RackRow("a", 21.0, 20.0, 22.0, 21.0, 0.1),
        compare.RackRow("b", 19.0, 21.0, 20.0, 22.0, 0.4),
        compare.RackRow("c", 23.5, 23.0, 24.0, 24.0, 0.2),
    ]
    s = compare.summary(rows, twin_return_c=30.25, cfd_return_c=30.0)
    assert set(s) == {
        "racks", "rms_k", "max_k", "bias_k", "rank_corr", "return_error_k", "cfd_swing_k"
    }  # fmt: skip
    # errors +1, -2, +0.5
    assert s["racks"] == 3
    assert s["rms_k"] == pytest.approx(np.sqrt((1.0 + 4.0 + 0.25) / 3.0), abs=1e-12)
    assert s["max_k"] == pytest.approx(2.0)
    assert s["bias_k"] == pytest.approx(-0.5 / 3.0)
    # Twin orders (b, a, c), the CFD (a, b, c): ranks (2, 1, 3) against (1, 2, 3)
    assert s["rank_corr"] == pytest.approx(0.5)
    assert s["return_error_k"] == pytest.approx(0.25)
    assert s["cfd_swing_k"] == pytest.approx(0.4)


def test_summary_of_no_rack_is_nan_not_an_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice" on the console
        s = compare.summary([], twin_return_c=30.0, cfd_return_c=29.5)
    assert s["racks"] == 0
    assert all(np.isnan(s[k]) for k in ("rms_k", "max_k", "bias_k", "rank_corr"))
    assert s["return_error_k"] == pytest.approx(0.5) and s["cfd_swing_k"] == 0.0


def test_compare_reference_against_a_reference_made_from_twins_own_answer(solved):
    """A reference built from Twin's own result with known offsets: the first rack's inlet
    1.2345 K warmer than Twin's, the others 0.4321 K cooler, each swinging 0.0678 K; the
    return 0.25 K cooler; the horizontal plane 1 K cooler and the vertical one 2 K warmer
    than Twin's air at the CFD cells' centres, plus one CFD air cell where Twin has a rack
    (left out); the velocity planes Twin's own."""
    from twin.cfd import velocity

    fac, res = solved
    offset = np.where(np.arange(fac.n_racks) == 0, 1.2345, -0.4321)
    racks = [
        {
            "id": rid,
            "inlet_mean_c": float(res.rack_inlet_mean_c[r] + offset[r]),
            "inlet_max_c": float(res.rack_inlet_max_c[r]),
            "swing_k": 0.0678,
        }
        for r, rid in enumerate(fac.rack_ids)
    ]
    h = res.cell_m  # the CFD's planes on Twin's own cells (NaN in solids: left out)
    nx, ny, nz = res.grid.shape
    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    z, x = 1.05, 2.85
    hz_pts = np.stack([(ii.ravel() + 0.5) * h, (jj.ravel() + 0.5) * h, np.full(ii.size, z)], 1)
    jv, kv = np.meshgrid(np.arange(ny), np.arange(nz), indexing="ij")
    vt_pts = np.stack([np.full(jv.size, x), (jv.ravel() + 0.5) * h, (kv.ravel() + 0.5) * h], 1)
    hz = compare.sample_cells(res, hz_pts) - 1.0
    solid = np.flatnonzero(np.isnan(hz))
    assert solid.size  # the plane cuts the racks
    hz[solid[0]] = 99.0  # air in the CFD where Twin has a rack: no figure of Twin's there
    planes = {
        "cell_m": h,
        "horizontal_z_m": z,
        "vertical_x_m": x,
        "horizontal_c": hz.reshape(nx, ny),
        "vertical_c": (compare.sample_cells(res, vt_pts) + 2.0).reshape(ny, nz),
        "horizontal_u": compare.sample_velocity(res, hz_pts).reshape(nx, ny, 3),
        "vertical_u": compare.sample_velocity(res, vt_pts).reshape(ny, nz, 3),
    }
    ref = {"racks": racks, "return_mean_c": res.return_mean_c - 0.25, "_planes": planes}
    out = compare.compare_reference(fac, res, ref)
    errors = -offset
    assert out["racks"] == fac.n_racks
    assert out["rms_k"] == pytest.approx(np.sqrt(np.mean(errors**2)), abs=1e-9)
    assert out["max_k"] == pytest.approx(1.2345, abs=1e-9)
    assert out["bias_k"] == pytest.approx(errors.mean(), abs=1e-9)
    assert out["return_error_k"] == pytest.approx(0.25, abs=1e-12)
    assert out["horizontal_plane_rms_k"] == pytest.approx(1.0, abs=1e-9)
    assert out["vertical_plane_rms_k"] == pytest.approx(2.0, abs=1e-9)
    pts = np.concatenate([hz_pts, vt_pts])
    own = compare.sample_velocity(res, pts)
    own = own[np.isfinite(own).all(1)]
    assert out["plane_velocity"] == velocity.figures(own, own)
    for r, row in enumerate(out["rows"]):
        assert row == {
            "id": fac.rack_ids[r],
            "twin_mean_c": round(float(res.rack_inlet_mean_c[r]), 2),
            "cfd_mean_c": round(float(res.rack_inlet_mean_c[r] + offset[r]), 2),
            "error_k": round(float(-offset[r]), 2),
            "twin_max_c": round(float(res.rack_inlet_max_c[r]), 2),
            "cfd_max_c": round(float(res.rack_inlet_max_c[r]), 2),
            "cfd_swing_k": 0.07,
        }
    assert out["pairs"] == compare.reference_pairs(out["rows"], ref)
    assert out["units_at_capacity"] == []


def test_units_at_capacity_name_the_unit_with_its_supply_and_set_point_to_the_hundredth():
    from types import SimpleNamespace

    fac = SimpleNamespace(air_unit_ids=["U1", "U2", "U3"], air_unit_supply_c=[18.004, 20.0, 17.5])
    res = SimpleNamespace(
        air_unit_supply_c=np.array([19.4567, 20.0, 18.1234]),
        air_unit_at_capacity=np.array([True, False, True]),
    )
    assert compare.units_at_capacity(fac, res) == [
        {"id": "U1", "supply_c": 19.46, "set_c": 18.0},
        {"id": "U3", "supply_c": 18.12, "set_c": 17.5},
    ]


def test_rack_rows_pair_by_id_and_skip_what_twin_cannot_read():
    """A CFD rack the layout lacks, or one Twin has no inlet for, is left out; the rest keep
    the CFD's order, max and swing (NaN and 0 where the CFD gave none)."""
    from types import SimpleNamespace

    fac = SimpleNamespace(rack_index={"a": 0, "b": 1, "c": 2})
    res = SimpleNamespace(
        rack_inlet_mean_c=np.array([21.0, np.nan, 23.0]),
        rack_inlet_max_c=np.array([22.0, np.nan, 24.5]),
    )
    cfd = [
        {"id": "zz", "inlet_mean_c": 1.0},
        {"id": "c", "inlet_mean_c": 22.5, "inlet_max_c": 24.0, "swing_k": 0.3},
        {"id": "b", "inlet_mean_c": 20.0},
        {"id": "a", "inlet_mean_c": 20.5},
    ]
    rows = compare.rack_rows(fac, res, cfd)
    assert [r.id for r in rows] == ["c", "a"]
    assert rows[0] == compare.RackRow("c", 23.0, 22.5, 24.5, 24.0, 0.3)
    a = rows[1]
    assert (a.twin_mean_c, a.cfd_mean_c, a.twin_max_c, a.cfd_swing_k) == (21.0, 20.5, 22.0, 0.0)
    assert np.isnan(a.cfd_max_c)


def test_sample_field_is_exact_on_a_linear_field_and_skips_solids():
    h = 0.2
    n = (6, 5, 4)
    c = [(np.arange(k) + 0.5) * h for k in n]
    X, Y, Z = np.meshgrid(*c, indexing="ij")
    air = 20 + 3 * X - 2 * Y + 5 * Z
    pts = np.array([[0.37, 0.41, 0.33], [0.9, 0.55, 0.61]])
    expect = 20 + 3 * pts[:, 0] - 2 * pts[:, 1] + 5 * pts[:, 2]
    assert compare.sample_field(air, h, pts) == pytest.approx(expect, abs=1e-12)
    # a solid neighbour drops out and the weights renormalise over the air ones
    air2 = np.where(X > 0.5, np.nan, 25.0)
    assert compare.sample_field(air2, h, pts[:1]) == pytest.approx([25.0])


def test_twin_against_itself_has_no_error(solved):
    fac, res = solved
    out = compare_field(fac, res, CfdField(res.air_c.copy(), "self", "vtk"))
    assert out["rms_k"] == pytest.approx(0.0, abs=1e-9)
    assert out["return_error_k"] == pytest.approx(0.0, abs=1e-9)
    assert out["rank_corr"] == pytest.approx(1.0)
    # the CFD side is read like Twin reads itself: flow-weighted means of the front cells
    for row in out["rows"]:
        i = fac.rack_index[row["id"]]
        assert row["cfd_mean_c"] == pytest.approx(res.rack_inlet_mean_c[i], abs=0.006)
        assert row["cfd_max_c"] == pytest.approx(res.rack_inlet_max_c[i], abs=0.006)


def test_compare_cli_reads_a_vtk_file_in_kelvin(solved, tmp_path, capsys):
    pv = pytest.importorskip("pyvista")
    from twin.cli import main

    fac, res = solved
    # the model's own field, 1.5 K warmer, as a kelvin point cloud: every rack errs by -1.5 K
    g = res.grid
    ijk = np.argwhere(g.fluid)
    pts = (ijk + 0.5) * g.cell_m
    cloud = pv.PolyData(pts)
    cloud.point_data["T"] = res.air_c[g.fluid] + 1.5 + 273.15
    path = tmp_path / "cfd.vtp"
    cloud.save(str(path))
    assert main(["cfd", "compare", str(ROOM), str(path), "--cell", "0.3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"]["kind"] == "vtk"
    assert out["rms_k"] == pytest.approx(1.5, abs=1e-6)
    assert out["bias_k"] == pytest.approx(-1.5, abs=1e-6)
    assert out["return_error_k"] == pytest.approx(-1.5, abs=1e-6)
    assert {r["id"] for r in out["rows"]} == set(fac.rack_ids)


def test_compare_cli_names_a_missing_source(tmp_path, capsys):
    from twin.cli import main

    assert main(["cfd", "compare", str(ROOM), str(tmp_path / "none.vtu")]) == 1
    assert "none.vtu" in capsys.readouterr().err


def test_from_points_converts_kelvin():
    fac = load_layout(ROOM)
    from twin.physics.grid import build_grid

    g = build_grid(fac, 0, 0.3)
    pts = np.array([[1.0, 1.0, 1.0], [6.0, 5.0, 2.0]])
    out = field.from_points(pts, np.array([300.15, 310.15]), g)
    vals = out[np.isfinite(out)]
    assert set(np.round(vals, 6)) == {27.0, 37.0}


def _ref(fine: list[float], check: list[float]) -> dict:
    ids = [f"R{i}" for i in range(len(fine))]
    return {
        "racks": [{"id": i, "inlet_mean_c": t} for i, t in zip(ids, fine, strict=True)],
        "mesh_check": {
            "racks": [{"id": i, "inlet_mean_c": t} for i, t in zip(ids, check, strict=True)]
        },
    }


def test_reference_ceiling_is_the_two_meshes_ranking_and_the_inlet_spread():
    from twin.cfd import scores

    # the check mesh swaps the two middle racks: 1 - 6 * 2 / (4 * 15) = 0.8; spread: the
    # population standard deviation of 18, 20, 22, 24 is sqrt(5)
    c = scores.reference_ceiling(_ref([18.0, 20.0, 22.0, 24.0], [18.0, 22.0, 20.0, 24.0]))
    assert c["mesh_rank_corr"] == pytest.approx(0.8)
    assert c["inlet_spread_k"] == pytest.approx(np.sqrt(5.0))
    # a ranking the check mesh does not reproduce cannot be tested for, nor can one of
    # inlets that spread less than the meshes disagree
    assert not scores.rank_testable({**c, "mesh_rms_k": 0.5})
    same = scores.reference_ceiling(_ref([18.0, 20.0, 22.0, 24.0], [18.1, 20.2, 21.9, 24.3]))
    assert same["mesh_rank_corr"] == pytest.approx(1.0)
    assert scores.rank_testable({**same, "mesh_rms_k": 0.2})
    assert not scores.rank_testable({**same, "mesh_rms_k": 2.5})
    assert (
        scores.reference_ceiling({"racks": _ref([18.0], [18.0])["racks"]})["mesh_rank_corr"] is None
    )


def test_cli_on_a_stored_reference_orders_the_pairs_it_resolves(capsys):
    """``twin cfd compare`` on the perimeter room's reference: the pairs counted are those
    whose inlets differ by more than both racks' swing or mesh-check move, and the ones Twin
    misorders are exactly those it puts the other way round (checked from the rows)."""
    from twin.cfd import reference
    from twin.cli import main

    validation = Path(__file__).resolve().parents[1] / "validation"
    room = validation / "rooms" / "wall-crah-perimeter.yaml"
    ref_path = validation / "references" / "wall-crah-perimeter.json"
    assert main(["cfd", "compare", str(room), str(ref_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = reference.load(ref_path)
    check = {r["id"]: r["inlet_mean_c"] for r in ref["mesh_check"]["racks"]}
    rows = {r["id"]: r for r in out["rows"]}
    u = {
        k: max(r["cfd_swing_k"], abs(check[k] - r["cfd_mean_c"]) if k in check else 0.0)
        for k, r in rows.items()
    }
    resolved, wrong = 0, []
    ids = list(rows)
    for n, a in enumerate(ids):
        for b in ids[n + 1 :]:
            d_cfd = rows[a]["cfd_mean_c"] - rows[b]["cfd_mean_c"]
            if abs(d_cfd) > u[a] + u[b]:
                resolved += 1
                if d_cfd * (rows[a]["twin_mean_c"] - rows[b]["twin_mean_c"]) < 0:
                    wrong.append([a, b])
    assert resolved > len(ids)  # most pairs are resolved in this room
    assert out["pairs"] == {
        "resolved": resolved,
        "ordered": resolved - len(wrong),
        "misordered": wrong,
    }
    assert main(["cfd", "compare", str(room), str(ref_path)]) == 0
    text = capsys.readouterr().out
    assert f"{resolved - len(wrong)} of {resolved} ordered as the CFD's" in text


def test_a_reference_of_another_room_or_with_a_null_figure_is_refused(tmp_path, capsys):
    """Racks are paired by id, so a reference of another room compared silently (the
    perimeter room's against the contained room: "RMS 1.05 K"); a null swing crashed."""
    from twin.cli import main

    validation = Path(__file__).resolve().parents[1] / "validation"
    ref = validation / "references" / "wall-crah-perimeter.json"
    other = validation / "rooms" / "cold-containment-leaky.yaml"
    assert main(["cfd", "compare", str(other), str(ref)]) != 0
    err = capsys.readouterr().err
    assert (
        "a reference of room 'wall-crah-perimeter', not of layout 'cold-containment-leaky'" in err
    )
    bad = json.loads(ref.read_text())
    bad["racks"][2]["swing_k"] = None
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    room = validation / "rooms" / "wall-crah-perimeter.yaml"
    assert main(["cfd", "compare", str(room), str(tmp_path / "bad.json")]) != 0
    assert "racks[2] (A4).swing_k is None, not a number" in capsys.readouterr().err


def test_a_unit_twin_runs_out_of_capacity_is_named_beside_the_comparison(tmp_path, capsys):
    """A CFD holds every supply at its set point; where Twin runs a unit out of capacity its
    supply rises, and the two no longer model the same room. The held-out wall-CRAH room at
    its CRAH type's own 77 kW (the room gives them 100): CRAH-2 is named, its supply the
    return less what 77 kW can take out of its flow, and at 100 kW nothing is named."""
    import yaml

    from twin.cli import main

    holdout = Path(__file__).resolve().parents[1] / "validation" / "holdout"
    ref = holdout / "references" / "wall-crah-six-racks.json"
    text = (holdout / "rooms" / "wall-crah-six-racks.yaml").read_text()
    assert text.count(", capacity_kw: 100}") == 2
    small = tmp_path / "wall-crah-six-racks.yaml"
    small.write_text(text.replace(", capacity_kw: 100}", "}"))
    assert main(["cfd", "compare", str(small), str(ref), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    [unit] = out["units_at_capacity"]
    fac = load_layout(small)
    res = solve_steady(fac, 0, 0.2)
    i = fac.air_unit_ids.index(unit["id"])
    air = yaml.safe_load(text)["air"]
    flow_m3s = float(res.grid.unit_flow_m3s[list(res.grid.unit_ids).index(i)])
    supply_c = res.air_unit_return_c[i] - 77_000 / (
        air["density_kg_m3"] * air["cp_j_kgk"] * flow_m3s
    )
    assert unit["id"] == "CRAH-2" and unit["set_c"] == 18.0
    assert unit["supply_c"] == pytest.approx(supply_c, abs=0.01)
    assert unit["supply_c"] == round(float(res.air_unit_supply_c[i]), 2)  # as printed
    assert unit["supply_c"] > 18.3
    assert main(["cfd", "compare", str(small), str(ref)]) == 0
    assert (
        f"CRAH-2 runs out of capacity in Twin: it supplies {unit['supply_c']:.2f} C, not its "
        "set point of 18.00 C" in capsys.readouterr().out
    )
    assert main(["cfd", "compare", str(holdout / "rooms" / small.name), str(ref), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["units_at_capacity"] == []
