"""A stored CFD reference is built from a finished run as documented: each rack's inlet the
mean of its monitor over the run's last window (300 iterations of a run that settled, 1,000
of one that did not, none after the iteration it stopped at), its swing over that window,
its hottest front cell from the field, its exhaust that mean plus the rise the case gave
it, the return flow-weighted over the return monitors, the heat out from all the room's own
ports, the planes from the field (the running means where the run did not settle), and the
mesh check from a second run. The runs here are the cases ``foam_case.write_case``
generates, with their solver output written by hand (``make validate-cfd`` writes it with
OpenFOAM, which CI does not have). Values are not round, so that every figure's rounding
shows."""

from __future__ import annotations

import json
import types
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import write_fields, write_monitor
from twin.cfd import foam_case, reference
from twin.model.loader import load_layout
from twin.physics.grid import RACK_FRONT, build_grid

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"
SUPPLY_C = 18.00013
U_MS = (0.5, -0.25, 0.125)


def _inlet_c(r: int) -> float:
    return 20.00037 + 0.5 * r


def _swing_k(r: int) -> float:
    return 0.02 * (r + 1) + 0.00046


def _return_c(k: int) -> float:
    """The mean temperature of the k-th return patch (in the case's patch order)."""
    return 30.25041 + 4.0 * k


def _field_c(xyz: np.ndarray) -> np.ndarray:
    x, y, z = xyz.T
    return 20.000123 + x + 0.5 * y + 10.0 * z


def _returns(desc: dict) -> list[dict]:
    return [p for p in desc["patches"] if not p["kind"].startswith("rack") and p["flow_m3s"] < 0]


def _finished_run(
    tmp_path: Path, room: str, name: str, cell_m: float, converged: bool, end: int, **options
) -> tuple[Path, dict]:
    """A room's case at ``cell_m`` (``options`` to ``write_case``) with a run stopped at
    iteration ``end``: rack r's monitor at its inlet +5 K before the window, alternating
    inlet +- half its swing in it (moved by ``shift_k`` times (r % 3 - 1)), +50 K after
    ``end``; returns and supplies steady at their temperatures in the window (phi T summed
    over each patch); the temperature field ``_field_c`` and the velocity ``U_MS`` (as
    TMean and UMean, with a T 7 K off beside them, where the run did not settle)."""
    shift_k = options.pop("shift_k", 0.0)
    return_k = options.pop("return_k", 0.0)
    with_u = options.pop("with_u", True)
    layout = options.pop("layout", ROOMS / f"{room}.yaml")
    fac = load_layout(layout)
    case = tmp_path / name
    desc = foam_case.write_case(fac, case, cell_m=cell_m, max_iter=end, **options)
    window = foam_case.WINDOW_IT if converged else reference.AVERAGE_IT
    it = np.arange(1, end + 11)
    in_window = (it > end - window) & (it <= end)
    returns = [p["name"] for p in _returns(desc)]
    for p in desc["patches"]:
        if p["kind"] == "rack_front":
            r = fac.rack_index[p["owner_id"]]
            c = _inlet_c(r) + shift_k * (r % 3 - 1)
            vals = np.where(in_window, c + _swing_k(r) / 2 * np.where(it % 2, 1, -1), c + 5.0)
            vals[it > end] = c + 50.0
        elif p["name"] in returns:  # +-0.01 K about its mean, even in number
            t = _return_c(returns.index(p["name"])) + return_k + 0.01 * np.where(it % 2, 1, -1)
            vals = np.where(in_window, -p["flow_m3s"] * t, 0.0)
        elif p["kind"] != "rack_rear":
            vals = np.full(len(it), -p["flow_m3s"] * SUPPLY_C)
        else:
            continue
        write_monitor(case, f"mon_{p['name']}", it, vals)
    run = {"converged": converged, "iterations": end, "cpu_s": 123.456}
    if not converged:
        run["seed"] = {"converged": False, "iterations": 4000, "cpu_s": 99.0}
    (case / "run.json").write_text(json.dumps(run))
    grid = build_grid(fac, 0, cell_m)
    cells = np.load(case / "twin_cells.npy")
    xyz = (np.stack(np.unravel_index(cells, grid.shape), 1) + 0.5) * cell_m
    t, u = _field_c(xyz), np.tile(U_MS, (len(cells), 1))
    if converged:
        write_fields(case, str(end), {"T": t, "U": u} if with_u else {"T": t})
    else:
        write_fields(case, str(end), {"T": t + 7.0, "TMean": t, "UMean": u})
        write_fields(case, str(end + 10), {"T": t - 7.0})  # written later, without the means
    return case, desc


def _expected_racks(fac, desc: dict, cell_m: float, shift_k: float = 0.0) -> list[dict]:
    grid = build_grid(fac, 0, cell_m)
    rises = {p["owner_id"]: p["rise_k"] for p in desc["patches"] if p["kind"] == "rack_rear"}
    out = []
    for r, rid in enumerate(fac.rack_ids):
        fronts = grid.ports.cell[(grid.ports.kind == RACK_FRONT) & (grid.ports.owner == r)]
        xyz = (np.stack(np.unravel_index(fronts, grid.shape), 1) + 0.5) * cell_m
        mean = _inlet_c(r) + shift_k * (r % 3 - 1)
        out.append(
            {
                "id": rid,
                "inlet_mean_c": round(mean, 3),
                "inlet_max_c": round(float(_field_c(xyz).max()), 3),
                "exhaust_c": round(mean + rises[rid], 3),
                "swing_k": round(_swing_k(r), 3),
            }
        )
    return out


def _return_mean(desc: dict) -> float:
    ret = _returns(desc)
    q = sum(-p["flow_m3s"] for p in ret)
    return sum(-p["flow_m3s"] * _return_c(k) for k, p in enumerate(ret)) / q


def _heat_out_w(desc: dict, return_k: float = 0.0) -> float:
    q_in = sum(
        p["flow_m3s"]
        for p in desc["patches"]
        if not p["kind"].startswith("rack") and p["flow_m3s"] > 0
    )
    ret = _returns(desc)
    return desc["rho_cp"] * (
        sum(-p["flow_m3s"] * (_return_c(k) + return_k) for k, p in enumerate(ret)) - q_in * SUPPLY_C
    )


def test_a_settled_contained_rooms_reference_whole(tmp_path):
    """Every figure of the JSON the reference stores, derived here from what was written;
    rack A1 draws 25.12345 kW, so that the heat has decimals to round too."""
    room = "cold-containment-leaky"
    layout = tmp_path / "rooms" / f"{room}.yaml"
    layout.parent.mkdir()
    layout.write_text(
        (ROOMS / f"{room}.yaml").read_text().replace("power_kw: 25,", "power_kw: 25.12345,", 1)
    )
    fac = load_layout(layout)
    opts = {"turbulence": "kOmegaSST", "gentle_start": True, "outflow": "even", "layout": layout}
    case, desc = _finished_run(tmp_path, room, "fine", 0.4, True, 1000, **opts)
    coarse, cdesc = _finished_run(
        tmp_path, room, "coarse", 0.6, True, 900, shift_k=0.30037, return_k=0.12345, **opts
    )
    ref = reference.build(layout, case, coarse)
    assert [k for k in ref if k.startswith("_")] == ["_planes"]
    body = {k: v for k, v in ref.items() if k != "_planes"}
    heat_w = 250_123.45
    heat_out = _heat_out_w(desc)
    fine_c = [r["inlet_mean_c"] for r in _expected_racks(fac, desc, 0.4)]
    coarse_c = [r["inlet_mean_c"] for r in _expected_racks(fac, cdesc, 0.6, shift_k=0.30037)]
    moved = np.array(coarse_c) - np.array(fine_c)  # of the figures as stored
    c_heat_out = _heat_out_w(cdesc, return_k=0.12345)
    # 1.2 m is a face of the 0.4 m grid; 1.2 / 0.4 computes just under 3: the layer below it
    z = 1.0
    nx = build_grid(fac, 0, 0.4).shape[0]
    assert desc["heat_w"] == pytest.approx(heat_w)
    assert body == {
        "format": "twin-cfd-reference/1",
        "room": room,
        "layout": f"rooms/{room}.yaml",
        "solver": reference.SOLVER_TEXT_SST,
        "turbulence": "kOmegaSST",
        "gentle_start": True,
        "cell_m": 0.4,
        "outflow": "even",
        "n_cells": desc["n_cells"],
        "converged": True,
        "iterations": 1000,
        "window_it": 300,
        "cpu_s": 123.5,
        "racks": _expected_racks(fac, desc, 0.4),
        "return_mean_c": round(_return_mean(desc), 3),
        "heat_in_w": round(heat_w, 1),
        "heat_out_w": round(heat_out, 1),
        "balance": round(heat_out / heat_w - 1.0, 5),
        "panels": {
            "model": "porous",
            "darcy_per_m2": desc["panel_darcy_per_m2"],
            "still_k": desc["panel_still_k"],
        },
        "planes": {
            "file": f"{room}.npz",
            "horizontal_z_m": pytest.approx(z),
            "vertical_x_m": pytest.approx((nx // 2 + 0.5) * 0.4),
        },
        "mesh_check": {
            "gentle_start": True,
            "cell_m": 0.6,
            "outflow": "even",
            "n_cells": cdesc["n_cells"],
            "converged": True,
            "iterations": 900,
            "window_it": 300,
            "cpu_s": 123.5,
            "racks": _expected_racks(fac, cdesc, 0.6, shift_k=0.30037),
            "return_mean_c": round(_return_mean(cdesc) + 0.12345, 3),
            "heat_in_w": round(heat_w, 1),
            "heat_out_w": round(c_heat_out, 1),
            "balance": round(c_heat_out / heat_w - 1.0, 5),
            "inlet_rms_diff_k": round(float(np.sqrt(np.mean(moved**2))), 3),
            "inlet_max_diff_k": round(float(np.abs(moved).max()), 3),
            "return_diff_k": round(
                round(_return_mean(cdesc) + 0.12345, 3) - round(_return_mean(desc), 3), 3
            ),
        },
    }
    assert desc["panel_darcy_per_m2"] > 0 and len(_returns(desc)) == 2
    # each figure has decimals past the ones kept, so that a rounding changed shows
    assert round(heat_w, 1) != round(heat_w, 2) and round(_return_mean(desc), 3) % 1 > 0.2


def test_returns_after_the_racks_in_the_case_are_read(tmp_path):
    """The perimeter room's CRAH intakes come after its racks among the case's patches."""
    room = "wall-crah-perimeter"
    case, desc = _finished_run(tmp_path, room, "fine", 0.4, True, 1000)
    kinds = [p["kind"] for p in desc["patches"]]
    assert kinds.index("rack_front") < min(kinds.index(p["kind"]) for p in _returns(desc))
    ref = reference.build(ROOMS / f"{room}.yaml", case, None)
    assert ref["return_mean_c"] == round(_return_mean(desc), 3)
    assert ref["solver"] == reference.SOLVER_TEXT and ref["turbulence"] == "kEpsilon"
    assert "panels" not in ref and "gentle_start" not in ref and "mesh_check" not in ref
    assert ref["outflow"] == "extrapolated"


def test_planes_and_their_velocities(tmp_path):
    room = "open-aisle-85"
    fac = load_layout(ROOMS / f"{room}.yaml")
    case, _ = _finished_run(tmp_path, room, "fine", 0.4, True, 1000)
    planes = reference.build(ROOMS / f"{room}.yaml", case, None)["_planes"]
    grid = build_grid(fac, 0, 0.4)
    nx, ny, nz = grid.shape
    z, x = float(planes["horizontal_z_m"]), float(planes["vertical_x_m"])
    assert float(planes["cell_m"]) == 0.4
    xs, ys, zs = ((np.arange(n) + 0.5) * 0.4 for n in (nx, ny, nz))
    for key, want_shape in (("horizontal", (nx, ny)), ("vertical", (ny, nz))):
        assert planes[f"{key}_c"].dtype == np.float32 and planes[f"{key}_c"].shape == want_shape
        assert planes[f"{key}_u"].dtype == np.float32
        assert planes[f"{key}_u"].shape == (*want_shape, 3)
        u = planes[f"{key}_u"][np.isfinite(planes[f"{key}_u"]).all(-1)]
        assert len(u) > 30 and np.allclose(u, U_MS)
    hz, vt = planes["horizontal_c"], planes["vertical_c"]
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    air = np.isfinite(hz)
    want = _field_c(np.stack([gx[air], gy[air], np.full(air.sum(), z)], 1))
    assert air.sum() > 100 and np.allclose(hz[air], want, atol=1e-4)
    gy, gz = np.meshgrid(ys, zs, indexing="ij")
    air = np.isfinite(vt)
    want = _field_c(np.stack([np.full(air.sum(), x), gy[air], gz[air]], 1))
    assert air.sum() > 30 and np.allclose(vt[air], want, atol=1e-4)


def test_a_case_without_velocity_stores_temperature_planes_only(tmp_path):
    room = "open-aisle-85"
    case, _ = _finished_run(tmp_path, room, "fine", 0.4, True, 1000, with_u=False)
    planes = reference.build(ROOMS / f"{room}.yaml", case, None)["_planes"]
    assert sorted(planes) == [
        "cell_m",
        "horizontal_c",
        "horizontal_z_m",
        "vertical_c",
        "vertical_x_m",
    ]


def test_an_unsettled_runs_reference_is_its_long_window_mean(tmp_path):
    """1,000 iterations of monitor, and the running means of the field (TMean and UMean,
    not T) at the newest time that holds them, not a later time that holds T alone."""
    room = "open-aisle-85"
    fac = load_layout(ROOMS / f"{room}.yaml")
    case, desc = _finished_run(tmp_path, room, "fine", 0.4, False, 1500)
    ref = reference.build(ROOMS / f"{room}.yaml", case, None)
    assert ref["converged"] is False and ref["window_it"] == 1000
    assert ref["seed"] == {"converged": False, "iterations": 4000, "cpu_s": 99.0}
    assert ref["racks"] == _expected_racks(fac, desc, 0.4)
    u = ref["_planes"]["horizontal_u"]
    assert np.allclose(u[np.isfinite(u).all(-1)], U_MS)


def test_a_field_of_another_mesh_is_refused_naming_it(tmp_path):
    """A time directory left from another mesh (or a field cut short) once stopped on
    numpy's "shape mismatch"; ``twin cfd compare`` goes through the same read."""
    from twin.cfd.foam_read import FoamReadError

    room = "open-aisle-85"
    case, desc = _finished_run(tmp_path, room, "fine", 0.4, True, 1000)
    n = desc["n_cells"]
    write_fields(case, "1000", {"T": np.full(n - 5, 20.0)})
    fac = load_layout(ROOMS / f"{room}.yaml")
    with pytest.raises(FoamReadError) as exc:
        reference.field_on_grid(case, build_grid(fac, 0, 0.4), "T")
    assert str(exc.value) == (
        f"{case / '1000' / 'T'}: T holds {n - 5} values, but the case's mesh has {n} cells "
        "(a field from another mesh?)"
    )


def test_a_uniform_field_fills_every_air_cell(tmp_path):
    """OpenFOAM writes a field that is the same everywhere as ``uniform``: one value for
    all the mesh's cells."""
    from twin.cfd.foam_mesh import foam_header

    room = "open-aisle-85"
    case, desc = _finished_run(tmp_path, room, "fine", 0.4, True, 1000)
    (case / "1000" / "T").write_text(
        foam_header("volScalarField", "T", "1000") + "internalField   uniform 21.5;\n"
    )
    fac = load_layout(ROOMS / f"{room}.yaml")
    grid = build_grid(fac, 0, 0.4)
    t = reference.field_on_grid(case, grid, "T")
    assert np.all(t[grid.fluid] == 21.5) and np.all(np.isnan(t[~grid.fluid]))
    assert int(grid.fluid.sum()) == desc["n_cells"]


def test_the_planes_at_the_edges_of_a_narrow_low_grid():
    """1.2 m above a two-layer grid of 0.5 m cells is its top layer; the vertical plane is
    the middle of the long side (x), not of the short one."""
    grid = types.SimpleNamespace(cell_m=0.5, shape=(40, 6, 2))
    field = np.arange(40 * 6 * 2, dtype=float).reshape(40, 6, 2)
    planes = reference._planes({"_grid": grid, "_field": field})
    assert float(planes["horizontal_z_m"]) == 0.75
    assert np.array_equal(planes["horizontal_c"], field[:, :, 1])
    assert float(planes["vertical_x_m"]) == 10.25
    assert np.array_equal(planes["vertical_c"], field[20])
    two = types.SimpleNamespace(cell_m=0.5, shape=(2, 3, 2))  # two columns: the second
    planes = reference._planes({"_grid": two, "_field": field[:2, :3]})
    assert float(planes["vertical_x_m"]) == 0.75


def test_a_saved_reference_loads_back_and_leaves_no_temporary_file(tmp_path):
    room = "open-aisle-85"
    case, _ = _finished_run(tmp_path, room, "fine", 0.4, True, 1000)
    ref = reference.build(ROOMS / f"{room}.yaml", case, None)
    stem = tmp_path / "refs" / room
    reference.save(ref, stem)
    assert sorted(p.name for p in stem.parent.iterdir()) == [f"{room}.json", f"{room}.npz"]
    back = reference.load(stem.with_suffix(".json"))
    assert {k: v for k, v in back.items() if k != "_planes"} == {
        k: v for k, v in ref.items() if not k.startswith("_")
    }
    assert sorted(back["_planes"]) == sorted(ref["_planes"])
    for k, v in ref["_planes"].items():
        assert np.array_equal(back["_planes"][k], v, equal_nan=True)
    assert stem.with_suffix(".json").read_text().startswith('{\n "format"')


def test_an_older_case_without_its_outflow_or_turbulence_recorded(tmp_path):
    """Cases written before the outflow modes and the turbulence choice were recorded ran
    fixed outflows and k-epsilon."""
    room = "open-aisle-85"
    case, _ = _finished_run(tmp_path, room, "fine", 0.4, True, 1000)
    desc = json.loads((case / "twin_case.json").read_text())
    del desc["outflow_u"], desc["turbulence"]
    (case / "twin_case.json").write_text(json.dumps(desc))
    ref = reference.build(ROOMS / f"{room}.yaml", case, None)
    assert ref["outflow"] == "fixed"
    assert ref["turbulence"] == "kEpsilon" and ref["solver"] == reference.SOLVER_TEXT


def test_a_small_supply_is_no_return(tmp_path):
    """Tiles giving 0.8 m3/s (under one) still bring air in: only patches drawing air out
    make the return."""
    room = "open-aisle-85"
    layout = tmp_path / f"{room}.yaml"
    text = (ROOMS / f"{room}.yaml").read_text()
    assert "flow_m3s: 8.5" in text
    layout.write_text(text.replace("flow_m3s: 8.5", "flow_m3s: 0.8", 1))
    case, desc = _finished_run(tmp_path, room, "fine", 0.4, True, 1000, layout=layout)
    assert [p["flow_m3s"] for p in desc["patches"] if p["kind"] == "supply"] == [pytest.approx(0.8)]
    ref = reference.build(layout, case, None)
    assert ref["return_mean_c"] == round(_return_mean(desc), 3)


def test_a_reference_is_saved_where_no_folder_was(tmp_path):
    room = "open-aisle-85"
    case, _ = _finished_run(tmp_path, room, "fine", 0.4, True, 1000)
    stem = tmp_path / "new" / "refs" / room
    reference.save(reference.build(ROOMS / f"{room}.yaml", case, None), stem)
    assert stem.with_suffix(".json").exists() and stem.with_suffix(".npz").exists()
