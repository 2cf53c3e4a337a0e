"""N-1 sweep: the cases of a hall, their ranking, and the same answer from local processes
and from a real Dask cluster (a scheduler and two workers on 127.0.0.1)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twin.whatif import WhatIfOptions
from twin.whatif.sweep import run_sweep, single_failures

ROOT = Path(__file__).parents[2]
OPTS = WhatIfOptions(duration_s=120.0, dt_s=10.0, cell_m=0.4, hall=0)


def test_single_failures_lists_every_power_and_cooling_device(fac):
    cases = single_failures(fac, 0)
    assert sorted(cases) == sorted(
        ["UTIL-A", "UPS-A", "PDU-A", "UTIL-B", "UPS-B", "PDU-B", "CRAH-1", "CRAH-2"]
    )


def _strip(cases: list[dict]) -> list[dict]:
    return [{k: v for k, v in c.items() if k not in ("seconds", "worker_pid")} for c in cases]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def dask_cluster():
    """A real ``dask scheduler`` and two single-threaded ``dask worker`` processes."""
    pytest.importorskip("distributed")
    from distributed import Client

    port = _free_port()
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    addr = f"tcp://127.0.0.1:{port}"
    common = ["--no-dashboard", "--host", "127.0.0.1"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", str(port), *common],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        addr,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        *common,
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        with Client(addr, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield addr
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.mark.slow
@pytest.mark.integration
def test_local_and_dask_sweeps_agree(fac, dask_cluster):
    cases = single_failures(fac, 0)
    local = run_sweep(fac, cases, OPTS, workers=2)
    t0 = time.perf_counter()
    remote = run_sweep(fac, cases, OPTS, dask=dask_cluster)
    assert time.perf_counter() - t0 < 600
    assert remote.where.startswith("dask tcp://127.0.0.1") and remote.workers == 2
    assert local.where == "local processes" and local.workers == 2
    assert _strip(remote.cases) == _strip(local.cases)
    # both CRAHs are single points of failure for heat; the power devices (2N) are not
    worst = [c["failed"][0] for c in local.cases[:2]]
    assert sorted(worst) == ["CRAH-1", "CRAH-2"]
    assert all(c["gpus_throttled"] > 0 for c in local.cases[:2])
    assert all(c["gpus_throttled"] == 0 and c["gpus_dark"] == 0 for c in local.cases[2:])
    # the cases ran on both workers
    assert len({c["worker_pid"] for c in remote.cases}) == 2
    # a case that fails names itself, on a cluster as on local processes (the cluster's own
    # exception came through bare before)
    from twin.whatif import WhatIfError

    for where in ({"dask": dask_cluster}, {"workers": 2}):
        with pytest.raises(WhatIfError) as err:
            run_sweep(fac, ["CRAH-2", "NOPE"], OPTS, **where)
        assert str(err.value).startswith("case NOPE: WhatIfError: cannot fail 'NOPE' (not in")


def test_a_case_whose_worker_crashes_fails_the_sweep_naming_it(fac, monkeypatch):
    """Before, ``ProcessPoolExecutor`` raised ``BrokenProcessPool`` (a traceback at the
    command line) and said no case."""
    import twin.whatif.sweep as sweep
    from twin.whatif import WhatIfError

    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))
    import pool_jobs

    monkeypatch.setattr(sweep, "run_case", pool_jobs.case_or_die)
    cases = single_failures(fac, 0)
    assert "CRAH-1" in cases
    with pytest.raises(WhatIfError) as err:
        run_sweep(fac, cases, OPTS, workers=2)
    assert str(err.value) == "case CRAH-1: the worker process running it ended (signal SIGSEGV)"


def test_a_cancelled_sweep_stops_at_once(fac):
    from twin.physics.solver_service import Cancelled

    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 1

    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        run_sweep(fac, single_failures(fac, 0), OPTS, workers=2, cancelled=cancelled)
    assert time.perf_counter() - t0 < 10
