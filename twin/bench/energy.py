"""Energy benchmarks: the facility power breakdown of the 100,000-GPU factory from one frame,
and the set-point optimisation of the demo hall."""

from __future__ import annotations

import statistics
import time

import numpy as np

from twin.bench import Result
from twin.model.catalog import assets_dir


def _factory_frame(fac):
    """A frame of the factory as telemetry brings it: every rack's power between idle and
    nominal, every unit on at its layout flow, one air unit and one UPS reported off."""
    from twin.model.frame import Frame

    rng = np.random.default_rng(1)
    frame = Frame.empty(1.8e9, fac.counts())
    frame.rack["power_w"][:] = fac.rack_power_w * rng.uniform(0.3, 1.0, fac.n_racks)
    frame.air_unit["state"][:] = 1.0
    frame.air_unit["state"][0] = 0.0
    frame.air_unit["flow_m3s"][:] = fac.air_unit_airflow_m3s
    frame.cdu["state"][:] = 1.0
    frame.power["state"][:] = 1.0
    ups = [i for i, k in enumerate(fac.power_kind) if k == "ups"]
    if ups:
        frame.power["state"][ups[0]] = 0.0
    return frame


def bench_pue() -> list[Result]:
    from twin.model.loader import load_layout
    from twin.physics.energy import EnergyModel

    fac = load_layout(assets_dir().parent / "layouts" / "ai-factory-100k.yaml")
    t0 = time.perf_counter()
    model = EnergyModel(fac)
    setup_s = time.perf_counter() - t0
    frame = _factory_frame(fac)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        b = model.breakdown(model.from_frame(frame))
        times.append(time.perf_counter() - t)
    ms = statistics.median(times) * 1e3
    return [
        Result(
            "energy.pue_100k_ms",
            ms,
            "ms",
            note=f"{fac.n_gpus} GPUs, {fac.n_racks} racks, {len(fac.power_ids)} power devices; "
            f"median of 20; PUE {b.pue:.3f}; model set-up {setup_s * 1e3:.1f} ms once",
        )
    ]


def bench_optimise() -> list[Result]:
    from twin.model.loader import load_layout
    from twin.physics.setpoints import SetPointOptimiser

    fac = load_layout(assets_dir().parent / "layouts" / "demo-air-hall.yaml")
    t, cpu = time.perf_counter(), time.process_time()
    result = SetPointOptimiser(fac).run()
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    hall = result.halls[0]
    return [
        Result(
            "energy.optimise_demo_s",
            seconds,
            "s",
            note=f"{result.solves} thermal solves at {SetPointOptimiser(fac).cell_for(0)} m, "
            f"{cpu:.1f} s of CPU (all threads: on a busy machine, what it would take alone); "
            f"supply {hall.supply_before_c.max():.1f} -> {hall.supply_after_c.max():.1f} C, "
            f"fans {hall.flow_after_m3s.sum() / hall.flow_before_m3s.sum():.0%}, "
            f"saved {result.saved_w / 1e3:.1f} kW, PUE {result.before.pue:.3f} -> "
            f"{result.after.pue:.3f}",
        )
    ]


BENCHMARKS = [("energy.pue", bench_pue), ("energy.optimise", bench_optimise)]
