"""A CFD reference of one room: the figures Twin is judged on, read from a finished
OpenFOAM run (see ``twin.cfd.foam_run``), and stored as a small JSON file with the two
planes beside it in a ``.npz``.

Rack inlet means, the mean return and the balance come from the per-iteration monitors,
averaged over the run's last window (``WINDOW_IT`` iterations when it converged,
``AVERAGE_IT`` when it never settled); each rack's swing over that window is kept as the
reference's own uncertainty. Inlet maxima and the planes (temperature, and the air velocity
where the case kept one) come from the fields (the latest iterate when converged, else the
running means ``TMean`` and ``UMean``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from twin.cfd import case_files, foam_read
from twin.cfd.foam_case import WINDOW_IT
from twin.cfd.foam_mesh import held_at_inlet
from twin.cfd.foam_run import AVERAGE_IT, heat_out_series
from twin.model.frame import AIR_READING_C
from twin.model.loader import load_layout
from twin.physics.grid import RACK_FRONT

FORMAT = "twin-cfd-reference/1"
#: Height of the stored horizontal plane, m (mid-height of the servers' intakes).
PLANE_Z_M = 1.2
SOLVER_TEXT = (
    "OpenFOAM v1912 buoyantBoussinesqSimpleFoam, steady RANS, k-epsilon with wall functions, "
    "linearUpwind U and T, limitedLinear k and epsilon"
)
#: ... of a case run with k-omega SST (``foam_case.TURBULENCE_MODELS``)
SOLVER_TEXT_SST = (
    "OpenFOAM v1912 buoyantBoussinesqSimpleFoam, steady RANS, k-omega SST with wall "
    "functions, linearUpwind U and T, upwind k and omega"
)


def _window_mean(series: np.ndarray, window: int, upto: int) -> tuple[float, float]:
    """(mean, max - min) of a monitor's values over the ``window`` iterations that end with
    iteration ``upto`` (where the run stopped: the solver may have run a little past it)."""
    it, v = series[:, 0], series[:, 1]
    w = v[(it > upto - window) & (it <= upto)]
    return float(w.mean()), float(w.max() - w.min())


def field_on_grid(case: Path, grid, name: str, at=None) -> np.ndarray:
    """A case's latest field (or at ``at``, a ``foam_read.Results``) on the full voxel grid
    (NaN in solids): (nx, ny, nz) for a scalar, (nx, ny, nz, 3) for a vector."""
    cells = case_files.cell_map(case, grid)
    at = foam_read.latest_time(case, name) if at is None else at
    vals = at.read(name, len(cells))
    if len(vals) != len(cells):  # a field left from another mesh, or cut short
        raise foam_read.FoamReadError(
            f"{at.files(name)[0]}: {name} holds {len(vals)} values, but the case's mesh has {len(cells)} "
            "cells (a field from another mesh?)"
        )
    out = np.full((grid.n_cells,) + vals.shape[1:], np.nan)
    out[cells] = vals
    return out.reshape(grid.shape + vals.shape[1:])


def temperature_on_grid(case: Path, grid, name: str = "T", at=None) -> np.ndarray:
    """``field_on_grid`` of a temperature (T, TMean) on the case's own ``grid``, with the
    cells the case holds at its rack's inlet by construction left out (NaN; see
    ``foam_mesh.held_at_inlet``): up to 13 K below the exhaust that is there."""
    t = np.ascontiguousarray(field_on_grid(case, grid, name, at))
    if t.shape != tuple(grid.shape):  # a vector field under a temperature's name
        from twin.cfd.foam_read import FoamReadError

        raise FoamReadError(
            f"{case}: its {name} is not a scalar field (values of shape {t.shape[3:]} per cell)"
        )
    t.reshape(-1)[held_at_inlet(grid)] = np.nan
    return t


def _rack_figures(case: Path, desc: dict, fac, grid, field, window: int, end: int) -> list:
    """Each rack's inlet mean and swing over the window (from its monitor), its hottest
    inlet cell and its exhaust."""
    p = grid.ports
    racks = []
    for pp in desc["patches"]:
        if pp["kind"] != "rack_front":
            continue
        r = fac.rack_index[pp["owner_id"]]
        mean, swing = _window_mean(foam_read.read_monitor(case, f"mon_{pp['name']}"), window, end)
        cells = p.cell[(p.kind == RACK_FRONT) & (p.owner == r)]
        rise = next(
            q["rise_k"] for q in desc["patches"] if q["name"] == pp["name"].replace("rf_", "rr_")
        )
        racks.append(
            {
                "id": pp["owner_id"],
                "inlet_mean_c": round(mean, 3),
                "inlet_max_c": round(float(np.nanmax(field.ravel()[cells])), 3),
                "exhaust_c": round(mean + rise, 3),
                "swing_k": round(swing, 3),
            }
        )
    return racks


def read_run(layout: Path, case: Path) -> dict:
    """The figures of one finished run, keyed as in the stored reference."""
    fac = load_layout(layout)
    desc, grid, _ = case_files.checked(case, fac)  # of its own hall, as the layout is now
    run = json.loads((case / "run.json").read_text())
    window = WINDOW_IT if run["converged"] else AVERAGE_IT
    end = int(run["iterations"])
    t_name, u_name = ("T", "U") if run["converged"] else ("TMean", "UMean")
    field = temperature_on_grid(case, grid, t_name)
    # cases written before the running mean of U was kept have none
    has_u = foam_read.latest_time(case, t_name).has(u_name)
    velocity = field_on_grid(case, grid, u_name) if has_u else None
    racks = _rack_figures(case, desc, fac, grid, field, window, end)
    ws, q = 0.0, 0.0
    for pp in desc["patches"]:
        if pp["kind"].startswith("rack") or pp["flow_m3s"] >= 0:
            continue
        ws += _window_mean(foam_read.read_monitor(case, f"mon_{pp['name']}"), window, end)[0]
        q += -pp["flow_m3s"]
    it, hout = heat_out_series(case, desc)
    heat_out = float(hout[(it > end - window) & (it <= end)].mean())
    gentle = {"gentle_start": True} if desc.get("gentle_start") else {}
    # a run continued from another's field (run_cfd's even draw): that run's figures
    seed = {"seed": run["seed"]} if "seed" in run else {}
    return {
        **gentle,  # started with foam_case.GENTLE_START after the usual start-up diverged
        **seed,
        "cell_m": desc["cell_m"],
        # how air left through outflow ports (foam_case.OUTFLOW_MODES; older cases: fixed)
        "outflow": desc.get("outflow_u", "fixed"),
        "n_cells": desc["n_cells"],
        "converged": run["converged"],
        "iterations": run["iterations"],
        "window_it": window,
        "cpu_s": round(run["cpu_s"], 1),
        "racks": racks,
        "return_mean_c": round(ws / q, 3),
        "heat_in_w": round(desc["heat_w"], 1),
        "heat_out_w": round(heat_out, 1),
        "balance": round(heat_out / desc["heat_w"] - 1.0, 5),
        "_field": field,
        "_velocity": velocity,
        "_grid": grid,
        "_desc": desc,
    }


def _planes(fine: dict) -> dict[str, np.ndarray]:
    grid, field = fine["_grid"], fine["_field"]
    h = grid.cell_m
    k = min(int(PLANE_Z_M / h), grid.shape[2] - 1)
    i = min(int(grid.shape[0] * h / 2 / h), grid.shape[0] - 1)
    out = {
        "cell_m": np.array(h),
        "horizontal_z_m": np.array((k + 0.5) * h),
        "horizontal_c": field[:, :, k].astype(np.float32),
        "vertical_x_m": np.array((i + 0.5) * h),
        "vertical_c": field[i, :, :].astype(np.float32),
    }
    vel = fine.get("_velocity")
    if vel is not None:  # the air velocity on the same planes, m/s (nx, ny, 3), (ny, nz, 3)
        out["horizontal_u"] = vel[:, :, k].astype(np.float32)
        out["vertical_u"] = vel[i, :, :].astype(np.float32)
    return out


def build(layout: Path, fine_case: Path, coarse_case: Path | None) -> dict:
    """The reference of a room from its fine run and (when given) its mesh-check run."""
    fine = read_run(layout, fine_case)
    turbulence = fine["_desc"].get("turbulence", "kEpsilon")
    ref = {
        "format": FORMAT,
        "room": Path(layout).stem,
        "layout": f"rooms/{Path(layout).name}",
        "solver": SOLVER_TEXT_SST if turbulence == "kOmegaSST" else SOLVER_TEXT,
        "turbulence": turbulence,
        **{k: v for k, v in fine.items() if not k.startswith("_")},
        "_planes": _planes(fine),
    }
    desc = fine["_desc"]
    if desc.get("panel_darcy_per_m2"):  # containment panels: how the CFD let them leak
        ref["panels"] = {
            "model": desc["panels"],
            "darcy_per_m2": float(desc["panel_darcy_per_m2"]),
            # the turbulence its porous layers were held at (None: mixed as open air)
            "still_k": desc.get("panel_still_k"),
        }
    ref["planes"] = {
        "file": f"{ref['room']}.npz",
        "horizontal_z_m": float(ref["_planes"]["horizontal_z_m"]),
        "vertical_x_m": float(ref["_planes"]["vertical_x_m"]),
    }
    if coarse_case is not None and (coarse_case / "run.json").exists():
        c = read_run(layout, coarse_case)
        a = np.array([r["inlet_mean_c"] for r in fine["racks"]])
        b = np.array([r["inlet_mean_c"] for r in c["racks"]])
        ref["mesh_check"] = {
            **{k: v for k, v in c.items() if not k.startswith("_")},
            "inlet_rms_diff_k": round(float(np.sqrt(np.mean((a - b) ** 2))), 3),
            "inlet_max_diff_k": round(float(np.abs(a - b).max()), 3),
            "return_diff_k": round(c["return_mean_c"] - fine["return_mean_c"], 3),
        }
    return ref


def model_check(ref: dict, other: dict) -> dict:
    """How far the same room solved with another turbulence model (``other``, a reference
    of the same racks) moves the rack inlets: the spread of the answer a RANS model owes to
    its closure, beside ``mesh_check``'s that it owes to its mesh."""
    from twin.cfd.compare import rank_correlation

    if other.get("room") != ref.get("room"):
        raise ValueError(f"model check of {other.get('room')!r} given for {ref.get('room')!r}")
    theirs = {r["id"]: r["inlet_mean_c"] for r in other["racks"]}
    if set(theirs) != {r["id"] for r in ref["racks"]}:
        raise ValueError(f"{ref['room']}: the model check's racks are not the reference's")
    a = np.array([r["inlet_mean_c"] for r in ref["racks"]])
    b = np.array([theirs[r["id"]] for r in ref["racks"]])
    keys = (
        "solver",
        "turbulence",
        "cell_m",
        "outflow",
        "converged",
        "iterations",
        "window_it",
        "cpu_s",
    )
    return {
        **{k: other.get(k) for k in keys},
        "balance": other["balance"],
        "return_mean_c": other["return_mean_c"],
        "racks": [{"id": r["id"], "inlet_mean_c": theirs[r["id"]]} for r in ref["racks"]],
        "inlet_rms_diff_k": round(float(np.sqrt(np.mean((a - b) ** 2))), 3),
        "inlet_max_diff_k": round(float(np.abs(a - b).max()), 3),
        "rank_corr": round(float(rank_correlation(a, b)), 3),
        "return_diff_k": round(other["return_mean_c"] - ref["return_mean_c"], 3),
    }


def save(ref: dict, stem: Path) -> None:
    """Write ``stem.json`` and ``stem.npz`` atomically."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    planes = ref.get("_planes")
    body = {k: v for k, v in ref.items() if not k.startswith("_")}
    tmp = stem.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body, indent=1) + "\n")
    os.replace(tmp, stem.with_suffix(".json"))
    if planes is not None:
        tmpz = stem.parent / (stem.name + ".tmp.npz")
        np.savez_compressed(tmpz, **planes)
        os.replace(tmpz, stem.with_suffix(".npz"))


#: rack fields a reference must give as numbers (the first) or may give (the rest)
RACK_NUMBERS = ("inlet_mean_c", "inlet_max_c", "exhaust_c", "swing_k")


def _check_racks(path: Path, ref: dict) -> None:
    """Refuse a reference whose racks are not a list of ids with numeric figures (a hand-edited
    file once put ``null`` in a swing and the comparison died on it)."""
    racks = ref.get("racks")
    if not isinstance(racks, list) or not racks:
        raise ValueError(f"{path}: 'racks' must be a non-empty list")
    seen: dict[str, int] = {}
    for n, r in enumerate(racks):
        if not isinstance(r, dict) or not isinstance(r.get("id"), str):
            raise ValueError(f"{path}: racks[{n}] needs an 'id'")
        if r["id"] in seen:  # compared as two racks, twice the weight of one
            raise ValueError(f"{path}: racks[{n}] is {r['id']} again (racks[{seen[r['id']]}])")
        seen[r["id"]] = n
        if "inlet_mean_c" not in r:
            raise ValueError(f"{path}: racks[{n}] ({r['id']}) has no inlet_mean_c")
        for key in RACK_NUMBERS:
            if key in r:
                _check_air(path, f"racks[{n}] ({r['id']}).{key}", r[key], swing=key == "swing_k")


def _check_air(path: Path, what: str, v, swing: bool = False) -> None:
    """A number room air can take (``AIR_READING_C``; a swing: 0 up to that range's width):
    a fill value or a unit mistake in a hand-made reference is refused, not compared."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
        raise ValueError(f"{path}: {what} is {v!r}, not a number")
    lo, hi = AIR_READING_C
    if swing:
        lo, hi = 0.0, hi - lo
    if not lo <= v <= hi:
        verb = "swing by" if swing else "take"
        raise ValueError(
            f"{path}: {what} is {v:g}, outside what room air can {verb} ({lo:g} to {hi:g})"
        )


def load(path: str | Path) -> dict:
    """A stored reference (``.json``), with its planes under ``"_planes"`` when present."""
    path = Path(path)
    try:
        ref = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a readable CFD reference ({e})") from e
    if ref.get("format") != FORMAT:
        raise ValueError(f"{path}: format is {ref.get('format')!r}, expected {FORMAT!r}")
    _check_racks(path, ref)
    if "return_mean_c" not in ref:
        raise ValueError(f"{path}: it has no return_mean_c (the CFD's mean return temperature)")
    _check_air(path, "return_mean_c", ref["return_mean_c"])
    npz = path.with_suffix(".npz")
    if npz.exists():
        try:
            with np.load(npz) as z:
                ref["_planes"] = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError) as e:  # not an .npz, or one of pickled objects
            why = "not an .npz of arrays: numpy would have to unpickle it, which is never done"
            why = why if "pickle" in str(e) else e
            raise ValueError(f"{npz}: not readable planes of a CFD reference ({why})") from None
        _check_planes(npz, ref["_planes"])
    return ref


def _check_planes(npz: Path, planes: dict) -> None:
    """Refuse planes whose temperatures hold values room air cannot take (a solver's or a
    converter's fill value in the solids, which must be NaN there)."""
    lo, hi = AIR_READING_C
    for key in ("horizontal_c", "vertical_c"):
        if key not in planes:
            continue
        vals = np.asarray(planes[key], float)
        bad = vals[np.isfinite(vals) & ((vals < lo) | (vals > hi))]
        if len(bad):
            raise ValueError(
                f"{npz}: its {key} plane holds {len(bad)} values outside what room air can "
                f"take ({lo:g} to {hi:g}), e.g. {bad[0]:g}; cells without air must be NaN"
            )


def load_for(path: str | Path, layout_name: str) -> dict:
    """``load``, refused when the reference is of another room than the layout (its racks
    would be paired by id across rooms; ``room`` absent: taken as the layout's)."""
    ref = load(path)
    if ref.get("room") not in (None, layout_name):
        raise ValueError(
            f"{path}: a reference of room {ref['room']!r}, not of layout {layout_name!r}"
        )
    return ref
