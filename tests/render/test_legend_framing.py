"""Preset views frame the site between the legend columns: a hall at the edge of the site
is not left under a legend, and a preset follows the legends until the user moves the
camera. The site's corners are placed on screen by VTK's own transform."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
from vtkmodules.vtkRenderingCore import vtkCoordinate

from tests.render.test_thermal_layer import solved  # noqa: F401 (a module fixture)
from twin.model.frame import Frame
from twin.render.camera import CLEAR_PX
from twin.render.overlays import colour_gpus
from twin.render.scene import Scene
from twin.render.thermal_layer import INLETS, SLICE, ThermalLayer


@pytest.fixture
def wide():
    p = pv.Plotter(off_screen=True, window_size=[900, 560])
    yield p
    p.close()


def _draw(plotter) -> None:
    plotter.render()
    plotter.screenshot(return_img=True)  # (the first render of an off-screen plotter)


def _site_x_px(scene) -> tuple[float, float]:
    b = scene.site_bounds()
    c = vtkCoordinate()
    c.SetCoordinateSystemToWorld()
    xs = []
    for x in (b[0], b[3]):
        for y in (b[1], b[4]):
            for z in (b[2], b[5]):
                c.SetValue(x, y, z)
                xs.append(c.GetComputedDoubleDisplayValue(scene.plotter.renderer)[0])
    return min(xs), max(xs)


def _columns_drawn(scene) -> tuple[float, float]:
    """How far the legend boxes drawn by the last render reach in from each side (px)."""
    w = scene.plotter.renderer.GetSize()[0]
    boxes = scene.labels.backdrop.boxes
    left = max((b[2] for b in boxes if b[0] < w / 2), default=0.0)
    right = max((w - b[0] for b in boxes if b[0] >= w / 2), default=0.0)
    return left, right


def _scene(solved, plotter):  # noqa: F811
    f, nominal, _ = solved
    scene = Scene(f, plotter)
    frame = Frame.empty(0.0, f.counts())
    frame.gpu["temp_c"] = np.linspace(30, 90, f.n_gpus).astype(np.float32)
    assert colour_gpus(scene, frame, "temp_c")  # the GPU bar, on the right
    lay = ThermalLayer(scene, slice_height_m=1.2, arrow_spacing_m=1.0)
    lay.update(nominal)
    return scene, lay


@pytest.mark.parametrize("view", ["iso", "top"])
def test_a_preset_fits_the_site_between_the_legends(solved, wide, view):  # noqa: F811
    scene, lay = _scene(solved, wide)
    for name in (SLICE, INLETS):
        lay.show(name, True)  # the air bar on the left
    scene.set_view(view)
    _draw(wide)
    left, right = _columns_drawn(scene)
    assert left > 100 and right > 100  # both columns drawn
    x0, x1 = _site_x_px(scene)
    w = wide.renderer.GetSize()[0]
    assert x0 >= left + CLEAR_PX - 1.5 and x1 <= w - right - CLEAR_PX + 1.5, (x0, x1, left, right)
    # centred between them, not just inside
    assert (x0 + x1) / 2 == pytest.approx((left + w - right) / 2, abs=0.5)
    # the same view without the legends frames the site on the whole view as before
    scene.set_visible("legend", False)
    scene.set_view(view)
    _draw(wide)
    assert _columns_drawn(scene) == (0.0, 0.0)
    bare = _site_x_px(scene)
    assert bare[0] < left or bare[1] > w - right


def test_a_preset_follows_the_legends_until_the_camera_moves(solved, wide):  # noqa: F811
    scene, lay = _scene(solved, wide)
    scene.set_view("iso")
    _draw(wide)
    before = _site_x_px(scene)
    lay.show(SLICE, True)  # a legend column opens on the left: the preset frames round it
    _draw(wide)
    left, _ = _columns_drawn(scene)
    x0, _ = _site_x_px(scene)
    assert left > 100 and x0 >= left + CLEAR_PX - 1.5 > before[0]
    # the user pans: the view is theirs, and a legend coming or going leaves it
    cam = wide.camera
    cam.position = tuple(np.add(cam.position, (0.5, 0.0, 0.0)))
    cam.focal_point = tuple(np.add(cam.focal_point, (0.5, 0.0, 0.0)))
    _draw(wide)
    moved = wide.camera_position
    lay.show(SLICE, False)
    _draw(wide)
    assert wide.camera_position == moved


@pytest.mark.parametrize("legend", [False, True])
def test_a_preset_follows_the_views_size_until_the_camera_moves(solved, wide, legend):  # noqa: F811
    """A dock widened beside the view (the All Halls table) narrows it: an untouched preset
    fits the site to the narrower view, with or without a legend column beside it; a view
    the user moved stays as they left it."""
    if legend:
        scene, _ = _scene(solved, wide)
    else:
        scene = Scene(solved[0], wide)
    scene.set_view("iso")
    _draw(wide)
    x0, x1 = _site_x_px(scene)
    wide.window_size = [500, 560]
    _draw(wide)
    narrow = _site_x_px(scene)
    w = wide.renderer.GetSize()[0]
    assert w == 500 and x1 - x0 > w  # (the site would not fit as it was framed)
    _, right = _columns_drawn(scene)
    assert (right > 100) == legend
    assert narrow[0] >= CLEAR_PX - 1.5 and narrow[1] <= w - right - CLEAR_PX + 1.5, (narrow, right)
    cam = wide.camera
    cam.position = tuple(np.add(cam.position, (0.5, 0.0, 0.0)))
    cam.focal_point = tuple(np.add(cam.focal_point, (0.5, 0.0, 0.0)))
    _draw(wide)
    moved = wide.camera_position
    wide.window_size = [900, 560]
    _draw(wide)
    assert wide.camera_position == moved


def test_hiding_the_legend_layer_hides_the_overlays_bars_for_as_long(solved, wide):  # noqa: F811
    scene, lay = _scene(solved, wide)
    lay.show(SLICE, True)
    scene.set_visible("legend", False)
    _draw(wide)
    assert scene.labels.legends_drawn == [] and scene.labels.backdrop.boxes == []
    assert lay.air_bar.GetVisibility()  # what the overlay wants is kept for later
    scene.set_visible("legend", True)
    _draw(wide)
    assert scene.labels.legends_drawn == [scene.gpu_bar, lay.air_bar]
