"""The hall camera: turntable orbit with up kept up and the eye above the floor, zoom towards
the point under the cursor (which stays under it), pan that drags the floor."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twin.render import navigation as nav


@pytest.fixture
def view():
    p = pv.Plotter(off_screen=True, window_size=[400, 300])
    p.add_mesh(pv.Plane(i_size=40, j_size=40))
    cam = p.renderer.GetActiveCamera()
    cam.SetFocalPoint(0.0, 0.0, 0.0)
    cam.SetPosition(-10.0, -10.0, 8.0)
    cam.SetViewUp(0.0, 0.0, 1.0)
    p.renderer.ResetCameraClippingRange()
    yield p
    p.close()


def _elev_az_dist(cam):
    d = np.subtract(cam.GetPosition(), cam.GetFocalPoint())
    h = np.hypot(d[0], d[1])
    return np.degrees(np.arctan2(d[2], h)), np.degrees(np.arctan2(d[1], d[0])), np.linalg.norm(d)


def _display(ren, point):
    ren.SetWorldPoint(*point, 1.0)
    ren.WorldToDisplay()
    return np.array(ren.GetDisplayPoint()[:2])


def test_horizontal_drag_turns_about_the_vertical(view):
    cam = view.renderer.GetActiveCamera()
    e0, a0, d0 = _elev_az_dist(cam)
    nav.orbit(cam, 100, 0)
    e1, a1, d1 = _elev_az_dist(cam)
    assert e1 == pytest.approx(e0) and d1 == pytest.approx(d0)
    assert (a0 - a1) % 360 == pytest.approx(100 * nav.ORBIT_DEG_PER_PX)
    up = np.array(cam.GetViewUp())
    look = np.subtract(cam.GetFocalPoint(), cam.GetPosition())
    assert abs(np.cross(look, up)[2]) < 1e-9 and up[2] > 0.5  # the horizon stays level


def test_never_under_the_floor_nor_past_overhead(view):
    cam = view.renderer.GetActiveCamera()
    nav.orbit(cam, 0, 2000)  # drag far down: the view would go under the floor
    e, _, _ = _elev_az_dist(cam)
    assert e == pytest.approx(nav.MIN_ELEVATION_DEG)
    assert cam.GetPosition()[2] >= nav.MIN_EYE_M
    nav.orbit(cam, 0, -5000)
    e, _, _ = _elev_az_dist(cam)
    assert e == pytest.approx(nav.MAX_ELEVATION_DEG)


def test_wheel_zoom_keeps_the_point_under_the_cursor_and_undoes(view):
    ren = view.renderer
    cam = ren.GetActiveCamera()
    view.ren_win.Render()
    pixel = (300.0, 100.0)
    target = nav.floor_point(ren, *pixel)
    assert target is not None and target[2] == pytest.approx(0.0, abs=1e-9)
    before = np.array(cam.GetPosition()), np.array(cam.GetFocalPoint())
    nav.zoom_to(cam, target, 0.2)
    ren.ResetCameraClippingRange()
    np.testing.assert_allclose(_display(ren, target), pixel, atol=0.5)
    assert np.linalg.norm(np.subtract(cam.GetPosition(), target)) == pytest.approx(
        0.8 * np.linalg.norm(before[0] - target)
    )
    nav.zoom_to(cam, target, -0.2)
    np.testing.assert_allclose(cam.GetPosition(), before[0], atol=1e-9)
    np.testing.assert_allclose(cam.GetFocalPoint(), before[1], atol=1e-9)


def test_pan_drags_the_floor(view):
    ren = view.renderer
    cam = ren.GetActiveCamera()
    view.ren_win.Render()
    a = nav.floor_point(ren, 150, 120)
    b = nav.floor_point(ren, 250, 160)
    z0 = cam.GetPosition()[2]
    nav.pan_floor(cam, a, b)
    ren.ResetCameraClippingRange()
    np.testing.assert_allclose(nav.floor_point(ren, 250, 160), a, atol=1e-6)
    assert cam.GetPosition()[2] == pytest.approx(z0)  # along the floor, not up or down
