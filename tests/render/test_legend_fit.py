"""Colour-bar titles stay inside the view however narrow it is."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twin.render.legend_fit import MARGIN_PX, fitted_x, title_width_px
from twin.render.scene import Scene


def test_fitted_x_keeps_a_bar_home_when_its_title_fits():
    assert fitted_x(0.84, 100, 80, 1000) == pytest.approx(0.84)


def test_fitted_x_moves_a_bar_in_by_its_overhang():
    # home centre 0.84*400 + 20 = 356; a 150 px title needs the centre <= 400 - 6 - 75 = 319
    x = fitted_x(0.84, 40, 150, 400)
    assert x * 400 + 20 + 75 == pytest.approx(400 - MARGIN_PX)
    # on the left edge: the centre moves right to 6 + 75
    x = fitted_x(0.015, 40, 150, 400)
    assert x * 400 + 20 - 75 == pytest.approx(MARGIN_PX)


def test_fitted_x_starts_a_title_wider_than_the_view_at_the_left():
    x = fitted_x(0.84, 40, 500, 400)
    assert x * 400 + 20 - 250 == pytest.approx(MARGIN_PX)


@pytest.mark.parametrize("width", [360, 1200])
def test_scene_bar_title_inside_a_narrow_view_and_home_in_a_wide_one(facility, width):
    plotter = pv.Plotter(off_screen=True, window_size=[width, 360])
    try:
        scene = Scene(facility, plotter)
        values = np.linspace(30, 80, facility.n_gpus)
        scene.set_gpu_values(values, "GPU temperature (°C)", (25, 90), "inferno")
        plotter.screenshot()  # an off-screen plotter draws only for an image
        bar = scene.gpu_bar
        view_px = plotter.renderer.GetSize()[0]
        frame_px = min(bar.GetWidth() * view_px, bar.GetMaximumWidthInPixels())
        title_px = title_width_px(bar, plotter.render_window.GetDPI())
        centre = bar.GetPosition()[0] * view_px + frame_px / 2
        assert title_px > 100
        assert centre - title_px / 2 >= MARGIN_PX - 1
        assert centre + title_px / 2 <= view_px - MARGIN_PX + 1
        if width == 1200:
            assert bar.GetPosition()[0] == pytest.approx(0.84)  # nothing to fit: left alone
        else:
            assert bar.GetPosition()[0] < 0.84
        scene.remove()
        assert scene.labels._legend_observer is None  # the observer goes with the scene
    finally:
        plotter.close()
