"""Scene benchmarks on the 100,000-GPU factory: building the 3D scene, and recolouring every
GPU in place against rebuilding the scene for each frame (measured in the same run)."""

from __future__ import annotations

import statistics
import time

import numpy as np

from twin.bench import Result
from twin.bench.layout import factory_path

#: The window size the figures are measured at (a typical desktop 3D view).
WINDOW = (1600, 1000)


TITLE, CLIM = "GPU temperature (°C)", (25.0, 90.0)


def bench_scene() -> list[Result]:
    from twin.model.loader import load_layout
    from twin.render.headless import offscreen_plotter

    fac = load_layout(factory_path())
    rng = np.random.default_rng(0)
    frames = [rng.uniform(25.0, 90.0, fac.n_gpus).astype(np.float32) for _ in range(8)]
    from twin.render.interactive import use_interactive_rendering

    plotter = offscreen_plotter(WINDOW)
    use_interactive_rendering(plotter)  # draw as the window does
    try:
        scene, build = _build(fac, plotter)
        update_ms, aggregate_ms = _update_ms(scene, frames)
        scene, rebuild_ms = _rebuild_ms(fac, plotter, scene, frames)
        draws = _draw_results(plotter, scene, frames[1])
    finally:
        plotter.close()
    update = Result(
        "scene.update_100k_ms",
        update_ms,
        "ms",
        baseline=rebuild_ms,
        ratio=update_ms / rebuild_ms,
        note=f"median of 60 in-place recolours (the racks' aggregate waits for the draw); "
        f"baseline: rebuild the scene per frame ({rebuild_ms / update_ms:.0f}x slower)",
    )
    aggregate = Result(
        "scene.rack_aggregate_100k_ms",
        aggregate_ms,
        "ms",
        note=f"median of 60: each of {scene.facility.n_racks} racks' hottest GPU, taken once "
        "before a draw that shows the rack shapes",
    )
    return [build, update, aggregate, *draws]


def _build(fac, plotter):
    """The scene built three times over (the fastest counts), and its figure."""
    from twin.render.scene import Scene

    builds = []
    scene = None
    for _ in range(3):
        if scene is not None:
            scene.remove()
        t = time.perf_counter()
        scene = Scene(fac, plotter)
        builds.append(time.perf_counter() - t)
    note = f"{fac.n_gpus} GPUs, {fac.n_racks} racks, {scene.gpu_mesh.n_cells} GPU cells; no draw"
    return scene, Result("scene.build_100k_s", min(builds), "s", note=note)


def _update_ms(scene, frames) -> tuple[float, float]:
    """Median CPU times (ms) of one in-place recolour of every GPU, and of the racks'
    aggregate it leaves for the next draw that shows the rack shapes (the draw itself is
    measured apart)."""
    scene.set_gpu_values(frames[0], TITLE, CLIM)
    updates, aggregates = [], []
    for k in range(60):
        v = frames[k % len(frames)]
        t = time.perf_counter()
        scene.set_gpu_values(v, TITLE, CLIM)
        updates.append(time.perf_counter() - t)
        t = time.perf_counter()
        scene.lod.refresh()
        aggregates.append(time.perf_counter() - t)
    return statistics.median(updates) * 1e3, statistics.median(aggregates) * 1e3


def _rebuild_ms(fac, plotter, scene, frames):
    """The baseline recolouring avoids: rebuild the whole scene for a frame and colour it.
    Returns the last scene built and the fastest of three (ms)."""
    from twin.render.scene import Scene

    rebuilds = []
    for k in range(3):
        t = time.perf_counter()
        scene.remove()
        scene = Scene(fac, plotter)
        scene.set_gpu_values(frames[k], TITLE, CLIM)
        rebuilds.append(time.perf_counter() - t)
    return scene, min(rebuilds) * 1e3


def _gl_renderer(plotter) -> str:
    lines = plotter.ren_win.ReportCapabilities().splitlines()
    return next((ln.split(":", 1)[1].strip() for ln in lines if "renderer string" in ln), "?")


def _draw_results(plotter, scene, values) -> list[Result]:
    """Draw figures: the whole site at the far level, and a frame while the camera moves."""
    draws = _draws(plotter, scene, values)
    gl = _gl_renderer(plotter)
    return [
        Result(
            "scene.draw_100k_ms",
            draws["far"],
            "ms",
            baseline=draws["near"],
            ratio=draws["far"] / draws["near"],
            note=f"median of 5 off-screen draws of the whole site (iso view, far level: one "
            f"shape per rack) at {WINDOW[0]}x{WINDOW[1]} on {gl}; baseline: the same view "
            f"with every GPU and server drawn (near level); with 4x multisampling (the "
            f"window's former setting) the far view draws in {draws['far_msaa4']:.0f} ms; "
            f"an empty scene draws in {draws['empty']:.0f} ms, a blank frame in "
            f"{draws['blank']:.0f} ms; process CPU per draw {draws['far_cpu']:.0f} ms",
        ),
        Result(
            "scene.interactive_100k_ms",
            draws["moving"],
            "ms",
            baseline=draws["near"],
            ratio=draws["moving"] / draws["near"],
            note="median of 5 draws while the camera moves (far level forced), from a hall "
            f"seen close up; process CPU per draw {draws['moving_cpu']:.0f} ms; baseline: the "
            "site with every GPU drawn",
        ),
    ]


def _median_draw_ms(plotter, repeats: int = 3) -> float:
    return median_draw_times(plotter, repeats)[0]


def median_draw_times(plotter, repeats: int = 3) -> tuple[float, float]:
    """Median wall time and median process CPU time (ms) of ``repeats`` draws. The CPU time
    includes llvmpipe's rasteriser threads; unlike the wall time it hardly grows when other
    jobs share the machine's cores."""
    walls, cpus = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        plotter.ren_win.Render()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3


def _draws(plotter, scene, values) -> dict[str, float]:
    """Draw times (ms): the site at the far level (what the default view shows), the same
    with the near level forced, a frame while the camera moves over one hall, and an empty
    scene of the same size (the GL's fixed cost per frame)."""
    from twin.render import lod

    out = {}
    scene.view_iso()
    plotter.screenshot(return_img=True)  # first draw opens the context, uploads meshes
    scene.set_gpu_values(values, TITLE, CLIM)
    out["far"], out["far_cpu"] = median_draw_times(plotter, repeats=5)
    out["far_msaa4"] = _msaa_draw_ms(plotter, 4)
    saved = lod.FAR_PX, lod.NEAR_PX
    try:
        lod.FAR_PX = lod.NEAR_PX = 0.0  # never far
        scene.lod.state.far = False
        scene.lod.apply()
        out["near"] = _median_draw_ms(plotter)
    finally:
        lod.FAR_PX, lod.NEAR_PX = saved
    scene.look_at("hall", [0])
    scene.lod.set_interacting(True)
    out["moving"], out["moving_cpu"] = median_draw_times(plotter, repeats=5)
    scene.lod.set_interacting(False)
    out["empty"], out["blank"] = _fixed_cost_ms()
    return out


def _msaa_draw_ms(plotter, samples: int) -> float:
    """The median draw with ``samples`` per pixel, the plotter's own setting put back after."""
    before = plotter.ren_win.GetMultiSamples()
    plotter.ren_win.SetMultiSamples(samples)
    try:
        plotter.ren_win.Render()  # reallocates the frame buffers
        return _median_draw_ms(plotter)
    finally:
        plotter.ren_win.SetMultiSamples(before)
        plotter.ren_win.Render()


def _fixed_cost_ms() -> tuple[float, float]:
    """The GL's cost per frame at this size, drawn as the window draws: a cube (the default
    view fills much of the frame with it), and a blank frame (the background alone)."""
    import pyvista as pv

    from twin.render.headless import offscreen_plotter
    from twin.render.interactive import use_interactive_rendering

    empty = offscreen_plotter(WINDOW)
    try:
        use_interactive_rendering(empty)
        cube = empty.add_mesh(pv.Cube())
        empty.screenshot(return_img=True)
        cube_ms = _median_draw_ms(empty)
        cube.SetVisibility(False)
        return cube_ms, _median_draw_ms(empty)
    finally:
        empty.close()


BENCHMARKS = [("scene", bench_scene)]
