"""What the editor draws over a ``Scene`` (no Qt): racks moved in place while they are dragged,
constraint highlights (errors red, warnings amber), the rubber-band selection box, and the
screen/floor geometry a drag needs (floor point under the cursor, racks inside a box).

Why in place: a drag must not rebuild a mesh of 100,000 GPUs per mouse move. Every point of
the rack, GPU and tray meshes belongs to one rack; a moved rack's points get the rigid motion
from the pose they were drawn at to the facility's current pose, nothing else is touched.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor2D, vtkCoordinate, vtkPolyDataMapper2D

from twin.render import geometry as geo
from twin.render.links import LinkRouter
from twin.render.scene import Scene

ERROR_RGB = (230, 57, 70)  # red
WARNING_RGB = (255, 176, 32)  # amber
BOX_RGB = (0.35, 0.75, 1.0)
PROBLEM_PAD_M = 0.08


def _owner_index(owner: np.ndarray, n_owners: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR of points by owner: (order, starts) so owner k's points are
    ``order[starts[k]:starts[k+1]]``."""
    order = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order], np.arange(n_owners + 1))
    return order, starts


class EditLayer:
    """Editing overlays of one ``Scene``; ``remove()`` takes them out again."""

    def __init__(self, scene: Scene):
        self.scene = scene
        f = scene.facility
        self.drawn_xy = f.rack_center_m[:, :2].copy()
        self.drawn_rot = f.rack_rotation_deg.copy()
        self._meshes: list[tuple[pv.PolyData, np.ndarray, np.ndarray]] = []
        n = f.n_racks

        def track(mesh, owner_of_box: np.ndarray | None, per_box: int = 8) -> None:
            if mesh is None or mesh.n_points == 0:
                return
            box = np.arange(mesh.n_points) // per_box
            owner = box if owner_of_box is None else owner_of_box[box]
            self._meshes.append((mesh, *_owner_index(owner, n)))

        track(scene.rack_mesh, None)
        racks = scene.layers.get("racks")
        if racks is not None and len(racks.actors) > 1:
            track(racks.actors[1].mapper.dataset, None)  # the rack edges
        if f.n_gpus:
            track(scene.gpu_mesh, f.gpu_rack)
        servers = scene.layers.get("servers")
        if servers is not None and servers.actors:
            track(servers.actors[0].mapper.dataset, f.host_rack)
        self._label_hier = self._label_poly = None
        labels = scene.layers.get("rack_labels")
        if labels is not None and labels.actors:
            hier = labels.actors[0].GetMapper().GetInputAlgorithm()
            poly = hier.GetInputDataObject(0, 0) if hier is not None else None
            if poly is not None and poly.GetNumberOfPoints() == n:
                self._label_hier, self._label_poly = hier, poly
        self._problem_solid: pv.PolyData | None = None
        self._problem_edges: pv.PolyData | None = None
        self._problem_actors: list = []
        self._box_poly: vtkPolyData | None = None
        self._box_actor = None

    # ------------------------------------------------------------------ moving racks
    def sync_racks(self, racks=None) -> np.ndarray:
        """Redraw racks whose pose in the facility differs from the drawn one (or just
        ``racks``, facility indices). Returns the indices that moved."""
        f = self.scene.facility
        if racks is None:
            racks = np.flatnonzero(
                np.any(f.rack_center_m[:, :2] != self.drawn_xy, axis=1)
                | (f.rack_rotation_deg != self.drawn_rot)
            )
        idx = np.unique(np.asarray(racks, dtype=np.int64).reshape(-1))
        if idx.size == 0:
            return idx
        new_xy = f.rack_center_m[idx, :2]
        new_rot = f.rack_rotation_deg[idx]
        d = np.deg2rad(new_rot - self.drawn_rot[idx])
        cos, sin = np.cos(d), np.sin(d)
        origin = self.scene._origin[f.rack_hall[idx], :2]
        old_site = self.drawn_xy[idx] + origin
        new_site = new_xy + origin
        for mesh, order, starts in self._meshes:
            counts = starts[idx + 1] - starts[idx]
            if counts.sum() == 0:
                continue
            pts_i = order[
                np.repeat(starts[idx] - np.cumsum(counts) + counts, counts)
                + np.arange(counts.sum())
            ]
            which = np.repeat(np.arange(len(idx)), counts)
            pts = mesh.points  # a view of the VTK array: written in place
            v = pts[pts_i, :2] - old_site[which]
            c, s = cos[which], sin[which]
            pts[pts_i, 0] = new_site[which, 0] + v[:, 0] * c - v[:, 1] * s
            pts[pts_i, 1] = new_site[which, 1] + v[:, 0] * s + v[:, 1] * c
            mesh.GetPoints().Modified()
            mesh.Modified()
        sc = self.scene
        sc.rack_center[idx, :2] = new_site
        if f.n_gpus:
            g = np.flatnonzero(np.isin(f.gpu_rack, idx))
            sc.gpu_center[g] = f.gpu_position_m[g] + sc._origin[f.gpu_hall[g]]
        if self._label_poly is not None:  # rack labels sit over the front edge
            pts = vtk_to_numpy(self._label_poly.GetPoints().GetData())
            front = f.rack_front_xy[idx] * (f.rack_size_m[idx, 1:2] / 2)
            pts[idx, :2] = new_site + front
            self._label_poly.GetPoints().Modified()
            self._label_hier.Modified()
        self.drawn_xy[idx] = new_xy
        self.drawn_rot[idx] = new_rot
        sc.picker.reset()  # the pick locators were built on the old points
        return idx

    def refresh_links(self) -> None:
        """Re-route the power and cooling connections for the racks' current places (after a
        drag ends, not on every mouse move), in place in the scene's link meshes."""
        sc = self.scene
        router = LinkRouter(sc.facility, sc._origin)
        sc.links = router
        for attr, new in (
            ("_power_links", router.power_links()),
            ("_cool_links", router.cooling_links()),
        ):
            mesh = getattr(sc, attr)
            mesh.copy_from(new)
            mesh.Modified()
        power = sc.layers.get("power_links")
        if power is not None and len(power.actors) > 1:
            hubs = power.actors[1].mapper.dataset
            hubs.copy_from(router.hub_points())
            hubs.Modified()

    # ------------------------------------------------------------------ problems
    def set_problems(self, errors, warnings=()) -> None:
        """Highlight items given as ``(kind, index)`` pairs (kinds as ``Scene.item_boxes``
        takes them): errors red, warnings amber. An item that is both shows red."""
        err = list(errors)
        errset = set(err)
        warn = [w for w in warnings if w not in errset]
        centres, sizes, rots, rgbs = [], [], [], []
        for items, rgb in ((err, ERROR_RGB), (warn, WARNING_RGB)):
            by_kind: dict[str, list[int]] = {}
            for kind, i in items:
                by_kind.setdefault(kind, []).append(int(i))
            for kind, idx in by_kind.items():
                try:
                    c, s, r = self.scene.item_boxes(kind, idx)
                except KeyError:
                    continue
                centres.append(c)
                sizes.append(s + PROBLEM_PAD_M)
                rots.append(r)
                rgbs.append(np.tile(np.array(rgb, np.uint8), (len(c), 1)))
        if centres:
            c, s, r = np.concatenate(centres), np.concatenate(sizes), np.concatenate(rots)
            rgb = np.concatenate(rgbs)
            solid = geo.boxes(c, s, r)
            solid.cell_data["rgb"] = np.repeat(rgb, len(geo.ALL_FACES), axis=0)
            edges = geo.box_edges(c, s, r)
            edges.cell_data["rgb"] = np.repeat(rgb, 12, axis=0)
        else:
            solid, edges = pv.PolyData(), pv.PolyData()
        self.problem_count = len(err) + len(warn)
        if self._problem_solid is None:
            if solid.n_points == 0:
                return
            self._problem_solid, self._problem_edges = solid, edges
            p = self.scene.plotter
            kw = dict(
                scalars="rgb",
                rgb=True,
                preference="cell",
                pickable=False,
                reset_camera=False,
                lighting=False,
            )
            self._problem_actors = [
                p.add_mesh(solid, opacity=0.35, name="edit_problems", **kw),
                p.add_mesh(edges, line_width=4, name="edit_problem_edges", **kw),
            ]
            self.scene.add_layer("edit_problems", self._problem_actors)
        else:
            self._problem_solid.copy_from(solid)
            self._problem_edges.copy_from(edges)
            for m in (self._problem_solid, self._problem_edges):
                m.Modified()

    def problem_cells(self) -> int:
        """Cells of the problem highlight (for tests): 6 quads per highlighted item."""
        return 0 if self._problem_solid is None else self._problem_solid.n_cells

    # ------------------------------------------------------------------ rubber band
    def set_box(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """Show the selection rectangle between two display points (VTK pixels)."""
        pts = vtkPoints()
        for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1)):
            pts.InsertNextPoint(float(x), float(y), 0.0)
        lines = vtkCellArray()
        lines.InsertNextCell(5)
        for k in (0, 1, 2, 3, 0):
            lines.InsertCellPoint(k)
        if self._box_poly is None:
            self._box_poly = vtkPolyData()
            mapper = vtkPolyDataMapper2D()
            mapper.SetInputData(self._box_poly)
            coord = vtkCoordinate()
            coord.SetCoordinateSystemToDisplay()
            mapper.SetTransformCoordinate(coord)
            actor = vtkActor2D()
            actor.SetMapper(mapper)
            actor.GetProperty().SetColor(*BOX_RGB)
            actor.GetProperty().SetLineWidth(1.5)
            self.scene.plotter.add_actor(actor, reset_camera=False, name="edit_box", render=False)
            self._box_actor = actor
        self._box_poly.SetPoints(pts)
        self._box_poly.SetLines(lines)
        self._box_poly.Modified()
        self._box_actor.SetVisibility(True)

    def clear_box(self) -> None:
        if self._box_actor is not None:
            self._box_actor.SetVisibility(False)

    @property
    def box_visible(self) -> bool:
        return self._box_actor is not None and bool(self._box_actor.GetVisibility())

    # ------------------------------------------------------------------ screen geometry
    def _display_of(self, world: np.ndarray) -> np.ndarray:
        """(N, 2) display pixels (origin bottom-left) of world points, vectorised."""
        ren = self.scene.plotter.renderer
        w, h = (max(int(v), 1) for v in ren.GetSize())
        cam = ren.GetActiveCamera()
        m = cam.GetCompositeProjectionTransformMatrix(w / h, -1, 1)
        mat = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])
        p = np.hstack([world, np.ones((len(world), 1))]) @ mat.T
        ndc = p[:, :2] / p[:, 3:4]
        x0, y0 = ren.GetOrigin()
        return np.stack([x0 + (ndc[:, 0] + 1) * w / 2, y0 + (ndc[:, 1] + 1) * h / 2], axis=1)

    def racks_in_box(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Facility indices of visible racks whose centre shows inside the display box."""
        sc = self.scene
        f = sc.facility
        if f.n_racks == 0:
            return np.zeros(0, np.int64)
        c = sc.rack_center.copy()
        c[:, 2] = f.rack_size_m[:, 2] / 2
        d = self._display_of(c)
        lo_x, hi_x = sorted((x0, x1))
        lo_y, hi_y = sorted((y0, y1))
        inside = (d[:, 0] >= lo_x) & (d[:, 0] <= hi_x) & (d[:, 1] >= lo_y) & (d[:, 1] <= hi_y)
        return np.flatnonzero(inside)

    def view_ray(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray] | None:
        """World points where the view ray through display point (x, y) meets the near and
        far clipping planes."""
        ren = self.scene.plotter.renderer
        ends = []
        for depth in (0.0, 1.0):
            ren.SetDisplayPoint(float(x), float(y), depth)
            ren.DisplayToWorld()
            wx, wy, wz, ww = ren.GetWorldPoint()
            if ww == 0:
                return None
            ends.append(np.array([wx, wy, wz]) / ww)
        return ends[0], ends[1]

    def pick_rack(self, x: float, y: float) -> tuple[int, np.ndarray] | None:
        """The rack whose box the view ray through (x, y) enters first, and the entry point,
        or None. Analytic (a slab test per rack, vectorised): always matches the racks' current
        places, with no pick locator to rebuild after a move."""
        f = self.scene.facility
        ray = self.view_ray(x, y)
        if ray is None or f.n_racks == 0:
            return None
        a, b = ray
        c = self.scene.rack_center.copy()
        c[:, 2] = f.rack_size_m[:, 2] / 2
        t = np.deg2rad(f.rack_rotation_deg)
        cos, sin = np.cos(t), np.sin(t)

        def local(p: np.ndarray, is_dir: bool) -> np.ndarray:
            d = np.broadcast_to(p, c.shape) if is_dir else p[None, :] - c
            return np.stack(
                [d[:, 0] * cos + d[:, 1] * sin, -d[:, 0] * sin + d[:, 1] * cos, d[:, 2]], 1
            )

        o = local(a, False)
        d = local(b - a, True)
        half = f.rack_size_m / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (-half - o) / d
            t2 = (half - o) / d
        lo = np.where(np.isnan(t1), -np.inf, np.minimum(t1, t2))
        hi = np.where(np.isnan(t2), np.inf, np.maximum(t1, t2))
        inside_slab = (d == 0) & (np.abs(o) <= half)
        lo = np.where(d == 0, np.where(inside_slab, -np.inf, np.inf), lo)
        hi = np.where(d == 0, np.where(inside_slab, np.inf, -np.inf), hi)
        enter = lo.max(axis=1)
        leave = hi.min(axis=1)
        hit = (enter <= leave) & (leave >= 0)
        if not hit.any():
            return None
        enter = np.where(hit, np.maximum(enter, 0.0), np.inf)
        i = int(np.argmin(enter))
        return i, a + enter[i] * (b - a)

    def floor_point(self, x: float, y: float, z_m: float = 0.0) -> np.ndarray | None:
        """Site (x, y) where the view ray through display point (x, y) meets the horizontal
        plane at height ``z_m``; None when the ray runs parallel to it or away from it."""
        ray = self.view_ray(x, y)
        if ray is None:
            return None
        a, b = ray
        dz = b[2] - a[2]
        if abs(dz) < 1e-12:
            return None
        t = (z_m - a[2]) / dz
        if t < 0:
            return None
        return (a + t * (b - a))[:2]

    # ------------------------------------------------------------------ teardown
    def remove(self) -> None:
        p = self.scene.plotter
        for a in self._problem_actors:
            p.remove_actor(a, reset_camera=False, render=False)
        self._problem_actors = []
        self.scene.layers.pop("edit_problems", None)
        self._problem_solid = self._problem_edges = None
        if self._box_actor is not None:
            p.remove_actor(self._box_actor, reset_camera=False, render=False)
            self._box_actor = None
            self._box_poly = None


def snap_delta(delta_m, pitch_m: float) -> np.ndarray:
    """A drag offset snapped to whole multiples of the grid pitch (0 or less: no snapping)."""
    d = np.asarray(delta_m, dtype=float)
    if pitch_m <= 0:
        return d
    return np.round(d / pitch_m) * pitch_m


def snap_point(xy_m, pitch_m: float) -> np.ndarray:
    """A floor point snapped to the nearest grid node."""
    return snap_delta(xy_m, pitch_m)
