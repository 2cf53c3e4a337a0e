"""Air velocity, Twin against CFD: the figures on fields of known difference, and a CFD case's
U read back onto Twin's grid (same cell and resampled) through `twin cfd compare`."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import read_back, write_case
from twin.cfd import velocity
from twin.cfd.source import load_field
from twin.model.loader import load_layout
from twin.physics import solve_steady

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"


@pytest.fixture(scope="module")
def solved():
    fac = load_layout(ROOM)
    return fac, solve_steady(fac, 0, 0.3)


def _turned(vel: np.ndarray, deg: float) -> np.ndarray:
    """``vel`` turned by ``deg`` about the vertical."""
    a = np.radians(deg)
    out = vel.copy()
    out[..., 0] = np.cos(a) * vel[..., 0] - np.sin(a) * vel[..., 1]
    out[..., 1] = np.sin(a) * vel[..., 0] + np.cos(a) * vel[..., 1]
    return out


def test_figures_of_fields_of_known_difference():
    cfd = np.zeros((4, 1, 1, 3))
    cfd[:, 0, 0, 0] = [1.0, 0.5, 0.1, np.nan]  # the last cell is a solid
    same = velocity.figures(cfd.copy(), cfd)
    assert same["velocity_rms_ms"] == 0.0
    assert same["direction_agreement"] == 1.0
    assert same["moving_cells"] == 2  # 0.1 m/s is below the 0.2 m/s that counts as moving
    assert same["cfd_speed_mean_ms"] == pytest.approx((1.0 + 0.5 + 0.1) / 3)
    # turned 44 degrees: still within 45; 46: not; |a - R a| = 2 |a| sin(theta / 2)
    for deg, agree in ((44.0, 1.0), (46.0, 0.0)):
        f = velocity.figures(_turned(cfd, deg), cfd)
        assert f["direction_agreement"] == agree
        chord = 2 * np.sin(np.radians(deg) / 2)
        assert f["velocity_rms_ms"] == pytest.approx(chord * np.sqrt((1 + 0.25 + 0.01) / 3))
    # Twin's still air where the CFD's moves is a disagreement, not a skipped cell
    still = velocity.figures(np.zeros_like(cfd), cfd)
    assert still["direction_agreement"] == 0.0 and still["twin_speed_mean_ms"] == 0.0
    # nothing in common: no figures
    assert np.isnan(velocity.figures(np.full_like(cfd, np.nan), cfd)["velocity_rms_ms"])


def test_twin_velocity_is_the_face_mean_and_nan_in_solids(solved):
    _, res = solved
    v = velocity.twin_velocity(res)
    assert np.isnan(v[~res.grid.fluid]).all() and np.isfinite(v[res.grid.fluid]).all()
    i, j, k = np.argwhere(res.grid.fluid)[len(np.argwhere(res.grid.fluid)) // 2]
    f = res.flow
    assert v[i, j, k, 0] == pytest.approx(0.5 * (f.u[i, j, k] + f.u[i + 1, j, k]))
    assert v[i, j, k, 2] == pytest.approx(0.5 * (f.w[i, j, k] + f.w[i, j, k + 1]))


def test_compare_reads_a_cases_velocity(solved, tmp_path, capsys):
    from twin.cli import main

    fac, res = solved
    tw = velocity.twin_velocity(res)
    # the CFD's air: Twin's own turned a right angle: no moving cell agrees, and the vector
    # difference is sqrt(2) times the horizontal speed
    case = write_case(tmp_path / "case", res, res.air_c, _turned(tw, 90.0))
    assert main(["cfd", "compare", str(ROOM), str(case), "--cell", "0.3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"]["kind"] == "twin-case"
    assert out["rms_k"] == pytest.approx(0.0, abs=1e-6)
    v = out["velocity"]
    fl = res.grid.fluid
    horiz = tw[fl][:, 0] ** 2 + tw[fl][:, 1] ** 2
    assert v["velocity_rms_ms"] == pytest.approx(np.sqrt(2 * horiz.mean()), rel=1e-6)
    moving = np.linalg.norm(_turned(tw, 90.0)[fl], axis=1) >= velocity.MOVING_MS
    assert v["moving_cells"] == int(moving.sum()) > 100
    # turned a right angle about the vertical, a vector a keeps cos = w^2 / |a|^2 with itself:
    # within 45 degrees only where the air rises or falls steeply enough
    a = tw[fl][moving]
    cos = a[:, 2] ** 2 / (a**2).sum(1)
    assert v["direction_agreement"] == pytest.approx(np.mean(cos >= np.cos(np.radians(45))))


def test_a_cases_velocity_resampled_on_a_finer_grid(solved, tmp_path):
    from twin.physics.grid import build_grid

    fac, res = solved
    uniform = np.zeros(res.grid.shape + (3,))
    uniform[...] = (0.3, -0.2, 0.1)
    case = write_case(tmp_path / "case", res, res.air_c, uniform)
    fine = build_grid(fac, 0, 0.2)
    got = load_field(case, fac, fine)
    assert got.kind == "twin-case" and got.velocity_ms.shape == fine.shape + (3,)
    air = got.velocity_ms[fine.fluid]
    ok = np.isfinite(air).all(1)
    assert ok.mean() > 0.99  # cells with an air neighbour on the coarse grid
    assert air[ok] == pytest.approx(np.tile([0.3, -0.2, 0.1], (ok.sum(), 1)), abs=1e-9)
    assert np.isnan(got.velocity_ms[~fine.fluid]).all()


def test_a_case_without_velocity_compares_temperatures_only(solved, tmp_path):
    fac, res = solved
    case = write_case(tmp_path / "case", res, res.air_c, velocity.twin_velocity(res))
    (case / "500" / "U").unlink()
    got = load_field(case, fac, res.grid)
    assert got.velocity_ms is None and np.isfinite(got.air_c[read_back(res.grid)]).all()


def test_vtk_velocity_reversed_and_a_scalar_u_refused(solved, tmp_path, capsys):
    pv = pytest.importorskip("pyvista")
    from twin.cli import main

    fac, res = solved
    g = res.grid
    tw = velocity.twin_velocity(res)[g.fluid]
    cloud = pv.PolyData((np.argwhere(g.fluid) + 0.5) * g.cell_m)
    cloud.point_data["T"] = res.air_c[g.fluid]
    cloud.point_data["U"] = -tw  # every moving cell points the other way
    path = tmp_path / "cfd.vtp"
    cloud.save(str(path))
    assert main(["cfd", "compare", str(ROOM), str(path), "--cell", "0.3", "--json"]) == 0
    v = json.loads(capsys.readouterr().out)["velocity"]
    assert v["direction_agreement"] == 0.0
    assert v["velocity_rms_ms"] == pytest.approx(2 * np.sqrt((tw**2).sum(1).mean()), rel=1e-9)
    # the text report says it in words
    assert main(["cfd", "compare", str(ROOM), str(path), "--cell", "0.3"]) == 0
    assert "direction within 45° of the CFD's in 0 % of the cells" in capsys.readouterr().out
    cloud.point_data["U"] = np.linalg.norm(tw, axis=1)
    cloud.save(str(path))
    assert main(["cfd", "compare", str(ROOM), str(path), "--cell", "0.3"]) == 1
    assert "field U is not a velocity" in capsys.readouterr().err


def test_values_that_cannot_be_room_air_are_left_out_and_counted(solved, tmp_path, capsys):
    """A file holding 1e30, inf and a 2,000 C cell among Twin's own values compares as if
    those cells were missing: zero error on the rest, and their count reported."""
    pv = pytest.importorskip("pyvista")
    from twin.cli import main

    fac, res = solved
    g = res.grid
    tw = velocity.twin_velocity(res)[g.fluid]
    temp = res.air_c[g.fluid].copy()
    bad_u = np.zeros(len(tw), dtype=bool)
    bad_u[::40] = True
    tw[::80] = 1e30
    tw[40::80, 1] = np.inf
    temp[7::90] = 2000.0  # a kelvin field's fill value, or a diverged cell
    cloud = pv.PolyData((np.argwhere(g.fluid) + 0.5) * g.cell_m)
    cloud.point_data["T"] = temp
    cloud.point_data["U"] = tw
    path = tmp_path / "cfd.vtp"
    cloud.save(str(path))
    assert main(["cfd", "compare", str(ROOM), str(path), "--cell", "0.3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    bad_t = np.zeros(len(tw), dtype=bool)
    bad_t[7::90] = True
    assert out["source"]["implausible_cells"] == int((bad_u | bad_t).sum())
    assert out["field_rms_k"] == pytest.approx(0.0, abs=1e-9)
    v = out["velocity"]
    assert v["velocity_rms_ms"] == pytest.approx(0.0, abs=1e-9)
    assert v["direction_agreement"] == 1.0
    assert main(["cfd", "compare", str(ROOM), str(path), "--cell", "0.3"]) == 0
    assert "cells hold values that cannot be room air" in capsys.readouterr().out


def test_the_bounds_of_room_air():
    from twin.cfd.field import drop_implausible

    air = np.array([-50.0, -51.0, 150.0, 151.0, np.nan, 20.0, 20.0])
    vel = np.zeros((7, 3))
    vel[0] = (0.0, 0.0, 100.0)  # fast, but air
    vel[1] = (60.0, 60.0, 60.0)  # 104 m/s
    vel[4] = np.nan  # a solid: no value, not counted
    vel[5, 2] = -np.inf
    vel[6, 0] = 1e300  # its square overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # quietly
        a, v, n = drop_implausible(air, vel)
    assert np.isnan(a).tolist() == [False, True, False, True, True, False, False]
    assert np.isnan(v).all(1).tolist() == [False, True, False, False, True, True, True]
    assert n == 4  # cells 1, 3, 5 and 6
    assert v[0, 2] == 100.0 and air[1] == -51.0  # the inputs are left as they were


def test_a_references_planes_compare_their_velocity(solved):
    """Planes cut from Twin's own cells (on its grid, so sampling is exact) agree fully;
    turned a right angle about the vertical, only the steeply rising or falling air agrees."""
    from twin.cfd import compare

    _, res = solved
    g, h = res.grid, res.cell_m
    tw = velocity.twin_velocity(res)
    k, i = g.shape[2] // 2, g.shape[0] // 2
    planes = {
        "cell_m": np.array(h),
        "horizontal_z_m": np.array((k + 0.5) * h),
        "horizontal_c": res.air_c[:, :, k],
        "vertical_x_m": np.array((i + 0.5) * h),
        "vertical_c": res.air_c[i],
        "horizontal_u": tw[:, :, k],
        "vertical_u": tw[i],
    }
    same = compare.plane_velocity(res, planes)
    assert same["velocity_rms_ms"] == pytest.approx(0.0, abs=1e-12)
    assert same["direction_agreement"] == 1.0
    cut = np.concatenate([tw[:, :, k][g.fluid[:, :, k]], tw[i][g.fluid[i]]])
    assert same["moving_cells"] == int((np.linalg.norm(cut, axis=1) >= velocity.MOVING_MS).sum())
    planes["horizontal_u"], planes["vertical_u"] = _turned(tw[:, :, k], 90), _turned(tw[i], 90)
    turned = compare.plane_velocity(res, planes)
    moving = cut[np.linalg.norm(cut, axis=1) >= velocity.MOVING_MS]
    cos = moving[:, 2] ** 2 / (moving**2).sum(1)
    assert turned["direction_agreement"] == pytest.approx(np.mean(cos >= np.cos(np.radians(45))))
    # a reference stored before the planes kept a velocity: temperatures only
    del planes["horizontal_u"], planes["vertical_u"]
    assert compare.plane_velocity(res, planes) is None


def test_cli_on_a_stored_reference_reports_its_planes_flow(capsys):
    from twin.cli import main

    ref = ROOM.parents[1] / "references" / "open-aisle-85.json"
    assert main(["cfd", "compare", str(ROOM), str(ref), "--cell", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "Air velocity: RMS difference" in out and "(on the reference's two planes)" in out
    assert main(["cfd", "compare", str(ROOM), str(ref), "--cell", "0.3", "--json"]) == 0
    flow = json.loads(capsys.readouterr().out)["plane_velocity"]
    assert 0.0 <= flow["direction_agreement"] <= 1.0 and flow["moving_cells"] > 100


def test_nothing_in_common_gives_no_figures():
    nan3 = np.full((2, 3), np.nan)
    got = velocity.figures(nan3, np.ones((2, 3)))
    assert set(got) == {
        "velocity_rms_ms",
        "twin_speed_mean_ms",
        "cfd_speed_mean_ms",
        "direction_agreement",
        "moving_cells",
    }
    assert got["moving_cells"] == 0
    assert all(np.isnan(v) for k, v in got.items() if k != "moving_cells")


def test_air_at_the_moving_threshold_moves_and_still_air_gives_no_share():
    """A CFD cell at exactly 0.2 m/s counts as moving; where nothing moves the share is not
    a number, with no warning on the way (the CLI prints warnings)."""
    twin = np.array([[0.2, 0.0, 0.0], [0.0, 0.1, 0.0]])
    cfd = np.array([[0.2, 0.0, 0.0], [0.0, 0.19, 0.0]])
    assert velocity.figures(twin, cfd)["moving_cells"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        still = velocity.figures(twin, cfd * 0.5)
    assert still["moving_cells"] == 0 and np.isnan(still["direction_agreement"])


def test_the_summary_line():
    v = {
        "velocity_rms_ms": 0.314,
        "twin_speed_mean_ms": 0.5,
        "cfd_speed_mean_ms": 0.625,
        "direction_agreement": 0.914,
        "moving_cells": 12,
    }
    assert velocity.summary_text(v) == (
        "Air velocity: RMS difference 0.31 m/s (mean speed Twin 0.50, CFD 0.62 m/s); Twin's "
        "direction within 45° of the CFD's in 91 % of the cells where the CFD's air moves "
        "faster than 0.2 m/s"
    )
    v["direction_agreement"] = float("nan")
    assert "in n/a of the cells" in velocity.summary_text(v)
