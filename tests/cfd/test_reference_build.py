"""A stored CFD reference is built from a finished run as documented: each rack's inlet the
mean of its monitor over the run's last window (300 iterations of a run that settled, 1,000
of one that did not, none after the iteration it stopped at), its swing over that window,
its hottest front cell from the field, its exhaust that mean plus the rise the case gave
it, the return flow-weighted over the return monitors, the heat out from all the room's own
ports, the planes from the field (the running mean where the run did not settle), and the
mesh check from a second run. The run here is the case ``foam_case.write_case`` generates
for the open-aisle room, with its solver output written by hand (``make validate-cfd``
writes it with OpenFOAM, which CI does not have)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import write_fields, write_monitor
from twin.cfd import foam_case, reference
from twin.model.loader import load_layout
from twin.physics.grid import RACK_FRONT, build_grid

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"
#: The returns' temperatures (C) by patch name, and the supply's.
RETURN_C = {"gr_0": 30.0, "gr_1": 34.0}
SUPPLY_C = 18.0


def _inlet_c(r: int) -> float:
    return 20.0 + 0.5 * r


def _swing_k(r: int) -> float:
    return 0.02 * (r + 1)


def _field_c(xyz: np.ndarray) -> np.ndarray:
    x, y, z = xyz.T
    return 20.0 + x + 0.5 * y + 10.0 * z


def _finished_run(
    tmp_path: Path, name: str, cell_m: float, converged: bool, end: int, shift_k=0.0
) -> tuple[Path, dict]:
    """The room's case at ``cell_m`` with a run stopped at iteration ``end``: rack r's
    monitor at its inlet +5 K before the window, alternating inlet +- half its swing in it,
    and +50 K after ``end``; returns and supply steady at their temperatures in the window;
    the temperature field ``_field_c`` (as TMean, with a T 7 K off beside it, where the run
    did not settle)."""
    fac = load_layout(ROOM)
    case = tmp_path / name
    desc = foam_case.write_case(fac, case, cell_m=cell_m, max_iter=end)
    window = foam_case.WINDOW_IT if converged else reference.AVERAGE_IT
    it = np.arange(1, end + 11)
    in_window = (it > end - window) & (it <= end)
    for p in desc["patches"]:
        if p["kind"] == "rack_front":
            r = fac.rack_index[p["owner_id"]]
            c = _inlet_c(r) + shift_k * (r % 3 - 1)
            vals = np.where(in_window, c + _swing_k(r) / 2 * np.where(it % 2, 1, -1), c + 5.0)
            vals[it > end] = c + 50.0
        elif p["kind"] == "grille":  # phi T summed over the patch, out of the room
            vals = np.where(in_window, -p["flow_m3s"] * RETURN_C[p["name"]], 0.0)
        elif p["kind"] == "supply":
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
    t, u = _field_c(xyz), np.tile([0.5, -0.25, 0.125], (len(cells), 1))
    if converged:
        write_fields(case, str(end), {"T": t, "U": u})
    else:
        write_fields(case, str(end), {"T": t + 7.0, "TMean": t, "UMean": u})
    return case, desc


@pytest.fixture(scope="module")
def fac():
    return load_layout(ROOM)


def test_a_settled_runs_reference(tmp_path, fac):
    case, desc = _finished_run(tmp_path, "fine", 0.4, converged=True, end=1000)
    ref = reference.build(ROOM, case, None)
    grid = build_grid(fac, 0, 0.4)
    assert ref["room"] == "open-aisle-85" and ref["format"] == reference.FORMAT
    assert ref["converged"] is True and ref["iterations"] == 1000 and ref["window_it"] == 300
    assert ref["cpu_s"] == 123.5 and ref["cell_m"] == 0.4 and ref["n_cells"] == desc["n_cells"]
    rises = {p["owner_id"]: p["rise_k"] for p in desc["patches"] if p["kind"] == "rack_rear"}
    assert [r["id"] for r in ref["racks"]] == list(fac.rack_ids)
    for r, got in enumerate(ref["racks"]):
        fronts = grid.ports.cell[(grid.ports.kind == RACK_FRONT) & (grid.ports.owner == r)]
        xyz = (np.stack(np.unravel_index(fronts, grid.shape), 1) + 0.5) * 0.4
        assert got["inlet_mean_c"] == pytest.approx(_inlet_c(r), abs=5e-4)
        assert got["swing_k"] == pytest.approx(_swing_k(r), abs=5e-4)
        assert got["exhaust_c"] == pytest.approx(_inlet_c(r) + rises[got["id"]], abs=5e-4)
        assert got["inlet_max_c"] == pytest.approx(_field_c(xyz).max(), abs=5e-4)
    assert ref["return_mean_c"] == pytest.approx(32.0)  # two equal returns at 30 and 34 C
    out_w = desc["rho_cp"] * (8.5 * 32.0 - 8.5 * SUPPLY_C)
    assert ref["heat_out_w"] == pytest.approx(out_w, abs=0.05)
    assert ref["balance"] == pytest.approx(out_w / 150_000.0 - 1.0, abs=5e-6)
    assert "seed" not in ref and "mesh_check" not in ref


def test_its_planes_are_the_fields_at_1_2_m_and_across_the_middle(tmp_path, fac):
    case, _ = _finished_run(tmp_path, "fine", 0.4, converged=True, end=1000)
    ref = reference.build(ROOM, case, None)
    planes = ref["_planes"]
    grid = build_grid(fac, 0, 0.4)
    nx, ny, nz = grid.shape
    z, x = float(planes["horizontal_z_m"]), float(planes["vertical_x_m"])
    assert abs(z - 1.2) <= 0.2 + 1e-9 and x == pytest.approx((nx // 2 + 0.5) * 0.4)
    assert ref["planes"] == {"file": "open-aisle-85.npz", "horizontal_z_m": z, "vertical_x_m": x}
    xs, ys, zs = ((np.arange(n) + 0.5) * 0.4 for n in (nx, ny, nz))
    hz = planes["horizontal_c"]
    air = np.isfinite(hz)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    want = _field_c(np.stack([gx[air], gy[air], np.full(air.sum(), z)], 1))
    assert air.sum() > 100 and np.allclose(hz[air], want, atol=1e-4)
    vt = planes["vertical_c"]
    air = np.isfinite(vt)
    gy, gz = np.meshgrid(ys, zs, indexing="ij")
    want = _field_c(np.stack([np.full(air.sum(), x), gy[air], gz[air]], 1))
    assert air.sum() > 30 and np.allclose(vt[air], want, atol=1e-4)
    u = planes["horizontal_u"][np.isfinite(planes["horizontal_u"]).all(-1)]
    assert np.allclose(u, [0.5, -0.25, 0.125])


def test_an_unsettled_runs_reference_is_its_long_window_mean(tmp_path, fac):
    """1,000 iterations of monitor and the running mean of the field (TMean, not T)."""
    case, _ = _finished_run(tmp_path, "fine", 0.4, converged=False, end=1500)
    ref = reference.build(ROOM, case, None)
    assert ref["converged"] is False and ref["window_it"] == 1000
    assert ref["seed"] == {"converged": False, "iterations": 4000, "cpu_s": 99.0}
    for r, got in enumerate(ref["racks"]):
        assert got["inlet_mean_c"] == pytest.approx(_inlet_c(r), abs=5e-4)
    hz = ref["_planes"]["horizontal_c"]
    z = float(ref["_planes"]["horizontal_z_m"])
    assert np.nanmin(hz) == pytest.approx(20.0 + 0.2 + 0.5 * 0.2 + 10.0 * z, abs=1e-4)


def test_the_mesh_check_is_how_far_a_second_run_moves_the_racks(tmp_path, fac):
    fine, _ = _finished_run(tmp_path, "fine", 0.4, converged=True, end=1000)
    coarse, _ = _finished_run(tmp_path, "coarse", 0.6, converged=True, end=1000, shift_k=0.3)
    ref = reference.build(ROOM, fine, coarse)
    mc = ref["mesh_check"]
    moved = np.array([0.3 * (r % 3 - 1) for r in range(fac.n_racks)])
    assert mc["inlet_rms_diff_k"] == pytest.approx(np.sqrt(np.mean(moved**2)), abs=5e-4)
    assert mc["inlet_max_diff_k"] == pytest.approx(0.3, abs=5e-4)
    assert mc["return_diff_k"] == 0.0 and mc["cell_m"] == 0.6
    assert [r["inlet_mean_c"] for r in mc["racks"]] == pytest.approx(
        [_inlet_c(r) + moved[r] for r in range(fac.n_racks)], abs=5e-4
    )
