"""The 3D scene of a facility: a few merged actors (floor, walls, racks, GPUs, units, links,
labels) grouped in named layers, recoloured in place from per-GPU or per-rack arrays.

The scene reads the model and never writes it. Everything is in site coordinates: a hall's
hall-local metres shifted by ``facility.hall_origin_m``. Cell order follows the facility's
index order (box k owns a fixed block of cells), so colouring is a strided write into the
existing VTK array and picking is an integer division.

``Scene`` owns the layers and the colouring; its collaborators do the rest: ``equipment``
(racks, GPUs, server trays, links), ``builders`` (floors, walls, units, cooling extras), ``lod``
(far/near level, per-rack aggregates), ``labels`` (labels, colour bars, link key),
``selection`` (highlight), ``picking`` and ``camera``. Its public methods delegate to them.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pyvista as pv

from twin.model.facility import Facility
from twin.render import style
from twin.render.builders import build_cooling_extras, build_site, build_units
from twin.render.camera import SceneCamera, iso_direction
from twin.render.equipment import (
    GPU_FACES,
    RACK_FACES,
    build_gpus,
    build_links,
    build_racks,
    build_trays,
    gpu_box_size_m,
)
from twin.render.interactive import paint_background
from twin.render.labels import RACK_LABEL_LIMIT, SceneLabels
from twin.render.lod import MOVING_HIDDEN, RackLod
from twin.render.picking import PICKABLE_LAYERS, ScenePicker
from twin.render.scene_types import Colouring, Layer, Picked
from twin.render.selection import SelectionView

__all__ = [
    "GPU_FACES",
    "PICKABLE_LAYERS",
    "RACK_FACES",
    "RACK_LABEL_LIMIT",
    "Colouring",
    "Layer",
    "Picked",
    "Scene",
    "iso_direction",
]


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
        #: the point sensors' spheres (``builders.sensors``; None without sensors)
        self.sensor_mesh: pv.PolyData | None = None
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
            paint_background(plotter)
            build_site(self)
            build_racks(self)
            build_gpus(self)
            build_trays(self)
            self.lod = RackLod(self)
            build_units(self)
            build_cooling_extras(self)
            build_links(self)
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
        if layer in ("gpus", "servers", "rack_heat", *MOVING_HIDDEN) and hasattr(self, "lod"):
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

    def gpu_box_size_m(self) -> np.ndarray:
        """(G, 3) drawn size of each GPU (see ``equipment.gpu_box_size_m``)."""
        return gpu_box_size_m(self.facility)

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
        for face in self._gpu_values.T:  # face by face: one long strided copy each, where
            face[:] = v  # a broadcast into (G, faces) would run G copies of 5 floats
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
        the metric's fixed scale (``twin.model.metrics``) when the frame has it, and the point
        sensors by their readings. Returns whether anything changed."""
        from twin.render.overlays import colour_gpus, colour_sensors

        sensors = colour_sensors(self, frame)
        return colour_gpus(self, frame, self.gpu_metric) or sensors

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
        self.cameras.set_view("top")

    def view_iso(self) -> None:
        """Three-quarter view of the whole site, down the aisles."""
        self.cameras.set_view("iso")

    def view_along_row(self, row: str | int) -> None:
        """Eye-level view down a row's cold aisle."""
        self.cameras.view_along_row(row)

    def look_at(self, kind: str, indices) -> None:
        """Centre the view on items, close enough to see them well."""
        self.cameras.look_at(kind, indices)

    def set_view(self, view: str) -> None:
        """``top``, ``iso`` or ``row:ID``."""
        self.cameras.set_view(view)
