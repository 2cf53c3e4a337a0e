"""N-1 contingency sweep: fail every power and cooling device of a hall in turn and rank the
consequences (GPUs dark, GPUs throttled, minutes of ride-through).

Each case is independent, so the cases go to a pool: local processes by default, or a Dask
distributed cluster (``dask="tcp://host:8786"``) when a factory-wide sweep outgrows one
workstation. A task carries the layout's text (workers need not share a disk with us), the
failed id and the options, and returns the case's summary as plain data. A worker parses
the layout and solves the hall's baseline once, then reuses both for every case it runs.
Results are the same wherever a case runs: the solves are reproducible to the last bit.
"""

from __future__ import annotations

import os
import time
from contextlib import closing
from dataclasses import asdict, dataclass, field

import numpy as np

from twin.model.facility import Facility
from twin.whatif.engine import Baseline, WhatIfOptions, run_whatif, whatif_hall
from twin.whatif.failures import WhatIfError
from twin.whatif.start import StartState


def single_failures(facility: Facility, hall: int | None = None) -> list[str]:
    """Every device whose failure a hall could feel: the power devices feeding its racks
    (and everything upstream of them), its air units and its CDUs. All halls by default."""
    fac = facility
    halls = range(len(fac.hall_ids)) if hall is None else [hall]
    out: list[str] = []
    for h in halls:
        racks = fac.rack_hall == h
        feeding = np.zeros(len(fac.power_ids), dtype=bool)
        for arr in (fac.rack_feed_a, fac.rack_feed_b):
            feeding[arr[racks & (arr >= 0)]] = True
        for level in range(int(fac.power_depth.max(initial=0)), 0, -1):
            idx = np.flatnonzero((fac.power_depth == level) & feeding)
            feeding[fac.power_upstream[idx]] = True
        out += [fac.power_ids[d] for d in np.flatnonzero(feeding & fac.power_on)]
        out += [
            u
            for i, u in enumerate(fac.air_unit_ids)
            if fac.air_unit_hall[i] == h and fac.air_unit_on[i]
        ]
        out += [c for i, c in enumerate(fac.cdu_ids) if fac.cdu_hall[i] == h and fac.cdu_on[i]]
    return list(dict.fromkeys(out))


@dataclass
class SweepResult:
    """Cases worst first (each a ``WhatIfResult.summary()``), where they ran, how long."""

    cases: list[dict]
    where: str
    workers: int
    seconds: float
    options: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


# one facility and baseline per worker process, keyed by layout text, hall and cell
_CACHE: dict[tuple, tuple[Facility, dict[tuple, Baseline]]] = {}


def _facility(text: str, path: str | None) -> Facility:
    from twin.model.loader import facility_from_text

    key = (hash(text), path)
    if key not in _CACHE:
        _CACHE.clear()  # a worker serves one layout at a time
        _CACHE[key] = (facility_from_text(text, path), {})
    return _CACHE[key][0]


def run_case(text: str, path: str | None, fail: tuple[str, ...], options: dict) -> dict:
    """One sweep case, as a pool or a Dask worker runs it: plain data in, plain data out."""
    fac = _facility(text, path)
    baselines = _CACHE[(hash(text), path)][1]
    opts = WhatIfOptions(**options)
    hall = whatif_hall(fac, fail, None, opts)
    key = (hall, opts.cell_for(fac, hall))
    base = baselines.get(key)
    if base is None:
        base = baselines[key] = Baseline(fac, StartState.nominal(fac), *key)
    res = run_whatif(fac, list(fail), options=opts, baseline=base)
    out = res.summary()
    out["seconds"] = round(res.seconds, 3)
    out["worker_pid"] = os.getpid()
    out["_rank"] = [float(x) if isinstance(x, (int, float)) else None for x in res.rank_key()[:3]]
    return out


def _rank(case: dict) -> tuple:
    dark, thr, ride = case["_rank"]
    return (dark, thr, ride if ride is not None else float("inf"), case["failed"])


def run_sweep(
    facility: Facility,
    cases: list[str] | list[tuple[str, ...]],
    options: WhatIfOptions | None = None,
    *,
    dask: str | None = None,
    workers: int | None = None,
    progress=None,
    cancelled=None,
    text: str | None = None,
) -> SweepResult:
    """Run every case (a device id, or a tuple of ids failed together) and rank them.

    ``dask``: a scheduler address (``tcp://host:8786``) or a ``distributed.Client``; without
    it, ``workers`` local processes (default: the CPUs, at most the cases). ``progress``:
    called with (done, total) as cases finish. ``cancelled``: asked as the local processes run
    (``physics.solver_service.Cancelled`` when it turns true). ``text``: the layout the
    workers load (default the facility's file as loaded; a window passes its edited one). A
    case that fails, or whose worker dies, is a ``WhatIfError`` naming it."""
    t0 = time.perf_counter()
    opts = options or WhatIfOptions()
    text = text if text is not None else facility.source_text
    if text is None:
        raise ValueError("the facility has no layout text to send to workers (load it from a file)")
    path = str(facility.path) if facility.path is not None else None
    todo = [(c,) if isinstance(c, str) else tuple(c) for c in cases]
    odict = asdict(opts)
    if dask is not None:
        results, where, n = _on_dask(dask, text, path, todo, odict, progress)
    else:
        n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        results = _on_processes(n, text, path, todo, odict, progress, cancelled)
        where = "local processes"
    results.sort(key=_rank)
    for r in results:
        r.pop("_rank", None)
    return SweepResult(results, where, n, time.perf_counter() - t0, odict)


def _on_processes(n, text, path, todo, odict, progress, cancelled) -> list[dict]:
    """The cases in ``n`` local worker processes (``twin.worker_pool``: a fresh interpreter
    each, no forked BLAS or numba threads). A case that fails, or whose worker dies, fails the
    sweep with its words; a cancel stops the workers at once."""
    from twin.physics.solver_service import Cancelled
    from twin.worker_pool import run_jobs

    out = []
    jobs = [(text, path, c, odict) for c in todo]
    with closing(run_jobs(run_case, jobs, n, cancelled=cancelled)) as pool:
        for done in pool:
            if done.error is not None:
                raise WhatIfError(f"case {'+'.join(todo[done.index])}: {done.error}")
            out.append(done.value)
            if progress:
                progress(len(out), len(todo))
    if len(out) < len(todo):
        raise Cancelled
    return out


def _on_dask(address, text, path, todo, odict, progress) -> tuple[list[dict], str, int]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - the dependency is declared
        raise RuntimeError(
            "--dask needs the 'distributed' package (pip install 'dask[distributed]')"
        ) from exc
    client = address if isinstance(address, Client) else Client(address, timeout="20s")
    try:
        n = len(client.scheduler_info(n_workers=-1)["workers"])
        if n == 0:
            raise RuntimeError(f"the Dask cluster at {client.scheduler.address} has no workers")
        text_f = client.scatter(text, broadcast=True)
        futs = [
            client.submit(run_case, text_f, path, c, odict, pure=False, key=f"whatif-{'+'.join(c)}")
            for c in todo
        ]
        case = {f.key: c for f, c in zip(futs, todo, strict=True)}
        out = []
        for k, f in enumerate(as_completed(futs), 1):
            try:
                out.append(f.result())
            except Exception as exc:  # noqa: BLE001 (the case's own error, or its workers died)
                raise WhatIfError(
                    f"case {'+'.join(case[f.key])}: {type(exc).__name__}: {exc}"
                ) from exc
            if progress:
                progress(k, len(todo))
        return out, f"dask {client.scheduler.address}", n
    finally:
        if client is not address:
            client.close()
