"""Run a hall's OpenFOAM case the way the validation references were run, for any layout:
``twin cfd case --run`` and ``tests/validation/run_cfd.py`` both go through here.

The references draw the air out of rack fronts, unit intakes and grilles evenly over each
face (``foam_case.OUTFLOW_MODES`` "even"). That condition diverges from a field at rest, so
the hall is run first with the extrapolated draw (the seed), and the even-draw case continues
from the seed's last field for ``EVEN_IT`` iterations; its CPU time is both runs'. Run with
the extrapolated draw alone, a rack's face mean and the air it takes in differ by up to 3 K
at the row ends (``foam_case``), so a CFD that is to be held against Twin's published
accuracy is run this way. A start-up that diverges, or a seeded run that does, is written and
run once more with the gentle start-up (``foam_case.GENTLE_START``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from twin.cfd import foam_case, foam_read, foam_run

#: Iterations an even-draw run continues from its extrapolated seed (the perimeter room's
#: racks settled within 0.2 K over its last 1,000 of 1,500).
EVEN_IT = 1500

Log = Callable[[str], None]


def diverged_in_startup(case: Path) -> bool:
    """Whether the solver in ``case`` stopped before the start-up's last iteration."""
    return max((t for t, _ in foam_read.time_dirs(case)), default=0) < foam_run.STARTUP_IT


def _refused(case: Path) -> bool:
    """Whether OpenFOAM refused the case (a FATAL ERROR: a file missing or malformed) rather
    than its solution diverging: a gentler start-up does not change that."""
    return foam_run.fatal_error(case / "log.solver").startswith("FOAM FATAL")


def write_and_run(
    fac,
    case: Path,
    cell_m: float,
    max_iter: int,
    turbulence: str = "kEpsilon",
    outflow: str = "extrapolated",
    seed: Path | None = None,
    hall: int = 0,
    log: Log = print,
    poll_s: float = 15.0,
    nice: int = 19,
    written: dict | None = None,
) -> dict:
    """Write the case and run it (from ``seed``'s last field when given); once more with
    the gentle start-up when its start-up, or a seeded run, diverges. ``written``: the
    description of the case as already written at ``case`` with these options (its first
    run takes it as it is). Returns the run's figures (``foam_run.run``) with
    ``gentle_start`` saying which ran."""
    case = Path(case)
    for gentle in (False, True):
        if gentle or written is None:
            if case.exists():
                shutil.rmtree(case)
            written = foam_case.write_case(
                fac,
                case,
                hall=hall,
                cell_m=cell_m,
                max_iter=max_iter,
                turbulence=turbulence,
                gentle_start=gentle,
                outflow=outflow,
            )
        desc = written
        if seed is not None:
            at = foam_run.seed_from(case, seed, start_up=gentle)
            log(f"{case.name}: even draw from its seed's iteration {at}")
        else:
            log(f"{case.name}: {desc['n_cells']} cells, {len(desc['patches'])} ports")
        try:
            info = foam_run.run(case, desc, poll_s=poll_s, nice=nice, log=log)
            break
        except RuntimeError as e:
            if gentle:
                raise RuntimeError(f"{e}; also with the gentle start-up") from e
            if (seed is None and not diverged_in_startup(case)) or _refused(case):
                raise
            log(f"{case.name}: {e}; again with the gentle start-up")
    info["gentle_start"] = gentle
    return info


def run_even(
    fac,
    case: Path,
    seed: Path,
    cell_m: float,
    max_iter: int,
    turbulence: str = "kEpsilon",
    hall: int = 0,
    log: Log = print,
    poll_s: float = 15.0,
    nice: int = 19,
    even_it: int = EVEN_IT,
    written: dict | None = None,
) -> dict:
    """The even-draw run of the hall in ``case``, continued from the extrapolated run at
    ``seed``: one that has finished (its ``run.json``) is used as it is, else it is run
    first (up to ``max_iter``; beside ``seed`` and moved into place when done, so that a
    half-run seed is never taken for a finished one). The figures are the even run's, with
    both runs' CPU time and the seed's own under ``seed``. ``written``: the even-draw case
    as already written at ``case`` (``even_it`` iterations; ``write_and_run``)."""
    case, seed = Path(case), Path(seed)
    if not (seed / "run.json").exists():
        running = seed.with_name(seed.name + ".running")
        info = write_and_run(
            fac, running, cell_m, max_iter, turbulence, "extrapolated", None, hall, log,
            poll_s, nice,
        )  # fmt: skip
        (running / "run.json").write_text(json.dumps(info, indent=1))
        shutil.rmtree(seed, ignore_errors=True)
        running.rename(seed)
    first = json.loads((seed / "run.json").read_text())
    info = write_and_run(
        fac, case, cell_m, even_it, turbulence, "even", seed, hall, log, poll_s, nice, written
    )
    info["seed"] = {k: first.get(k) for k in ("converged", "iterations", "cpu_s", "gentle_start")}
    info["cpu_s"] = first["cpu_s"] + info["cpu_s"]
    return info
