"""While the camera moves the scene draws cheap frames: outlines hidden and lit surfaces drawn
unlit (a lit pixel costs about twice an unlit one under software GL); when it stops every
actor gets its own material and its layer's visibility back. The interactive view clears to
one colour instead of drawing a gradient over every pixel."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twin.render import style
from twin.render.interactive import use_interactive_rendering
from twin.render.motion import MOVING_DIFFUSE, MOVING_OUTLINED, is_outline
from twin.render.scene import Scene


def _outlines(scene) -> list:
    return [
        a
        for name, layer in scene.layers.items()
        if name in MOVING_OUTLINED
        for a in layer.actors
        if is_outline(a) and a.GetVisibility()
    ]


def _lit(scene) -> list:
    return [
        a
        for layer in scene.layers.values()
        for a in layer.actors
        if a.IsA("vtkActor") and a.GetVisibility() and a.GetProperty().GetLighting()
    ]


def test_outline_means_lines_and_no_faces():
    lines = pv.Line((0, 0, 0), (1, 0, 0))
    assert is_outline(pv.Actor(mapper=pv.DataSetMapper(lines)))
    assert not is_outline(pv.Actor(mapper=pv.DataSetMapper(pv.Plane())))


def test_moving_camera_hides_outlines_and_unlights_surfaces_until_it_stops(facility, plotter):
    scene = Scene(facility, plotter)
    scene.view_iso()
    plotter.ren_win.Render()
    outlines, lit = _outlines(scene), _lit(scene)
    diffuse = [a.GetProperty().GetDiffuse() for a in lit]
    names = {n for n, lay in scene.layers.items() for a in lay.actors if a in outlines}
    assert {"walls", "racks", "air_units"} <= names
    assert len(lit) >= 4

    scene.lod.set_interacting(True)
    plotter.ren_win.Render()
    assert not any(a.GetVisibility() for a in outlines)
    shown = [a.GetVisibility() for a in lit]  # the far level hides the GPUs and trays
    assert scene.layers["floor"].actors[0] in [a for a, s in zip(lit, shown, strict=True) if s]
    for a, was, s in zip(lit, diffuse, shown, strict=True):
        if s:
            assert not a.GetProperty().GetLighting()
            assert a.GetProperty().GetDiffuse() == pytest.approx(was * MOVING_DIFFUSE)

    scene.lod.set_interacting(False)
    plotter.ren_win.Render()
    assert all(a.GetVisibility() for a in outlines)
    assert all(a.GetProperty().GetLighting() for a in lit)
    assert [a.GetProperty().GetDiffuse() for a in lit] == pytest.approx(diffuse)


def test_a_layer_hidden_during_a_move_stays_hidden_after_it(facility, plotter):
    scene = Scene(facility, plotter)
    plotter.ren_win.Render()
    wall_outline = next(a for a in scene.layers["walls"].actors if is_outline(a))
    scene.lod.set_interacting(True)
    scene.set_visible("walls", False)
    scene.lod.set_interacting(False)
    assert not wall_outline.GetVisibility()
    scene.set_visible("walls", True)
    assert wall_outline.GetVisibility()


def _corner_rgb(plotter) -> tuple[np.ndarray, np.ndarray]:
    img = plotter.screenshot(return_img=True).astype(int)
    return img[1, 1, :3], img[-2, 1, :3]  # top left, bottom left


def test_the_interactive_view_clears_to_one_colour(facility):
    p = pv.Plotter(off_screen=True, window_size=[120, 90])
    try:
        use_interactive_rendering(p)
        Scene(facility, p)
        top, bottom = _corner_rgb(p)
        plain = np.array(style.hex_rgb(style.BACKGROUND))
        assert np.abs(top - plain).max() <= 1 and np.abs(bottom - plain).max() <= 1
    finally:
        p.close()


def test_an_off_screen_picture_keeps_the_gradient(facility, plotter):
    Scene(facility, plotter)
    top, bottom = _corner_rgb(plotter)
    assert np.abs(top - style.hex_rgb(style.BACKGROUND_TOP)).max() <= 6
    assert np.abs(bottom - style.hex_rgb(style.BACKGROUND_BOTTOM)).max() <= 6
