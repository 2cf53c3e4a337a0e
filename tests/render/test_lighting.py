"""The interactive view is lit by one headlight, so a face turned to the viewer shows exactly
its colour (PyVista's light kit shades it darker)."""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.render.lighting import use_headlight


def _facing_plane_rgb(setup) -> np.ndarray:
    plotter = pv.Plotter(off_screen=True, window_size=[80, 60])
    try:
        plotter.add_mesh(pv.Plane(i_size=10, j_size=10), color=(200, 60, 30))
        plotter.view_xy()
        setup(plotter)
        img = plotter.screenshot(return_img=True)
        return img[30, 40, :3].astype(int)
    finally:
        plotter.close()


def test_headlight_is_the_only_light_and_follows_the_camera():
    plotter = pv.Plotter(off_screen=True, window_size=[80, 60])
    try:
        use_headlight(plotter)
        lights = list(plotter.renderer.GetLights())
        assert len(lights) == 1 and lights[0].LightTypeIsHeadlight()
    finally:
        plotter.close()


def test_a_face_turned_to_the_viewer_shows_its_own_colour():
    lit = _facing_plane_rgb(use_headlight)
    assert np.abs(lit - [200, 60, 30]).max() <= 2
    kit = _facing_plane_rgb(lambda p: None)
    assert np.abs(kit - [200, 60, 30]).max() > 2  # the light kit shades it otherwise
