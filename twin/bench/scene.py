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


def bench_scene() -> list[Result]:
    import pyvista as pv

    from twin.model.loader import load_layout
    from twin.render.scene import Scene

    fac = load_layout(factory_path())
    n = fac.n_gpus
    rng = np.random.default_rng(0)
    frames = [rng.uniform(25.0, 90.0, n).astype(np.float32) for _ in range(8)]
    plotter = pv.Plotter(off_screen=True, window_size=list(WINDOW))
    try:
        builds = []
        scene = None
        for _ in range(3):
            if scene is not None:
                scene.remove()
            t = time.perf_counter()
            scene = Scene(fac, plotter)
            builds.append(time.perf_counter() - t)
        build_s = min(builds)

        # in-place recolour: CPU time of the update alone (the draw is measured apart)
        scene.set_gpu_values(frames[0], "GPU temperature (°C)", (25.0, 90.0))
        updates = []
        for k in range(60):
            v = frames[k % len(frames)]
            t = time.perf_counter()
            scene.set_gpu_values(v, "GPU temperature (°C)", (25.0, 90.0))
            updates.append(time.perf_counter() - t)
        update_ms = statistics.median(updates) * 1e3

        # baseline: rebuild the whole scene for a frame and colour it (what we avoid)
        rebuilds = []
        for k in range(3):
            t = time.perf_counter()
            scene.remove()
            scene = Scene(fac, plotter)
            scene.set_gpu_values(frames[k], "GPU temperature (°C)", (25.0, 90.0))
            rebuilds.append(time.perf_counter() - t)
        rebuild_ms = min(rebuilds) * 1e3

        draws = _draws(plotter, scene, frames[1])
        renderer = plotter.ren_win.ReportCapabilities().splitlines()
        gl = next(
            (line.split(":", 1)[1].strip() for line in renderer if "renderer string" in line), "?"
        )
    finally:
        plotter.close()
    return [
        Result(
            "scene.build_100k_s",
            build_s,
            "s",
            note=f"{n} GPUs, {fac.n_racks} racks, {scene.gpu_mesh.n_cells} GPU cells; no draw",
        ),
        Result(
            "scene.update_100k_ms",
            update_ms,
            "ms",
            baseline=rebuild_ms,
            ratio=update_ms / rebuild_ms,
            note=f"median of 60 in-place recolours; baseline: rebuild the scene per frame "
            f"({rebuild_ms / update_ms:.0f}x slower)",
        ),
        Result(
            "scene.draw_100k_ms",
            draws["far"],
            "ms",
            baseline=draws["near"],
            ratio=draws["far"] / draws["near"],
            note=f"median of 3 off-screen draws of the whole site (iso view, far level: one "
            f"shape per rack) at {WINDOW[0]}x{WINDOW[1]} on {gl}; baseline: the same view "
            f"with every GPU and server drawn (near level); an empty scene draws in "
            f"{draws['empty']:.0f} ms here",
        ),
        Result(
            "scene.interactive_100k_ms",
            draws["moving"],
            "ms",
            baseline=draws["near"],
            ratio=draws["moving"] / draws["near"],
            note="median of 3 draws while the camera moves (far level forced), from a hall "
            "seen close up; baseline: the site with every GPU drawn",
        ),
    ]


def _median_draw_ms(plotter, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        plotter.ren_win.Render()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def _draws(plotter, scene, values) -> dict[str, float]:
    """Draw times (ms): the site at the far level (what the default view shows), the same
    with the near level forced, a frame while the camera moves over one hall, and an empty
    scene of the same size (the GL's fixed cost per frame)."""
    import pyvista as pv

    from twin.render import lod

    out = {}
    scene.view_iso()
    plotter.screenshot(return_img=True)  # first draw opens the context, uploads meshes
    scene.set_gpu_values(values, "GPU temperature (°C)", (25.0, 90.0))
    out["far"] = _median_draw_ms(plotter)
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
    out["moving"] = _median_draw_ms(plotter)
    scene.lod.set_interacting(False)
    empty = pv.Plotter(off_screen=True, window_size=list(WINDOW))
    try:
        empty.add_mesh(pv.Cube())
        empty.screenshot(return_img=True)
        out["empty"] = _median_draw_ms(empty)
    finally:
        empty.close()
    return out


BENCHMARKS = [("scene", bench_scene)]
