"""Rack inlet air drawn on the racks' front faces: each face split into horizontal bands, one
per grid layer up to the rack's top, coloured by the hottest air the band draws in, in ASHRAE
A1 colours, so recirculation at the top of a rack shows.

The bands and the air cells each band samples are found once per grid; a new result only
rewrites the band values in place. No Qt.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkLookupTable

from twin.physics.metrics import A1_ALLOWABLE_C, A1_RECOMMENDED_C  # noqa: F401 (re-exported)
from twin.render import style

INLET_CLIM_C = (10.0, 40.0)
#: The table range drawn: shifted by 0.05 K so a value that rounds to a band edge (17.99 ->
#: 18.0) takes the band above it.
INLET_TABLE_C = (INLET_CLIM_C[0] - 0.05, INLET_CLIM_C[1] - 0.05)
INLET_COLOURS = (  # (upper edge C, colour): below allowable, allowable low, recommended, ...
    (A1_ALLOWABLE_C[0], "#e0403a"),  # outside allowable: red on both sides
    (A1_RECOMMENDED_C[0], "#7cc8ea"),
    (A1_RECOMMENDED_C[1], "#3dbb6a"),
    (A1_ALLOWABLE_C[1], "#f0b030"),
    (np.inf, "#e0403a"),
)


def inlet_lookup_table() -> vtkLookupTable:
    """ASHRAE A1 bands as a stepped colour table over ``INLET_CLIM_C`` (0.5 K entries, so the
    band edges fall exactly on entry boundaries)."""
    lo, hi = INLET_CLIM_C
    n = int(round((hi - lo) / 0.5))
    lut = vtkLookupTable()
    lut.SetNumberOfTableValues(n)
    lut.SetTableRange(*INLET_TABLE_C)
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


class _Fronts:
    """Front-face geometry of the hall's racks (hall-local metres, vectorised per rack)."""

    def __init__(self, facility, racks: np.ndarray):
        f, n = facility, len(racks)
        t = np.deg2rad(f.rack_rotation_deg[racks])
        self.xdir = np.stack([np.cos(t), np.sin(t), np.zeros(n)], 1)
        self.front = np.hstack([f.rack_front_xy[racks], np.zeros((n, 1))])
        self.width = f.rack_size_m[racks, 0]
        self.depth = f.rack_size_m[racks, 1]
        self.height = f.rack_size_m[racks, 2]
        self.local = np.hstack([f.rack_center_m[racks, :2], np.zeros((n, 1))])


class InletBands:
    """The inlet bands of one grid's racks (``mesh``/``actor`` None when the hall has none)."""

    def __init__(self, plotter, facility, grid):
        self.plotter = plotter
        racks = np.asarray(grid.rack_ids, dtype=np.int64)
        self.racks = racks
        top = float(facility.rack_size_m[racks, 2].max(initial=0.0))
        self.bands = max(1, int(np.ceil(top / grid.cell_m)))
        self.mesh: pv.PolyData | None = None
        self.actor = None
        if len(racks) == 0:
            return
        fr = _Fronts(facility, racks)
        # band k is grid layer k (as voxelised: layers whose centre is below the rack's top),
        # the last one stretched to the top
        edges = grid.origin_m[2] + np.arange(self.bands + 1) * grid.cell_m
        zc = (edges[:-1] + edges[1:]) / 2
        n_in = np.maximum((zc[None, :] < fr.height[:, None]).sum(axis=1), 1)  # (n,)
        self._build_mesh(fr, grid, edges, n_in)
        self._find_cells(fr, grid, zc, n_in)
        self._add_actor()

    def _build_mesh(self, fr: _Fronts, grid, edges: np.ndarray, n_in: np.ndarray) -> None:
        n, nb = len(self.racks), self.bands
        c = fr.local + np.array([*np.asarray(grid.site_origin_m, float)[:2], 0.0])
        face_c = c + fr.front * (fr.depth[:, None] / 2 + 0.01)  # just proud of the face
        z = np.where(np.arange(nb + 1)[None, :] < n_in[:, None], edges[None, :], fr.height[:, None])
        half = fr.xdir * (fr.width[:, None] / 2)
        left = face_c[:, None, :] - half[:, None, :] + z[:, :, None] * [0, 0, 1]
        right = face_c[:, None, :] + half[:, None, :] + z[:, :, None] * [0, 0, 1]
        pts = np.stack([left, right], axis=2).reshape(-1, 3)  # (n, nb+1, 2) points per rack
        base = (np.arange(n)[:, None] * (nb + 1) * 2 + np.arange(nb)[None, :] * 2).reshape(-1)
        quads = np.stack([base, base + 1, base + 3, base + 2], axis=1)
        self.mesh = pv.PolyData.from_regular_faces(pts, quads)
        self.mesh.cell_data["inlet_c"] = np.full(n * nb, np.nan)
        self.mesh.cell_data["rack_index"] = np.repeat(self.racks.astype(np.int32), nb)
        self._vtk = self.mesh.GetCellData().GetArray("inlet_c")
        self.values = vtk_to_numpy(self._vtk)

    def _find_cells(self, fr: _Fronts, grid, zc: np.ndarray, n_in: np.ndarray) -> None:
        """The air cells in front of each band: samples every half cell across the rack's
        width, half a cell out (and 1.5 cells out where that cell is solid)."""
        n, nb = len(self.racks), self.bands
        m = 2 * int(np.ceil(float(fr.width.max()) / grid.cell_m)) + 1  # odd: the centre is one
        frac = np.linspace(-0.499, 0.499, m)
        across = frac[None, :, None] * (fr.width[:, None, None] * fr.xdir[:, None])  # (n, m, 3)
        self.cells = []
        for dist in (0.5, 1.5):
            p = fr.local + fr.front * (fr.depth[:, None] / 2 + dist * grid.cell_m)  # (n, 3)
            p = p[:, None, None, :] + across[:, None, :, :]  # (n, 1, m, 3)
            p = np.broadcast_to(p, (n, nb, m, 3)).copy()
            p[..., 2] = zc[None, :, None]
            self.cells.append(grid.cell_at(p.reshape(-1, 3)))
        # keep the cells whose centre lies within the rack's width (as the voxels do), and
        # always the middle one; bands above the rack's voxels get none
        cc = grid.origin_m + (self.cells[0] + 0.5) * grid.cell_m
        cc = cc.reshape(n, nb, m, 3)
        off = ((cc[..., :2] - fr.local[:, None, None, :2]) * fr.xdir[:, None, None, :2]).sum(-1)
        keep = (np.abs(off) <= fr.width[:, None, None] / 2) | (np.arange(m) == m // 2)[None, None]
        keep &= (np.arange(nb)[None, :] < n_in[:, None])[:, :, None]
        self.keep = keep.reshape(n * nb, m)
        self.shape = (n * nb, m)

    def _add_actor(self) -> None:
        self.actor = self.plotter.add_mesh(
            self.mesh,
            scalars="inlet_c",
            preference="cell",
            clim=INLET_TABLE_C,
            show_scalar_bar=False,
            ambient=0.4,
            diffuse=0.7,
            specular=0.05,
            pickable=False,
            reset_camera=False,
            name="rack_inlets",
        )
        self.actor.mapper.lookup_table.DeepCopy(inlet_lookup_table())
        self.actor.mapper.scalar_range = INLET_TABLE_C

    def write(self, air_c: np.ndarray) -> None:
        """Each band's hottest sampled air of this result, in place."""
        if self.mesh is None:
            return
        near, far = (air_c[c[:, 0], c[:, 1], c[:, 2]].reshape(self.shape) for c in self.cells)
        vals = np.where(np.isfinite(near), near, far)
        vals = np.where(self.keep, vals, np.nan)
        with np.errstate(invalid="ignore"):
            best = np.max(np.where(np.isfinite(vals), vals, -np.inf), axis=1)
        self.values[:] = np.where(np.isfinite(best), best, np.nan)
        self._vtk.Modified()
        self.mesh.Modified()

    def band_values(self) -> np.ndarray:
        """(racks of the hall, bands) inlet temperatures drawn, bottom band first."""
        return self.values.reshape(len(self.racks), self.bands)
