"""``twin validate LAYOUT...``: check layouts and say exactly what is wrong and where."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check one or more layout files")
    p.add_argument("layouts", nargs="+", metavar="LAYOUT")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.add_argument(
        "--design",
        action="store_true",
        help="also run the design checks (clearance, aisle orientation, power and cooling "
        "after any single failure, floor load); design errors fail the command",
    )
    p.add_argument(
        "--thermal",
        action="store_true",
        help="with --design: also solve each hall's airflow and heat and check rack inlets "
        "(ASHRAE A1), air-unit capacity, GPUs at slowdown and, for N+1/2N halls, the loss of "
        "each air unit",
    )
    p.add_argument(
        "--cell",
        type=float,
        default=0.25,
        metavar="M",
        help="thermal grid cell (0.25 m; 0.05-1 m)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from twin.commands.argtypes import OptionError, cell, refuse
    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout

    if args.thermal and not args.design:
        print("twin validate: --thermal goes with --design", file=sys.stderr)
        return 2
    try:
        cell("--cell", args.cell)  # --cell nan was a GridError traceback mid-solve
    except OptionError as exc:
        return refuse("validate", exc)
    status = 0
    for path in args.layouts:
        try:
            fac = load_layout(path)
        except LayoutError as exc:
            status = 2
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        problem = _grid_problem(fac, args.cell) if args.thermal else None
        if problem:  # a cell too fine for this layout's halls: refused before any solve
            print(f"twin validate: {path}: --cell {args.cell:g}: {problem}", file=sys.stderr)
            status = 2
            continue
        if args.design:
            status = max(status, _design(fac, path, args))
        if not args.quiet:
            print(
                f"{path}: ok: {fac.layout.name!r}: {len(fac.hall_ids)} hall(s), {fac.n_racks} racks, "
                f"{fac.n_gpus} GPUs, {fac.rack_power_w.sum() / 1e3:,.0f} kW nominal, "
                f"{len(fac.air_unit_ids)} air units, {len(fac.cdu_ids)} CDUs, {len(fac.power_ids)} power devices"
            )
    return status


def _design(fac, path: str, args: argparse.Namespace) -> int:
    """Print the design checks' findings (and the thermal ones with ``--thermal``); 1 when
    any is an error, else 0."""
    import sys

    from twin.model.constraints import ConstraintChecker
    from twin.model.yamlpos import lines_of

    found = ConstraintChecker(fac).problems
    if args.thermal:
        found = found + _thermal(fac, args.cell)
    lines = lines_of(fac.source_text or "", [_loc(v.field) for v in found])
    for v, line in zip(found, lines, strict=True):
        where = f"{path}:{line}" if line else path
        print(f"{where}: {v.field}: {v.severity}: {v.message}", file=sys.stderr)
    return 1 if any(v.severity == "error" for v in found) else 0


def _grid_problem(fac, cell_m: float) -> str | None:
    """Why a hall of this layout cannot be solved at ``cell_m`` (too many cells, too much
    memory), found before any solve; None when every hall can."""
    import numpy as np

    from twin.physics.cells import cell_problem

    for hall in np.unique(fac.rack_hall):
        problem = cell_problem(fac, int(hall), cell_m)
        if problem:
            return problem
    return None


def _thermal(fac, cell_m: float) -> list:
    """Thermal design rules of every hall that has racks (one steady solve per hall, plus one
    per air unit for N+1/2N halls)."""
    import numpy as np

    from twin.physics import ThermalError, ThermalModel
    from twin.physics.thermal_checks import (
        solve_failure,
        thermal_violations,
        unit_loss_violations,
    )

    found = []
    for hall in np.unique(fac.rack_hall):
        model = ThermalModel(fac, int(hall), cell_m)
        try:
            res = model.solve()
        except ThermalError as exc:  # no air supply: the hall's one error, not a traceback
            found.append(solve_failure(fac, int(hall), exc))
            continue
        found += thermal_violations(fac, res)
        found += unit_loss_violations(fac, model)
    return found


def _loc(field: str) -> tuple:
    """``rows[0].racks[3].position_m`` -> ``('rows', 0, 'racks', 3, 'position_m')``."""
    import re

    return tuple(
        int(tok[1:-1]) if tok.startswith("[") else tok
        for tok in re.findall(r"\[\d+\]|[^.\[\]]+", field)
    )
