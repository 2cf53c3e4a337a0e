"""The physics drawn into the 3D scene: air temperature on a horizontal and a vertical slice,
airflow arrows on those slices, and each rack's inlet temperature profile on its front face.

Meshes are built once per grid (hall, shape, cell size); a new ``ThermalResult`` on the same
grid only writes into the existing VTK arrays (slice temperatures, arrow points, inlet colours)
and marks them modified, so a replay can refresh the overlay on every frame. Moving a slice
keeps its mesh too: the plane's origin moves and its values are rewritten.

No Qt here: the window (``twin.ui.thermal_view``) and ``twin render --thermal`` both drive it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkLookupTable
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import vtkTextActor

from twin.render import geometry as geo
from twin.render import style
from twin.render.scene import Scene

#: Fixed colour range of air temperature (C): the same colours mean the same air in every view.
AIR_CLIM_C = (15.0, 45.0)
#: ASHRAE A1 inlet bands (C): recommended 18-27, allowable 15-32 (REFERENCE.md).
A1_ALLOWABLE_C = (15.0, 32.0)
A1_RECOMMENDED_C = (18.0, 27.0)
INLET_CLIM_C = (10.0, 40.0)
#: The table range drawn: shifted by 0.05 K so a value that rounds to a band edge (17.99 ->
#: 18.0) takes the band above it.
_INLET_TABLE_C = (INLET_CLIM_C[0] - 0.05, INLET_CLIM_C[1] - 0.05)
INLET_COLOURS = (  # (upper edge C, colour): below allowable, allowable low, recommended, ...
    (A1_ALLOWABLE_C[0], "#e0403a"),  # outside allowable: red on both sides
    (A1_RECOMMENDED_C[0], "#7cc8ea"),
    (A1_RECOMMENDED_C[1], "#3dbb6a"),
    (A1_ALLOWABLE_C[1], "#f0b030"),
    (np.inf, "#e0403a"),
)
#: Arrow length equals the arrow spacing at this speed (m/s); longer arrows are capped.
ARROW_REF_SPEED_MS = 1.0
ARROW_MAX_SCALE = 1.6
#: Slower air gets no arrow (m/s): a field of dots says nothing.
ARROW_MIN_SPEED_MS = 0.05
ARROW_COLOUR = "#f4f7fa"

#: Scene layer names of the overlays.
SLICE, VSLICE, ARROWS, INLETS, LEGEND, FAILED = (
    "air_slice",
    "air_vslice",
    "air_arrows",
    "rack_inlets",
    "thermal_legend",
    "failed_units",
)
FAILED_COLOUR = "#ff4d4d"
OVERLAYS = (SLICE, VSLICE, ARROWS, INLETS)
#: Short names for the command line (``twin render --thermal slice,arrows``).
OVERLAY_NAMES = {"slice": SLICE, "vslice": VSLICE, "arrows": ARROWS, "inlets": INLETS}


def _arrow_template() -> tuple[np.ndarray, np.ndarray]:
    """Points (T, 3) of a unit arrow along +x centred on the origin, and its triangles (F, 3)."""
    a = pv.Arrow(
        start=(-0.5, 0.0, 0.0),
        direction=(1.0, 0.0, 0.0),
        tip_length=0.35,
        tip_radius=0.15,
        shaft_radius=0.05,
        tip_resolution=8,
        shaft_resolution=8,
        scale=1.0,
    ).triangulate()
    return np.asarray(a.points, float), a.regular_faces.astype(np.int64)


def _frames(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to each unit direction d (N, 3)."""
    ref = np.where(np.abs(d[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e2 = np.cross(d, ref)
    e2 /= np.maximum(np.linalg.norm(e2, axis=1, keepdims=True), 1e-12)
    return e2, np.cross(d, e2)


@dataclass
class _Arrows:
    """Arrows at a fixed lattice of a plane: count fixed, points rewritten in place."""

    mesh: pv.PolyData
    points: np.ndarray  # (N*T, 3) view of the VTK points
    lattice: tuple[np.ndarray, ...]  # index arrays into the grid (N each)
    center_m: np.ndarray  # (N, 3) site coordinates of the arrow centres
    actor: object = None


class ThermalLayer:
    """Thermal overlays of one ``Scene``. ``update(result)`` draws a result (building meshes on
    the first result of a grid); ``set_slice_height``/``set_vertical_slice`` move the planes;
    ``show`` toggles overlays. Everything lives in scene layers, so ``scene.remove()`` clears
    it with the rest."""

    def __init__(
        self,
        scene: Scene,
        *,
        slice_height_m: float = 1.2,
        vertical_axis: str = "x",
        vertical_pos_m: float | None = None,
        arrow_spacing_m: float = 0.6,
    ):
        if vertical_axis not in ("x", "y"):
            raise ValueError(f"vertical slice axis must be 'x' or 'y', got {vertical_axis!r}")
        self.scene = scene
        self.plotter = scene.plotter
        self.result = None
        self.slice_height_m = float(slice_height_m)
        self.vertical_axis = vertical_axis
        self.vertical_pos_m = vertical_pos_m
        self.arrow_spacing_m = float(arrow_spacing_m)
        self.wanted = {name: False for name in OVERLAYS}
        self._grid_key = None
        self.slice_mesh: pv.ImageData | None = None
        self.vslice_mesh: pv.ImageData | None = None
        self.inlet_mesh: pv.PolyData | None = None
        self.arrows_h: _Arrows | None = None
        self.arrows_v: _Arrows | None = None
        self.slice_k = 0
        self.vslice_index = 0
        self._template = _arrow_template()
        for name in (*OVERLAYS, LEGEND, FAILED):
            scene.add_layer(name, [], visible=False)
        self.failed_units: list[int] = []
        self.air_bar = self.inlet_bar = self.arrow_note = None

    # ------------------------------------------------------------------ public
    @property
    def built(self) -> bool:
        return self._grid_key is not None

    def update(self, result) -> None:
        """Draw ``result`` (a ``twin.physics.ThermalResult``): in place on the same grid."""
        g = result.grid
        key = (g.hall, tuple(g.shape), float(g.cell_m), tuple(np.asarray(g.site_origin_m)))
        self.result = result
        with self.scene.quiet():
            if key != self._grid_key:
                self._build(result)
                self._grid_key = key
            self._write_slice()
            self._write_vslice()
            self._write_arrows(self.arrows_h)
            self._write_arrows(self.arrows_v)
            self._write_inlets()
            self._sync()

    def invalidate(self) -> None:
        """Rebuild the meshes on the next ``update`` (the layout's racks moved)."""
        self._grid_key = None

    def show(self, name: str, on: bool) -> None:
        """Show or hide one overlay (``air_slice``, ``air_vslice``, ``air_arrows``,
        ``rack_inlets``); it appears once a result is drawn."""
        if name not in self.wanted:
            raise KeyError(f"unknown thermal overlay {name!r}: use {', '.join(OVERLAYS)}")
        self.wanted[name] = bool(on)
        self._sync()

    def any_shown(self) -> bool:
        return any(self.wanted.values())

    def set_slice_height(self, z_m: float) -> float:
        """Put the horizontal slice in the grid layer holding height ``z_m`` (clamped to the
        hall); returns the height drawn (that layer's centre)."""
        self.slice_height_m = float(z_m)
        if not self.built:
            return self.slice_height_m
        with self.scene.quiet():
            self._place_slice()
            self._write_slice()
            self._place_arrows_h()
            self._write_arrows(self.arrows_h)
            self._sync()
        return self._layer_centre(2, self.slice_k)

    def set_vertical_slice(self, axis: str | None = None, pos_m: float | None = None) -> float:
        """Vertical slice normal to ``axis`` ('x': a y-z plane at x = pos) at hall-local
        ``pos_m``; a new axis rebuilds that plane's mesh, a new position only moves it. Returns
        the position drawn (a cell centre)."""
        if axis is not None and axis not in ("x", "y"):
            raise ValueError(f"vertical slice axis must be 'x' or 'y', got {axis!r}")
        new_axis = axis is not None and axis != self.vertical_axis
        if axis is not None:
            self.vertical_axis = axis
        if pos_m is not None:
            self.vertical_pos_m = float(pos_m)
        if not self.built:
            return float(self.vertical_pos_m or 0.0)
        ax = 0 if self.vertical_axis == "x" else 1
        with self.scene.quiet():
            if new_axis:
                self._build_vslice()
            self._place_vslice()
            self._write_vslice()
            self._write_arrows(self.arrows_v)
            self._sync()
        return self._layer_centre(ax, self.vslice_index)

    def mark_failed(self, units) -> None:
        """Outline failed air units (facility indices) in red with a "FAILED" tag, so the
        picture says why the room runs hot. Redrawn only when the set changes."""
        idx = sorted({int(i) for i in units})
        if idx == self.failed_units and self.scene.layers[FAILED].actors:
            return
        self.failed_units = idx
        lay = self.scene.layers[FAILED]
        with self.scene.quiet():
            for a in lay.actors:
                self.plotter.remove_actor(a, reset_camera=False, render=False)
            lay.actors.clear()
            if idx:
                c, size, rot = self.scene.item_boxes("air_unit", idx)
                pad = np.stack([size[:, 0] * 0.04 + 0.02, size[:, 1] * 0.04 + 0.02], 1)
                grown = size + np.hstack([pad, np.full((len(idx), 1), 0.03)])
                lifted = c + [0.0, 0.0, 0.015]  # standing on the floor, not through it
                edges = self.plotter.add_mesh(
                    geo.box_edges(lifted, grown, rot),
                    color=FAILED_COLOUR,
                    line_width=3,
                    lighting=False,
                    pickable=False,
                    reset_camera=False,
                    name="failed_units",
                )
                top = c.copy()
                top[:, 2] = size[:, 2] + 0.25
                f = self.scene.facility
                tags = self.plotter.add_point_labels(
                    top,
                    [f"{f.air_unit_ids[i]} FAILED" for i in idx],
                    font_size=12,
                    text_color="#ffffff",
                    shape_color=FAILED_COLOUR,
                    shape="rounded_rect",
                    shape_opacity=0.9,
                    show_points=False,
                    always_visible=True,
                    bold=True,
                    reset_camera=False,
                    name="failed_unit_tags",
                )
                lay.actors.extend([edges, tags])
        self.scene.set_visible(FAILED, True)

    def slice_values(self) -> np.ndarray:
        """The horizontal slice's air temperatures as drawn, (nx, ny) (NaN in solids)."""
        nx, ny, _ = self.result.grid.shape
        return self._slice_vals.reshape(ny, nx).T

    def vslice_values(self) -> np.ndarray:
        """The vertical slice's air temperatures as drawn, (n_along, nz)."""
        nx, ny, nz = self.result.grid.shape
        n = ny if self.vertical_axis == "x" else nx
        return self._vslice_vals.reshape(nz, n).T

    def arrow_count(self, which: str = "h") -> int:
        a = self.arrows_h if which == "h" else self.arrows_v
        return 0 if a is None else len(a.center_m)

    def remove(self) -> None:
        """Take the overlays out of the plotter (the scene keeps empty layers)."""
        with self.scene.quiet():
            for name in (*OVERLAYS, LEGEND, FAILED):
                lay = self.scene.layers.get(name)
                if lay is None:
                    continue
                for a in lay.actors:
                    self.plotter.remove_actor(a, reset_camera=False, render=False)
                lay.actors.clear()
        self._grid_key = None

    # ------------------------------------------------------------------ building
    def _layer_centre(self, axis: int, index: int) -> float:
        g = self.result.grid
        return float(g.origin_m[axis] + (index + 0.5) * g.cell_m)

    def _site(self) -> np.ndarray:
        g = self.result.grid
        return np.asarray(g.origin_m, float) + np.asarray(g.site_origin_m, float)

    def _build(self, result) -> None:
        self.remove()
        g = result.grid
        nx, ny, nz = g.shape
        h = g.cell_m
        o = self._site()
        # horizontal slice: one quad per grid column, cell order x fastest (VTK's order)
        self.slice_mesh = pv.ImageData(dimensions=(nx + 1, ny + 1, 1), spacing=(h, h, h), origin=o)
        self.slice_mesh.cell_data["air_c"] = np.full(nx * ny, np.nan)
        self._slice_vtk = self.slice_mesh.GetCellData().GetArray("air_c")
        self._slice_vals = vtk_to_numpy(self._slice_vtk)
        self.slice_actor = self._add_air(self.slice_mesh, "air_slice")
        self.scene.add_layer(SLICE, [self.slice_actor], visible=False)
        self._place_slice()
        self._build_vslice()
        self._build_arrows()
        self._build_inlets()
        self._build_legend()

    def _add_air(self, mesh, name: str):
        return self.plotter.add_mesh(
            mesh,
            scalars="air_c",
            preference="cell",
            cmap=style.CMAP_AIR,
            clim=AIR_CLIM_C,
            nan_opacity=0.0,
            show_scalar_bar=False,
            lighting=False,
            pickable=False,
            reset_camera=False,
            name=name,
        )

    def _build_vslice(self) -> None:
        lay = self.scene.layers[VSLICE]
        for a in lay.actors:
            self.plotter.remove_actor(a, reset_camera=False, render=False)
        lay.actors.clear()
        g = self.result.grid
        nx, ny, nz = g.shape
        h = g.cell_m
        dims = (1, ny + 1, nz + 1) if self.vertical_axis == "x" else (nx + 1, 1, nz + 1)
        n = (ny if self.vertical_axis == "x" else nx) * nz
        self.vslice_mesh = pv.ImageData(dimensions=dims, spacing=(h, h, h), origin=self._site())
        self.vslice_mesh.cell_data["air_c"] = np.full(n, np.nan)
        self._vslice_vtk = self.vslice_mesh.GetCellData().GetArray("air_c")
        self._vslice_vals = vtk_to_numpy(self._vslice_vtk)
        self.vslice_actor = self._add_air(self.vslice_mesh, "air_vslice")
        lay.actors.append(self.vslice_actor)
        self._place_vslice()
        self._build_arrows_v()

    def _place_slice(self) -> None:
        g = self.result.grid
        nz = g.shape[2]
        # + 1e-6: a height on a layer boundary (1.2 m with 0.2 m cells) takes the layer above,
        # however the float division rounds
        k = int(
            np.clip(np.floor((self.slice_height_m - g.origin_m[2]) / g.cell_m + 1e-6), 0, nz - 1)
        )
        self.slice_k = k
        o = self._site()
        o[2] = self._layer_centre(2, k)
        self.slice_mesh.origin = o

    def _place_vslice(self) -> None:
        g = self.result.grid
        ax = 0 if self.vertical_axis == "x" else 1
        n = g.shape[ax]
        if self.vertical_pos_m is None:  # the middle of the hall
            self.vertical_pos_m = float(g.origin_m[ax] + n * g.cell_m / 2)
        i = int(
            np.clip(np.floor((self.vertical_pos_m - g.origin_m[ax]) / g.cell_m + 1e-6), 0, n - 1)
        )
        self.vslice_index = i
        o = self._site()
        o[ax] += (i + 0.5) * g.cell_m
        self.vslice_mesh.origin = o

    def _write_slice(self) -> None:
        self._slice_vals[:] = self.result.air_c[:, :, self.slice_k].ravel(order="F")
        self._slice_vtk.Modified()
        self.slice_mesh.Modified()

    def _write_vslice(self) -> None:
        air = self.result.air_c
        i = self.vslice_index
        plane = air[i, :, :] if self.vertical_axis == "x" else air[:, i, :]
        self._vslice_vals[:] = plane.ravel(order="F")
        self._vslice_vtk.Modified()
        self.vslice_mesh.Modified()

    # ------------------------------------------------------------------ arrows
    def _stride(self) -> int:
        return max(1, int(round(self.arrow_spacing_m / self.result.grid.cell_m)))

    def _new_arrows(self, n: int, name: str) -> _Arrows:
        tp, tf = self._template
        t = len(tp)
        faces = (tf[None, :, :] + t * np.arange(n, dtype=np.int64)[:, None, None]).reshape(-1, 3)
        mesh = pv.PolyData.from_regular_faces(np.zeros((n * t, 3)), faces) if n else pv.PolyData()
        arrows = _Arrows(mesh, np.zeros((0, 3)), (), np.zeros((0, 3)))
        if n:
            arrows.points = vtk_to_numpy(mesh.GetPoints().GetData())
            arrows.actor = self.plotter.add_mesh(
                mesh,
                color=ARROW_COLOUR,
                ambient=0.35,
                diffuse=0.75,
                specular=0.2,
                pickable=False,
                reset_camera=False,
                name=name,
            )
        return arrows

    def _lattice(self, n: int, s: int) -> np.ndarray:
        return np.arange(min(s // 2, n - 1), n, s)

    def _build_arrows(self) -> None:
        g = self.result.grid
        nx, ny, _ = g.shape
        s = self._stride()
        ii, jj = np.meshgrid(self._lattice(nx, s), self._lattice(ny, s), indexing="ij")
        self.arrows_h = self._new_arrows(ii.size, "air_arrows_h")
        self._h_ij = (ii.ravel(), jj.ravel())
        self._place_arrows_h()
        self._arrow_layer()

    def _place_arrows_h(self) -> None:
        a = self.arrows_h
        if a is None:
            return
        i, j = self._h_ij
        k = np.full_like(i, self.slice_k)
        a.lattice = (i, j, k)
        a.center_m = self._centres(i, j, k)

    def _build_arrows_v(self) -> None:
        g = self.result.grid
        nx, ny, nz = g.shape
        s = self._stride()
        ax = 0 if self.vertical_axis == "x" else 1
        along = self._lattice(ny if ax == 0 else nx, s)
        kk = self._lattice(nz, s)
        aa, kk = np.meshgrid(along, kk, indexing="ij")
        if self.arrows_v is not None and self.arrows_v.actor is not None:
            self.plotter.remove_actor(self.arrows_v.actor, reset_camera=False, render=False)
        self.arrows_v = self._new_arrows(aa.size, "air_arrows_v")
        self._v_ak = (aa.ravel(), kk.ravel())
        self._arrow_layer()

    def _v_lattice(self) -> tuple[np.ndarray, ...]:
        a, k = self._v_ak
        i = np.full_like(a, self.vslice_index)
        return (i, a, k) if self.vertical_axis == "x" else (a, i, k)

    def _arrow_layer(self) -> None:
        lay = self.scene.layers[ARROWS]
        lay.actors.clear()
        lay.actors.extend(a.actor for a in (self.arrows_h, self.arrows_v) if a and a.actor)

    def _centres(self, i, j, k) -> np.ndarray:
        h = self.result.grid.cell_m
        return self._site() + (np.stack([i, j, k], axis=1) + 0.5) * h

    def _write_arrows(self, arrows: _Arrows | None) -> None:
        if arrows is None or arrows.actor is None:
            return
        if arrows is self.arrows_v:
            arrows.lattice = self._v_lattice()
            arrows.center_m = self._centres(*arrows.lattice)
        u, v, w = self.result.velocity
        i, j, k = arrows.lattice
        vel = np.stack([u[i, j, k], v[i, j, k], w[i, j, k]], axis=1)
        speed = np.linalg.norm(vel, axis=1)
        d = vel / np.maximum(speed, 1e-12)[:, None]
        d[speed < 1e-12] = (1.0, 0.0, 0.0)
        spacing = self._stride() * self.result.grid.cell_m
        length = spacing * np.minimum(speed / ARROW_REF_SPEED_MS, ARROW_MAX_SCALE)
        length[~(speed >= ARROW_MIN_SPEED_MS)] = 0.0  # also NaN speeds
        e2, e3 = _frames(d)
        tp = self._template[0]
        local = (
            tp[None, :, 0:1] * d[:, None, :]
            + tp[None, :, 1:2] * e2[:, None, :]
            + tp[None, :, 2:3] * e3[:, None, :]
        )
        pts = arrows.center_m[:, None, :] + length[:, None, None] * local
        arrows.points[:] = pts.reshape(-1, 3)
        arrows.mesh.GetPoints().Modified()
        arrows.mesh.Modified()
        self.arrow_speed_ms = speed

    # ------------------------------------------------------------------ rack inlets
    def _build_inlets(self) -> None:
        """Each rack of the hall gets its front face split into horizontal bands, one per grid
        layer up to its top: the air each band draws in, so recirculation at the top shows."""
        f = self.scene.facility
        g = self.result.grid
        racks = np.asarray(g.rack_ids, dtype=np.int64)
        self._inlet_racks = racks
        nb = max(1, int(np.ceil(float(f.rack_size_m[racks, 2].max(initial=0.0)) / g.cell_m)))
        self._inlet_bands = nb
        n = len(racks)
        if n == 0:
            self.inlet_mesh = None
            return
        t = np.deg2rad(f.rack_rotation_deg[racks])
        xdir = np.stack([np.cos(t), np.sin(t), np.zeros(n)], 1)
        front = np.hstack([f.rack_front_xy[racks], np.zeros((n, 1))])
        depth, width, height = (
            f.rack_size_m[racks, 1],
            f.rack_size_m[racks, 0],
            f.rack_size_m[racks, 2],
        )
        local = np.hstack([f.rack_center_m[racks, :2], np.zeros((n, 1))])  # hall-local
        c = local + np.array([*np.asarray(g.site_origin_m, float)[:2], 0.0])
        face_c = c + front * (depth[:, None] / 2 + 0.01)  # just proud of the face
        # band k is grid layer k (as voxelised: layers whose centre is below the rack's top),
        # the last one stretched to the top
        edges = g.origin_m[2] + np.arange(nb + 1) * g.cell_m
        zc = (edges[:-1] + edges[1:]) / 2
        n_in = np.maximum((zc[None, :] < height[:, None]).sum(axis=1), 1)  # (n,)
        z = np.where(np.arange(nb + 1)[None, :] < n_in[:, None], edges[None, :], height[:, None])
        half = xdir * (width[:, None] / 2)
        left = face_c[:, None, :] - half[:, None, :] + z[:, :, None] * [0, 0, 1]
        right = face_c[:, None, :] + half[:, None, :] + z[:, :, None] * [0, 0, 1]
        pts = np.stack([left, right], axis=2).reshape(-1, 3)  # (n, nb+1, 2) points per rack
        base = (np.arange(n)[:, None] * (nb + 1) * 2 + np.arange(nb)[None, :] * 2).reshape(-1)
        quads = np.stack([base, base + 1, base + 3, base + 2], axis=1)
        self.inlet_mesh = pv.PolyData.from_regular_faces(pts, quads)
        self.inlet_mesh.cell_data["inlet_c"] = np.full(n * nb, np.nan)
        self.inlet_mesh.cell_data["rack_index"] = np.repeat(racks.astype(np.int32), nb)
        self._inlet_vtk = self.inlet_mesh.GetCellData().GetArray("inlet_c")
        self._inlet_vals = vtk_to_numpy(self._inlet_vtk)
        # the air cells in front of each band: samples every half cell across the rack's width,
        # half a cell out (and 1.5 cells out where that cell is solid); a band shows their max
        m = 2 * int(np.ceil(float(width.max()) / g.cell_m)) + 1  # odd: the centre is one
        frac = np.linspace(-0.499, 0.499, m)
        across = frac[None, :, None] * (width[:, None, None] * xdir[:, None])  # (n, m, 3)
        self._inlet_cells = []
        for dist in (0.5, 1.5):
            p = local + front * (depth[:, None] / 2 + dist * g.cell_m)  # (n, 3)
            p = p[:, None, None, :] + across[:, None, :, :]  # (n, 1, m, 3)
            p = np.broadcast_to(p, (n, nb, m, 3)).copy()
            p[..., 2] = zc[None, :, None]
            self._inlet_cells.append(g.cell_at(p.reshape(-1, 3)))
        # keep the cells whose centre lies within the rack's width (as the voxels do), and
        # always the middle one; bands above the rack's voxels get none
        cc = g.origin_m + (self._inlet_cells[0] + 0.5) * g.cell_m
        cc = cc.reshape(n, nb, m, 3)
        off = ((cc[..., :2] - local[:, None, None, :2]) * xdir[:, None, None, :2]).sum(axis=-1)
        keep = (np.abs(off) <= width[:, None, None] / 2) | (np.arange(m) == m // 2)[None, None]
        keep &= (np.arange(nb)[None, :] < n_in[:, None])[:, :, None]
        self._inlet_keep = keep.reshape(n * nb, m)
        self._inlet_shape = (n * nb, m)
        self.inlet_actor = self.plotter.add_mesh(
            self.inlet_mesh,
            scalars="inlet_c",
            preference="cell",
            clim=_INLET_TABLE_C,
            show_scalar_bar=False,
            ambient=0.4,
            diffuse=0.7,
            specular=0.05,
            pickable=False,
            reset_camera=False,
            name="rack_inlets",
        )
        lut = self.inlet_actor.mapper.lookup_table
        lut.DeepCopy(inlet_lookup_table())
        self.inlet_actor.mapper.scalar_range = _INLET_TABLE_C
        self.scene.add_layer(INLETS, [self.inlet_actor], visible=False)

    def inlet_band_values(self) -> np.ndarray:
        """(racks of the hall, bands) inlet temperatures drawn, bottom band first."""
        return self._inlet_vals.reshape(len(self._inlet_racks), self._inlet_bands)

    def _write_inlets(self) -> None:
        if self.inlet_mesh is None:
            return
        air = self.result.air_c
        near, far = (
            air[c[:, 0], c[:, 1], c[:, 2]].reshape(self._inlet_shape) for c in self._inlet_cells
        )
        vals = np.where(np.isfinite(near), near, far)
        vals = np.where(self._inlet_keep, vals, np.nan)
        with np.errstate(invalid="ignore"):
            best = np.max(np.where(np.isfinite(vals), vals, -np.inf), axis=1)
        self._inlet_vals[:] = np.where(np.isfinite(best), best, np.nan)
        self._inlet_vtk.Modified()
        self.inlet_mesh.Modified()

    # ------------------------------------------------------------------ legends
    def _build_legend(self) -> None:
        # (legend_fit moves a bar in when a narrow view would cut its title; the inlet bar
        # sits low enough that its title clears the air bar's lowest label)
        air_lut = self.slice_actor.mapper.lookup_table
        self.air_bar = _scalar_bar(air_lut, "Air temperature (°C)", (0.015, 0.52), 7)
        self.inlet_bar = _scalar_bar(inlet_lookup_table(), "Rack inlet (°C)", (0.015, 0.07), 0)
        lut = self.inlet_bar.GetLookupTable()
        for value, text in (
            (A1_ALLOWABLE_C[0], "15 A1 allowable"),
            (A1_RECOMMENDED_C[0], "18 recommended"),
            (A1_RECOMMENDED_C[1], "27 recommended"),
            (A1_ALLOWABLE_C[1], "32 allowable"),
        ):
            lut.SetAnnotation(value, text)
        self.inlet_bar.SetDrawAnnotations(True)
        self.inlet_bar.SetAnnotationTextScaling(False)
        self.inlet_bar.SetDrawTickLabels(False)
        self.inlet_bar.SetTextPositionToPrecedeScalarBar()  # annotations go opposite: right
        prop = self.inlet_bar.GetAnnotationTextProperty()
        prop.SetColor(0.95, 0.96, 0.97)
        prop.SetFontSize(12)
        prop.SetFontFamilyToArial()
        prop.ShadowOff()
        prop.ItalicOff()
        note = vtkTextActor()
        note.GetTextProperty().SetFontSize(13)
        note.GetTextProperty().SetColor(0.95, 0.96, 0.97)
        note.GetTextProperty().SetFontFamilyToArial()
        note.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        note.SetPosition(0.015, 0.955)
        self.arrow_note = note
        actors = [self.air_bar, self.inlet_bar, note]
        for a in actors:
            a.SetVisibility(False)
            self.plotter.add_actor(a, reset_camera=False, name=f"thermal_legend_{id(a)}")
        self.scene.layers[LEGEND].actors.extend(actors)

    def _sync(self) -> None:
        """Actor visibility from what is wanted and what is built. Arrows follow the slices:
        on the horizontal plane (or alone), and on the vertical plane when it shows."""
        if not self.built:
            return
        w = self.wanted
        legend = self.scene.layers.get("legend") is None or self.scene.is_visible("legend")
        for name in OVERLAYS:
            self.scene.layers[name].visible = w[name]
        self.slice_actor.SetVisibility(w[SLICE])
        self.vslice_actor.SetVisibility(w[VSLICE])
        if self.arrows_h.actor is not None:
            self.arrows_h.actor.SetVisibility(w[ARROWS] and (w[SLICE] or not w[VSLICE]))
        if self.arrows_v.actor is not None:
            self.arrows_v.actor.SetVisibility(w[ARROWS] and w[VSLICE])
        if self.inlet_mesh is not None:
            self.inlet_actor.SetVisibility(w[INLETS])
        self.scene.layers[LEGEND].visible = legend
        self.air_bar.SetVisibility(legend and (w[SLICE] or w[VSLICE]))
        self.inlet_bar.SetVisibility(legend and w[INLETS] and self.inlet_mesh is not None)
        self.arrow_note.SetInput(self.caption())
        self.arrow_note.SetVisibility(legend and self.any_shown())

    def caption(self) -> str:
        """One line saying where the slices are and what an arrow's length means."""
        if not self.built:
            return ""
        w, parts = self.wanted, []
        if w[SLICE]:
            parts.append(f"Horizontal slice z = {self._layer_centre(2, self.slice_k):.2f} m")
        if w[VSLICE]:
            ax = 0 if self.vertical_axis == "x" else 1
            pos = self._layer_centre(ax, self.vslice_index)
            parts.append(f"vertical slice {self.vertical_axis} = {pos:.2f} m")
        if w[ARROWS]:
            spacing = self._stride() * self.result.grid.cell_m
            parts.append(f"arrows: air velocity, {spacing:.2g} m = {ARROW_REF_SPEED_MS:g} m/s")
        if w[INLETS]:
            parts.append("rack fronts: inlet air by height")
        text = "  ·  ".join(parts)
        return text[:1].upper() + text[1:]


def parse_overlays(text: str) -> list[str]:
    """``"slice,arrows"`` -> scene layer names; ValueError naming the choices."""
    names = [x.strip() for x in text.split(",") if x.strip()]
    bad = [n for n in names if n not in OVERLAY_NAMES and n not in OVERLAYS]
    if bad or not names:
        raise ValueError(
            f"unknown thermal overlay {', '.join(bad) or repr(text)}: use "
            f"{', '.join(OVERLAY_NAMES)} (comma-separated)"
        )
    return [OVERLAY_NAMES.get(n, n) for n in names]


def parse_vslice(text: str) -> tuple[str, float | None]:
    """``"x"``, ``"y:7.5"`` -> (axis, position m or None for the middle)."""
    axis, _, pos = text.partition(":")
    axis = axis.strip().lower()
    if axis not in ("x", "y"):
        raise ValueError(f"vertical slice must be x[:POS] or y[:POS], got {text!r}")
    try:
        return axis, float(pos) if pos.strip() else None
    except ValueError:
        raise ValueError(f"vertical slice position must be metres, got {pos!r}") from None


def overlay_decorator(
    result,
    overlays: list[str],
    *,
    slice_height_m: float = 1.2,
    vertical: tuple[str, float | None] = ("x", None),
    failed: tuple[str, ...] = (),
):
    """A ``decorate(scene)`` for ``render_png`` that draws ``result`` with these overlays."""

    def decorate(scene: Scene) -> ThermalLayer:
        layer = ThermalLayer(
            scene,
            slice_height_m=slice_height_m,
            vertical_axis=vertical[0],
            vertical_pos_m=vertical[1],
        )
        layer.update(result)
        for name in overlays:
            layer.show(name, True)
        index = scene.facility.air_unit_index
        layer.mark_failed([index[u] for u in failed if u in index])
        return layer

    return decorate


def inlet_lookup_table() -> vtkLookupTable:
    """ASHRAE A1 bands as a stepped colour table over ``INLET_CLIM_C`` (0.5 K entries, so the
    band edges fall exactly on entry boundaries)."""
    lo, hi = INLET_CLIM_C
    n = int(round((hi - lo) / 0.5))
    lut = vtkLookupTable()
    lut.SetNumberOfTableValues(n)
    lut.SetTableRange(*_INLET_TABLE_C)
    mids = lo + (np.arange(n) + 0.5) * 0.5
    edges = np.array([e for e, _ in INLET_COLOURS])
    band = np.searchsorted(edges, mids)
    for i, b in enumerate(band):
        r, g, bl = style.hex_rgb(INLET_COLOURS[b][1])
        lut.SetTableValue(i, r / 255, g / 255, bl / 255, 1.0)
    lut.SetNanColor(*(c / 255 for c in style.hex_rgb(style.RACK)), 1.0)
    lut.UseBelowRangeColorOff()
    lut.UseAboveRangeColorOff()
    lut.Build()
    return lut


def _scalar_bar(lut, title: str, pos: tuple[float, float], labels: int) -> vtkScalarBarActor:
    """A vertical colour bar on the left of the view, styled like the scene's own bars."""
    bar = vtkScalarBarActor()
    bar.SetLookupTable(lut)
    bar.SetTitle(title)
    bar.SetNumberOfLabels(labels)
    bar.SetLabelFormat("%-4.0f")
    bar.SetOrientationToVertical()
    bar.SetPosition(*pos)
    bar.SetWidth(0.12)
    bar.SetHeight(0.38)
    bar.SetBarRatio(0.22)
    bar.SetMaximumWidthInPixels(190)
    bar.UnconstrainedFontSizeOn()
    bar.SetTextPositionToSucceedScalarBar()
    style.style_bar_text(bar)
    return bar
