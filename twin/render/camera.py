"""The scene's camera: presets (top, three-quarter, along a row), framing items, and the
zoom level other parts read (pixels per metre at the focal point)."""

from __future__ import annotations

import numpy as np

VIEW_ANGLE_DEG = 30.0
#: Pixels a preset view keeps between the site and a legend column (and the view's edge).
CLEAR_PX = 12
#: A preset view fits the site between the legend columns only while they leave this share
#: of the view's width free (a narrower view hides legends that would not fit anyway).
MIN_FREE_SHARE = 0.4
#: Dolly-and-pan passes that fit the site between the legends (a third moves it by under 0.3 px).
FIT_PASSES = 3
ROW_VIEW_ANGLE_DEG = 60.0  # eye level inside an aisle needs a wide lens


def iso_direction(rack_front_xy: np.ndarray) -> tuple[float, float, float]:
    """Camera direction of the three-quarter view: from the rows' ends (along the rows,
    slightly off to one side) and above. Rows run across their racks' facing direction."""
    f = np.abs(np.asarray(rack_front_xy, dtype=float).reshape(-1, 2))
    rows_along_x = f.size == 0 or f[:, 1].sum() >= f[:, 0].sum()
    return (-1.0, -0.4, 0.9) if rows_along_x else (-0.4, -1.0, 0.9)


class SceneCamera:
    """Places the camera of a scene's plotter. Owned by ``Scene`` (``scene.cameras``)."""

    def __init__(self, scene) -> None:
        self.scene = scene
        #: the last preset, the legend columns and view size it framed for and where it left
        #: the camera (``follow_legends``); None once the user has moved the camera
        self._preset: tuple[str, tuple[float, float], tuple[int, int], tuple] | None = None

    def camera(self):
        """The renderer's camera, marked as placed (so PyVista does not reset it and redraw
        on first access)."""
        cam = self.scene.plotter.renderer.camera
        cam.is_set = True
        return cam

    def pixels_per_m(self) -> float:
        """Screen pixels per metre at the focal point: the zoom level the label LOD uses."""
        cam = self.camera()
        h = max(self.scene.plotter.window_size[1], 1)
        if cam.parallel_projection:
            return h / (2 * cam.parallel_scale)
        dist = max(float(np.linalg.norm(np.subtract(cam.position, cam.focal_point))), 1e-6)
        return h / (2 * dist * np.tan(np.deg2rad(cam.view_angle) / 2))

    def site_bounds(self) -> np.ndarray:
        """[x0, y0, z0, x1, y1, z1] of all halls."""
        f = self.scene.facility
        lo = np.hstack([f.hall_origin_m.min(axis=0), [0.0]])
        hi = np.hstack(
            [(f.hall_origin_m + f.hall_size_m[:, :2]).max(axis=0), [f.hall_size_m[:, 2].max()]]
        )
        return np.concatenate([lo, hi])

    def frame(self, focal, direction, up, zoom: float = 1.0, parallel: bool = False) -> None:
        """Look at ``focal`` from ``direction``, distance chosen to fit the whole site."""
        cam = self.camera()
        cam.parallel_projection = parallel
        cam.view_angle = VIEW_ANGLE_DEG
        direction = np.asarray(direction, dtype=float)
        direction /= np.linalg.norm(direction)
        cam.focal_point = tuple(focal)
        cam.position = tuple(np.asarray(focal) + direction)
        cam.up = tuple(up)
        self.scene.plotter.renderer.ResetCamera(*self.site_bounds()[[0, 3, 1, 4, 2, 5]])
        cam.zoom(zoom)
        self.scene.plotter.renderer.ResetCameraClippingRange()

    def view_top(self) -> None:
        """Plan view from straight above (orthographic), +y up."""
        b = self.site_bounds()
        focal = (b[:3] + b[3:]) / 2
        focal[2] = 0.0
        self.frame(focal, (0, 0, 1), (0, 1, 0), parallel=True)
        w, h = (max(int(v), 1) for v in self.scene.plotter.window_size)
        dx, dy = b[3] - b[0], b[4] - b[1]
        self.camera().parallel_scale = 0.54 * max(dy, dx * h / w)  # the site, with a margin
        self.clear_legends()

    def view_iso(self) -> None:
        """Three-quarter view from a row end, looking down the aisles: the cold aisles show
        the racks' fronts (a view across the rows would see some rows' rears)."""
        b = self.site_bounds()
        focal = (b[:3] + b[3:]) / 2
        focal[2] = 0.6
        self.frame(focal, iso_direction(self.scene.facility.rack_front_xy), (0, 0, 1), zoom=1.25)
        self.clear_legends()

    def clear_legends(self) -> None:
        """Fit the site, across the view, between the legend columns that show now: shrink
        it to the width they leave free and centre it there. Without this the site is
        centred on the whole view and a hall at its edge (the factory's air hall, left of
        its liquid halls) lay under the thermal legends. The legends are placed once the
        view is set, so a preset chosen after an overlay is turned on frames round it.
        Without legends a site that fits the view's width is left as framed; one wider than
        a narrow view (a dock beside it) is shrunk to fit, as VTK fits only the height."""
        left, right = self._columns()
        w = max(int(self.scene.plotter.window_size[0]), 1)
        free = w - left - right - 2 * CLEAR_PX
        if free < MIN_FREE_SHARE * w:
            return
        if left <= 0 and right <= 0:
            x0, x1 = self.site_span_px()
            if x0 >= CLEAR_PX and x1 <= w - CLEAR_PX:
                return
        cam = self.camera()
        for _ in range(FIT_PASSES):  # in perspective a dolly and a pan each move the other
            x0, x1 = self.site_span_px()
            if x1 - x0 > free:
                if cam.parallel_projection:
                    cam.parallel_scale *= (x1 - x0) / free
                else:
                    cam.Dolly(free / (x1 - x0))
                x0, x1 = self.site_span_px()
            self.pan_px(left + CLEAR_PX + free / 2 - (x0 + x1) / 2)
        self.scene.plotter.renderer.ResetCameraClippingRange()

    def site_span_px(self) -> tuple[float, float]:
        """Leftmost and rightmost display x (px) of the site's bounding box's corners."""
        renderer = self.scene.plotter.renderer
        b = self.site_bounds()
        xs = []
        for x in (b[0], b[3]):
            for y in (b[1], b[4]):
                for z in (b[2], b[5]):
                    renderer.SetWorldPoint(x, y, z, 1.0)
                    renderer.WorldToDisplay()
                    xs.append(renderer.GetDisplayPoint()[0])
        return min(xs), max(xs)

    def pan_px(self, dx_px: float) -> None:
        """Move what the view shows ``dx_px`` pixels to the right (as measured at the focal
        point), keeping the direction: camera and focal point move the other way."""
        cam = self.camera()
        h = max(int(self.scene.plotter.window_size[1]), 1)
        pos, focal = np.array(cam.position), np.array(cam.focal_point)
        if cam.parallel_projection:
            half_h = cam.parallel_scale
        else:
            half_h = float(np.linalg.norm(pos - focal)) * np.tan(np.deg2rad(cam.view_angle) / 2)
        look = (focal - pos) / max(float(np.linalg.norm(focal - pos)), 1e-12)
        right = np.cross(look, np.asarray(cam.up, float))
        right /= max(float(np.linalg.norm(right)), 1e-12)
        move = -right * dx_px * 2 * half_h / h
        cam.position = tuple(pos + move)
        cam.focal_point = tuple(focal + move)

    def view_along_row(self, row: str | int) -> None:
        """Eye-level view down the cold aisle in front of a row, from its first rack."""
        f = self.scene.facility
        r = f.row_index[row] if isinstance(row, str) else int(row)
        racks = np.flatnonzero(f.rack_row == r)
        if racks.size == 0:
            raise ValueError(f"row {f.row_ids[r]!r} has no racks")
        first, last = self.scene.rack_center[racks[0]], self.scene.rack_center[racks[-1]]
        front = np.array([*f.rack_front_xy[racks[0]], 0.0])
        axis = last - first
        length = float(np.linalg.norm(axis[:2]))
        axis = axis / length if length > 1e-6 else np.array([-front[1], front[0], 0.0])
        depth = f.rack_size_m[racks[0], 1]
        aisle = front * (depth / 2 + 0.9)
        # just past the row end (units often stand along the walls further out), wide lens
        eye = first - axis * (f.rack_size_m[racks[0], 0] / 2 + 0.9) + aisle
        eye[2] = 1.7
        target = last + front * (depth / 2 + 0.2)
        target[2] = 1.0
        cam = self.camera()
        cam.parallel_projection = False
        cam.view_angle = ROW_VIEW_ANGLE_DEG
        cam.position = tuple(eye)
        cam.focal_point = tuple(target)
        cam.up = (0.0, 0.0, 1.0)
        self.scene.plotter.renderer.ResetCameraClippingRange()

    def look_at(self, kind: str, indices) -> None:
        """Centre the view on items, keeping the direction, close enough to see them well."""
        c, size, _ = self.scene.item_boxes(kind, indices)
        if len(c) == 0:
            return
        cam = self.camera()
        centre = c.mean(axis=0)
        radius = 0.5 * float(
            np.linalg.norm(np.ptp(np.vstack([c - size / 2, c + size / 2]), axis=0))
        )
        direction = np.subtract(cam.position, cam.focal_point)
        direction /= max(float(np.linalg.norm(direction)), 1e-9)
        dist = max(radius, 0.3) / np.tan(np.deg2rad(cam.view_angle) / 2) * 1.6
        cam.focal_point = tuple(centre)
        cam.position = tuple(centre + direction * dist)
        if cam.parallel_projection:
            cam.parallel_scale = max(radius, 0.3) * 1.6
        self.scene.plotter.renderer.ResetCameraClippingRange()

    def _state(self) -> tuple:
        cam = self.camera()
        return (
            tuple(cam.position), tuple(cam.focal_point), tuple(cam.up), cam.view_angle,
            cam.parallel_scale, cam.parallel_projection,
        )  # fmt: skip

    def _size(self) -> tuple[int, int]:
        w, h = self.scene.plotter.window_size
        return int(w), int(h)

    def _columns(self) -> tuple[float, float]:
        labels = getattr(self.scene, "labels", None)
        return (0.0, 0.0) if labels is None else labels.legend_columns_px()

    def follow_legends(self) -> None:
        """Frame the last preset again when the legend columns or the view's size changed
        under it (an overlay turned on, the window resized, a dock widened beside the view)
        while the camera is still where the preset put it; once the user has moved the
        camera, the view is theirs and stays. Without the size a dock that took a third of
        the window's width left the factory's outer halls outside the view."""
        if self._preset is None:
            return
        view, columns, size, state = self._preset
        if self._state() != state:
            self._preset = None
        elif self._size() != size or (
            max(abs(a - b) for a, b in zip(self._columns(), columns, strict=True)) > CLEAR_PX
        ):  # (a title moved a pixel or two into the view by ``legend_fit`` is not a change)
            self.set_view(view)

    def set_view(self, view: str) -> None:
        """``top``, ``iso`` or ``row:ID``."""
        if view in ("top", "iso"):
            (self.view_top if view == "top" else self.view_iso)()
            self._preset = (view, self._columns(), self._size(), self._state())
        elif view.startswith("row:"):
            row = view[4:]
            if row not in self.scene.facility.row_index:
                raise ValueError(
                    f"unknown row {row!r} (rows: {', '.join(self.scene.facility.row_ids)})"
                )
            self.view_along_row(row)
        else:
            raise ValueError(f"unknown view {view!r}: use top, iso or row:ID")
