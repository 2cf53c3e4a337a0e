"""Every hall of a site solved at once: one worker process per core, a coarse grid first.

A factory's halls share no air, so each is an independent steady solve. The solvers are
single-threaded sparse work (see ``threads``), so processes, not threads, use the cores.
Every worker loads the layout once and then solves the halls it is handed, one at a time
(``twin.worker_pool``: a worker that dies, as to the out-of-memory killer at factory scale,
fails only its hall); each result is reduced in the worker by ``summarise`` (a picklable
top-level function of ``(facility, result)``), so only small summaries cross process
boundaries. All halls are solved on the
coarse grid before any on the fine one: a whole-site answer arrives early and the fine pass
refines it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

#: cell of the first, whole-site pass (m): ~8x fewer cells than the 0.2 m default
COARSE_CELL_M = 0.4
#: what a hall's answer adds when its worker was killed beside the others (the system's
#: out-of-memory killer) and it was solved again alone
RETRIED_NOTE = "solved again alone: its worker was killed while others ran, as when memory runs out"

_FACILITY = None


@dataclass(frozen=True)
class HallJob:
    """One hall at one cell size."""

    hall: int
    cell_m: float
    failed: tuple[str, ...] = ()
    stage: str = "fine"  # or "coarse": the first, whole-site pass
    #: the hall's id (what a job that lost its worker is reported under)
    hall_id: str = ""


@dataclass
class HallDone:
    """A finished job: its summary, or the error message that stopped it."""

    job: HallJob
    hall_id: str
    summary: Any = None
    error: str | None = None
    #: its worker was killed while others ran, and it was solved again alone
    retried: bool = False


def _load(layout_path: str) -> None:
    global _FACILITY
    from twin.model.loader import load_layout

    _FACILITY = load_layout(layout_path)


def _solve(job: HallJob, summarise: Callable[[Any, Any], Any]) -> tuple[str, Any, str | None]:
    from twin.physics import GridError, ThermalError, solve_steady

    fac = _FACILITY
    hid = fac.hall_ids[job.hall]
    failed = [u for u in job.failed if fac.air_unit_hall[fac.air_unit_index[u]] == job.hall]
    try:
        res = solve_steady(fac, hall=job.hall, cell_m=job.cell_m, failed=failed)
    except (GridError, ThermalError, ValueError) as exc:
        return hid, None, str(exc)
    return hid, summarise(fac, res), None


def hall_brief(facility, res) -> dict:
    """A hall's answer in a few figures (what a progress list shows): its racks' hottest
    inlet, how many are outside the ASHRAE A1 allowable range, RCI_HI and the solve time."""
    import numpy as np

    from twin.physics.metrics import A1_ALLOWABLE_C

    inlets = np.asarray(res.rack_inlet_max_c, dtype=float)[np.asarray(res.grid.rack_ids, int)]
    inlets = inlets[np.isfinite(inlets)]
    lo, hi = A1_ALLOWABLE_C
    return {
        "hall": facility.hall_ids[res.grid.hall],
        "cell_m": float(res.grid.cell_m),
        "racks": int(inlets.size),
        "inlet_max_c": float(inlets.max()) if inlets.size else None,
        "outside_a1": int(((inlets < lo) | (inlets > hi)).sum()),
        "rci_hi": res.metrics.get("rci_hi"),
        "seconds": float(res.seconds),
    }


def plan(
    facility,
    cell_m: float | None,
    coarse_cell_m: float | None = COARSE_CELL_M,
    failed=(),
) -> list[HallJob]:
    """The jobs in run order: every hall on the coarse grid (where coarser than its own cell),
    then every hall on ``cell_m`` (None: each hall's cell by the cell policy, ``choose_cell_m``);
    within a pass the largest halls first, so that the last job to start is a short one."""
    import numpy as np

    from twin.physics.cells import choose_cell_m

    volume = np.prod(facility.hall_size_m, axis=1)
    order = [int(h) for h in np.argsort(-volume, kind="stable")]
    fine = {h: cell_m if cell_m is not None else choose_cell_m(facility, h) for h in order}
    jobs = []
    if coarse_cell_m is not None:
        jobs += [
            HallJob(h, coarse_cell_m, tuple(failed), "coarse", facility.hall_ids[h])
            for h in order
            if coarse_cell_m > fine[h] * 1.001
        ]
    return jobs + [HallJob(h, fine[h], tuple(failed), "fine", facility.hall_ids[h]) for h in order]


def default_jobs() -> int:
    """Worker processes: one per core this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return max(os.cpu_count() or 1, 1)


def solve_halls(
    layout_path: str,
    jobs: Iterable[HallJob],
    summarise: Callable[[Any, Any], Any],
    workers: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[HallDone]:
    """Solve ``jobs`` in ``workers`` processes (``twin.worker_pool``), yielding each as it
    finishes. A job that fails, or whose worker dies, yields its error; the others carry on.
    Stops, killing the solves still running, when ``cancelled()`` turns true or the caller
    stops reading."""
    from twin.worker_pool import run_jobs

    jobs = list(jobs)
    workers = max(1, min(workers or default_jobs(), len(jobs)))
    args = [(job, summarise) for job in jobs]
    pool = run_jobs(
        _solve, args, workers, initializer=_load, initargs=(str(layout_path),), cancelled=cancelled
    )
    with closing(pool):
        for done in pool:
            job = jobs[done.index]
            if done.error is not None:
                yield HallDone(
                    job, job.hall_id or str(job.hall), error=done.error, retried=done.retried
                )
                continue
            hid, summary, error = done.value
            yield HallDone(job, hid, summary, error, done.retried)
