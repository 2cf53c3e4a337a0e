"""Airflow arrows on a plane of the grid: one arrow per lattice point (every few cells), its
length proportional to the air speed there. The arrow count is fixed per lattice, so a new
result only rewrites the points of the one mesh in place. No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy

#: Arrow length equals the arrow spacing at this speed (m/s); longer arrows are capped.
ARROW_REF_SPEED_MS = 1.0
ARROW_MAX_SCALE = 1.6
#: Slower air gets no arrow (m/s): a field of dots says nothing.
ARROW_MIN_SPEED_MS = 0.05
ARROW_COLOUR = "#f4f7fa"


def arrow_template() -> tuple[np.ndarray, np.ndarray]:
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


def lattice(n: int, stride: int) -> np.ndarray:
    """Every ``stride``-th cell index of ``n``, starting half a stride in."""
    return np.arange(min(stride // 2, n - 1), n, stride)


@dataclass
class Arrows:
    """Arrows at a fixed lattice of a plane: count fixed, points rewritten in place."""

    mesh: pv.PolyData
    points: np.ndarray  # (N*T, 3) view of the VTK points
    lattice: tuple[np.ndarray, ...]  # index arrays into the grid (N each)
    center_m: np.ndarray  # (N, 3) site coordinates of the arrow centres
    actor: object = None


def new_arrows(plotter, template, n: int, name: str) -> Arrows:
    """A mesh of ``n`` arrows (all at the origin until written) and its actor."""
    tp, tf = template
    t = len(tp)
    faces = (tf[None, :, :] + t * np.arange(n, dtype=np.int64)[:, None, None]).reshape(-1, 3)
    mesh = pv.PolyData.from_regular_faces(np.zeros((n * t, 3)), faces) if n else pv.PolyData()
    arrows = Arrows(mesh, np.zeros((0, 3)), (), np.zeros((0, 3)))
    if n:
        arrows.points = vtk_to_numpy(mesh.GetPoints().GetData())
        arrows.actor = plotter.add_mesh(
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


def write_arrows(arrows: Arrows, velocity, spacing_m: float, template) -> np.ndarray:
    """Point each arrow along the cell-centred ``velocity`` (u, v, w) at its lattice point,
    ``spacing_m`` long at ``ARROW_REF_SPEED_MS``; returns the speeds (m/s)."""
    u, v, w = velocity
    i, j, k = arrows.lattice
    vel = np.stack([u[i, j, k], v[i, j, k], w[i, j, k]], axis=1)
    speed = np.linalg.norm(vel, axis=1)
    d = vel / np.maximum(speed, 1e-12)[:, None]
    d[speed < 1e-12] = (1.0, 0.0, 0.0)
    length = spacing_m * np.minimum(speed / ARROW_REF_SPEED_MS, ARROW_MAX_SCALE)
    length[~(speed >= ARROW_MIN_SPEED_MS)] = 0.0  # also NaN speeds
    e2, e3 = _frames(d)
    tp = template[0]
    local = (
        tp[None, :, 0:1] * d[:, None, :]
        + tp[None, :, 1:2] * e2[:, None, :]
        + tp[None, :, 2:3] * e3[:, None, :]
    )
    pts = arrows.center_m[:, None, :] + length[:, None, None] * local
    arrows.points[:] = pts.reshape(-1, 3)
    arrows.mesh.GetPoints().Modified()
    arrows.mesh.Modified()
    return speed
