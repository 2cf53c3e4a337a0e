"""Physics figures: steady solve and transient step at ~200k and ~1M cells, and the flow
solver against a direct sparse solve.

The hall is synthetic and the same for every size (20 x 14 x 3.6 m, four rows of 14
air-cooled 10 kW racks in two cold aisles, four underfloor CRAHs feeding perforated tiles);
only the cell size changes (0.17 m: ~200k cells, 0.1 m: ~1M).
"""

from __future__ import annotations

import time

import numpy as np

from twin.bench import Result

HALL = (20.0, 14.0, 3.6)


def bench_layout() -> str:
    """The benchmark hall as layout text."""
    w, d, h = HALL
    lines = [
        "format: twin-layout/1",
        "name: bench-hall",
        f"halls: [{{id: H, size_m: [{w}, {d}, {h}]}}]",
        "rows:",
    ]
    x0 = w / 2 - 13 * 0.3
    # two cold aisles at y = 4 and y = 10; rows face them
    for rid, y, rot in (("A", 2.8, 180), ("B", 5.2, 0), ("C", 8.8, 180), ("D", 11.2, 0)):
        lines += [f"  - id: {rid}", "    hall: H", "    racks:"]
        for i in range(14):
            lines.append(
                f"      - {{id: {rid}{i:02d}, position_m: [{x0 + 0.6 * i:.2f}, {y}], "
                f"rotation_deg: {rot}, load: {{power_kw: 10, delta_t_k: 12}}}}"
            )
    lines += ["cooling:", "  air_units:"]
    for k, (x, y, rot) in enumerate(
        ((1.0, 4.0, -90), (1.0, 10.0, -90), (19.0, 4.0, 90), (19.0, 10.0, 90))
    ):
        lines.append(
            f"    - {{id: CRAH{k + 1}, type: crah-150kw, hall: H, position_m: [{x}, {y}], "
            f"rotation_deg: {rot}}}"
        )
    lines.append("  supplies:")
    for k, y in enumerate((4.0, 10.0)):
        lines.append(
            f"    - {{id: TILES{k + 1}, hall: H, rect_m: [{x0 - 0.3:.2f}, {y - 0.6}, "
            f"{x0 + 14 * 0.6 - 0.3:.2f}, {y + 0.6}]}}"
        )
    return "\n".join(lines) + "\n"


def _facility(text: str | None = None):
    from twin.model.catalog import shipped_catalog
    from twin.model.loader import facility_from_text

    return facility_from_text(text or bench_layout(), "<bench>", shipped_catalog())


def _moved_layout() -> str:
    """The bench hall with its last rack of row A (a row end) moved 0.6 m along the row."""
    fac = _facility()
    x, y = fac.rack_center_m[fac.rack_index["A13"]][:2]
    old = f"{{id: A13, position_m: [{x:.2f}, {y}]"
    text = bench_layout()
    if old not in text:
        raise RuntimeError("bench layout changed: cannot find rack A13")
    return text.replace(old, f"{{id: A13, position_m: [{x + 0.6:.2f}, {y}]")


def _warm_resolve(prev, cell: float) -> Result:
    """Re-solve after an edit warm-started from the previous result vs a cold solve of the
    same edited hall, and how far apart their rack inlets are."""
    from twin.physics import solve_steady

    fac = _facility(_moved_layout())
    t0 = time.perf_counter()
    warm = solve_steady(fac, cell_m=cell, warm_start=prev)
    warm_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cold = solve_steady(fac, cell_m=cell)
    cold_s = time.perf_counter() - t0
    diff = np.abs(warm.rack_inlet_mean_c - cold.rack_inlet_mean_c)
    r = fac.rack_index["A13"]
    return Result(
        "physics.warm_resolve_200k_s",
        warm_s,
        "s",
        baseline=cold_s,
        ratio=warm_s / cold_s,
        note=f"steady re-solve after moving rack A13 0.6 m at {cell} m, warm-started from the "
        f"solution before (heat solves start from its temperatures; the flow is marched as "
        f"cold, {warm.flow.iterations} momentum iterations, so the answer is the cold one); "
        f"baseline: cold solve of the same hall. Rack mean inlets warm vs cold: "
        f"max {np.nanmax(diff):.2f} K, mean {np.nanmean(diff):.2f} K; A13 "
        f"{warm.rack_inlet_mean_c[r]:.2f} vs {cold.rack_inlet_mean_c[r]:.2f} C; energy error "
        f"{warm.energy_error:.1e}, mass error {warm.mass_error:.1e}",
    )


def _steady(fac, cell: float, name: str, repeats: int = 1) -> tuple[Result, object]:
    """Cold steady solves of the bench hall (a new model each time: grids, AMG hierarchies and
    flow all rebuilt); the figure is their median, the note lists each (the first is the
    process's first solve)."""
    from twin.physics import ThermalModel

    times = []
    for _ in range(repeats):
        model = res = None  # free the last model's grids before the next
        t0 = time.perf_counter()
        model = ThermalModel(fac, cell_m=cell)
        res = model.solve()
        times.append(time.perf_counter() - t0)
    n = model.grid.n_cells
    runs = (
        f"median of {repeats} cold solves ({', '.join(f'{t:.2f}' for t in times)} s), "
        if repeats > 1
        else ""
    )
    note = (
        f"{runs}{n:,} cells ({n / 1e6:.2f} M) at {cell} m, flow marched at {model.flow_cell_m} m "
        f"({model.flow.iterations} iterations), setup {model.setup_seconds:.2f} s, "
        f"energy error {res.energy_error:.1e}, mass error {res.mass_error:.1e}; "
        "2-core shared machine"
    )
    return Result(name, float(np.median(times)), "s", note=note), model


def _step(model, name: str) -> Result:
    """One explicit heat sub-step against copying the arrays it reads and writes."""
    from twin.physics.threads import single_blas_thread

    hm = model.heat
    fac = model.facility
    air_w = fac.air_heat_w()
    t = model.state.t_cells.copy()
    with single_blas_thread():
        hm.step(t, air_w, hm.dt_stable)  # warm caches
        reps = 20
        t0 = time.perf_counter()
        for _ in range(reps):
            t = hm.step(t, air_w, hm.dt_stable)
        step_s = (time.perf_counter() - t0) / reps
        arrays = [
            hm.A.data,
            hm.A.indices,
            hm.A.indptr,
            hm.B.data,
            hm.B.indices,
            hm.B.indptr,
            hm.b_known,
            hm.W_rack.data,
            hm.W_rack.indices,
            t,
            t,
        ]
        dst = [np.empty_like(a) for a in arrays]
        t0 = time.perf_counter()
        for _ in range(reps):
            for a, b in zip(arrays, dst, strict=True):
                np.copyto(b, a)
        copy_s = (time.perf_counter() - t0) / reps
    moved = sum(a.nbytes for a in arrays) + t.nbytes  # read all, write the new field
    per_cell = moved / hm.n
    return Result(
        name,
        step_s * 1e3,
        "ms",
        baseline=copy_s * 1e3,
        ratio=step_s / copy_s,
        note=f"{hm.n:,} air cells, {per_cell:.0f} bytes/cell/step, stable dt "
        f"{hm.dt_stable * 1e3:.1f} ms (a 1 s frame = {int(np.ceil(1 / hm.dt_stable))} steps)",
    )


def _follow(model, name: str) -> Result:
    """One 1 s telemetry frame with new rack powers: ``follow`` (the cheaper of one implicit
    step and explicit sub-steps, by its estimate) against ``step`` (explicit sub-steps at the
    stability limit, what ``follow`` took for such a frame before) from the same state. Wall
    and CPU time both: the machine is shared."""
    import os

    fac = model.facility
    rng = np.random.default_rng(7)
    powers = [fac.rack_power_w * rng.uniform(0.7, 1.0, fac.n_racks) for _ in range(5)]
    start = model.state
    implicit = model.follow_implicit(1.0)
    # the first frame of a model (or of a new frame length) sets up the frame's solver
    t0 = time.perf_counter()
    model.follow(1.0, powers.pop())
    first_s = time.perf_counter() - t0
    model.state = start
    times, cpu, its = [], [], []
    for p in powers:
        t0, c0 = time.perf_counter(), time.process_time()
        res = model.follow(1.0, p)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        its.append(model.heat.implicit_stepper().last_iterations if implicit else 0)
    follow_state = model.state
    model.state = start
    t0, c0 = time.perf_counter(), time.process_time()
    ref = model.step(1.0, powers[0])
    step_s, step_cpu = time.perf_counter() - t0, time.process_time() - c0
    ref_cells = model.state.t_cells
    model.state = start
    first = model.follow(1.0, powers[0])
    diff = float(np.nanmax(np.abs(first.rack_inlet_mean_c - ref.rack_inlet_mean_c)))
    cell_diff = float(np.abs(model.state.t_cells - ref_cells).max())
    model.state = follow_state
    value = float(np.median(times))
    path = (
        f"one implicit step ({'/'.join(f'{i:g}' for i in its)} BiCGSTAB iterations)"
        if implicit
        else "explicit sub-steps"
    )
    return Result(
        name,
        value * 1e3,
        "ms",
        baseline=step_s * 1e3,
        ratio=value / step_s,
        note=f"median of {len(times)} frames ({', '.join(f'{t * 1e3:.0f}' for t in times)} ms "
        f"wall, {', '.join(f'{t * 1e3:.0f}' for t in cpu)} ms CPU; load average "
        f"{os.getloadavg()[0]:.1f}) on {model.heat.n:,} air cells by {path}; baseline: "
        f"explicit step() of the same frame ({int(np.ceil(1 / model.heat.dt_stable))} "
        f"sub-steps, {step_cpu * 1e3:.0f} ms CPU); after one frame rack inlets differ by "
        f"at most {diff:.3f} K, cells by {cell_diff:.2f} K (the implicit step's first-order "
        f"lag); energy error {res.energy_error:.1e}; the model's first frame, which sets up "
        f"the frame solver: {first_s * 1e3:.0f} ms",
    )


def _solver_ratio(fac) -> Result:
    """AMG-CG on the pressure Poisson matrix vs scipy's direct sparse solve, same matrix."""
    import scipy.sparse.linalg as spla

    from twin.physics.airflow import PressureSolver
    from twin.physics.grid import build_grid
    from twin.physics.threads import single_blas_thread

    grid = build_grid(fac, cell_m=0.25)
    with single_blas_thread():
        t0 = time.perf_counter()
        ps = PressureSolver(grid)
        rng = np.random.default_rng(1)
        b = rng.standard_normal(ps.L.shape[0])
        x = ps.solve(b, tol=1e-8, maxiter=200)
        amg_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        y = spla.spsolve(ps.L.tocsc(), b)
        direct_s = time.perf_counter() - t0
    err = float(np.abs(x - y).max() / np.abs(y).max())
    return Result(
        "physics.solver_ratio",
        direct_s / amg_s,
        "x",
        ratio=direct_s / amg_s,
        note=f"AMG set-up + solve {amg_s:.2f} s vs spsolve {direct_s:.2f} s on the same "
        f"{ps.L.shape[0]:,}-cell pressure matrix (rel. difference {err:.1e})",
    )


def _kernel_load() -> Result:
    """What a process pays once, on first use, to compile or load the compiled momentum
    kernels (like an import: the steady figures below are measured after it)."""
    from twin.physics import kernels

    s = kernels.warm_up()
    return Result(
        "physics.kernel_load_s",
        s,
        "s",
        note="numba kernels of the momentum march: loaded from the on-disk cache (or "
        "compiled, ~2 s, on a first run after install); once per process",
    )


def _factory_steady() -> Result:
    """Every hall of the shipped 100k-GPU factory on the coarse pass of ``twin thermal --all``,
    in worker processes, against the same halls solved one after another in this process."""
    from pathlib import Path

    from twin.model.loader import load_layout
    from twin.physics import solve_steady
    from twin.physics.factory import COARSE_CELL_M, default_jobs, plan, solve_halls

    path = Path(__file__).parents[2] / "layouts" / "ai-factory-100k.yaml"
    fac = load_layout(path)
    jobs = plan(fac, COARSE_CELL_M, None)
    t0 = time.perf_counter()
    done = list(solve_halls(path, jobs, _hottest_inlet))
    par_s = time.perf_counter() - t0
    errors = [d.error for d in done if d.error]
    if errors:
        raise RuntimeError(f"factory solve failed: {errors}")
    t0 = time.perf_counter()
    for job in jobs:
        solve_steady(fac, hall=job.hall, cell_m=job.cell_m)
    ser_s = time.perf_counter() - t0
    hot = max(d.summary for d in done)
    return Result(
        "physics.factory_steady_s",
        par_s,
        "s",
        baseline=ser_s,
        ratio=par_s / ser_s,
        note=f"{len(jobs)} halls at {COARSE_CELL_M} m in {min(default_jobs(), len(jobs))} "
        f"processes (layout loaded in each); hottest rack inlet {hot:.1f} C; baseline: the "
        "same halls one after another in this process (layout already loaded)",
    )


def _hottest_inlet(fac, res) -> float:
    return float(np.nanmax(res.rack_inlet_max_c))


def run() -> list[Result]:
    fac = _facility()
    out = [_kernel_load()]
    r, model = _steady(fac, 0.17, "physics.steady_200k_s", repeats=3)
    out.append(r)
    out.append(_step(model, "physics.step_200k_ms"))
    prev = model.solve()
    del model
    out.append(_warm_resolve(prev, 0.17))
    del prev
    r, model = _steady(fac, 0.1, "physics.steady_1m_s")
    out.append(r)
    out.append(_step(model, "physics.step_1m_ms"))
    out.append(_follow(model, "physics.follow_1m_ms"))
    del model
    out.append(_solver_ratio(fac))
    return out


BENCHMARKS = [("physics.factory", lambda: [_factory_steady()]), ("physics", run)]
