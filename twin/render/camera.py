"""The scene's camera: presets (top, three-quarter, along a row), framing items, and the
zoom level other parts read (pixels per metre at the focal point)."""

from __future__ import annotations

import numpy as np

VIEW_ANGLE_DEG = 30.0
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

    def view_iso(self) -> None:
        """Three-quarter view from a row end, looking down the aisles: the cold aisles show
        the racks' fronts (a view across the rows would see some rows' rears)."""
        b = self.site_bounds()
        focal = (b[:3] + b[3:]) / 2
        focal[2] = 0.6
        self.frame(focal, iso_direction(self.scene.facility.rack_front_xy), (0, 0, 1), zoom=1.25)

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

    def set_view(self, view: str) -> None:
        """``top``, ``iso`` or ``row:ID``."""
        if view == "top":
            self.view_top()
        elif view == "iso":
            self.view_iso()
        elif view.startswith("row:"):
            row = view[4:]
            if row not in self.scene.facility.row_index:
                raise ValueError(
                    f"unknown row {row!r} (rows: {', '.join(self.scene.facility.row_ids)})"
                )
            self.view_along_row(row)
        else:
            raise ValueError(f"unknown view {view!r}: use top, iso or row:ID")
