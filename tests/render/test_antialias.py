"""The interactive view draws one sample per pixel and no anti-aliasing pass (the cost of a
software-GL frame grows with both), while off-screen pictures keep supersampling."""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.render.antialias import use_interactive_antialiasing


def _grey_levels(setup) -> set[int]:
    """The grey levels of a white unlit square, turned 30° so its edges cross pixels
    diagonally, on black; ``setup(plotter)`` chooses the anti-aliasing."""
    plotter = pv.Plotter(off_screen=True, window_size=[96, 72])
    try:
        plotter.set_background("black")
        plane = pv.Plane(i_size=1, j_size=1).rotate_z(30)
        plotter.add_mesh(plane, color="white", lighting=False)
        plotter.view_xy()
        setup(plotter)
        img = plotter.screenshot(return_img=True)
        return set(np.unique(img[..., 0]).tolist())
    finally:
        plotter.close()


def test_interactive_view_draws_one_sample_without_a_pass():
    def interactive(plotter):
        plotter.enable_anti_aliasing("ssaa")  # what an off-screen picture uses
        use_interactive_antialiasing(plotter)
        assert plotter.ren_win.GetMultiSamples() == 0
        assert not plotter.renderer.GetUseFXAA()

    # every pixel is the square's or the background's: no edge blends
    assert _grey_levels(interactive) == {0, 255}


def test_supersampled_pictures_blend_their_edges():
    levels = _grey_levels(lambda p: p.enable_anti_aliasing("ssaa"))
    assert {0, 255} <= levels and len(levels) > 2


def test_bench_figure_names_the_demo_hall_draw():
    from twin.bench import selected

    assert {p for p, _ in selected("scene.draw_demo_thermal_ms")} == {"scene.draw_demo"}
