"""What-if benchmarks: 30 simulated minutes after a CRAH trip in the demo hall with per-GPU
ride-through (against the explicit stepper's pace), and the demo hall's N-1 sweep on local
processes and on a two-worker Dask cluster started here."""

from __future__ import annotations

import time

from twin.bench import Result
from twin.model.catalog import assets_dir

TARGET_30M_S = 18.0


def _demo():
    from twin.model.loader import load_layout

    return load_layout(assets_dir().parent / "layouts" / "demo-air-hall.yaml")


def _explicit_pace_s(fac, failed: list[str], simulated_s: float) -> float:
    """Seconds the explicit stepper takes per simulated second, measured over a short span."""
    from twin.physics import ThermalModel
    from twin.whatif.engine import WHATIF_CELL_M

    model = ThermalModel(fac, 0, WHATIF_CELL_M)
    model.solve()
    model.set_failed(failed)
    t0 = time.perf_counter()
    t = model.state.t_cells
    for _ in range(int(simulated_s)):
        t = model.heat.step(t, fac.air_heat_w(), 1.0)
    return (time.perf_counter() - t0) / simulated_s


def bench_transient() -> list[Result]:
    import numpy as np

    from twin.whatif import Baseline, StartState, WhatIfOptions, run_whatif

    fac = _demo()
    opts = WhatIfOptions(duration_s=1800.0, hall=0)
    t0 = time.perf_counter()
    base = Baseline(fac, StartState.nominal(fac), 0, opts.cell_for(fac, 0))
    base_s = time.perf_counter() - t0
    # the crah-trip scenario's unit: the one with the largest share of the load
    crah = fac.air_unit_ids[int(np.argmax(fac.air_unit_load_share_w()))]
    out = []
    pace = _explicit_pace_s(fac, [crah], 20.0)
    for name, failed in (("transient_30m_s", [crah]), ("transient_30m_2crah_s", [crah, "CRAH-3"])):
        t0, c0 = time.perf_counter(), time.process_time()
        res = run_whatif(fac, failed, options=opts, baseline=base)
        s, cpu = time.perf_counter() - t0, time.process_time() - c0
        summ = res.summary()
        explicit = pace * opts.duration_s
        out.append(
            Result(
                f"whatif.{name}",
                s,
                "s",
                baseline=explicit,
                ratio=explicit / s,
                note=f"fail {'+'.join(failed)}: {1800.0 / s:.0f}x real time, {cpu:.1f} s of "
                f"this process's CPU (target <= "
                f"{TARGET_30M_S:.0f} s); {summ['gpus_throttled']} of {fac.n_gpus} GPUs reach "
                f"slowdown, ride-through {summ['ride_through_min']} min; baseline: explicit "
                f"steps at their stability limit, paced over 20 simulated s; the hall's "
                f"nominal steady state ({base_s:.1f} s) solved once beforehand",
            )
        )
    return out


def bench_sweep() -> list[Result]:
    from twin.whatif import WhatIfOptions
    from twin.whatif.sweep import run_sweep, single_failures

    fac = _demo()
    opts = WhatIfOptions(duration_s=1800.0, hall=0)
    cases = single_failures(fac, 0)
    local = run_sweep(fac, cases, opts, workers=2)
    out = [
        Result(
            "whatif.sweep_demo_s",
            local.seconds,
            "s",
            note=f"{len(cases)} N-1 cases, 30 min each, 2 local processes; worst: "
            f"{'+'.join(local.cases[0]['failed'])}",
        )
    ]
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return out
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with Client(cluster) as client:
            remote = run_sweep(fac, cases, opts, dask=client)
    same = [c["failed"] for c in remote.cases] == [c["failed"] for c in local.cases]
    out.append(
        Result(
            "whatif.sweep_demo_dask_s",
            remote.seconds,
            "s",
            baseline=local.seconds,
            ratio=remote.seconds / local.seconds,
            note=f"the same sweep on a two-worker Dask cluster (scheduler and workers started "
            f"here); ranking {'identical' if same else 'DIFFERS'} to the local run",
        )
    )
    return out


BENCHMARKS = [("whatif.transient", bench_transient), ("whatif.sweep", bench_sweep)]


def bench_report() -> list[Result]:
    """The incident report of a 30-minute crah-trip recording of the demo hall, snapshots
    included (the recording is simulated first, not timed)."""
    import tempfile
    from pathlib import Path

    from twin.recording.recorder import Recorder
    from twin.render.offscreen import png_snapshot
    from twin.report import build_report
    from twin.telemetry.simulator import Simulator

    fac = _demo()
    with tempfile.TemporaryDirectory() as d:
        rec_path = Path(d) / "crah-trip.h5"
        sim = Simulator(fac, "crah-trip", seed=0, start_s=1.8e9)
        with Recorder(rec_path, fac) as rec:
            for _ in range(1800):
                rec.append(sim.step())
        cpu0 = time.process_time()
        info = build_report(rec_path, Path(d) / "incident.html", png_snapshot())
        cpu = time.process_time() - cpu0
    return [
        Result(
            "report.build_s",
            info.seconds,
            "s",
            note=f"30-min crah-trip of the demo hall: {info.snapshots} 3D snapshots, "
            f"{info.bytes / 1e6:.1f} MB of HTML; {cpu:.1f} s of this process's CPU (target <= 20 s)",
        )
    ]


BENCHMARKS.append(("report", bench_report))
