"""``twin cfd case``: the OpenFOAM case of a layout's hall, written as the validation suite's
cases are (``twin.cfd.foam_case``), and with ``--run`` run by OpenFOAM until it settles or
reaches its iteration limit (``twin.cfd.foam_run``).

Why: checking Twin against a CFD of one's own hall otherwise needs the hall drawn again in a
CFD tool, where its racks, tiles and ports never quite match the layout's. This case is
meshed from Twin's own grid, so `twin cfd compare` and `twin cfd calibrate` then measure the
air model, not two geometries."""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from pathlib import Path

#: Defaults as `make validate-cfd` runs its rooms (0.2 m is its mesh check's cell).
DEFAULT_CELL_M = 0.2
DEFAULT_MAX_ITER = 4000
#: Fewest iterations a run may be given: the first-order start-up and two settling windows
#: (``foam_run.MIN_IT``), before which convergence is not judged.
MIN_MAX_ITER = 800


def _iterations(text: str) -> int:
    """A whole number of iterations no smaller than ``MIN_MAX_ITER`` (argparse type)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of iterations: {text!r}") from None
    if n < MIN_MAX_ITER:
        raise argparse.ArgumentTypeError(
            f"{n} iterations: a run is judged from iteration {MIN_MAX_ITER} on "
            f"(the start-up and two settling windows), so give at least {MIN_MAX_ITER}"
        )
    return n


def _cell(text: str) -> float:
    """A finite number of metres (argparse type; its range is the grid's to judge)."""
    try:
        cell_m = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a cell size in metres: {text!r}") from None
    if not math.isfinite(cell_m):
        raise argparse.ArgumentTypeError(f"not a cell size in metres: {text!r}")
    return cell_m


def register(cs: argparse._SubParsersAction) -> None:
    """Add ``case`` to ``twin cfd``'s actions."""
    from twin.cfd.turbulence import TURBULENCE_MODELS

    k = cs.add_parser(
        "case",
        help="write the OpenFOAM case of a hall (meshed from Twin's grid: the same racks, "
        "tiles and ports) and, with --run, run it with OpenFOAM",
    )
    k.add_argument("layout", metavar="LAYOUT")
    k.add_argument("case", metavar="CASE_DIR", help="where to write the case (a new directory)")
    k.add_argument("--hall", default="0", help="hall id or index (first hall by default)")
    k.add_argument(
        "--cell",
        type=_cell,
        default=DEFAULT_CELL_M,
        metavar="M",
        help=f"the CFD's cell ({DEFAULT_CELL_M}; the suite's references use 0.15)",
    )
    k.add_argument(
        "--turbulence",
        choices=TURBULENCE_MODELS,
        default=TURBULENCE_MODELS[0],
        help=f"RANS model ({TURBULENCE_MODELS[0]})",
    )
    k.add_argument(
        "--max-iter",
        type=_iterations,
        default=DEFAULT_MAX_ITER,
        metavar="N",
        help=f"iteration limit of a run that does not settle ({DEFAULT_MAX_ITER}; the even "
        "draw then runs at most 1,500 more from its field)",
    )
    k.add_argument(
        "--outflow",
        choices=("even", "extrapolated"),
        default=None,
        help="how air leaves through rack fronts, unit intakes and grilles in a --run: "
        "'even' (the default, as the validation references: drawn evenly over each face, "
        "continued from a run of 'extrapolated', the only draw a run can start from rest)",
    )
    k.add_argument(
        "--run",
        action="store_true",
        help="run it (buoyantBoussinesqSimpleFoam, Debian's openfoam package) until the "
        "rack inlets settle and the heat balances, or the iteration limit",
    )
    k.add_argument(
        "--force", action="store_true", help="replace CASE_DIR when it exists and is not empty"
    )
    k.set_defaults(func=run_case)


def solver_available() -> bool:
    """Whether OpenFOAM's solver can be started here (on the PATH, or Debian's install)."""
    from twin.cfd import foam_run

    return shutil.which(foam_run.SOLVER) is not None or Path(foam_run.FOAM_BASHRC).exists()


def run_case(args) -> int:
    from twin.cfd.case_dir import describe, refuse_existing, write_whole
    from twin.cfd.foam_even import EVEN_IT
    from twin.commands.cfd_hall import hall_index
    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout

    case = Path(args.case)
    refused = refuse_existing(case, args.force, "give a new directory, or --force to replace it")
    if refused:
        print(f"twin cfd case: {refused}", file=sys.stderr)
        return 2
    if args.outflow == "even" and not args.run:
        print(
            "twin cfd case: an even draw diverges from air at rest: --run starts it from an "
            "extrapolated run's field (the case written without --run is extrapolated)",
            file=sys.stderr,
        )
        return 2
    if args.run and not solver_available():
        print(
            "twin cfd case: --run needs OpenFOAM's buoyantBoussinesqSimpleFoam "
            "(Debian: apt-get install -y openfoam); nothing written",
            file=sys.stderr,
        )
        return 2
    # with --run and the even draw, the case is the even-draw run's, continued from a seed
    even = args.run and args.outflow != "extrapolated"
    try:
        fac = load_layout(args.layout)
        hall = hall_index(fac, args.hall)
        desc = write_whole(
            fac,
            hall,
            case,
            args.cell,
            max_iter=EVEN_IT if even else args.max_iter,
            turbulence=args.turbulence,
            outflow="even" if even else "extrapolated",
        )
    except (LayoutError, ValueError, OSError) as e:
        print(f"twin cfd case: {e}", file=sys.stderr)
        return 1
    print(describe(desc, case))
    from twin.cfd.foam_run import cpu_estimate_text

    # --run (and the run suggested without it): the seed's iterations, then the even draw's
    runs = args.max_iter + (EVEN_IT if even or not args.run else 0)
    print(cpu_estimate_text(desc["n_cells"], runs))
    compare = f"twin cfd compare {args.layout} {case}"
    if not args.run:
        from twin.cfd.foam_run import STARTUP_IT

        print(
            f"run it with --run (its first {STARTUP_IT} iterations first-order, then the "
            f"even draw from its field, as the validation rooms' runs), then: {compare}"
        )
        return 0
    return _run(fac, hall, case, desc, args, compare)


def _run(fac, hall: int, case: Path, written: dict, args, compare: str) -> int:
    """Run the case (``foam_even``: the even draw from an extrapolated run's field unless
    ``--outflow extrapolated``) to convergence or its limit; print how it ended and what to
    do next."""
    import json
    import tempfile

    from twin.cfd import foam_even

    opts = {"hall": hall, "log": print, "poll_s": POLL_S, "nice": 10, "written": written}
    even = args.outflow != "extrapolated"
    seed_dir = (
        Path(tempfile.mkdtemp(prefix=f".{case.name}.seed-", dir=case.parent)) if even else None
    )
    try:
        if even:  # the seed runs beside and is removed after: only its field is needed
            info = foam_even.run_even(
                fac,
                case,
                seed_dir / f"{case.name}-seed",
                args.cell,
                args.max_iter,
                args.turbulence,
                **opts,
            )
        else:
            info = foam_even.write_and_run(
                fac, case, args.cell, args.max_iter, args.turbulence, "extrapolated", **opts
            )
    except KeyboardInterrupt:
        print(f"twin cfd case: stopped; {case} keeps the fields last written", file=sys.stderr)
        return 130
    except (RuntimeError, ValueError) as e:
        hint = " (another --cell may run: the validation rooms run at 0.15 and 0.2 m)"
        print(f"twin cfd case: {e}{hint if 'diverged' in str(e) else ''}", file=sys.stderr)
        return 1
    finally:
        if seed_dir is not None:
            shutil.rmtree(seed_dir, ignore_errors=True)
    (case / "run.json").write_text(json.dumps(info, indent=1))
    print(ending(case, info, compare))
    return 0


#: How often a run's monitors are read (its progress printed, its convergence judged).
POLL_S = 2.0


def ending(case: Path, info: dict, compare: str) -> str:
    """How a run ended, and the comparison to run next."""
    from twin.cfd.foam_case import WINDOW_IT

    seed = info.get("seed")
    draw = (
        f" of the even draw, continued from an extrapolated run that "
        f"{'settled' if seed['converged'] else 'stopped'} at {seed['iterations']}"
        if seed
        else ""
    )
    cpu = f"{info['cpu_s']:.0f} s of CPU"
    if info["converged"]:
        return (
            f"{case}: settled at iteration {info['iterations']}{draw} (rack inlets within "
            f"{info['swing_k']:.3f} K over the last {WINDOW_IT} iterations, heat balance "
            f"{100 * info['balance']:.2f} %), {cpu}; compare: {compare}"
        )
    return (
        f"{case}: did not settle in {info['iterations']} iterations{draw} (rack inlets swing "
        f"by up to {info['swing_k']:.2f} K over the last {WINDOW_IT}, heat balance "
        f"{100 * info['balance']:.2f} %), {cpu}; compare its running mean: {compare} "
        "--field TMean"
    )
