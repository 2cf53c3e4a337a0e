"""The interactive view blends translucent parts in drawing order (no order-independent pass,
whose full-size buffers cost a software-GL frame more than the factory itself), and draws the
air slices as opaque, their empty cells discarded, so they hide and show exactly."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twin.render.interactive import use_interactive_rendering
from twin.render.translucency import draw_as_opaque

WHITE, RED = (255, 255, 255), (255, 0, 0)


@pytest.fixture
def top_view():
    """A plotter looking straight down at the origin, drawn as the window draws."""
    p = pv.Plotter(off_screen=True, window_size=[80, 60])
    use_interactive_rendering(p)
    p.set_background("black")
    yield p
    p.close()


def _centre(p: pv.Plotter) -> np.ndarray:
    p.view_xy()
    p.camera.zoom(3.0)
    img = p.screenshot(return_img=True)
    return img[30, 40, :3].astype(int)


def test_every_renderer_blends_in_drawing_order():
    p = pv.Plotter(off_screen=True, window_size=[80, 60])
    try:
        use_interactive_rendering(p)
        renderers = list(p.ren_win.GetRenderers())
        assert len(renderers) >= 1
        assert not any(r.GetUseOIT() for r in renderers)
    finally:
        p.close()


def test_a_translucent_face_blends_over_the_opaque_scene(top_view):
    top_view.add_mesh(pv.Plane(center=(0, 0, 0), i_size=4, j_size=4), color=WHITE, lighting=False)
    top_view.add_mesh(
        pv.Plane(center=(0, 0, 1), i_size=4, j_size=4), color=RED, opacity=0.4, lighting=False
    )
    # over white, 40 % red: r = 255, g = b = 0.6 * 255
    assert np.abs(_centre(top_view) - [255, 153, 153]).max() <= 3


def _slice(z: float, values: list[float], x0: float = -2.0) -> pv.ImageData:
    """A row of 2 m x 4 m cells at height z from x = ``x0``, NaN for an empty cell."""
    mesh = pv.ImageData(
        dimensions=(len(values) + 1, 2, 1), spacing=(2.0, 4.0, 1.0), origin=(x0, -2, z)
    )
    mesh.cell_data["air_c"] = np.array(values, dtype=float)
    return mesh


def _add_slice(p, mesh, colour: str = "blue"):
    actor = p.add_mesh(
        mesh, scalars="air_c", preference="cell", cmap=[colour, colour], clim=(0, 1),
        nan_opacity=0.0, show_scalar_bar=False, lighting=False,
    )  # fmt: skip
    draw_as_opaque(actor)
    return actor


def test_a_slice_is_opaque_where_it_has_air_and_open_where_it_has_none(top_view):
    top_view.add_mesh(pv.Plane(center=(0, 0, 0), i_size=8, j_size=8), color=WHITE, lighting=False)
    actor = _add_slice(top_view, _slice(1.0, [np.nan, 0.5]))
    top_view.view_xy()
    img = top_view.screenshot(return_img=True)
    assert not actor.HasTranslucentPolygonalGeometry()
    left, right = img[30, 35, :3].astype(int), img[30, 45, :3].astype(int)
    assert np.abs(left - WHITE).max() <= 2  # the empty cell shows what lies under it
    assert np.abs(right - [0, 0, 255]).max() <= 2  # the air cell hides it, not blended


def test_the_nearer_of_two_slices_hides_the_other_whatever_the_drawing_order(top_view):
    _add_slice(top_view, _slice(1.0, [np.nan, 0.5]))  # nearer the camera, drawn first
    _add_slice(top_view, _slice(0.5, [np.nan, 0.5, 0.5, np.nan], x0=-4.0), "red")
    top_view.view_xy()
    img = top_view.screenshot(return_img=True)
    assert np.abs(img[30, 45, :3].astype(int) - [0, 0, 255]).max() <= 2
    assert np.abs(img[30, 35, :3].astype(int) - RED).max() <= 2  # seen through the empty cell
