"""The 3D scene of a facility: a few merged actors (floor, walls, racks, GPUs, units, links,
labels) grouped in named layers, recoloured in place from per-GPU or per-rack arrays.

The scene reads the model and never writes it. Everything is in site coordinates: a hall's
hall-local metres shifted by ``facility.hall_origin_m``. Cell order follows the facility's
index order (box k owns a fixed block of cells), so colouring is a strided write into the
existing VTK array and picking is an integer division.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonDataModel import vtkStaticCellLocator
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import vtkCellPicker

from twin.model.facility import RACK_BASE_M, U_M, Facility
from twin.render import geometry as geo
from twin.render import legend_fit, style
from twin.render.links import LinkRouter
from twin.render.lod import RackLod

GPU_FACES = ("top", "front", "rear", "left", "right")  # never seen from below
RACK_FACES = ("top", "rear")  # open front and sides: the GPUs show from the cold aisle
UNIT_FACES = geo.ALL_FACES
VIEW_ANGLE_DEG = 30.0
ROW_VIEW_ANGLE_DEG = 60.0  # eye level inside an aisle needs a wide lens
#: Layers whose items a click can pick, in the order they are offered to the picker.
PICKABLE_LAYERS = ("rack_heat", "racks", "gpus", "servers", "air_units", "cdus", "power_devices")
#: Racks beyond this count get no per-rack labels (the row labels still show).
RACK_LABEL_LIMIT = 3000


def iso_direction(rack_front_xy: np.ndarray) -> tuple[float, float, float]:
    """Camera direction of the three-quarter view: from the rows' ends (along the rows,
    slightly off to one side) and above. Rows run across their racks' facing direction."""
    f = np.abs(np.asarray(rack_front_xy, dtype=float).reshape(-1, 2))
    rows_along_x = f.size == 0 or f[:, 1].sum() >= f[:, 0].sum()
    return (-1.0, -0.4, 0.9) if rows_along_x else (-0.4, -1.0, 0.9)


@dataclass
class Layer:
    """A named group of actors shown or hidden together."""

    name: str
    actors: list = field(default_factory=list)
    visible: bool = True


@dataclass(frozen=True)
class Picked:
    """What a pick hit: item kind (``rack``, ``gpu``, ``air_unit``, ``cdu``, ``power``), its
    facility index and the world point."""

    kind: str
    index: int
    point: tuple[float, float, float]


@dataclass
class Colouring:
    """What an actor's scalars currently show."""

    name: str = ""
    clim: tuple[float, float] = (0.0, 1.0)
    cmap: str = style.CMAP_DEFAULT
    active: bool = False


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
        self._pick_actors: dict[int, tuple[str, object]] = {}
        self._picker = None
        f = facility
        origin = np.zeros((max(len(f.hall_ids), 1), 3))
        if len(f.hall_ids):
            origin[: len(f.hall_ids), :2] = f.hall_origin_m
        self._origin = origin
        self.rack_center = f.rack_center_m + origin[f.rack_hall]
        self.gpu_center = f.gpu_position_m + origin[f.gpu_hall]
        with self.quiet():  # one draw at the end, not one per actor added
            plotter.set_background(style.BACKGROUND_BOTTOM, top=style.BACKGROUND_TOP)
            self._build_site()
            self._build_racks()
            self._build_gpus()
            self._build_trays()
            self.lod = RackLod(self)
            self._build_units()
            self._build_cooling_extras()
            self._build_links()
            self._build_labels(rack_labels)
            self._build_legends()
            self._build_selection()
            self.set_visible("power_links", False)
            self.set_visible("cooling_links", False)
            self._watch_camera()

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
            self._refresh_bars()
            return
        for a in lay.actors:
            a.SetVisibility(lay.visible)
        if layer in ("power_links", "cooling_links"):
            self._update_link_key()
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
        for name in ("_lod_observer", "_legend_observer", "_rack_lod_observer"):
            tag = getattr(self, name, None)
            if tag is not None:
                self.plotter.renderer.RemoveObserver(tag)
                setattr(self, name, None)
        for obj, tag in getattr(self, "_interaction_observers", ()):
            obj.RemoveObserver(tag)
        self._interaction_observers = []
        with self.quiet():
            for lay in self.layers.values():
                for a in lay.actors:
                    self.plotter.remove_actor(a, reset_camera=False, render=False)
                lay.actors.clear()
            if getattr(self.plotter, "legend", None) is not None:
                self.plotter.remove_legend(render=False)
        self._picker = None

    # ------------------------------------------------------------------ site
    def _build_site(self) -> None:
        f = self.facility
        floors, grids, walls, outlines = [], [], [], []
        for h, hall in enumerate(f.layout.halls):
            ox, oy = f.hall_origin_m[h]
            w, d, height = f.hall_size_m[h]
            floors.append(geo.rects(np.array([[ox, oy, ox + w, oy + d]]), 0.0))
            if hall.floor == "raised":
                xs = ox + np.arange(hall.tile_m, w - 1e-9, hall.tile_m)
                ys = oy + np.arange(hall.tile_m, d - 1e-9, hall.tile_m)
                a = np.concatenate(
                    [
                        np.stack([xs, np.full_like(xs, oy)], 1),
                        np.stack([np.full_like(ys, ox), ys], 1),
                    ]
                )
                b = np.concatenate(
                    [
                        np.stack([xs, np.full_like(xs, oy + d)], 1),
                        np.stack([np.full_like(ys, ox + w), ys], 1),
                    ]
                )
                z = np.full((len(a), 1), 0.003)
                grids.append(geo.segments(np.hstack([a, z]), np.hstack([b, z])))
            c = np.array([[ox, oy], [ox + w, oy], [ox + w, oy + d], [ox, oy + d]])
            nxt = np.roll(c, -1, axis=0)
            pts = np.concatenate(
                [
                    np.hstack([nxt, np.zeros((4, 1))]),
                    np.hstack([c, np.zeros((4, 1))]),
                    np.hstack([c, np.full((4, 1), height)]),
                    np.hstack([nxt, np.full((4, 1), height)]),
                ]
            )
            quads = np.arange(16).reshape(4, 4).T  # (p_next, p, p_top, p_next_top): inward
            walls.append(pv.PolyData.from_regular_faces(pts, quads))
            top = np.hstack([c, np.full((4, 1), height)])
            bot = np.hstack([c, np.zeros((4, 1))])
            outlines.append(
                geo.segments(
                    np.concatenate([top, top, bot]),
                    np.concatenate([np.roll(top, -1, 0), bot, np.roll(bot, -1, 0)]),
                )
            )
        raised = any(h.floor == "raised" for h in f.layout.halls)
        floor = self._add(
            pv.merge(floors) if floors else pv.PolyData(),
            color=style.FLOOR if raised else style.SLAB,
            ambient=0.25,
            diffuse=0.8,
            specular=0.05,
            name="floor",
        )
        grid = self._add(
            pv.merge(grids) if grids else pv.PolyData(),
            color=style.FLOOR_GRID,
            line_width=1,
            lighting=False,
            name="floor_grid",
        )
        self.add_layer("floor", [floor, grid])
        wall = self._add(
            pv.merge(walls),
            color=style.WALL,
            ambient=0.3,
            diffuse=0.6,
            specular=0.0,
            culling="back",  # the near walls face away from the camera: a dollhouse view
            name="walls",
        )
        edge = self._add(
            pv.merge(outlines),
            color=style.WALL_EDGE,
            line_width=1,
            lighting=False,
            opacity=0.6,
            name="wall_edges",
        )
        self.add_layer("walls", [wall, edge])

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
            self._pick_actors[id(actor)] = ("rack", self._rack_cell_index)
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
        self._pick_actors[id(self.gpu_actor)] = ("gpu", lambda c: int(c) // self._gpu_nf)
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
        self._pick_actors[id(actor)] = ("host", lambda cell: int(cell) // self._tray_nf)
        self.add_layer("servers", [actor])

    # ------------------------------------------------------------------ units
    def _unit_layer(
        self,
        name: str,
        kind: str,
        index: np.ndarray,
        center: np.ndarray,
        size: np.ndarray,
        rot: np.ndarray,
        rgb: np.ndarray,
    ) -> None:
        if len(index) == 0:
            self.add_layer(name, [])
            return
        c = center.copy()
        c[:, 2] = size[:, 2] / 2
        mesh = geo.boxes(c, size, rot, UNIT_FACES)
        nf = len(UNIT_FACES)
        mesh.cell_data["index"] = np.repeat(index.astype(np.int32), nf)
        mesh.cell_data["rgb"] = np.repeat(rgb.astype(np.uint8), nf, axis=0)
        actor = self._add(
            mesh,
            scalars="rgb",
            rgb=True,
            preference="cell",
            ambient=0.25,
            diffuse=0.8,
            specular=0.25,
            pickable=True,
            name=name,
        )
        edges = self._add(
            geo.box_edges(c, size * 1.002, rot),
            color="#1d2126",
            line_width=1,
            lighting=False,
            opacity=0.7,
            name=name + "_edges",
        )
        self._pick_actors[id(actor)] = (kind, lambda cell, m=mesh: int(m.cell_data["index"][cell]))
        setattr(self, name + "_mesh", mesh)
        self.add_layer(name, [actor, edges])

    def _build_units(self) -> None:
        f = self.facility
        o = self._origin
        n = len(f.air_unit_ids)
        rgb = np.array(
            [style.hex_rgb(style.AIR_UNIT if on else style.AIR_UNIT_OFF) for on in f.air_unit_on]
        ).reshape(n, 3)
        self._unit_layer(
            "air_units",
            "air_unit",
            np.arange(n),
            f.air_unit_center_m + o[f.air_unit_hall],
            f.air_unit_size_m,
            f.air_unit_rotation_deg,
            rgb,
        )
        n = len(f.cdu_ids)
        rgb = np.array(
            [style.hex_rgb(style.CDU if on else style.CDU_OFF) for on in f.cdu_on]
        ).reshape(n, 3)
        self._unit_layer(
            "cdus",
            "cdu",
            np.arange(n),
            f.cdu_center_m + o[f.cdu_hall],
            f.cdu_size_m,
            f.cdu_rotation_deg,
            rgb,
        )
        drawn = np.flatnonzero(
            np.isfinite(f.power_center_m[:, 0]) & (f.power_size_m.min(axis=1) > 0)
        )
        rgb = np.array(
            [
                style.hex_rgb(
                    style.POWER.get(f.power_kind[i], style.POWER_OTHER)
                    if f.power_on[i]
                    else style.POWER_OFF
                )
                for i in drawn
            ]
        ).reshape(len(drawn), 3)
        hall = np.maximum(f.power_hall[drawn], 0)
        self._unit_layer(
            "power_devices",
            "power",
            drawn,
            f.power_center_m[drawn] + o[hall],
            f.power_size_m[drawn],
            f.power_rotation_deg[drawn],
            rgb,
        )

    def _build_cooling_extras(self) -> None:
        """Perforated tiles, return grilles, containment and sensors."""
        f, o = self.facility, self._origin
        cool = f.layout.cooling
        hall_h = {h: f.hall_size_m[i, 2] for i, h in enumerate(f.hall_ids)}

        def shifted(rect, hall):
            ox, oy = o[f.hall_index[hall], :2]
            return [rect[0] + ox, rect[1] + oy, rect[2] + ox, rect[3] + oy]

        floor = [shifted(s.rect_m, s.hall) for s in cool.supplies if s.kind == "floor"]
        ceil_rects = [shifted(s.rect_m, s.hall) for s in cool.supplies if s.kind == "ceiling"]
        ceil_z = [hall_h[s.hall] - 0.01 for s in cool.supplies if s.kind == "ceiling"]
        actors = [
            self._add(
                geo.rects(np.array(floor).reshape(-1, 4), 0.006),
                color=style.SUPPLY_FLOOR,
                ambient=0.35,
                specular=0.1,
                name="supplies_floor",
            )
        ]
        if ceil_rects:
            actors.append(
                self._rect_outline(ceil_rects, ceil_z, style.SUPPLY_FLOOR, "supplies_ceil")
            )
        self.add_layer("supplies", actors)
        rets = [shifted(r.rect_m, r.hall) for r in cool.returns]
        ret_z = [hall_h[r.hall] - 0.01 if r.kind == "ceiling" else 1.5 for r in cool.returns]
        self.add_layer(
            "returns", [self._rect_outline(rets, ret_z, style.RETURN, "returns")] if rets else []
        )
        actors = []
        for kind, color in (("cold-aisle", style.CONTAIN_COLD), ("hot-aisle", style.CONTAIN_HOT)):
            items = [c for c in cool.containment if c.kind == kind]
            if items:
                actors += self._containment(items, color, kind)
        panels = [c for c in cool.containment if c.kind == "panel"]
        if panels:
            actors += self._containment(panels, style.WALL_EDGE, "panel")
        self.add_layer("containment", actors)
        if f.layout.sensors:
            pts = np.array(
                [np.add(s.position_m, o[f.hall_index[s.hall]]) for s in f.layout.sensors]
            )
            actor = self._add(
                pv.PolyData(pts),
                color=style.SENSOR,
                point_size=6,
                render_points_as_spheres=True,
                name="sensors",
            )
            self.add_layer("sensors", [actor])
        else:
            self.add_layer("sensors", [])

    def _rect_outline(self, rects, z, color, name):
        r = np.asarray(rects, dtype=float).reshape(-1, 4)
        zz = np.asarray(z, dtype=float).reshape(-1)
        c = np.stack(
            [
                np.stack([r[:, 0], r[:, 1], zz], 1),
                np.stack([r[:, 2], r[:, 1], zz], 1),
                np.stack([r[:, 2], r[:, 3], zz], 1),
                np.stack([r[:, 0], r[:, 3], zz], 1),
            ],
            1,
        )
        return self._add(
            geo.segments(c.reshape(-1, 3), np.roll(c, -1, axis=1).reshape(-1, 3)),
            color=color,
            line_width=2,
            lighting=False,
            name=name,
        )

    def _containment(self, items, color, name) -> list:
        o, f = self._origin, self.facility
        solid, edges = [], []
        for c in items:
            ox, oy = o[f.hall_index[c.hall], :2]
            x0, y0, x1, y1 = c.rect_m[0] + ox, c.rect_m[1] + oy, c.rect_m[2] + ox, c.rect_m[3] + oy
            center = np.array([[(x0 + x1) / 2, (y0 + y1) / 2, c.height_m / 2]])
            size = np.array([[x1 - x0, y1 - y0, c.height_m]])
            faces: list[str] = []
            if c.kind == "panel":
                faces = list(geo.ALL_FACES)
            else:
                if c.roof:
                    faces.append("top")
                if c.doors:  # the short ends of the aisle
                    faces += ["left", "right"] if (x1 - x0) >= (y1 - y0) else ["front", "rear"]
            if faces:
                solid.append(geo.boxes(center, size, np.zeros(1), tuple(faces)))
            edges.append(geo.box_edges(center, size, np.zeros(1)))
        actors = []
        if solid:
            actors.append(
                self._add(
                    pv.merge(solid),
                    color=color,
                    opacity=0.22,
                    ambient=0.4,
                    specular=0.0,
                    name=f"containment_{name}",
                )
            )
        actors.append(
            self._add(
                pv.merge(edges),
                color=color,
                line_width=1,
                lighting=False,
                opacity=0.8,
                name=f"containment_{name}_edges",
            )
        )
        return actors

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

    def _update_link_key(self) -> None:
        entries = []
        if "power_links" in self.layers and self.layers["power_links"].visible:
            entries += [
                ["Power feed A", style.FEED_A],
                ["Power feed B", style.FEED_B],
                ["Upstream power", style.FEED_UP],
            ]
        if "cooling_links" in self.layers and self.layers["cooling_links"].visible:
            entries.append(["Liquid loop (CDU)", style.LIQUID])
        with self.quiet():
            self._set_link_key(entries)

    def _set_link_key(self, entries) -> None:
        if entries:
            self.plotter.add_legend(
                entries,
                bcolor=style.BACKGROUND_BOTTOM,
                border=False,
                size=(0.16, 0.025 * len(entries) + 0.02),
                loc="lower left",
                face="line",
            )
        elif getattr(self.plotter, "legend", None) is not None:
            self.plotter.remove_legend()

    # ------------------------------------------------------------------ labels
    def _build_labels(self, rack_labels: bool | None) -> None:
        """Row labels at the start of each row, rack labels over each rack's front edge. Both
        show only when the camera is close enough for them not to overlap (``_label_lod``)."""
        f = self.facility
        top = float(f.rack_size_m[:, 2].max(initial=2.0))
        self._row_label_pitch_m = np.inf
        if f.n_racks and len(f.row_ids):
            rows = np.unique(f.rack_row)
            first = np.searchsorted(f.rack_row, rows, side="left")
            last = np.searchsorted(f.rack_row, rows, side="right") - 1
            a, b = self.rack_center[first], self.rack_center[last]
            axis = a - b
            norm = np.linalg.norm(axis[:, :2], axis=1, keepdims=True)
            single = norm[:, 0] < 1e-6
            fallback = np.hstack([-f.rack_front_xy[first][:, 1:2], f.rack_front_xy[first][:, :1]])
            axis2 = np.where(single[:, None], fallback, axis[:, :2] / np.maximum(norm, 1e-9))
            pts = a.copy()
            pts[:, :2] += axis2 * (f.rack_size_m[first, 0:1] / 2 + 0.5)
            pts[:, 2] = top + 0.3
            if len(pts) > 1:
                d = np.linalg.norm(pts[:, None, :2] - pts[None, :, :2], axis=2)
                d[np.diag_indices_from(d)] = np.inf
                self._row_label_pitch_m = float(np.median(d.min(axis=1)))
            actor = self._badges(
                pts, [f.row_ids[i] for i in rows], 14, style.ROW_LABEL_BG, "row_labels"
            )
            self.add_layer("row_labels", [actor])
        else:
            self.add_layer("row_labels", [])
        hall_pts = np.hstack([f.hall_origin_m + 0.3, f.hall_size_m[:, 2:3]])
        hall_actor = self._badges(
            hall_pts,
            [h.name or h.id for h in f.layout.halls],
            15,
            style.HALL_LABEL_BG,
            "hall_labels",
        )
        self.add_layer("hall_labels", [hall_actor])
        want = rack_labels if rack_labels is not None else f.n_racks <= RACK_LABEL_LIMIT
        self._rack_label_px = 0.0
        if want and f.n_racks:
            front = np.hstack([f.rack_front_xy, np.zeros((f.n_racks, 1))])
            pts = self.rack_center + front * (f.rack_size_m[:, 1:2] / 2)
            pts[:, 2] = f.rack_size_m[:, 2] + 0.12
            names = [r.label or r.id for r in f.racks]
            self._rack_label_px = 7.0 * max(len(n) for n in names) + 10
            self._rack_pitch_m = float(np.median(f.rack_size_m[:, 0]))
            actor = self.plotter.add_point_labels(
                pts,
                names,
                font_size=11,
                text_color=style.LABEL_TEXT,
                shape_color=style.RACK_LABEL_BG,
                shape_opacity=0.75,
                show_points=False,
                always_visible=True,
                reset_camera=False,
                name="rack_labels",
            )
            self.add_layer("rack_labels", [actor])
        else:
            self.add_layer("rack_labels", [])
        self._lod_observer = self.plotter.renderer.AddObserver("StartEvent", self._label_lod)
        renderer = self.plotter.renderer
        self._legend_observer = renderer.AddObserver(
            "StartEvent", lambda *_: legend_fit.fit_bar_titles(renderer)
        )

    def _badges(self, points, texts: list[str], font_size: int, background: str, name: str):
        """Always-readable rounded labels (rows, halls) as one actor."""
        return self.plotter.add_point_labels(
            points,
            texts,
            font_size=font_size,
            text_color=style.LABEL_TEXT,
            shape_color=background,
            shape="rounded_rect",
            shape_opacity=0.9,
            show_points=False,
            always_visible=True,
            bold=True,
            reset_camera=False,
            name=name,
        )

    def _watch_camera(self) -> None:
        """Choose the level of detail before each render; draw the far level while the user
        moves the camera (a window's interactor; an off-screen plotter has none)."""
        self._rack_lod_observer = self.plotter.renderer.AddObserver("StartEvent", self.lod.choose)
        self._interaction_observers = []
        iren = getattr(self.plotter, "iren", None)
        interactor = getattr(iren, "interactor", None) if iren is not None else None
        style = interactor.GetInteractorStyle() if interactor is not None else None
        if style is None:
            return

        def moving(*_args) -> None:
            self.lod.set_interacting(True)

        def stopped(*_args) -> None:
            self.lod.set_interacting(False)
            self.plotter.render()

        self._interaction_observers = [
            (style, style.AddObserver("StartInteractionEvent", moving)),
            (style, style.AddObserver("EndInteractionEvent", stopped)),
        ]

    def _camera(self):
        """The renderer's camera, marked as placed (so PyVista does not reset it and redraw
        on first access)."""
        cam = self.plotter.renderer.camera
        cam.is_set = True
        return cam

    def pixels_per_m(self) -> float:
        """Screen pixels per metre at the focal point: the zoom level the label LOD uses."""
        cam = self._camera()
        h = max(self.plotter.window_size[1], 1)
        if cam.parallel_projection:
            return h / (2 * cam.parallel_scale)
        dist = max(float(np.linalg.norm(np.subtract(cam.position, cam.focal_point))), 1e-6)
        return h / (2 * dist * np.tan(np.deg2rad(cam.view_angle) / 2))

    def _label_lod(self, *_args) -> None:
        """Before each render: hide labels that would overlap at the current zoom."""
        ppm = self.pixels_per_m()
        for name, ok in (
            ("row_labels", ppm * self._row_label_pitch_m >= 22),
            ("rack_labels", ppm * getattr(self, "_rack_pitch_m", 0.0) >= 0.8 * self._rack_label_px),
        ):
            lay = self.layers.get(name)
            if lay is not None:
                for a in lay.actors:
                    a.SetVisibility(bool(lay.visible and ok))

    # ------------------------------------------------------------------ legends
    def _scalar_bar(self, actor, title: str, y: float):
        bar = vtkScalarBarActor()
        bar.SetLookupTable(actor.mapper.lookup_table)
        bar.SetTitle(title)
        bar.SetNumberOfLabels(5)
        bar.SetLabelFormat("%-#6.4g")
        bar.SetOrientationToVertical()
        bar.SetPosition(0.84, y)
        bar.SetWidth(0.1)
        bar.SetHeight(0.38)
        bar.SetBarRatio(0.25)
        bar.SetMaximumWidthInPixels(160)
        bar.UnconstrainedFontSizeOn()
        bar.SetTextPositionToPrecedeScalarBar()
        style.style_bar_text(bar)
        bar.SetVisibility(False)
        self.plotter.add_actor(bar, reset_camera=False, name=f"legend_{title}")
        return bar

    def _build_legends(self) -> None:
        self.gpu_bar = self._scalar_bar(self.gpu_actor, "GPU", 0.52) if self.gpu_actor else None
        self.rack_bar = self._scalar_bar(self.rack_actor, "Rack", 0.08) if self.rack_actor else None
        layer = Layer("legend", [b for b in (self.gpu_bar, self.rack_bar) if b is not None])
        self.layers["legend"] = layer

    def _refresh_bars(self) -> None:
        legend_on = self.layers["legend"].visible
        for bar, col in ((self.gpu_bar, self.gpu_colouring), (self.rack_bar, self.rack_colouring)):
            if bar is not None:
                bar.SetTitle(col.name)
                bar.SetVisibility(legend_on and col.active)

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
        self._refresh_bars()

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
        self._refresh_bars()

    def clear_rack_values(self) -> None:
        if self._rack_vtk is not None:
            self._rack_values[:] = np.nan
            self._rack_vtk.Modified()
        self.rack_colouring.active = False
        self._refresh_bars()

    def update(self, frame) -> bool:
        """Apply one telemetry ``Frame``: colour GPUs by ``frame.gpu[self.gpu_metric]`` over
        the metric's fixed scale (``twin.model.metrics``) when the frame has it. Returns
        whether anything changed."""
        from twin.render.overlays import colour_gpus

        return colour_gpus(self, frame, self.gpu_metric)

    # ------------------------------------------------------------------ selection
    def _build_selection(self) -> None:
        self._sel_mesh = pv.PolyData()
        self._sel_actor = None
        self.selection: tuple[str, np.ndarray] = ("", np.zeros(0, dtype=np.int64))
        self.layers["selection"] = Layer("selection", [])

    def item_boxes(self, kind: str, indices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centres, sizes and rotations of items, in site coordinates (for highlight and
        camera framing). Rows and halls expand to their racks."""
        f, o = self.facility, self._origin
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if kind == "row":
            idx = np.flatnonzero(np.isin(f.rack_row, idx))
            kind = "rack"
        elif kind == "hall":
            idx = np.flatnonzero(np.isin(f.rack_hall, idx))
            kind = "rack"
        elif kind in ("host", "server"):
            gpus = np.flatnonzero(np.isin(f.gpu_host if kind == "host" else f.gpu_server, idx))
            idx, kind = gpus, "gpu"
        if kind == "rack":
            c = self.rack_center[idx].copy()
            c[:, 2] = f.rack_size_m[idx, 2] / 2
            return c, f.rack_size_m[idx], f.rack_rotation_deg[idx]
        if kind == "gpu":
            return (
                self.gpu_center[idx],
                self.gpu_box_size_m()[idx],
                f.rack_rotation_deg[f.gpu_rack[idx]],
            )
        table = {
            "air_unit": (
                f.air_unit_center_m,
                f.air_unit_size_m,
                f.air_unit_rotation_deg,
                f.air_unit_hall,
            ),
            "cdu": (f.cdu_center_m, f.cdu_size_m, f.cdu_rotation_deg, f.cdu_hall),
            "power": (
                f.power_center_m,
                f.power_size_m,
                f.power_rotation_deg,
                np.maximum(f.power_hall, 0),
            ),
        }
        if kind not in table:
            raise KeyError(f"no boxes for item kind {kind!r}")
        center, size, rot, hall = table[kind]
        c = center[idx] + o[hall[idx]]
        ok = np.isfinite(c[:, 0])
        c, s, r = c[ok], size[idx][ok], rot[idx][ok]
        c[:, 2] = s[:, 2] / 2
        return c, s, r

    def highlight(self, kind: str | None, indices=()) -> None:
        """Outline the given items (``kind`` as in ``Picked``, or ``row``/``hall``/``host``);
        ``None`` or no indices clears the highlight."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        links = self.related_links(kind, idx) if kind and idx.size else pv.PolyData()
        self._set_selection_links(links)
        if not kind or idx.size == 0:
            mesh = pv.PolyData()
            self.selection = ("", np.zeros(0, dtype=np.int64))
        else:
            c, s, r = self.item_boxes(kind, idx)
            pad = 0.04 if kind != "gpu" else 0.015
            mesh = geo.box_edges(c, s + pad, r)
            if kind == "gpu":  # also frame the GPU's rack, so the eye finds it from afar
                rc, rs, rr = self.item_boxes("rack", np.unique(self.facility.gpu_rack[idx]))
                mesh = pv.merge([mesh, geo.box_edges(rc, rs + 0.04, rr)])
            self.selection = (kind, idx)
        self._show_selection_part(
            "_sel", mesh, color=style.SELECTION, line_width=3, name="selection"
        )

    def _show_selection_part(self, attr: str, mesh: pv.PolyData, **look) -> None:
        """One mesh and actor per part of the selection (``{attr}_mesh``, ``{attr}_actor``),
        made on first use; later selections are copied into the same mesh in place."""
        actor = getattr(self, f"{attr}_actor", None)
        if actor is None:
            if mesh.n_points == 0:
                return
            actor = self.plotter.add_mesh(
                mesh, lighting=False, pickable=False, reset_camera=False, **look
            )
            setattr(self, f"{attr}_mesh", mesh)
            setattr(self, f"{attr}_actor", actor)
            self.layers["selection"].actors.append(actor)
            actor.SetVisibility(self.layers["selection"].visible)
        else:
            target = getattr(self, f"{attr}_mesh")
            target.copy_from(mesh)
            target.Modified()

    def related_links(self, kind: str, idx: np.ndarray) -> pv.PolyData:
        """The power and cooling connections of the given items, in their own colours: for a
        rack (or GPU), both feeds up to the utility and its liquid loop; for a power device,
        what it feeds and what feeds it; for a CDU, its loops."""
        f = self.facility
        pw, cl = self._power_links, self._cool_links
        p_cells = np.zeros(pw.n_cells, dtype=bool)
        c_cells = np.zeros(cl.n_cells, dtype=bool)
        if kind == "gpu":
            kind, idx = "rack", np.unique(f.gpu_rack[idx])
        if pw.n_cells:
            side = np.asarray(pw.cell_data["side"])
            dev = np.asarray(pw.cell_data["device"])
            rack = np.asarray(pw.cell_data["rack"])
            up = side == 2
            if kind == "rack":
                p_cells |= np.isin(rack, idx)
                chain = {d for r in idx for d in (f.rack_feed_a[r], f.rack_feed_b[r]) if d >= 0}
                chain = {x for d in chain for x in map(f.power_index.get, f.power_chain(int(d)))}
                p_cells |= up & np.isin(dev, list(chain))
            elif kind == "power":
                p_cells |= np.isin(dev, idx)  # its rack feeds and its own upstream link
                p_cells |= up & np.isin(f.power_upstream[np.maximum(dev, 0)], idx)
        if cl.n_cells:
            if kind == "rack":
                c_cells |= np.isin(np.asarray(cl.cell_data["rack"]), idx)
            elif kind == "cdu":
                c_cells |= np.isin(np.asarray(cl.cell_data["cdu"]), idx)
        parts = []
        if p_cells.any():
            paths = pw.points.reshape(-1, 4, 3)[p_cells]
            m = geo.polylines(paths)
            m.cell_data["rgb"] = np.asarray(pw.cell_data["rgb"])[p_cells]
            parts.append(m)
        if c_cells.any():
            m = geo.polylines(cl.points.reshape(-1, 4, 3)[c_cells])
            m.cell_data["rgb"] = np.tile(
                np.array(style.hex_rgb(style.LIQUID), np.uint8), (m.n_cells, 1)
            )
            parts.append(m)
        return pv.merge(parts) if parts else pv.PolyData()

    def _set_selection_links(self, mesh: pv.PolyData) -> None:
        self._show_selection_part(
            "_sel_links",
            mesh,
            scalars="rgb",
            rgb=True,
            preference="cell",
            line_width=4,
            name="selection_links",
        )

    # ------------------------------------------------------------------ picking
    def pick_to_item(self, x: float, y: float) -> Picked | None:
        """The item under display position (x, y) (pixels, origin bottom-left as VTK counts
        them), or None. Uses a cell picker with a static locator on the big meshes."""
        if self._picker is None:
            picker = vtkCellPicker()
            picker.SetTolerance(0.0005)
            picker.PickFromListOn()
            for mesh in (self.gpu_mesh, self.rack_mesh):
                if mesh.n_cells:
                    loc = vtkStaticCellLocator()
                    loc.SetDataSet(mesh)
                    loc.BuildLocator()
                    picker.AddLocator(loc)
            self._picker = picker
        picker = self._picker
        # only what is drawn now (the level of detail hides the GPUs from afar, and shows
        # the racks' fronts): a hidden actor would hide what is behind it
        picker.InitializePickList()
        for lay in PICKABLE_LAYERS:
            for a in self.layers[lay].actors:
                if id(a) in self._pick_actors and a.GetVisibility():
                    picker.AddPickList(a)
        if not picker.Pick(float(x), float(y), 0.0, self.plotter.renderer):
            return None
        actor = picker.GetActor()
        hit = self._pick_actors.get(id(actor)) if actor is not None else None
        if hit is None or not actor.GetVisibility():
            return None
        kind, to_index = hit
        cell = picker.GetCellId()
        if cell < 0:
            return None
        return Picked(kind, to_index(cell), tuple(picker.GetPickPosition()))

    def world_to_display(self, point) -> tuple[float, float]:
        """Display pixel (origin bottom-left) of a world point, for tests and overlays."""
        ren = self.plotter.renderer
        ren.SetWorldPoint(float(point[0]), float(point[1]), float(point[2]), 1.0)
        ren.WorldToDisplay()
        x, y, _ = ren.GetDisplayPoint()
        return x, y

    # ------------------------------------------------------------------ cameras
    def site_bounds(self) -> np.ndarray:
        """[x0, y0, z0, x1, y1, z1] of all halls."""
        f = self.facility
        lo = np.hstack([f.hall_origin_m.min(axis=0), [0.0]])
        hi = np.hstack(
            [(f.hall_origin_m + f.hall_size_m[:, :2]).max(axis=0), [f.hall_size_m[:, 2].max()]]
        )
        return np.concatenate([lo, hi])

    def _frame(self, focal, direction, up, zoom: float = 1.0, parallel: bool = False) -> None:
        """Look at ``focal`` from ``direction``, distance chosen to fit the whole site."""
        cam = self._camera()
        cam.parallel_projection = parallel
        cam.view_angle = VIEW_ANGLE_DEG
        direction = np.asarray(direction, dtype=float)
        direction /= np.linalg.norm(direction)
        cam.focal_point = tuple(focal)
        cam.position = tuple(np.asarray(focal) + direction)
        cam.up = tuple(up)
        self.plotter.renderer.ResetCamera(*self.site_bounds()[[0, 3, 1, 4, 2, 5]])
        cam.zoom(zoom)
        self.plotter.renderer.ResetCameraClippingRange()

    def view_top(self) -> None:
        """Plan view from straight above (orthographic), +y up."""
        b = self.site_bounds()
        focal = (b[:3] + b[3:]) / 2
        focal[2] = 0.0
        self._frame(focal, (0, 0, 1), (0, 1, 0), parallel=True)
        w, h = (max(int(v), 1) for v in self.plotter.window_size)
        dx, dy = b[3] - b[0], b[4] - b[1]
        self._camera().parallel_scale = 0.54 * max(dy, dx * h / w)  # the site, with a margin

    def view_iso(self) -> None:
        """Three-quarter view from a row end, looking down the aisles: the cold aisles show
        the racks' fronts (a view across the rows would see some rows' rears)."""
        b = self.site_bounds()
        focal = (b[:3] + b[3:]) / 2
        focal[2] = 0.6
        self._frame(focal, iso_direction(self.facility.rack_front_xy), (0, 0, 1), zoom=1.25)

    def view_along_row(self, row: str | int) -> None:
        """Eye-level view down the cold aisle in front of a row, from its first rack."""
        f = self.facility
        r = f.row_index[row] if isinstance(row, str) else int(row)
        racks = np.flatnonzero(f.rack_row == r)
        if racks.size == 0:
            raise ValueError(f"row {f.row_ids[r]!r} has no racks")
        first, last = self.rack_center[racks[0]], self.rack_center[racks[-1]]
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
        cam = self._camera()
        cam.parallel_projection = False
        cam.view_angle = ROW_VIEW_ANGLE_DEG
        cam.position = tuple(eye)
        cam.focal_point = tuple(target)
        cam.up = (0.0, 0.0, 1.0)
        self.plotter.renderer.ResetCameraClippingRange()

    def look_at(self, kind: str, indices) -> None:
        """Centre the view on items, keeping the direction, close enough to see them well."""
        c, size, _ = self.item_boxes(kind, indices)
        if len(c) == 0:
            return
        cam = self._camera()
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
        self.plotter.renderer.ResetCameraClippingRange()

    def set_view(self, view: str) -> None:
        """``top``, ``iso`` or ``row:ID``."""
        if view == "top":
            self.view_top()
        elif view == "iso":
            self.view_iso()
        elif view.startswith("row:"):
            row = view[4:]
            if row not in self.facility.row_index:
                raise ValueError(f"unknown row {row!r} (rows: {', '.join(self.facility.row_ids)})")
            self.view_along_row(row)
        else:
            raise ValueError(f"unknown view {view!r}: use top, iso or row:ID")
