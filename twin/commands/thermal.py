"""``twin thermal LAYOUT``: steady airflow and temperatures of one hall at nominal loads."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "thermal", help="solve a hall's steady airflow and temperatures at nominal load"
    )
    p.add_argument("layout", metavar="LAYOUT")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--cell",
        type=float,
        default=None,
        metavar="M",
        help="grid cell size in metres (default: 0.2, coarser for a hall over 1 M cells)",
    )
    p.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="UNIT_ID",
        help="treat this air unit as failed (repeatable)",
    )
    p.add_argument("--hall", default="0", help="hall id or index (first hall by default)")
    p.add_argument(
        "--all",
        action="store_true",
        help="solve every hall, in parallel processes, on a coarse grid first",
    )
    p.add_argument(
        "--coarse",
        type=float,
        default=None,
        metavar="M",
        help="with --all: cell of the first pass (0.4); halls as coarse skip it",
    )
    p.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="with --all: worker processes (cores)"
    )
    p.set_defaults(func=run)


def _num(x: float, nd: int = 3) -> float | None:
    from twin.model.units import finite_or_none

    return finite_or_none(x, nd)


def result_dict(fac, res) -> dict:
    """The JSON object ``twin thermal --json`` prints."""
    import numpy as np

    racks = []
    for r in res.grid.rack_ids:
        racks.append(
            {
                "id": fac.rack_ids[r],
                "power_kw": _num(res.rack_power_w[r] / 1e3),
                "airflow_m3s": _num(res.rack_airflow_m3s[r], 4),
                "inlet_mean_c": _num(res.rack_inlet_mean_c[r], 2),
                "inlet_max_c": _num(res.rack_inlet_max_c[r], 2),
                "exhaust_mean_c": _num(res.rack_exhaust_c[r], 2),
            }
        )
    units = []
    for a in res.grid.unit_ids:
        units.append(
            {
                "id": fac.air_unit_ids[a],
                "supply_c": _num(res.air_unit_supply_c[a], 2),
                "return_c": _num(res.air_unit_return_c[a], 2),
                "load_kw": _num(res.air_unit_load_w[a] / 1e3),
                "capacity_kw": _num(res.air_unit_capacity_w[a] / 1e3),
            }
        )
    cdus = np.flatnonzero(fac.cdu_hall == res.grid.hall)
    return {
        "hall": fac.hall_ids[res.grid.hall],
        "racks": racks,
        "return_mean_c": _num(res.return_mean_c, 2),
        "supply_mean_c": _num(res.supply_mean_c, 2),
        "balance": {
            "heat_in_kw": _num(res.heat_in_w / 1e3),
            "heat_out_kw": _num(res.heat_out_w / 1e3),
            "heat_stored_kw": _num(res.heat_stored_w / 1e3),
            "error": _num(res.energy_error, 8),
            "mass_error": _num(res.mass_error, 10),
        },
        "metrics": {k: _num(v, 4) for k, v in res.metrics.items()},
        "air_units": units,
        "cdus": [
            {
                "id": fac.cdu_ids[c],
                "load_kw": _num(res.cdu_load_w[c] / 1e3),
                "capacity_kw": _num(fac.cdu_capacity_w[c] / 1e3),
                "supply_c": _num(res.cdu_supply_c[c], 2),
                "return_c": _num(res.cdu_return_c[c], 2),
            }
            for c in cdus
        ],
        "gpus": _gpus(fac, res),
        **_overload(fac, res),
        "grid": _grid(res),
        "physics": _physics(fac),
        "march_change_k": _num(res.march_change_k, 3),
        **_airless(fac, res),
        "seconds": _num(res.seconds, 3),
    }


def _overload(fac, res) -> dict:
    """Whether the hall has no steady state for want of capacity, and what to say of it."""
    from twin.physics.results import overload_note

    return {"overloaded": bool(res.overloaded), "overload_note": overload_note(fac, res)}


def _airless(fac, res) -> dict:
    """The racks that move no air (``results.racks_without_air``), and what to say of them."""
    from twin.physics.results import airless_note, racks_without_air

    note = airless_note(fac, res)
    return {
        "racks_without_air": [fac.rack_ids[i] for i in racks_without_air(fac, res)],
        "notes": [note] if note else [],
    }


def _physics(fac) -> dict:
    """The model's parameters, and where they came from (``calibration``: None where they
    are the published defaults or set by hand)."""
    from twin.physics.params import PhysicsParams, provenance_line

    p = PhysicsParams.of(fac.layout)
    ph = fac.layout.physics
    cal = ph.calibration if ph is not None else None
    return {
        "eddy_viscosity_scale": p.eddy_viscosity_scale,
        "turbulent_prandtl": p.turbulent_prandtl,
        "calibration": cal.model_dump() if cal is not None else None,
        "note": provenance_line(fac.layout),
    }


def _grid(res) -> dict:
    """The grid's figures, and a note where the cell does not nest in the momentum grid."""
    from twin.physics.cells import momentum_note

    return {
        "shape": list(res.grid.shape),
        "cell_m": res.grid.cell_m,
        "momentum_cell_m": res.flow_cell_m,
        "note": momentum_note(res.grid.cell_m, res.flow_cell_m),
    }


def _gpus(fac, res) -> dict:
    """Hottest GPU of the hall and how many throttle."""
    import numpy as np

    sel = np.flatnonzero(fac.gpu_hall == res.grid.hall)
    if len(sel) == 0:
        return {"count": 0, "max_c": None, "hottest": None, "throttled": 0}
    k = sel[int(np.nanargmax(res.gpu_temp_c[sel]))]
    return {
        "count": int(len(sel)),
        "max_c": _num(res.gpu_temp_c[k], 2),
        "hottest": fac.gpu_label(int(k)),
        "throttled": int(res.gpu_throttled[sel].sum()),
    }


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from twin.commands.argtypes import OptionError, refuse
    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout
    from twin.physics import GridError, ThermalError, choose_cell_m, solve_steady

    try:
        check_options(args)
    except OptionError as exc:
        return refuse("thermal", exc)
    try:
        fac = load_layout(args.layout)
    except LayoutError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"twin thermal: {exc}", file=sys.stderr)
        return 1
    if args.all:
        return _run_all(args, fac)
    hall = fac.hall_index.get(args.hall)
    if hall is None:
        if args.hall.isdigit() and int(args.hall) < len(fac.hall_ids):
            hall = int(args.hall)
        else:
            print(
                f"twin thermal: no hall {args.hall!r} (halls: {', '.join(fac.hall_ids)})",
                file=sys.stderr,
            )
            return 2
    cell = args.cell if args.cell is not None else choose_cell_m(fac, hall)
    try:
        check_layout_options(args, fac, [(hall, cell, "--cell")])
    except OptionError as exc:
        return refuse("thermal", exc)
    try:
        res = solve_steady(fac, hall=hall, cell_m=cell, failed=args.fail)
    except (GridError, ThermalError, ValueError) as exc:
        print(f"twin thermal: {exc}", file=sys.stderr)
        return 1
    data = result_dict(fac, res)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    _print_table(data)
    return 0


def check_options(args: argparse.Namespace) -> None:
    """Refuse, before the layout is read, a cell that is no grid's (``--cell nan`` exited 1
    like a failed solve; ``--coarse nan`` skipped the first pass without a word), fewer than
    one worker, and an ``--all`` option without ``--all``. Raises ``OptionError``."""
    from twin.commands import argtypes

    argtypes.cell("--cell", args.cell)
    for option, value in (("--coarse", args.coarse), ("--jobs", args.jobs)):
        if value is not None and not args.all:
            raise argtypes.OptionError(f"{option} goes with --all")
    argtypes.cell("--coarse", args.coarse)
    argtypes.workers("--jobs", args.jobs)


def check_layout_options(args: argparse.Namespace, fac, grids) -> None:
    """What the options ask of this layout: the units to fail exist, and each ``(hall, cell,
    option)`` of ``grids`` can be built (not too many cells, not more memory than a solve
    may take). Raises ``OptionError`` naming the option."""
    from twin.commands.argtypes import OptionError
    from twin.physics.cells import cell_problem

    unknown = sorted(set(args.fail) - set(fac.air_unit_ids) - set(fac.cdu_ids))
    if unknown:
        raise OptionError(f"--fail: no air unit or CDU {', '.join(unknown)} in the layout")
    for hall, cell, option in grids:
        problem = cell_problem(fac, hall, cell)
        if problem is not None:
            raise OptionError(f"{option} {cell:g}: {problem}")


def _print_table(d: dict) -> None:
    def f(x, fmt="{:7.1f}"):
        return "    n/a" if x is None else fmt.format(x)

    print(
        f"hall {d['hall']}: grid {d['grid']['shape']} at {d['grid']['cell_m']} m, "
        f"{d['seconds']:.2f} s"
    )
    if d["grid"]["note"]:
        print(f"note: {d['grid']['note']}")
    _print_model_notes(d)
    print(f"{'rack':16s} {'kW':>7s} {'m3/s':>7s} {'inlet':>7s} {'in max':>7s} {'exhaust':>7s}  A1")
    airless = set(d["racks_without_air"])
    for r in d["racks"]:
        cls = "no air" if r["id"] in airless else ""
        if r["inlet_max_c"] is not None:
            t = r["inlet_max_c"]
            cls = "ok" if 18 <= t <= 27 else ("allowable" if 15 <= t <= 32 else "OUTSIDE")
        print(
            f"{r['id']:16s} {f(r['power_kw'])} {f(r['airflow_m3s'], '{:7.3f}')} "
            f"{f(r['inlet_mean_c'])} {f(r['inlet_max_c'])} {f(r['exhaust_mean_c'])}  {cls}"
        )
    for u in d["air_units"]:
        print(
            f"air unit {u['id']}: supply {f(u['supply_c'])} C, return {f(u['return_c'])} C, "
            f"load {f(u['load_kw'])} of {f(u['capacity_kw'])} kW"
        )
    for c in d["cdus"]:
        print(
            f"CDU {c['id']}: load {f(c['load_kw'])} of {f(c['capacity_kw'])} kW, "
            f"supply {f(c['supply_c'])} C, return {f(c['return_c'])} C"
        )
    g = d["gpus"]
    if g["count"]:
        print(
            f"{g['count']} GPUs: hottest {g['hottest']} at {f(g['max_c'])} C, "
            f"{g['throttled']} throttling"
        )
    b, m = d["balance"], d["metrics"]
    # the error is relative to the heat in, or to 1 W in a hall without heat: then it is
    # watts, and a share would read as a fault
    error = f"error {b['error']:.2e}" if b["heat_in_kw"] >= 1e-3 else f"no heat: {b['error']:.2g} W"
    print(
        f"supply {f(d['supply_mean_c'])} C, return {f(d['return_mean_c'])} C; heat in "
        f"{b['heat_in_kw'] + 0.0:.1f} kW, out {round(b['heat_out_kw'], 1) + 0.0:.1f} kW ({error})"
    )
    print(
        "RCI_HI {} %  RCI_LO {} %  RTI {} %  SHI {}  RHI {}".format(
            f(m["rci_hi"]),
            f(m["rci_lo"]),
            f(m["rti"]),
            f(m["shi"], "{:.3f}"),
            f(m["rhi"], "{:.3f}"),
        )
    )
    if d["overload_note"]:
        print(f"WARNING: {d['overload_note']}")


def _print_model_notes(d: dict) -> None:
    """Where the model's parameters came from, and whether its air had settled."""
    from twin.physics.model import unsettled_note

    if d["physics"]["note"]:
        print(d["physics"]["note"])
    unsettled = unsettled_note(d["march_change_k"])
    if unsettled:
        print(f"note: {unsettled}")
    for note in d["notes"]:
        print(f"note: {note}")


def _run_all(args: argparse.Namespace, fac) -> int:
    """Every hall, coarse pass first; one line per hall as it finishes, then the site."""
    import json
    import sys
    import time

    from twin.commands.argtypes import OptionError, refuse
    from twin.physics.factory import COARSE_CELL_M, RETRIED_NOTE, plan, solve_halls

    coarse = COARSE_CELL_M if args.coarse is None else args.coarse
    jobs = plan(fac, args.cell, coarse, args.fail)
    try:
        _check_plan(args, fac, jobs)
    except OptionError as exc:
        return refuse("thermal", exc)
    t0 = time.perf_counter()
    passes: dict[str, list] = {}
    failed: dict[str, list] = {}
    for done in solve_halls(args.layout, jobs, result_dict, args.jobs):
        if done.error:
            failed.setdefault(done.job.stage, []).append(
                {"hall": done.hall_id, "error": done.error, "retried_alone": done.retried}
            )
            # each pass that failed, named by its cell (a coarse and a fine pass can both
            # fail alike); the error names the hall already where it comes from the solve
            named = f"hall {done.hall_id} "
            why = done.error.removeprefix(named) if done.error.startswith(named) else None
            where = f"hall {done.hall_id} at {done.job.cell_m:g} m"
            said = f"{where} {why}" if why else f"{where}: {done.error}"
            print(f"twin thermal: {said}", file=sys.stderr)
            continue
        done.summary["retried_alone"] = done.retried
        passes.setdefault(done.job.stage, []).append(done.summary)
        if not args.json:
            print(hall_line(done.summary), flush=True)
            if done.retried:
                print(f"note: hall {done.hall_id}: {RETRIED_NOTE}", flush=True)
    seconds = time.perf_counter() - t0
    order = fac.hall_index.__getitem__
    out = [
        {
            "stage": stage,
            "halls": sorted(passes.get(stage, []), key=lambda d: order(d["hall"])),
            "failed": sorted(failed.get(stage, []), key=lambda d: order(d["hall"])),
        }
        for stage in ("coarse", "fine")
        if stage in passes or stage in failed
    ]
    if args.json:
        print(json.dumps({"passes": out, "seconds": round(seconds, 3)}, indent=2))
    elif out:
        print(site_line(out[-1]["halls"], seconds, len(out[-1]["failed"])))
    return 1 if failed else 0


def _check_plan(args: argparse.Namespace, fac, jobs) -> None:
    """The plan's grids can all be built, and a ``--coarse`` given has a hall to pass over
    first (one as fine as every hall's cell was skipped without a word). Raises
    ``OptionError``."""
    from twin.commands.argtypes import OptionError

    stages = {"coarse": "--coarse", "fine": "--cell"}
    check_layout_options(args, fac, [(j.hall, j.cell_m, stages[j.stage]) for j in jobs])
    if args.coarse is not None and len(fac.hall_ids) and not any(j.stage == "coarse" for j in jobs):
        finest = min(j.cell_m for j in jobs)
        raise OptionError(
            f"no hall's cell is finer than --coarse {args.coarse:g} m (the finest is "
            f"{finest:g} m): no first pass would run; give a coarser --coarse or drop it"
        )


def _inlets(d: dict) -> list[float]:
    return [r["inlet_max_c"] for r in d["racks"] if r["inlet_max_c"] is not None]


def _outside_a1(inlets_c: list[float]) -> int:
    """How many of these inlets lie outside ASHRAE A1's allowable band."""
    from twin.physics.metrics import ashrae_a1

    return int((ashrae_a1(inlets_c) == 2).sum())


def hall_line(d: dict) -> str:
    """One hall's result in a line: hottest inlet, racks outside A1 allowable, RCI_HI; and
    whether its air had not settled, or has no steady state at all."""
    t = _inlets(d)
    hot = max(t) if t else float("nan")
    outside = _outside_a1(t)
    from twin.physics.model import UNSETTLED_K

    change = d.get("march_change_k")
    unsettled = f", air unsettled ({change:.1f} K)" if change and change >= UNSETTLED_K else ""
    if d.get("overloaded"):  # its figures hold the units' set supply (``overload_note``)
        unsettled += ", NO STEADY STATE: its air units cannot remove its heat"
    return (
        f"hall {d['hall']:6s} at {d['grid']['cell_m']} m: {len(d['racks'])} racks, hottest "
        f"inlet {hot:5.1f} C, {outside} outside A1 allowable, RCI_HI {d['metrics']['rci_hi']:5.1f} "
        f"%, heat {d['balance']['heat_in_kw'] / 1e3:.2f} MW, {d['seconds']:.1f} s{unsettled}"
    )


def site_line(halls: list[dict], seconds: float, failed: int = 0) -> str:
    """The whole site at the finest pass (``failed`` halls of it had no answer)."""
    t = [x for d in halls for x in _inlets(d)]
    outside = _outside_a1(t)
    heat_mw = sum(d["balance"]["heat_in_kw"] for d in halls) / 1e3
    count = (
        f"{len(halls)} of {len(halls) + failed} halls ({failed} failed, said above)"
        if failed
        else f"{len(halls)} halls"
    )
    hottest = f"{max(t):.1f} C" if t else "n/a"  # no hall solved: no inlet to name
    return (
        f"site: {count}, {len(t)} racks, hottest inlet {hottest}, {outside} outside A1 "
        f"allowable, air-side heat {heat_mw:.2f} MW; {seconds:.1f} s wall"
    )
