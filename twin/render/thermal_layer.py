"""The physics drawn into the 3D scene: air temperature on a horizontal and a vertical slice,
airflow arrows on those slices, and each rack's inlet temperature profile on its front face.

Meshes are built once per grid (hall, shape, cell size); a new ``ThermalResult`` on the same
grid only writes into the existing VTK arrays (slice temperatures, arrow points, inlet colours)
and marks them modified, so a replay can refresh the overlay on every frame. Moving a slice
keeps its mesh too: the plane's origin moves and its values are rewritten.

No Qt here: the window (``twin.ui.thermal_view``) and ``twin render --thermal`` both drive it.
"""

from __future__ import annotations

import math

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy

from twin.render import legend_layout, style, thermal_legend
from twin.render.scene import Scene
from twin.render.thermal_arrows import (
    ARROW_MAX_SCALE,
    ARROW_MIN_SPEED_MS,
    ARROW_REF_SPEED_MS,
    Arrows,
    arrow_template,
    lattice,
    new_arrows,
    write_arrows,
)
from twin.render.thermal_inlets import InletBands, inlet_lookup_table
from twin.render.translucency import draw_as_opaque

__all__ = [  # what the window, twin render and the tests use from here
    "ARROWS",
    "ARROW_MAX_SCALE",
    "ARROW_MIN_SPEED_MS",
    "ARROW_REF_SPEED_MS",
    "INLETS",
    "SLICE",
    "VSLICE",
    "ThermalLayer",
    "inlet_lookup_table",
    "overlay_decorator",
    "parse_overlays",
    "parse_vslice",
]

#: Fixed colour range of air temperature (C): the same colours mean the same air in every view.
AIR_CLIM_C = (15.0, 45.0)

#: Scene layer names of the overlays.
SLICE, VSLICE, ARROWS, INLETS, LEGEND, FAILED = (
    "air_slice",
    "air_vslice",
    "air_arrows",
    "rack_inlets",
    "thermal_legend",
    "failed_units",
)
OVERLAYS = (SLICE, VSLICE, ARROWS, INLETS)
#: Short names for the command line (``twin render --thermal slice,arrows``).
OVERLAY_NAMES = {"slice": SLICE, "vslice": VSLICE, "arrows": ARROWS, "inlets": INLETS}


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
        self.inlets: InletBands | None = None
        self.arrows_h: Arrows | None = None
        self.arrows_v: Arrows | None = None
        self.slice_k = 0
        self.vslice_index = 0
        self._template = arrow_template()
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
            self.inlets.write(result.air_c)
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
        self.scene.labels.forget("failed_unit_tags")
        with self.scene.quiet():
            for a in lay.actors:
                self.plotter.remove_actor(a, reset_camera=False, render=False)
            lay.actors.clear()
            if idx:
                lay.actors.extend(thermal_legend.failed_unit_actors(self.scene, idx))
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
        actor = self.plotter.add_mesh(
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
        # opaque but for the cells inside racks (NaN: zero opacity, discarded): drawn in the
        # opaque pass, the slices hide each other and the racks exactly
        draw_as_opaque(actor)
        return actor

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

    def _build_arrows(self) -> None:
        g = self.result.grid
        nx, ny, _ = g.shape
        s = self._stride()
        ii, jj = np.meshgrid(lattice(nx, s), lattice(ny, s), indexing="ij")
        self.arrows_h = new_arrows(self.plotter, self._template, ii.size, "air_arrows_h")
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
        along = lattice(ny if ax == 0 else nx, s)
        kk = lattice(nz, s)
        aa, kk = np.meshgrid(along, kk, indexing="ij")
        if self.arrows_v is not None and self.arrows_v.actor is not None:
            self.plotter.remove_actor(self.arrows_v.actor, reset_camera=False, render=False)
        self.arrows_v = new_arrows(self.plotter, self._template, aa.size, "air_arrows_v")
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

    def _write_arrows(self, arrows: Arrows | None) -> None:
        if arrows is None or arrows.actor is None:
            return
        if arrows is self.arrows_v:
            arrows.lattice = self._v_lattice()
            arrows.center_m = self._centres(*arrows.lattice)
        spacing = self._stride() * self.result.grid.cell_m
        self.arrow_speed_ms = write_arrows(arrows, self.result.velocity, spacing, self._template)

    # ------------------------------------------------------------------ rack inlets
    def _build_inlets(self) -> None:
        self.inlets = InletBands(self.plotter, self.scene.facility, self.result.grid)
        if self.inlets.actor is not None:
            self.scene.add_layer(INLETS, [self.inlets.actor], visible=False)

    @property
    def inlet_mesh(self) -> pv.PolyData | None:
        return None if self.inlets is None else self.inlets.mesh

    @property
    def inlet_actor(self):
        return None if self.inlets is None else self.inlets.actor

    def inlet_band_values(self) -> np.ndarray:
        """(racks of the hall, bands) inlet temperatures drawn, bottom band first."""
        return self.inlets.band_values()

    # ------------------------------------------------------------------ legends
    def _build_legend(self) -> None:
        # (legend_fit moves a bar in when a narrow view would cut its title; the inlet bar
        # sits low enough that its title clears the air bar's lowest label)
        air_lut = self.slice_actor.mapper.lookup_table
        self.air_bar = thermal_legend.scalar_bar(air_lut, "Air temperature (°C)", (0.015, 0.52), 7)
        self.inlet_bar = thermal_legend.inlet_bar()
        # after the GPU metric, the air slice (the largest picture) and then the inlets
        legend_layout.register(self.air_bar, 1.0, "left")
        legend_layout.register(self.inlet_bar, 1.5, "left")
        self.arrow_note = thermal_legend.caption_actor()
        actors = [self.air_bar, self.inlet_bar, self.arrow_note]
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
        at = float(pos) if pos.strip() else None
    except ValueError:
        raise ValueError(f"vertical slice position must be metres, got {pos!r}") from None
    if at is not None and not math.isfinite(at):
        raise ValueError(f"vertical slice position must be a finite number of metres, got {pos!r}")
    return axis, at


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
