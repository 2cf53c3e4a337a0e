"""Scene benchmarks on the 100,000-GPU factory: building the 3D scene, and recolouring every
GPU in place against rebuilding the scene for each frame (measured in the same run)."""

from __future__ import annotations

import statistics
import time

import numpy as np

from twin.bench import Result
from twin.bench.layout import factory_path


def bench_scene() -> list[Result]:
    import pyvista as pv

    from twin.model.loader import load_layout
    from twin.render.scene import Scene

    fac = load_layout(factory_path())
    n = fac.n_gpus
    rng = np.random.default_rng(0)
    frames = [rng.uniform(25.0, 90.0, n).astype(np.float32) for _ in range(8)]
    plotter = pv.Plotter(off_screen=True, window_size=[1280, 800])
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

        scene.view_iso()
        plotter.screenshot(return_img=True)  # first draw opens the context, uploads meshes
        scene.set_gpu_values(frames[1], "GPU temperature (°C)", (25.0, 90.0))
        t = time.perf_counter()
        plotter.ren_win.Render()
        draw_ms = (time.perf_counter() - t) * 1e3
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
            draw_ms,
            "ms",
            note=f"one off-screen draw after a recolour at 1280x800 on {gl}",
        ),
    ]


BENCHMARKS = [("scene", bench_scene)]
