"""Fit the airflow model's free parameters (``PhysicsParams``) to measured or computed air
temperatures by least squares.

Targets are rack mean inlets and temperatures at points (a CFD field's slice, or sensors).
Residuals are Twin minus target; the cost is each set's mean square over its own at the
start, so that a tenth off the racks' RMS counts as much as a tenth off the points', however
many points there are and however far off they start. Weighed by count alone (the points
together as much as the racks), the slices' larger errors (1-3 K against the racks' 0.05-0.8
K in the validation rooms) pulled three of six rooms' fits to parameters that read the racks
worse (the perimeter room 0.77 -> 0.91 K); a fit that still does is not kept
(``racks_worse``). The eddy-viscosity scale changes the flow (a new march
per value) and is searched on a log scale; for each value the turbulent Prandtl number, which
changes only the heat solve, is fitted on that flow. The result is checked by a full solve at
the fitted values (``rms_after_k`` is that solve's, not the search's).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

from twin.cfd.compare import sample_cells
from twin.cfd.recorded_hall import HallConditions
from twin.physics.params import PhysicsParams

#: The least a fit must lower the rack or the point RMS by (K) for its parameters to replace
#: the layout's: the resolution of the report. Where Twin already matches the source, the
#: cost is nearly flat: against the ducted hot-aisle room's own CFD case (rack RMS 0.12 K)
#: the search wandered to an eddy viscosity x2.2 and a Prandtl number of 2.96, at the bound,
#: for a point RMS 0.007 K lower and racks 0.002 K worse, and stored that in the layout.
MIN_GAIN_K = 0.01


@dataclass
class Targets:
    """What to fit: rack mean inlets (facility rack index -> C) and point temperatures
    (hall-local (N, 3) m -> C); ``rack_power_w`` the loads they were taken at (nominal if
    None)."""

    rack_index: np.ndarray
    rack_c: np.ndarray
    points_m: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    point_c: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rack_power_w: np.ndarray | None = None
    source: str = ""
    #: the state the solves run under (a recording's; None: the layout's nominal one)
    conditions: HallConditions | None = None
    #: the least a fit must lower an RMS by to be kept (K; see ``MIN_GAIN_K``)
    min_gain_k: float = MIN_GAIN_K

    @property
    def n(self) -> int:
        return len(self.rack_c) + len(self.point_c)


@dataclass
class Fit:
    """``params``: what the layout should hold; the layout's own (``kept``) when the best
    found (``best``: its parameters and errors) did not lower an RMS by ``MIN_GAIN_K``."""

    params: PhysicsParams
    before: dict
    after: dict
    evaluations: int
    seconds: float
    history: list[tuple[float, float, float]]  # (nu scale, Pr_t, cost)
    kept: bool = False
    best: tuple[PhysicsParams, dict] | None = None


def errors(res, t: Targets, start: dict | None = None) -> dict:
    """RMS of the rack and point residuals, and the cost the fit minimises: with ``start``
    (the errors at the start), each set's mean square over its own there (not below the
    report's resolution, ``MIN_GAIN_K``); without, the squares with the points weighed as
    much as the racks together (the start's own cost, which nothing compares)."""
    r = res.rack_inlet_mean_c[t.rack_index] - t.rack_c
    r = r[np.isfinite(r)]
    p = sample_cells(res, t.points_m) - t.point_c if len(t.point_c) else np.zeros(0)
    p = p[np.isfinite(p)]
    w_p = math.sqrt(len(r) / len(p)) if len(p) and len(r) else 1.0
    cost = float(np.sum(r**2) + w_p**2 * np.sum(p**2))
    if start is not None:
        cost = 0.0
        if len(r):
            cost += float(np.mean(r**2)) / max(start["rack_rms_k"], MIN_GAIN_K) ** 2
        if len(p):
            cost += float(np.mean(p**2)) / max(start["point_rms_k"], MIN_GAIN_K) ** 2
    return {
        "rack_rms_k": float(np.sqrt(np.mean(r**2))) if len(r) else float("nan"),
        "point_rms_k": float(np.sqrt(np.mean(p**2))) if len(p) else float("nan"),
        "cost": cost,
    }


def _model(fac, hall, cell_m, params, t: Targets):
    """The hall solved as the targets were taken (``Targets.conditions``)."""
    from twin.physics import ThermalModel

    options = t.conditions.model_options() if t.conditions is not None else {}
    return ThermalModel(fac, hall, cell_m, params=params, **options)


def _with_prandtl(model, pr_t: float, power):
    from twin.physics.heat import HeatModel

    model.heat = HeatModel(model.facility, model.grid, model.flow, pr_t)
    model.state = None
    return model.solve(power)


def fit(
    fac, hall: int, cell_m: float, t: Targets, budget_s: float = 50.0, check=None, clock=None
) -> Fit:
    """Fit ``PhysicsParams`` to ``t`` within about ``budget_s`` seconds of ``clock()``; ``check()``
    before each solve may raise to stop it, or hold it (a window job's ``CancelToken``)."""
    check, clock = check or (lambda: None), clock or time.perf_counter
    t0 = clock()
    start = PhysicsParams.of(fac.layout)
    (nu_lo, nu_hi), (pr_lo, pr_hi) = PhysicsParams.BOUNDS
    history: list[tuple[float, float, float]] = []
    if t.conditions is not None:  # the supply temperatures measured
        fac = t.conditions.facility(fac)
    base = _model(fac, hall, cell_m, start, t)
    first = base.solve(t.rack_power_w)
    before = errors(first, t, errors(first, t))  # its cost against its own start
    best = {"cost": before["cost"], "params": start}

    def inner(model, nu: float) -> float:
        def cost_pr(log_pr: float) -> float:
            check()
            pr = math.exp(log_pr)
            c = errors(_with_prandtl(model, pr, t.rack_power_w), t, before)["cost"]
            history.append((nu, pr, c))
            if c < best["cost"]:
                best.update(cost=c, params=PhysicsParams(nu, pr))
            return c

        r = minimize_scalar(
            cost_pr,
            bounds=(math.log(pr_lo), math.log(pr_hi)),
            method="bounded",
            options={"xatol": 0.03, "maxiter": 12},
        )
        return float(r.fun)

    def outer(log_nu: float) -> float:
        if clock() - t0 > budget_s:
            return math.inf
        check()
        nu = math.exp(log_nu)
        # the march's buoyancy uses a heat field: take the best Prandtl number so far
        pr = best["params"].turbulent_prandtl
        return inner(_model(fac, hall, cell_m, PhysicsParams(nu, pr), t), nu)

    inner(base, start.eddy_viscosity_scale)
    minimize_scalar(
        outer,
        bounds=(math.log(nu_lo), math.log(nu_hi)),
        method="bounded",
        options={"xatol": 0.08, "maxiter": 8},
    )
    params = best["params"]
    after = errors(_model(fac, hall, cell_m, params, t).solve(t.rack_power_w), t, before)
    n, seconds = len(history) + 2, clock() - t0
    if params != start and (
        not (after["cost"] < before["cost"] and gain_k(before, after) >= t.min_gain_k)
        or racks_worse(before, after, t.min_gain_k)
    ):
        return Fit(start, before, before, n, seconds, history, kept=True, best=(params, after))
    return Fit(params, before, after, n, seconds, history)


#: A fitted parameter this close to a bound of ``PhysicsParams.BOUNDS`` (as a ratio) is at the
#: edge of the range a fit may take: the source asked for more than it allows.
EDGE_RATIO = 1.15


def edge_note(params: PhysicsParams) -> str | None:
    """A warning when a fitted parameter lies at the edge of its range (within ``EDGE_RATIO``
    of a bound), else None. The bounds are where the model stays physical; a source that
    pushes a fit there is seldom this hall's air as the layout draws it (another hall, a
    heat-balance simulation, racks or tiles not where the layout has them), and the fitted
    values then make up for a difference they do not describe."""
    names = ("eddy_viscosity_scale", "turbulent_prandtl")
    edges = [
        f"{name} {value:.3f} (range {lo:g} to {hi:g})"
        for name, value, (lo, hi) in zip(
            names, params.as_tuple(), PhysicsParams.BOUNDS, strict=True
        )
        if value < lo * EDGE_RATIO or value > hi / EDGE_RATIO
    ]
    if not edges:
        return None
    return (
        f"{' and '.join(edges)} at the edge of what a fit may take: the source asks for more "
        "than the model's physics gives, which usually means it is not this hall's air as the "
        "layout draws it (another hall, a heat-balance simulation, racks or tiles elsewhere)"
    )


def racks_worse(before: dict, after: dict, min_gain_k: float = MIN_GAIN_K) -> bool:
    """Whether ``after`` reads the rack inlets worse than ``before`` by more than
    ``min_gain_k``: such a fit is not kept, whatever it gains at the points (the racks'
    inlets are what Twin's figures are read from)."""
    return bool(after["rack_rms_k"] - before["rack_rms_k"] > min_gain_k)


def gain_k(before: dict, after: dict) -> float:
    """The larger of the fall in rack RMS and in point RMS (K; NaN where neither has one)."""
    falls = [before[k] - after[k] for k in ("rack_rms_k", "point_rms_k")]
    falls = [f for f in falls if math.isfinite(f)]
    return max(falls) if falls else float("nan")


# ------------------------------------------------------------------------ targets
def targets_from_reference(fac, ref: dict, source: str = "") -> Targets:
    """Rack inlets and both planes of a stored CFD reference (``reference.load_for``: of this
    layout's room), its racks matched by id; refused when none of them is the layout's."""
    from twin.cfd.compare import plane_points

    ids = [r["id"] for r in ref["racks"] if r["id"] in fac.rack_index]
    if not ids:
        named = ", ".join(r["id"] for r in ref["racks"][:3])
        more = f" and {len(ref['racks']) - 3} more" if len(ref["racks"]) > 3 else ""
        raise ValueError(
            f"none of the reference's racks ({named}{more}) is a rack of the layout: is it "
            "of another room, or were the layout's racks renamed?"
        )
    idx = np.array([fac.rack_index[i] for i in ids], np.int64)
    vals = np.array([r["inlet_mean_c"] for r in ref["racks"] if r["id"] in fac.rack_index])
    pts, pc = np.zeros((0, 3)), np.zeros(0)
    if ref.get("_planes") is not None:
        pl = plane_points(ref["_planes"])
        pts = np.concatenate([pl[k][0] for k in pl])
        pc = np.concatenate([pl[k][1] for k in pl])
    return Targets(idx, vals, pts, pc, source=source)


def targets_from_field(
    fac,
    grid,
    air_c: np.ndarray,
    z_m: float = 1.2,
    source: str = "",
    rack_mean_c: np.ndarray | None = None,
) -> Targets:
    """Rack inlets read from a CFD field on Twin's grid (or given: ``rack_mean_c``, in the
    grid's rack order, as ``CfdField.figures`` reads them at the CFD's own cell), and its
    horizontal slice at ``z_m`` and vertical slice through the hall's middle."""
    from twin.cfd.field import rack_figures

    mean = rack_figures(grid, air_c)[0] if rack_mean_c is None else np.asarray(rack_mean_c)
    ok = np.isfinite(mean)
    h = grid.cell_m
    k = min(int(z_m / h), grid.shape[2] - 1)
    i_mid = grid.shape[0] // 2
    sel = np.zeros(grid.shape, bool)
    sel[:, :, k] = True
    sel[i_mid, :, :] = True
    sel &= np.isfinite(air_c)
    ijk = np.argwhere(sel)
    pts = (ijk + 0.5) * h + grid.origin_m
    return Targets(grid.rack_ids[ok], mean[ok], pts, air_c[sel], source=source)


#: Why a recording's rack inlets are not fitted to when its live session filled them.
MODELLED_INLETS_NOTE = (
    "the recording's rack inlets may be the airflow model's own figures (recorded with "
    "--physics, which fills the inlets the telemetry did not measure), and a fit to them fits "
    "the model to itself; it holds no point sensor reading (the layout's sensors:) in that "
    "hall and span to fit to instead"
)


def targets_from_recording(
    rec, fac, t0: float | None = None, t1: float | None = None, hall: int = 0
) -> Targets:
    """Mean rack inlet temperatures (the racks' inlet sensors), the hall's point sensors (the
    layout's ``sensors:``) and rack powers over a span of a recording, with the state the
    hall ran under (``Targets.conditions``). A sensor or rack with no reading in the span is
    left out. A span over which the hall did not hold steady is refused, naming what moved
    (``recorded_hall.unsteady``). Rack inlets a live session filled from the model
    (``Recording.filled_by_model``) are left out: only the sensors are fitted to."""
    from twin.cfd import recorded_hall as rh
    from twin.physics.devices import rack_power_kinds

    times = rec.times
    if not len(times):
        raise ValueError("the recording has no frames yet")
    lo = times[0] if t0 is None else t0
    hi = times[-1] if t1 is None else t1
    idx = np.flatnonzero((times >= lo) & (times <= hi))
    if len(idx) == 0:
        raise ValueError(
            "the recording has no frame in the span asked for (it runs from 0:00 to "
            f"{rh.clock(times[-1] - times[0])})"
        )
    span = rh.SpanReadings(fac, len(idx))
    kinds = rack_power_kinds(rec, ("rack", "sensor", "air_unit"))
    for i in idx:
        span.add(rec.frame(int(i), kinds=kinds))
    inlet, sensor = span.mean("rack", "inlet_c"), span.mean("sensor", "temp_c")
    modelled = "rack/inlet_c" in rec.filled_by_model
    r, here = _read_in_hall(fac, hall, inlet, sensor, modelled)
    start = float(times[0])
    first, last = (rh.clock(times[i] - start) for i in (idx[0], idx[-1]))
    moved = rh.unsteady(span, hall, start)
    if moved:
        raise ValueError(
            f"the hall did not hold steady from {first} to {last}, so its mean readings are "
            f"no steady state to fit: {'; '.join(moved)}. Pick a span where it held, with "
            "--from and --to"
        )
    power = span.mean("rack", "power_w")
    # a fit must beat the readings' rounding: half the coarsest temperature resolution stored
    # (0.1 K in Twin's recordings) is the most rounding moves a reading by
    res = [
        rec.resolution(kind, name)
        for kind, name, used in (("rack", "inlet_c", len(r)), ("sensor", "temp_c", len(here)))
        if used
    ]
    return Targets(
        r,
        inlet[r],
        fac.sensor_position_m[here],
        sensor[here],
        rack_power_w=np.where(np.isfinite(power), power, fac.rack_power_w),
        source=f"{rec.path} {first}-{last}"
        + (" (its rack inlets left out: the airflow model filled them)" if modelled else ""),
        conditions=rh.conditions(span, hall),
        min_gain_k=max([MIN_GAIN_K] + [0.5 * x for x in res]),
    )


def _read_in_hall(fac, hall: int, inlet, sensor, modelled: bool) -> tuple:
    """The hall's racks whose mean inlet was read (none where the model may have filled them)
    and its point sensors that read, or ValueError where neither did."""
    here = np.flatnonzero(np.isfinite(sensor) & (fac.sensor_hall == hall))
    r = np.flatnonzero(np.isfinite(inlet) & (fac.rack_hall == hall) & (not modelled))
    if not len(r) and not len(here):
        raise ValueError(
            MODELLED_INLETS_NOTE
            if modelled
            else "the recording holds no rack inlet or point sensor temperature in that span"
        )
    return r, here


def targets_from_source(
    fac, hall: int, cell_m: float, path, reader, field: str | None = None
) -> Targets:
    """The targets a CFD source gives (a stored reference's racks and planes, or a case's or
    file's temperature ``field`` on Twin's grid at ``cell_m``; ``reader`` reads foreign
    files, as ``source.load_field`` takes it). A field out of the hall's place or in other
    units is refused: a fit would tune the model to a room that is not this hall."""
    from pathlib import Path

    from twin.cfd import reference
    from twin.cfd.source import load_field
    from twin.physics.grid import build_grid

    path = Path(path)
    if path.suffix == ".json":
        ref = reference.load_for(path, fac.layout.name)
        return targets_from_reference(fac, ref, source=str(path))
    grid = build_grid(fac, hall, cell_m)
    cfd = load_field(path, fac, grid, reader, field)
    wrong = "; ".join(n for n in (cfd.placement, cfd.cold_air) if n)
    if wrong:
        raise ValueError(f"{path}: not calibrated to: {wrong}")
    return targets_from_field(
        fac, grid, cfd.air_c, source=str(path), rack_mean_c=cfd.figures(grid)[0]
    )


def provenance(f: Fit, t: Targets, cell_m: float, source: str = "") -> dict:
    """What a layout's ``physics.calibration`` keeps of a fit: its source, when, how many
    samples, and the RMS before and after (the racks', or the points' where the source held
    no rack inlets: a recording of point sensors only)."""
    import datetime as dt

    key = "rack_rms_k" if len(t.rack_c) else "point_rms_k"
    return {
        "source": t.source or source,
        "fitted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "samples": t.n,
        "rms_before_k": round(f.before[key], 3),
        "rms_after_k": round(f.after[key], 3),
        "cell_m": cell_m,
    }


def stored_params(p: PhysicsParams) -> dict:
    """The parameters as a layout's ``physics:`` block holds them (four decimals: the fit's
    own tolerance is coarser)."""
    return {
        "eddy_viscosity_scale": round(p.eddy_viscosity_scale, 4),
        "turbulent_prandtl": round(p.turbulent_prandtl, 4),
    }
