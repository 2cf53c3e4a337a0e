"""A camera for halls: turntable orbit (up stays up, never under the floor), zoom towards the
point under the cursor, pan along the floor.

The camera moves are plain functions of a VTK camera, so they can be used and tested without
a window; ``Navigation`` binds them to a plotter's interactor (left drag orbits, middle drag
or Shift+left drag pans along the floor, the wheel zooms to the cursor) in place of VTK's
trackball, which tilts the horizon and lets the eye sink under the floor.
"""

from __future__ import annotations

import numpy as np

#: The view's lowest and highest elevation above the floor plane (degrees): never level with
#: or under the floor, never exactly overhead (where azimuth is undefined).
MIN_ELEVATION_DEG = 3.0
MAX_ELEVATION_DEG = 89.5
#: Lowest eye height (m) and the share of the distance to the cursor's point one wheel notch
#: moves.
MIN_EYE_M = 0.3
WHEEL_STEP = 0.2
#: Degrees of orbit per pixel dragged.
ORBIT_DEG_PER_PX = 0.3


def _vec(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _azimuth(camera, d: np.ndarray) -> float:
    """Direction of the eye around the focal point (radians); straight overhead, the side the
    screen's bottom faces."""
    if np.hypot(d[0], d[1]) > 1e-9:
        return float(np.arctan2(d[1], d[0]))
    up = camera.GetViewUp()
    return float(np.arctan2(-up[1], -up[0]))


def clamp(camera) -> None:
    """Keep the eye above the floor and the view looking down at least a little, with +z up
    on screen (a plan view straight from above keeps its own up)."""
    focal, pos = _vec(camera.GetFocalPoint()), _vec(camera.GetPosition())
    d = pos - focal
    dist = float(np.linalg.norm(d))
    if dist < 1e-9:
        return
    elev = float(np.degrees(np.arctan2(d[2], np.hypot(d[0], d[1]))))
    if elev < MIN_ELEVATION_DEG:
        e, az = np.radians(MIN_ELEVATION_DEG), _azimuth(camera, d)
        pos = focal + dist * np.array([np.cos(e) * np.cos(az), np.cos(e) * np.sin(az), np.sin(e)])
    if pos[2] < MIN_EYE_M:
        pos[2] = MIN_EYE_M
    camera.SetPosition(*pos)
    if elev < 89.99:
        camera.SetViewUp(0.0, 0.0, 1.0)
        camera.OrthogonalizeViewUp()


def orbit(camera, dx_px: float, dy_px: float) -> None:
    """Turntable: a horizontal drag turns about the vertical through the focal point, a
    vertical drag changes the elevation; then ``clamp``."""
    focal, pos = _vec(camera.GetFocalPoint()), _vec(camera.GetPosition())
    d = pos - focal
    dist = float(np.linalg.norm(d))
    horiz = float(np.hypot(d[0], d[1]))
    az = _azimuth(camera, d) - np.radians(dx_px * ORBIT_DEG_PER_PX)
    elev = np.arctan2(d[2], horiz) - np.radians(dy_px * ORBIT_DEG_PER_PX)
    elev = np.clip(elev, np.radians(MIN_ELEVATION_DEG), np.radians(MAX_ELEVATION_DEG))
    d = dist * np.array([np.cos(elev) * np.cos(az), np.cos(elev) * np.sin(az), np.sin(elev)])
    camera.SetPosition(*(focal + d))
    camera.SetViewUp(0.0, 0.0, 1.0)
    clamp(camera)


def floor_point(renderer, x: float, y: float, z: float = 0.0) -> np.ndarray | None:
    """Where the ray through display pixel (x, y) meets the plane at height ``z`` (None when it
    points away from it)."""
    pts = []
    for depth in (0.0, 1.0):
        renderer.SetDisplayPoint(float(x), float(y), depth)
        renderer.DisplayToWorld()
        w = renderer.GetWorldPoint()
        pts.append(_vec(w[:3]) / (w[3] if w[3] else 1.0))
    a, b = pts
    if abs(b[2] - a[2]) < 1e-12:
        return None
    t = (z - a[2]) / (b[2] - a[2])
    if t < 0:
        return None
    return a + t * (b - a)


def zoom_to(camera, point, step: float = WHEEL_STEP) -> None:
    """Move the eye and the focal point towards ``point`` by ``step`` of the way (a negative
    step moves away, so that one notch in and one out come back to where they were)."""
    point = _vec(point)
    k = step if step >= 0 else step / (1.0 + step)
    for get, set_ in (
        (camera.GetPosition, camera.SetPosition),
        (camera.GetFocalPoint, camera.SetFocalPoint),
    ):
        p = _vec(get())
        set_(*(p + k * (point - p)))
    if camera.GetParallelProjection():
        camera.SetParallelScale(camera.GetParallelScale() * (1.0 - k))
    clamp(camera)


def pan_floor(camera, start, end) -> None:
    """Slide the eye and focal point along the floor so that floor point ``start`` moves to
    under where ``end`` was (drag the floor)."""
    shift = _vec(start) - _vec(end)
    shift[2] = 0.0
    camera.SetPosition(*(_vec(camera.GetPosition()) + shift))
    camera.SetFocalPoint(*(_vec(camera.GetFocalPoint()) + shift))


class Navigation:
    """Binds the camera moves to a plotter's interactor, through an interactor style that
    does nothing by itself (every camera move is ours). ``on_motion(bool)`` is told when a
    drag starts and ends (the scene draws its coarse level meanwhile); ``on_click(x, y)`` gets
    a left click that did not move the camera, ``on_double_click(x, y)`` a double click
    (display pixels, origin bottom-left)."""

    #: A press and release closer than this (pixels) is a click, not a drag.
    CLICK_PX = 4

    def __init__(self, plotter, on_motion=None, on_click=None, on_double_click=None) -> None:
        import vtkmodules.vtkInteractionStyle as styles

        self.plotter = plotter
        self.on_motion = on_motion
        self.on_click = on_click
        self.on_double_click = on_double_click
        self._mode: str | None = None
        self._press = self._last = (0, 0)
        self.iren = plotter.iren.interactor
        # events reach a style's observers whatever the GUI toolkit (an interactor's own
        # observers miss button releases under Qt)
        self.style = styles.vtkInteractorStyleUser()
        plotter.iren.style = self.style
        for event, fn in (
            ("LeftButtonPressEvent", self._left_down),
            ("LeftButtonReleaseEvent", self._up),
            ("MiddleButtonPressEvent", self._middle_down),
            ("MiddleButtonReleaseEvent", self._up),
            ("MouseMoveEvent", self._move),
            ("MouseWheelForwardEvent", lambda *_: self._wheel(WHEEL_STEP)),
            ("MouseWheelBackwardEvent", lambda *_: self._wheel(-WHEEL_STEP)),
        ):
            self.style.AddObserver(event, fn)

    def detach(self) -> None:
        self.style.RemoveAllObservers()

    @property
    def camera(self):
        return self.plotter.renderer.GetActiveCamera()

    def _start(self, mode: str) -> None:
        self._mode = mode
        self._press = self._last = self.iren.GetEventPosition()
        if self.on_motion is not None:
            self.on_motion(True)

    def _left_down(self, *_args) -> None:
        if self.iren.GetRepeatCount() > 0 and self.on_double_click is not None:
            self.on_double_click(*self.iren.GetEventPosition())
            return
        self._start("pan" if self.iren.GetShiftKey() else "orbit")

    def _middle_down(self, *_args) -> None:
        self._start("pan")

    def _up(self, *_args) -> None:
        if self._mode is None:
            return
        mode, self._mode = self._mode, None
        if self.on_motion is not None:
            self.on_motion(False)
        x, y = self.iren.GetEventPosition()
        px, py = self._press
        if mode == "orbit" and abs(x - px) + abs(y - py) <= self.CLICK_PX and self.on_click:
            self.on_click(x, y)
        self.plotter.render()

    def _move(self, *_args) -> None:
        if self._mode is None:
            return
        x, y = self.iren.GetEventPosition()
        lx, ly = self._last
        self._last = (x, y)
        if self._mode == "orbit":
            orbit(self.camera, x - lx, y - ly)
        else:
            ren = self.plotter.renderer
            z = float(self.camera.GetFocalPoint()[2])
            a, b = floor_point(ren, lx, ly, z), floor_point(ren, x, y, z)
            if a is not None and b is not None:
                pan_floor(self.camera, a, b)
        self.plotter.renderer.ResetCameraClippingRange()
        self.plotter.render()

    def _wheel(self, step: float) -> None:
        x, y = self.iren.GetEventPosition()
        ren = self.plotter.renderer
        # the floor under the cursor (a surface pick would cost a render on a large scene)
        target = floor_point(ren, x, y, 0.0)
        if target is None:
            target = _vec(self.camera.GetFocalPoint())
        zoom_to(self.camera, target, step)
        ren.ResetCameraClippingRange()
        self.plotter.render()
