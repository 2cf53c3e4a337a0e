"""Draw speed of the demo hall with every thermal overlay shown (horizontal and vertical air
slices, airflow arrows, rack inlets), as ``twin render --thermal`` and the window build them."""

from __future__ import annotations

import numpy as np

from twin.bench import Result
from twin.bench.scene import WINDOW, _gl_renderer, _msaa_draw_ms, median_draw_times

OVERLAYS = ["air_slice", "air_vslice", "air_arrows", "rack_inlets"]


def demo_path():
    from twin.bench.layout import factory_path

    return factory_path().parent / "demo-air-hall.yaml"


def bench_demo_thermal() -> list[Result]:
    from twin.model.loader import load_layout
    from twin.physics import choose_cell_m, solve_steady
    from twin.render.headless import offscreen_plotter
    from twin.render.interactive import use_interactive_rendering
    from twin.render.scene import Scene
    from twin.render.thermal_layer import overlay_decorator

    fac = load_layout(demo_path())
    result = solve_steady(fac, 0, choose_cell_m(fac, 0))
    plotter = offscreen_plotter(WINDOW)
    use_interactive_rendering(plotter)
    try:
        scene = Scene(fac, plotter)
        temps = np.random.default_rng(0).uniform(25.0, 90.0, fac.n_gpus)
        scene.set_gpu_values(temps, "GPU temperature (°C)", (25.0, 90.0))
        overlay_decorator(result, OVERLAYS)(scene)
        scene.view_iso()
        plotter.screenshot(return_img=True)  # opens the context, uploads the meshes
        draw_ms, cpu_ms = median_draw_times(plotter, repeats=5)
        msaa_ms = _msaa_draw_ms(plotter, 4)
        gl = _gl_renderer(plotter)
    finally:
        plotter.close()
    return [
        Result(
            "scene.draw_demo_thermal_ms",
            draw_ms,
            "ms",
            baseline=msaa_ms,
            ratio=draw_ms / msaa_ms,
            note=f"median of 5 off-screen draws of the demo hall (iso view) with the air "
            f"slices, arrows and rack inlets at {WINDOW[0]}x{WINDOW[1]} on {gl}, drawn as the "
            f"window draws (one sample per pixel); process CPU per draw {cpu_ms:.0f} ms; "
            "baseline: the same with 4x multisampling",
        )
    ]


BENCHMARKS = [("scene.draw_demo", bench_demo_thermal)]
