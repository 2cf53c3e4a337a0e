"""The 3D scene of a facility: a few merged actors (floor, walls, racks, GPUs, units, links,
labels) grouped in named layers, recoloured in place from per-GPU or per-rack arrays.

The scene reads the model and never writes it. Everything is in site coordinates: a hall's
hall-local metres shifted by ``facility.hall_origin_m``. Cell order follows the facility's
index order (box k owns a fixed block of cells), so colouring is a strided write into the
existing VTK array and picking is an integer division.

``Scene`` builds the racks, GPUs, server trays and links and owns the colouring; its
collaborators do the rest: ``builders`` (floors, walls, units, cooling extras), ``lod``
(far/near level, per-rack aggregates), ``labels`` (labels, colour bars, link key),
``selection`` (highlight), ``picking`` and ``camera``. Its public methods delegate to them.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy

from twin.model.facility import RACK_BASE_M, U_M, Facility
from twin.render import geometry as geo
from twin.render import style
from twin.render.builders import build_cooling_extras, build_site, build_units
from twin.render.camera import SceneCamera, iso_direction
from twin.render.labels import RACK_LABEL_LIMIT, SceneLabels
from twin.render.links import LinkRouter
from twin.render.lod import RackLod
from twin.render.picking import PICKABLE_LAYERS, ScenePicker
from twin.render.scene_types import Colouring, Layer, Picked
from twin.render.selection import SelectionView

__all__ = [
    "PICKABLE_LAYERS",
    "RACK_LABEL_LIMIT",
    "Colouring",
    "Layer",
    "Picked",
    "Scene",
    "iso_direction",
]

GPU_FACES = ("top", "front", "rear", "left", "right")  # never seen from below
RACK_FACES = ("top", "rear")  # open front and sides: the GPUs show from the cold aisle


class Scene:
    """A facility drawn into a PyVista plotter (an off-screen ``pv.Plotter`` or a Qt
    ``QtInteractor``; the scene never imports Qt).

    Layers (``scene.layers``): floor, walls, racks, gpus, air_units, cdus, power_devices,
    supplies, containment, sensors, power_links, cooling_links, row_labels, rack_labels,
    legend, selection. ``add_layer`` lets later overlays (air slices, arrows) join them.
    """

    def __init__(self, facility: Facility, plotter: pv.Plotter, *, rack_labels: bool | None = None):
        self.facility = facility
        self.plotter = plotter
        self.layers: dict[str, Layer] = {}
        self.gpu_colouring = Colouring(cmap=style.CMAP_TEMPERATURE)
        self.rack_colouring = Colouring(cmap=style.CMAP_POWER)
        self.gpu_metric = "temp_c"
        self.picker = ScenePicker(self)
        self.cameras = SceneCamera(self)
        f = facility
        origin = np.zeros((max(len(f.hall_ids), 1), 3))
        if len(f.hall_ids):
            origin[: len(f.hall_ids), :2] = f.hall_origin_m
        self._origin = origin
        self.rack_center = f.rack_center_m + origin[f.rack_hall]
        self.gpu_center = f.gpu_position_m + origin[f.gpu_hall]
        with self.quiet():  # one draw at the end, not one per actor added
            plotter.set_background(style.BACKGROUND_BOTTOM, top=style.BACKGROUND_TOP)
            build_site(self)
            self._build_racks()
            self._build_gpus()
            self._build_trays()
            self.lod = RackLod(self)
            build_units(self)
            build_cooling_extras(self)
            self._build_links()
            self.labels = SceneLabels(self, rack_labels)
            self.selection_view = SelectionView(self)
            self.set_visible("power_links", False)
            self.set_visible("cooling_links", False)
            self.lod.watch()

    @contextlib.contextmanager
    def quiet(self):
        """Suppress the plotter's automatic redraws (a Qt interactor redraws on every actor
        added or removed) while changing many things; the caller renders once after."""
        before = self.plotter.suppress_rendering
        self.plotter.suppress_rendering = True
        try:
            yield
        finally:
            self.plotter.suppress_rendering = before

    # ------------------------------------------------------------------ layers
    def add_layer(self, name: str, actors: list, visible: bool = True) -> Layer:
        """Register actors (already added to the plotter) under one name."""
        layer = self.layers.get(name) or Layer(name)
        layer.actors.extend(a for a in actors if a is not None)
        self.layers[name] = layer
        self.set_visible(name, visible)
        return layer

    def set_visible(self, layer: str, visible: bool) -> None:
        """Show or hide every actor of a layer (unknown names raise KeyError)."""
        lay = self.layers[layer]
        lay.visible = bool(visible)
        if layer == "legend":  # a bar shows only while its colouring is active
            self.labels.refresh_bars()
            return
        for a in lay.actors:
            a.SetVisibility(lay.visible)
        if layer in ("power_links", "cooling_links") and hasattr(self, "labels"):
            self.labels.update_link_key()
        if layer in ("gpus", "servers", "rack_heat") and hasattr(self, "lod"):
            self.lod.apply()

    def is_visible(self, layer: str) -> bool:
        return self.layers[layer].visible

    def _add(self, mesh: pv.PolyData, **kw):
        if mesh.n_points == 0:
            return None
        kw.setdefault("reset_camera", False)
        kw.setdefault("pickable", False)
        return self.plotter.add_mesh(mesh, **kw)

    def remove(self) -> None:
        """Take every actor of this scene out of the plotter (before showing another layout)."""
        self.labels.detach()
        self.lod.detach()
        with self.quiet():
            for lay in self.layers.values():
                for a in lay.actors:
                    self.plotter.remove_actor(a, reset_camera=False, render=False)
                lay.actors.clear()
            if getattr(self.plotter, "legend", None) is not None:
                self.plotter.remove_legend(render=False)
        self.picker.reset()

    # ------------------------------------------------------------------ racks and GPUs
    def _build_racks(self) -> None:
        f = self.facility
        n = f.n_racks
        center = self.rack_center.copy()
        center[:, 2] = f.rack_size_m[:, 2] / 2
        self.rack_mesh = geo.boxes(center, f.rack_size_m, f.rack_rotation_deg, RACK_FACES)
        nf = len(RACK_FACES)
        self._rack_nf = nf
        actors = []
        if n:
            self.rack_mesh.cell_data["rack_index"] = np.repeat(np.arange(n, dtype=np.int32), nf)
            self.rack_mesh.cell_data["rack_value"] = np.full(n * nf, np.nan)
            self._rack_vtk = self.rack_mesh.GetCellData().GetArray("rack_value")
            self._rack_values = vtk_to_numpy(self._rack_vtk).reshape(n, nf)
            actor = self._add(
                self.rack_mesh,
                scalars="rack_value",
                preference="cell",
                cmap=self.rack_colouring.cmap,
                clim=self.rack_colouring.clim,
                nan_color=style.RACK,
                show_scalar_bar=False,
                ambient=0.2,
                diffuse=0.85,
                specular=0.15,
                pickable=True,
                name="racks",
            )
            self.rack_actor = actor
            self.picker.register(actor, "rack", self._rack_cell_index)
            edges = geo.box_edges(center, f.rack_size_m * 1.001, f.rack_rotation_deg)
            edge_actor = self._add(
                edges, color=style.RACK_EDGE, line_width=1, lighting=False, name="rack_edges"
            )
            actors = [actor, edge_actor]
        else:
            self.rack_actor = None
            self._rack_vtk = None
            self._rack_values = np.zeros((0, nf))
        self.add_layer("racks", actors)

    def _rack_cell_index(self, cell: int) -> int:
        return int(cell) // self._rack_nf

    def gpu_box_size_m(self) -> np.ndarray:
        """(G, 3) drawn size of each GPU: its slot in the facility's GPU grid, shrunk so the
        gaps show, capped at the size of an SXM module with its heat sink."""
        f = self.facility
        g = f.n_gpus
        if g == 0:
            return np.zeros((0, 3))
        types = {t: f.catalog[t] for t in set(f.server_type)}
        server_u = np.array([types[t].u for t in f.server_type], dtype=float)
        server_hosts = np.array([types[t].hosts for t in f.server_type], dtype=float)
        s, h, r = f.gpu_server, f.gpu_host, f.gpu_rack
        host_h = server_u[s] * U_M / server_hosts[s]
        n_in = f.host_gpu_count[h].astype(float)
        cols = np.minimum(n_in, 4)
        nrows = np.ceil(n_in / cols)
        sx = 0.8 * f.rack_size_m[r, 0] / cols
        sy = 0.6 * f.rack_size_m[r, 1] / nrows
        return np.stack(
            [np.minimum(0.8 * sx, 0.12), np.minimum(0.8 * sy, 0.16), np.minimum(0.7 * host_h, 0.1)],
            axis=1,
        )

    def _build_gpus(self) -> None:
        f = self.facility
        g = f.n_gpus
        nf = len(GPU_FACES)
        self._gpu_nf = nf
        self.gpu_mesh = geo.boxes(
            self.gpu_center, self.gpu_box_size_m(), f.rack_rotation_deg[f.gpu_rack], GPU_FACES
        )
        if g == 0:
            self.gpu_actor = None
            self._gpu_vtk = None
            self._gpu_values = np.zeros((0, nf))
            self.add_layer("gpus", [])
            return
        self.gpu_mesh.cell_data["gpu_value"] = np.full(g * nf, np.nan, dtype=np.float32)
        self._gpu_vtk = self.gpu_mesh.GetCellData().GetArray("gpu_value")
        self._gpu_values = vtk_to_numpy(self._gpu_vtk).reshape(g, nf)
        self.gpu_actor = self._add(
            self.gpu_mesh,
            scalars="gpu_value",
            preference="cell",
            cmap=self.gpu_colouring.cmap,
            clim=self.gpu_colouring.clim,
            nan_color=style.GPU,
            show_scalar_bar=False,
            ambient=0.3,
            diffuse=0.8,
            specular=0.2,
            culling="back",  # closed from every side it is seen: skip the far faces
            pickable=True,
            name="gpus",
        )
        self.picker.register(self.gpu_actor, "gpu", lambda c: int(c) // self._gpu_nf)
        self.add_layer("gpus", [self.gpu_actor])

    def _build_trays(self) -> None:
        """A thin shelf under each host's GPUs, so the GPUs read as sitting in servers."""
        f = self.facility
        nh = len(f.host_names)
        if nh == 0 or f.n_gpus == 0:
            self.add_layer("servers", [])
            return
        types = {t: f.catalog[t] for t in set(f.server_type)}
        server_u = np.array([types[t].u for t in f.server_type], dtype=float)
        server_hosts = np.array([types[t].hosts for t in f.server_type], dtype=float)
        s = f.host_server
        first = np.searchsorted(f.host_server, np.arange(len(f.server_rack)))
        k = np.arange(nh) - first[s]
        host_h = server_u[s] * U_M / server_hosts[s]
        r = f.host_rack
        c = self.rack_center[r].copy()
        c[:, 2] = RACK_BASE_M + f.server_slot_u[s] * U_M + k * host_h + 0.006
        size = np.stack(
            [0.88 * f.rack_size_m[r, 0], 0.72 * f.rack_size_m[r, 1], np.full(nh, 0.012)], 1
        )
        mesh = geo.boxes(c, size, f.rack_rotation_deg[r], ("top",))
        self._tray_nf = 1
        actor = self._add(
            mesh,
            color=style.TRAY,
            ambient=0.25,
            diffuse=0.7,
            specular=0.1,
            pickable=True,
            name="servers",
        )
        self.picker.register(actor, "host", lambda cell: int(cell) // self._tray_nf)
        self.add_layer("servers", [actor])

    # ------------------------------------------------------------------ links
    def _build_links(self) -> None:
        router = LinkRouter(self.facility, self._origin)
        self.links = router
        power = router.power_links()
        cool = router.cooling_links()
        self._power_links, self._cool_links = power, cool
        pa = self._add(
            power,
            scalars="rgb",
            rgb=True,
            preference="cell",
            line_width=2,
            lighting=False,
            name="power_links",
        )
        hubs = router.hub_points()
        ha = self._add(
            hubs,
            color=style.FEED_UP,
            point_size=9,
            render_points_as_spheres=True,
            name="power_hubs",
        )
        self.add_layer("power_links", [pa, ha])
        ca = self._add(cool, color=style.LIQUID, line_width=2, lighting=False, name="cooling_links")
        self.add_layer("cooling_links", [ca])

    # ------------------------------------------------------------------ colouring
    @staticmethod
    def _clim(values: np.ndarray, clim) -> tuple[float, float]:
        if clim is not None:
            lo, hi = float(clim[0]), float(clim[1])
        else:
            finite = values[np.isfinite(values)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if not hi > lo:  # one value everywhere: centre it in the map
            pad = max(abs(lo) * 0.1, 0.5)
            lo, hi = lo - pad, hi + pad
        return lo, hi

    def _apply_colouring(self, actor, col: Colouring, name, clim, cmap, values) -> None:
        col.name = name if name is not None else col.name
        col.clim = self._clim(values, clim)
        lut = actor.mapper.lookup_table
        if cmap is not None and cmap != col.cmap:
            lut.apply_cmap(cmap)
            col.cmap = cmap
        lut.scalar_range = col.clim
        actor.mapper.scalar_range = col.clim
        col.active = True
        self.labels.refresh_bars()

    def set_gpu_values(
        self,
        values: np.ndarray,
        name: str | None = None,
        clim: tuple[float, float] | None = None,
        cmap: str | None = None,
    ) -> None:
        """Colour every GPU from ``values`` (G,), NaN drawn neutral. Writes into the existing
        VTK array (no new mesh, no new actor)."""
        if self._gpu_vtk is None:
            return
        v = np.asarray(values)
        if v.shape != (self.facility.n_gpus,):
            raise ValueError(f"expected {self.facility.n_gpus} GPU values, got shape {v.shape}")
        self._gpu_values[:] = v[:, None]
        self._gpu_vtk.Modified()
        self._apply_colouring(self.gpu_actor, self.gpu_colouring, name, clim, cmap, v)
        self.lod.set_gpu_values(v)

    def gpu_values(self) -> np.ndarray:
        """The value each GPU is coloured by now (G,), NaN where it is drawn neutral."""
        return self._gpu_values[:, 0].copy()

    def set_rack_values(
        self,
        values: np.ndarray,
        name: str | None = None,
        clim: tuple[float, float] | None = None,
        cmap: str | None = None,
    ) -> None:
        """Colour every rack cabinet from ``values`` (R,), in place."""
        if self._rack_vtk is None:
            return
        v = np.asarray(values, dtype=float)
        if v.shape != (self.facility.n_racks,):
            raise ValueError(f"expected {self.facility.n_racks} rack values, got shape {v.shape}")
        self._rack_values[:] = v[:, None]
        self._rack_vtk.Modified()
        self._apply_colouring(self.rack_actor, self.rack_colouring, name, clim, cmap, v)

    def clear_gpu_values(self) -> None:
        if self._gpu_vtk is not None:
            self._gpu_values[:] = np.nan
            self._gpu_vtk.Modified()
        self.gpu_colouring.active = False
        self.lod.set_gpu_values(None)
        self.labels.refresh_bars()

    def clear_rack_values(self) -> None:
        if self._rack_vtk is not None:
            self._rack_values[:] = np.nan
            self._rack_vtk.Modified()
        self.rack_colouring.active = False
        self.labels.refresh_bars()

    def update(self, frame) -> bool:
        """Apply one telemetry ``Frame``: colour GPUs by ``frame.gpu[self.gpu_metric]`` over
        the metric's fixed scale (``twin.model.metrics``) when the frame has it. Returns
        whether anything changed."""
        from twin.render.overlays import colour_gpus

        return colour_gpus(self, frame, self.gpu_metric)

    # ------------------------------------------------------------------ collaborators
    @property
    def gpu_bar(self):
        """The GPU colour bar (None without GPUs)."""
        return self.labels.gpu_bar

    @property
    def rack_bar(self):
        """The rack colour bar (None without racks)."""
        return self.labels.rack_bar

    @property
    def selection(self) -> tuple[str, np.ndarray]:
        """(kind, indices) of what is highlighted; ``("", [])`` for nothing."""
        return self.selection_view.selection

    def item_boxes(self, kind: str, indices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centres, sizes and rotations of items in site coordinates (see ``SelectionView``)."""
        return self.selection_view.item_boxes(kind, indices)

    def highlight(self, kind: str | None, indices=()) -> None:
        """Outline items and show what feeds and cools them; ``None`` clears."""
        self.selection_view.highlight(kind, indices)

    def related_links(self, kind: str, idx: np.ndarray) -> pv.PolyData:
        """The power and cooling connections of the given items."""
        return self.selection_view.related_links(kind, idx)

    def pick_to_item(self, x: float, y: float) -> Picked | None:
        """The item under display position (x, y) (pixels, origin bottom-left), or None."""
        return self.picker.pick(x, y)

    def world_to_display(self, point) -> tuple[float, float]:
        """Display pixel (origin bottom-left) of a world point."""
        return self.picker.world_to_display(point)

    def _camera(self):
        return self.cameras.camera()

    def pixels_per_m(self) -> float:
        """Screen pixels per metre at the focal point."""
        return self.cameras.pixels_per_m()

    def site_bounds(self) -> np.ndarray:
        """[x0, y0, z0, x1, y1, z1] of all halls."""
        return self.cameras.site_bounds()

    def view_top(self) -> None:
        """Plan view of the whole site."""
        self.cameras.view_top()

    def view_iso(self) -> None:
        """Three-quarter view of the whole site, down the aisles."""
        self.cameras.view_iso()

    def view_along_row(self, row: str | int) -> None:
        """Eye-level view down a row's cold aisle."""
        self.cameras.view_along_row(row)

    def look_at(self, kind: str, indices) -> None:
        """Centre the view on items, close enough to see them well."""
        self.cameras.look_at(kind, indices)

    def set_view(self, view: str) -> None:
        """``top``, ``iso`` or ``row:ID``."""
        self.cameras.set_view(view)
