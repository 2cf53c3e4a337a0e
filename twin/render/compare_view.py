"""Two states of one hall side by side (baseline and what-if): the hall's racks as outlines and
its GPUs as boxes, each side coloured from its own values on one shared colour range, with
the cameras linked so both turn together. Draws into a plotter of shape (1, 2) (off-screen or
a Qt interactor alike)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv

from twin.model.facility import Facility
from twin.render import geometry as geo
from twin.render import style
from twin.render.equipment import GPU_FACES, gpu_box_size_m


@dataclass
class Side:
    """One side: its title and a value per GPU of the facility (NaN: drawn neutral)."""

    title: str
    gpu_values: np.ndarray


def shared_clim(sides: list[Side], gpus: np.ndarray) -> tuple[float, float]:
    """One colour range for every side (the values' finite min and max over ``gpus``)."""
    vals = np.concatenate([np.asarray(s.gpu_values, float)[gpus] for s in sides])
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return 0.0, 1.0
    lo, hi = float(vals.min()), float(vals.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def draw_side_by_side(
    plotter: pv.Plotter,
    facility: Facility,
    hall: int,
    sides: list[Side],
    label: str,
    cmap: str = "inferno",
    clim: tuple[float, float] | None = None,
) -> list[pv.PolyData]:
    """Draw each side into subplot (0, k) of ``plotter``; returns each side's GPU mesh (its
    ``gpu_value`` cell array holds the values drawn, five faces per GPU)."""
    f = facility
    racks = np.flatnonzero(f.rack_hall == hall)
    gpus = np.flatnonzero(f.gpu_hall == hall)
    clim = clim or shared_clim(sides, gpus)
    centre = f.rack_center_m[racks].copy()
    centre[:, 2] = f.rack_size_m[racks, 2] / 2
    outlines = geo.box_edges(centre, f.rack_size_m[racks] * 1.001, f.rack_rotation_deg[racks])
    floor = geo.rects(np.array([[0.0, 0.0, *f.hall_size_m[hall, :2]]]), 0.0)
    meshes = []
    for k, side in enumerate(sides):
        plotter.subplot(0, k)
        plotter.set_background(style.BACKGROUND_BOTTOM, top=style.BACKGROUND_TOP)
        mesh = geo.boxes(
            f.gpu_position_m[gpus],
            gpu_box_size_m(f)[gpus],
            f.rack_rotation_deg[f.gpu_rack[gpus]],
            GPU_FACES,
        )
        values = np.asarray(side.gpu_values, float)[gpus]
        mesh.cell_data["gpu_value"] = np.repeat(values, len(GPU_FACES)).astype(np.float32)
        plotter.add_mesh(floor, color=style.FLOOR, name="floor")
        plotter.add_mesh(outlines, color=style.RACK_EDGE, line_width=1, name="racks")
        plotter.add_mesh(
            mesh,
            scalars="gpu_value",
            preference="cell",
            cmap=cmap,
            clim=clim,
            nan_color=style.GPU,
            name="gpus",
            show_scalar_bar=False,
        )
        plotter.add_text(side.title, font_size=10, color="white", name="title")
        if k == len(sides) - 1:
            plotter.add_scalar_bar(label, mapper=plotter.mapper, color="white", n_labels=5)
        plotter.view_isometric()
        meshes.append(mesh)
    plotter.link_views()
    return meshes
