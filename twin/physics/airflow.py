"""The air velocity field: a fast-fluid-dynamics projection method run to a steady state.

Why not potential flow alone: a potential (irrotational) field balances mass but carries no
momentum, so a rack exhaust jet stops at the rack and hot air never wraps round a row end or
spills over the racks when the cold aisle is short of air. Detailed CFD shows those row ends
5-10 K warmer; potential flow puts them within a degree of supply (DESIGN.md, physics).

So we march the incompressible Navier-Stokes equations in pseudo-time (Stam's "stable fluids",
as Zuo & Chen 2009 use for indoor air, REFERENCE.md "Fast airflow models"):

1. semi-Lagrangian advection of each face velocity component with MacCormack's
   second-order correction (unconditionally stable, so the step is set by accuracy: ``CFL``
   cells per step at the fastest inflow port: the jets that carry the momentum); air traced
   back through an inflow port takes the port's velocity, none along its plane
   (``InflowWash``);
2. turbulent diffusion with the zero-equation eddy viscosity of Chen & Xu (1998),
   nu_t = 0.03874 |U| l, l the distance to the nearest wall (``wall_distance_m``);
3. Boussinesq buoyancy, g (T - T_ref) / T_ref, from the current temperature field;
4. a pressure projection that makes the field divergence-free: L p = -div u*, with L the
   face-conductance Laplacian of the air cells, solved by conjugate gradients preconditioned
   with a smoothed-aggregation algebraic multigrid hierarchy (pyamg) that is built once per
   geometry and warm-started from the previous pressure.

The first projection of a zero field is exactly the potential flow; the iterations then add
the jets, their entrainment and the recirculation. The result conserves mass to the solver
tolerance (``div_rel`` reports it).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import distance_transform_edt
from scipy.sparse.csgraph import connected_components

from twin.physics import kernels
from twin.physics.amg import cg as amg_cg
from twin.physics.amg import sa_hierarchy, v_cycle
from twin.physics.grid import PANEL_U_REF_MS, Grid, panel_faces, panel_loss_k

G = 9.81
#: Chen & Xu (1998) zero-equation model constant.
CHEN_XU = 0.03874
#: Semi-Lagrangian step in cells travelled at the fastest inflow port's velocity. Outflows do
#: not set it: a small return grille sucks at 10 m/s, which made the over-supplied validation
#: room's step a third of the others' and its march stop far short of a developed field.
CFL = 3.0
#: CG iterations of each buoyant pseudo-step's projection (the march's last third, whose
#: means are the answer); the steps before project with one V-cycle. A V-cycle's aggregates
#: and sweeps follow the cells' index order, and the racks of the x-mirrored contained
#: validation room read up to 0.040 K off their mirror images' (0.002 K with these), enough
#: to misorder racks that the CFD puts 0.012 K apart (rank correlation 0.89 -> 0.97). Cost:
#: a validation room's solve 0.26-0.28 -> 0.30-0.33 s, the bench hall's 2.3-2.6 -> 2.75 s
#: (same minutes). Converging the last chunk only left 0.025 K: the first chunk's bias carries.
BUOYANT_PROJECTION_CG = 3


@dataclass
class Flow:
    """Face velocities (m/s) on the grid's MAC faces and how well they conserve mass."""

    u: np.ndarray  # (nx+1, ny, nz)
    v: np.ndarray  # (nx, ny+1, nz)
    w: np.ndarray  # (nx, ny, nz+1)
    nu_t: np.ndarray  # (nx, ny, nz) eddy viscosity, m2/s (0 in solids)
    div_rel: float  # max |net flux out of a cell| / total port flow
    iterations: int

    def cell_velocity(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell-centred (u, v, w), each (nx, ny, nz): the mean of the two faces."""
        return (
            0.5 * (self.u[1:] + self.u[:-1]),
            0.5 * (self.v[:, 1:] + self.v[:, :-1]),
            0.5 * (self.w[:, :, 1:] + self.w[:, :, :-1]),
        )


class PressureSolver:
    """The projection's Poisson problem for one geometry: matrix and AMG hierarchy, built once."""

    def __init__(self, grid: Grid, conductance: tuple[np.ndarray, ...] | None = None):
        """``conductance``: the faces' (gx, gy, gz) as the projection uses them (the grid's
        own by default; see ``march_conductance``)."""
        self.grid = grid
        fluid = grid.fluid.ravel()
        n = int(fluid.sum())
        self.cell_id = np.full(grid.n_cells, -1, dtype=np.int64)
        self.cell_id[fluid] = np.arange(n)
        self.fluid_cells = np.flatnonzero(fluid)
        idx = self.cell_id.reshape(grid.shape)
        rows, cols, vals = [], [], []
        gs = conductance if conductance is not None else (grid.gx, grid.gy, grid.gz)
        for a, g in enumerate(gs):
            lo = [slice(None)] * 3
            hi = [slice(None)] * 3
            inner = [slice(None)] * 3
            lo[a], hi[a], inner[a] = slice(0, -1), slice(1, None), slice(1, -1)
            gi = g[tuple(inner)]
            m = gi > 0
            rows.append(idx[tuple(lo)][m])
            cols.append(idx[tuple(hi)][m])
            vals.append(gi[m])
        r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        off = sp.coo_matrix((v, (r, c)), shape=(n, n))
        off = off + off.T
        deg = np.asarray(off.sum(axis=1)).ravel()
        ncomp, label = connected_components(off, directed=False)
        # pin one cell per connected body of air: with a consistent right-hand side the pinned
        # system has the same solution and is non-singular, which AMG prefers
        first = np.unique(label, return_index=True)[1]
        deg[first] += 1.0
        self.n_components = ncomp
        self.L = (sp.diags(deg) - off).tocsr()
        # a containment panel joins the air either side by a thread (``march_conductance``:
        # ~0.002 of an open face): with every link counted strong, aggregates straddled the
        # panels and CG's tight projections of the factory's contained halls took twice the
        # iterations; counted weak, each side gets its own coarse pressure. Halls without
        # panels keep the default, so their marches are unchanged.
        weak = any(panel_faces(g).any() for g in gs)
        self.ml = sa_hierarchy(self.L, symmetric=True, **(PANEL_STRENGTH if weak else {}))
        self.p = np.zeros(n)

    def solve(
        self, rhs: np.ndarray, tol: float, maxiter: int = 50, warm: bool = True
    ) -> np.ndarray:
        """Solve L p = rhs, warm-started from the last pressure (``warm=False``: from zero).
        One iteration is a bare V-cycle (the per-step projection: CG would double its cost
        for little gain).

        A march's steps project fields of about the same divergence, so each starts well
        from the last step's pressure; the march's mean field is nearly divergence-free
        already, and from the last step's pressure its residual was 100-14,000 times its
        own right-hand side: from zero, its tight projection takes 9-10 CG iterations
        instead of 13-15 (the same answer to the tolerance; 17 ms of a 0.31 s validation
        room's solve)."""
        if not warm:
            self.p = np.zeros_like(self.p)
        if maxiter == 1:
            # the V-cycle alone: ml.solve would add convergence checks one cycle never uses
            self.p = v_cycle(self.ml, np.asarray(rhs, dtype=float), self.p.copy())
            return self.p
        # what ml.solve(accel="cg") runs, with the check-free V-cycle as preconditioner and
        # without pyamg's last, unused one (``amg.cg``)
        self.p, _ = amg_cg(self.L, rhs, self.p, self.ml, tol, maxiter)
        return self.p


def trilinear(a: np.ndarray, coords: list[np.ndarray]) -> np.ndarray:
    """``a`` sampled at fractional indices (one full-shape array per axis, clamped like
    ``map_coordinates(order=1, mode="nearest")``): the same values, ~1.5x faster, as eight
    gathers at precomputed flat offsets instead of scipy's general spline loop."""
    shape = a.shape
    strides = (shape[1] * shape[2], shape[2], 1)
    idx = None
    frac = []
    for b in range(3):
        n = shape[b]
        c = np.clip(coords[b], 0.0, n - 1)
        i = np.minimum(c.astype(np.intp), max(n - 2, 0))
        frac.append((c - i).ravel())
        idx = i * strides[b] if idx is None else idx + i * strides[b]
    idx = idx.ravel()
    fx, fy, fz = frac
    sx, sy = (strides[0] if shape[0] > 1 else 0), (strides[1] if shape[1] > 1 else 0)
    sz = 1 if shape[2] > 1 else 0
    f = a.ravel()

    def lerp_z(k: np.ndarray) -> np.ndarray:
        lo = f[k]
        return lo + fz * (f[k + sz] - lo)

    c0 = lerp_z(idx)
    c0 += fy * (lerp_z(idx + sy) - c0)
    c1 = lerp_z(idx + sx)
    c1 += fy * (lerp_z(idx + sx + sy) - c1)
    c0 += fx * (c1 - c0)
    return c0.reshape(np.shape(coords[0]))


def _set_ports(grid: Grid, faces: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    p = grid.ports
    h2 = grid.cell_m**2
    for a, f in enumerate(faces):
        s = p.axis == a
        f.ravel()[p.face[s]] = p.sign[s] * p.q[s] / h2


def _at_faces(c: np.ndarray, a: int) -> np.ndarray:
    """Cell values ``c`` averaged onto the faces normal to axis ``a`` (boundary faces take the
    edge cell's value): what an edge pad and a two-point mean give, without the padded copy."""
    shape = list(c.shape)
    shape[a] += 1
    out = np.empty(shape)
    n = c.shape[a]
    lo = [slice(None)] * 3
    hi = [slice(None)] * 3
    mid = [slice(None)] * 3
    lo[a], hi[a], mid[a] = slice(0, n - 1), slice(1, n), slice(1, n)
    mid_v = out[tuple(mid)]
    np.add(c[tuple(lo)], c[tuple(hi)], out=mid_v)
    mid_v *= 0.5
    first = [slice(None)] * 3
    last = [slice(None)] * 3
    first[a], last[a] = slice(0, 1), slice(n, n + 1)
    src_first = [slice(None)] * 3
    src_last = [slice(None)] * 3
    src_first[a], src_last[a] = slice(0, 1), slice(n - 1, n)
    out[tuple(first)] = c[tuple(src_first)]
    out[tuple(last)] = c[tuple(src_last)]
    return out


@dataclass
class SlipFaces:
    """Closed faces of one axis inside solids (solid on both sides) with open faces of the
    same axis beside them (across the other two axes): each takes the mean of those, so that
    the eddy diffusion and the semi-Lagrangian trace see no velocity jump at a rack's or a
    unit's side (free slip) instead of a no-slip wall the coarse grid cannot resolve."""

    faces: np.ndarray  # (M,) flat face indices
    neighbours: np.ndarray  # (M, 4) flat indices of the open neighbours (0 where none)
    weights: np.ndarray  # (M, 4) 1 / (open neighbours) or 0

    @classmethod
    def of(cls, grid: Grid, open_: tuple, a: int) -> SlipFaces:
        shape = grid.face_shape(a)
        fl = grid.fluid
        lo = np.zeros(shape, bool)
        hi = np.zeros(shape, bool)
        sl_lo, sl_hi = [slice(None)] * 3, [slice(None)] * 3
        sl_lo[a], sl_hi[a] = slice(1, None), slice(0, -1)
        lo[tuple(sl_lo)] = fl  # the cell below the face is air
        hi[tuple(sl_hi)] = fl  # the cell above the face is air
        inside = np.flatnonzero(~lo & ~hi)
        ijk = np.array(np.unravel_index(inside, shape))
        nb = np.zeros((len(inside), 4), np.int64)
        ok = np.zeros((len(inside), 4), bool)
        col = 0
        for b in range(3):
            if b == a:
                continue
            for d in (1, -1):
                q = ijk.copy()
                q[b] += d
                inb = (q[b] >= 0) & (q[b] < shape[b])
                flat = np.ravel_multi_index(tuple(np.where(inb, q, ijk)), shape)
                ok[:, col] = inb & (open_[a].ravel()[flat] > 0)
                nb[:, col] = np.where(ok[:, col], flat, 0)
                col += 1
        n = ok.sum(1)
        keep = n > 0
        wts = ok[keep] / n[keep, None]
        return cls(inside[keep], nb[keep], wts)

    def fill(self, comp: np.ndarray) -> None:
        """Set the faces to the mean of their open neighbours (in place)."""
        f = comp.ravel()
        f[self.faces] = (f[self.neighbours] * self.weights).sum(1)


class InflowWash:
    """Air blown in through a port (tile, rack exhaust, unit discharge) carries the port's
    velocity and none along the port's plane. A semi-Lagrangian trace that departs from
    beyond such a port must take that, not what the array's clamped edge or a solid's
    slip-filled faces hold: those kept the floor layer's sideways spill alive in every step,
    so a tile jet leaked out of its aisle's ends at the floor instead of rising (the end
    racks of the over-supplied and wall-CRAH validation rooms then drew cold spill instead of
    the hot air CFD shows wrapping round the row ends).

    For each inflow port, the faces of the tangential components in the first
    ``ceil(CFL + 0.5)`` air cells along its normal; ``apply`` scales each by how much of its
    departure point lies beyond the port plane (linear between the plane, where the
    tangential velocity is zero, and the first cell's centre)."""

    def __init__(self, entries: list[tuple[np.ndarray, ...]], n_faces: list[int]):
        self.entries = entries  # per axis a: (faces, cells, axis, sign, depth), int64
        self._buf = [np.empty(n) for n in n_faces]

    @classmethod
    def of(cls, grid: Grid) -> InflowWash:
        p = grid.ports
        inflow = p.q > 0
        shape = np.array(grid.shape)
        cells = np.array(np.unravel_index(p.cell[inflow], grid.shape))
        axis, sign = p.axis[inflow].astype(np.int64), p.sign[inflow].astype(np.int64)
        layers = int(np.ceil(CFL + 0.5))
        entries = []
        for a in range(3):
            parts = []
            tangential = axis != a
            for n in range(layers):
                ijk = cells + n * sign * (np.arange(3)[:, None] == axis)
                ok = tangential & np.all((ijk >= 0) & (ijk < shape[:, None]), 0)
                flat = np.ravel_multi_index(tuple(ijk[:, ok]), grid.shape)
                air = grid.fluid.ravel()[flat]
                ijk, flat = ijk[:, ok][:, air], flat[air]
                for side in (0, 1):  # the cell's two faces normal to a
                    q = ijk.copy()
                    q[a] += side
                    face = np.ravel_multi_index(tuple(q), grid.face_shape(a))
                    depth = np.full(len(flat), n, np.int64)
                    parts.append((face, flat, axis[ok][air], sign[ok][air], depth))
            entries.append(tuple(np.concatenate([pt[i] for pt in parts]) for i in range(5)))
        return cls(entries, [int(np.prod(grid.face_shape(a))) for a in range(3)])

    def apply(self, adv: np.ndarray, a: int, cen: tuple[np.ndarray, ...]) -> None:
        """Wash component ``a`` (advected, in place); ``cen``: the cell-centred velocities
        scaled by dt / h that the step traced with."""
        faces, cells, axis, sign, depth = self.entries[a]
        if faces.size:
            kernels.wash_inflow(adv, faces, cells, axis, sign, depth, *cen, self._buf[a])


def divergence(grid: Grid, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(nx, ny, nz) net volume flow out of each cell, m3/s."""
    h2 = grid.cell_m**2
    return ((u[1:] - u[:-1]) + (v[:, 1:] - v[:, :-1]) + (w[:, :, 1:] - w[:, :, :-1])) * h2


def wall_distance_m(grid: Grid) -> np.ndarray:
    """(nx, ny, nz) distance from each air cell's centre to the nearest solid surface (a
    rack, a unit, the hall's walls, floor and ceiling): Chen & Xu's length scale.

    The Euclidean distance transform measures to the nearest solid cell's *centre*, half a
    cell beyond its face: a cell against a wall read h, not h/2, which doubled the eddy
    viscosity in the layer by every wall and rack face. Taking the half cell off makes it
    exact for a plane wall (within 0.4 h of the true distance at a solid's corner). Against the five CFD
    references (``tests/validation/score_twin.py``): the open aisle's RMS 0.65 -> 0.51 K and
    max 1.27 -> 0.98 K, the contained aisle's rank correlation 0.51 -> 0.77, the wall-CRAH
    room 1.49 -> 1.44 K; the others within 0.01 K RMS."""
    pad = np.pad(grid.fluid, 1, constant_values=False)
    return (distance_transform_edt(pad)[1:-1, 1:-1, 1:-1] - 0.5) * grid.cell_m


class FlowModel:
    """Steady airflow of one grid; keeps the AMG hierarchy so fan changes re-solve cheaply."""

    def __init__(self, grid: Grid, nu_scale: float = 1.0):
        """``nu_scale`` multiplies the Chen-Xu eddy viscosity (a calibrated layout's
        ``physics.eddy_viscosity_scale``)."""
        self.grid = grid
        self.nu_scale = float(nu_scale)
        self.g = march_conductance(grid)
        self.pressure = PressureSolver(grid, self.g)
        self.wall_m = wall_distance_m(grid)
        self.open = tuple((g >= 1.0).astype(float) for g in (grid.gx, grid.gy, grid.gz))
        self.slip = [SlipFaces.of(grid, self.open, a) for a in range(3)]
        self.wash = InflowWash.of(grid)

    def use_grid(self, grid: Grid) -> None:
        """The same geometry with new fans (``ThermalModel.set_failed``): the pressure
        hierarchy is kept, unless the panels' march conductance moved with the march's step
        (the fastest inflow's velocity; see ``march_conductance``)."""
        self.grid = grid
        g = march_conductance(grid)
        if all(np.array_equal(a, b) for a, b in zip(g, self.g, strict=True)):
            self.pressure.grid = grid
        else:
            self.g = g
            self.pressure = PressureSolver(grid, g)

    # ---------------------------------------------------------------- steps
    def project(self, u, v, w, tol: float, maxiter: int = 60, warm: bool = True) -> None:
        """Make (u, v, w) divergence-free in place (ports kept); ``warm``: the pressure solve
        starts from the last one's (see ``PressureSolver.solve``)."""
        h2 = self.grid.cell_m**2
        ps = self.pressure
        rhs = np.empty(ps.fluid_cells.size)
        kernels.divergence_rhs(u, v, w, h2, ps.fluid_cells, rhs)
        p_air = ps.solve(rhs, tol, maxiter, warm)
        kernels.subtract_gradient(u, v, w, *self.g, p_air, ps.cell_id, h2)

    def _diffusivity(self, u, v, w, dt: float) -> np.ndarray:
        """Each cell's eddy diffusion number for a step of ``dt``: the Chen-Xu viscosity of
        (u, v, w) times dt / h^2, kept inside the explicit step's stability limit (1/7)."""
        h = self.grid.cell_m
        alpha_c = np.empty(self.grid.shape)
        k_nu = CHEN_XU * self.nu_scale
        kernels.march_diffusivity(u, v, w, k_nu, self.wall_m, dt, h**2, 1.0 / 7.0, alpha_c)
        return alpha_c

    def _momentum(self, u, v, w, alpha_c: np.ndarray, dt: float):
        """Advect (semi-Lagrangian with MacCormack's correction, washed at inflow ports) then
        diffuse (explicit eddy viscosity, the coefficient kept inside its stability limit) the
        three face components, in compiled loops. The x faces run on a second thread (the
        loops release the GIL) while this one does y and z: the same arrays, computed apart,
        so the same result bit for bit. Alternated with the serial loop in the same minutes
        (quiet machine): the over-supplied validation room's solve 0.420 -> 0.377 s and
        0.433 -> 0.417 s (medians of 15), the 200k-cell bench hall 2.56 -> 2.39 s and
        2.48 -> 2.27 s (medians of 4). (Measured beside an OpenFOAM run it gained nothing:
        the second core was taken.)"""
        s = dt / self.grid.cell_m
        # cell-centred components, pre-scaled by dt/h (the departure offset in cells)
        cen = tuple(np.empty(self.grid.shape) for _ in range(3))
        kernels.cell_offsets(u, v, w, 0.5 * s, *cen)

        def one(a: int, comp: np.ndarray) -> np.ndarray:
            comp = np.ascontiguousarray(comp)
            adv = np.empty(comp.shape)
            work = (np.empty(comp.shape), np.empty(comp.shape), np.empty(comp.shape))
            kernels.advect_maccormack(comp, a, s, *cen, adv, *work)
            self.wash.apply(adv, a, cen)
            out = work[0]
            kernels.diffuse_component(adv, a, alpha_c, out)
            return out

        if not MOMENTUM_SIDE_THREAD:
            return one(0, u), one(1, v), one(2, w)
        x_faces = _side_thread().submit(one, 0, u)
        v1, w1 = one(1, v), one(2, w)
        return x_faces.result(), v1, w1

    def _fill_solids(self, u, v, w) -> None:
        """What the step should see inside solids: the sides of solids free-slip (see
        ``SlipFaces``)."""
        for comp, slip in zip((u, v, w), self.slip, strict=True):
            slip.fill(comp)

    def _clear_solids(self, u, v, w) -> None:
        """Back to zero inside solids (the field's own state)."""
        for comp, slip in zip((u, v, w), self.slip, strict=True):
            comp.ravel()[slip.faces] = 0.0

    def eddy_viscosity(self, u, v, w) -> np.ndarray:
        """Each cell's Chen-Xu eddy viscosity, m2/s (``kernels.eddy_viscosity``)."""
        nu = np.empty(self.grid.shape)
        kernels.eddy_viscosity(u, v, w, CHEN_XU * self.nu_scale, self.wall_m, nu)
        return nu

    def from_velocity(self, u, v, w, tol: float = 1e-5, keep_panels: bool = False) -> Flow:
        """A flow from given face velocities (e.g. prolonged from a coarser grid): ports set,
        closed faces zeroed, projected divergence-free (``tol`` 1e-5: a mass error of ~2e-5,
        far inside the 1 % the heat balance needs; on the 200k-cell bench hall rack inlets
        within 4e-5 K of a 1e-6 projection, two CG iterations and ~50 ms fewer).
        Containment panels (partly open faces) are closed too and leak only what the
        projection's pressure drives through them, as in the march; ``keep_panels`` keeps
        the given flow through them instead (a CFD's own leakage)."""
        grid = self.grid
        if keep_panels:
            gs = (grid.gx, grid.gy, grid.gz)
            u, v, w = (c * (g > 0) for c, g in zip((u, v, w), gs, strict=True))
        else:
            u, v, w = u * self.open[0], v * self.open[1], w * self.open[2]
        _set_ports(grid, (u, v, w))
        self.project(u, v, w, tol=tol, maxiter=100)
        return self._finish(u, v, w, 0)

    def _finish(self, u, v, w, iterations: int) -> Flow:
        grid = self.grid
        nu = self.eddy_viscosity(u, v, w)
        div = np.abs(divergence(grid, u, v, w))[grid.fluid]
        total = max(np.abs(grid.ports.q).sum() / 2, 1e-12)
        return Flow(u, v, w, nu, float(div.max(initial=0.0) / total), iterations)

    # ---------------------------------------------------------------- solve
    def solve(
        self,
        temp_c: np.ndarray | None = None,
        t_ref_c: float = 20.0,
        iterations: int = 40,
        start: Flow | None = None,
        tol: float = 1e-7,
        reproject: bool = False,
        final_projection: bool = True,
    ) -> Flow:
        """March to a steady field. ``temp_c`` (cells) adds buoyancy; ``start`` warm-starts
        (``reproject``: it comes from another geometry of the same grid, e.g. the field before
        an edit: faces now closed are zeroed and the field projected before the march).
        ``final_projection=False`` skips the last tight projection of the mean field, for a
        field that is prolonged and projected on a finer grid anyway (``div_rel`` then says
        how far from divergence-free it is)."""
        grid = self.grid
        u, v, w = self._start(start, reproject)
        if start is None or reproject:  # no start: potential flow, the first projection
            self.project(u, v, w, tol=min(tol * 10, 1e-4), maxiter=100)
        qmax = step_velocity(grid)
        done = 0
        if qmax > 0 and iterations > 0:
            u, v, w, done = self._march(u, v, w, qmax, temp_c, t_ref_c, iterations)
        if final_projection:
            # the march's mean (or settled last field) is nearly divergence-free: from zero
            self.project(u, v, w, tol=tol, maxiter=100, warm=done == 0)
        return self._finish(u, v, w, done)

    def _start(self, start: Flow | None, reproject: bool):
        """The face velocities to march from, with the port flows set."""
        grid = self.grid
        if start is not None:
            u, v, w = start.u.copy(), start.v.copy(), start.w.copy()
            if reproject:
                u *= self.open[0]
                v *= self.open[1]
                w *= self.open[2]
        else:
            u = np.zeros(grid.face_shape(0))
            v = np.zeros(grid.face_shape(1))
            w = np.zeros(grid.face_shape(2))
        _set_ports(grid, (u, v, w))
        return u, v, w

    def _march(self, u, v, w, qmax: float, temp_c, t_ref_c: float, iterations: int):
        """Pseudo-time steps to a steady field; returns the mean of the second half of the
        march (or the last field, when it settled first) and the steps taken."""
        grid = self.grid
        dt = CFL * grid.cell_m / qmax
        buoy = None
        if temp_c is not None:
            tf = np.where(grid.fluid & np.isfinite(temp_c), temp_c, t_ref_c)
            gb = G / (273.15 + t_ref_c)
            buoy = dt * gb * (0.5 * (tf[:, :, 1:] + tf[:, :, :-1]) - t_ref_c)
            buoy *= self.open[2][:, :, 1:-1]
        # jets and their recirculation never settle exactly (the field flaps like the
        # real one): average the second half of the march for the mean field
        avg_from = iterations // 2
        mean = [np.zeros_like(u), np.zeros_like(v), np.zeros_like(w)]
        n_mean = 0
        done = 0
        for done in range(1, iterations + 1):  # noqa: B007
            alpha_c = self._diffusivity(u, v, w, dt)
            self._fill_solids(u, v, w)
            u1, v1, w1 = self._momentum(u, v, w, alpha_c, dt)
            self._clear_solids(u, v, w)
            if buoy is not None:
                w1[:, :, 1:-1] += buoy
            u1 *= self.open[0]
            v1 *= self.open[1]
            w1 *= self.open[2]
            _set_ports(grid, (u1, v1, w1))
            # a loose, warm-started projection per pseudo-step (converged under buoyancy:
            # BUOYANT_PROJECTION_CG); the last one is tight
            if buoy is None:
                self.project(u1, v1, w1, tol=1e-3, maxiter=1)
            else:
                self.project(u1, v1, w1, tol=1e-12, maxiter=BUOYANT_PROJECTION_CG)
            change = max(kernels.largest_change(a, b) for a, b in ((u1, u), (v1, v), (w1, w)))
            u, v, w = u1, v1, w1
            if change < 1e-3 * qmax:
                break
            if done > avg_from:
                for m, c in zip(mean, (u, v, w), strict=True):
                    m += c
                n_mean += 1
        if n_mean:
            u, v, w = (m / n_mean for m in mean)
        return u, v, w, done


#: march the x faces' momentum on a second thread (see ``FlowModel._momentum``)
MOMENTUM_SIDE_THREAD = True
_SIDE: ThreadPoolExecutor | None = None


def _side_thread() -> ThreadPoolExecutor:
    """The one worker thread the momentum steps share (made on first use)."""
    global _SIDE
    if _SIDE is None:
        _SIDE = ThreadPoolExecutor(1, thread_name_prefix="twin-momentum")
    return _SIDE


def _forget_side_thread() -> None:
    """A forked child has no copy of the parent's threads: it makes its own worker."""
    global _SIDE
    _SIDE = None


os.register_at_fork(after_in_child=_forget_side_thread)


#: Smoothed aggregation's strength of connection where a grid has panels: a link weaker than
#: 0.01 of its cells' diagonals (a panel's, beside open faces' 1) is not followed.
PANEL_STRENGTH = {"strength": ("symmetric", {"theta": 0.01})}
#: The step velocity below which a panel's march conductance is not lowered further: a hall
#: whose fans stand still moves no air, and its panels must still join the air either side.
PANEL_MIN_STEP_MS = 0.1
#: Measured, not derived: with the derivation's conductance alone (``march_conductance``) the
#: ducted hot aisle's panels passed 0.37-0.47 of the CFD's own face flux through its porous
#: panels of the same loss (doors 0.22 and sides 0.12 m3/s at 0.2 m, 0.25 and 0.13 at 0.15 m,
#: against 0.54 and 0.32 in the 0.15 m reference case's ``phi``). Its settled-march relation
#: (the projection's pressure dp = dt h P / rho) holds only roughly for a march whose
#: projections are one V-cycle each. 2.4 times it passes 0.53 and 0.28 m3/s.
PANEL_LEAK_FACTOR = 2.4


def march_conductance(grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The faces' conductances as the march projects with them: open faces 1, closed 0, and
    a containment panel the conductance that gives it the resistance of a thin plate its
    ``grid`` conductance open (``panel_loss_k``, linearised as the CFD references' porous
    panels are).

    A panel face has no momentum of its own: the march zeroes it before each projection and
    the projection's pressure drives the leak, ``g dp / h^2``. On open faces that same
    pressure supplies what the step's momentum lacks, so in a settled march dp = dt h P / rho
    with P the air's pressure: a panel of conductance g passes g dt P / (rho h), which
    depended on the step (dt = CFL h / u_step), not on the panel. Given g = 2 u_step / (CFL K
    u_ref) instead, it passes P / (rho K u_ref / 2), the plate's own linearised loss. With the
    grid's 2 % (about 0.02 where a 2 %-open plate, at the ducted hot aisle's 4.2 m/s tile
    step, wants 0.002) the hot aisle's doors at 0.15 m leaked 0.65 m3/s each, seven times the
    CFD's 0.09, and its end racks ran 1.5 K hot. The conductance is that times
    ``PANEL_LEAK_FACTOR``, measured against the CFD's face flux."""
    u_step = max(step_velocity(grid), PANEL_MIN_STEP_MS)
    out = []
    for g in (grid.gx, grid.gy, grid.gz):
        panel = panel_faces(g)
        gm = g.copy()
        plate = 2.0 * u_step / (CFL * panel_loss_k(g[panel]) * PANEL_U_REF_MS)
        gm[panel] = np.minimum(PANEL_LEAK_FACTOR * plate, g[panel])
        out.append(gm)
    return out[0], out[1], out[2]


def step_velocity(grid: Grid) -> float:
    """The velocity (m/s) that sets the march's step: the fastest inflow port's (see ``CFL``);
    the fastest port's where nothing blows in."""
    q = grid.ports.q
    inflow = q[q > 0]
    fastest = inflow.max() if inflow.size else np.abs(q).max(initial=0.0)
    return float(fastest) / grid.cell_m**2


def carry_panel_flow(coarse: Grid, flow: Flow, fine: Grid, faces: tuple) -> tuple:
    """``faces`` (prolonged onto ``fine``) with each containment panel face holding the
    velocity of the nearest panel face of the same axis in the coarse ``flow``: the leak the
    march's pressure drove through the panel (see ``march_conductance``). Interpolated,
    a fine panel face took the open air's velocity beside it; zeroed and left to the fine
    grid's projection, it leaked what the prolonged field's divergence happened to need (the
    ducted hot aisle's doors a tenth of the CFD's leak)."""
    from scipy.spatial import cKDTree

    out = []
    for a, comp in enumerate(faces):
        gf, gc = (fine.gx, fine.gy, fine.gz)[a], (coarse.gx, coarse.gy, coarse.gz)[a]
        pf, pc = panel_faces(gf), panel_faces(gc)
        comp = comp.copy()
        if pf.any():
            if pc.any():
                _, near = cKDTree(_face_centres(coarse, a, pc)).query(_face_centres(fine, a, pf))
                comp[pf] = (flow.u, flow.v, flow.w)[a][pc][near]
            else:
                comp[pf] = 0.0
        out.append(comp)
    return tuple(out)


def _face_centres(grid: Grid, a: int, mask: np.ndarray) -> np.ndarray:
    """(n, 3) centres (m) of the faces normal to axis ``a`` where ``mask`` is set."""
    ijk = np.array(np.nonzero(mask), dtype=float).T
    ijk[:, [b for b in range(3) if b != a]] += 0.5
    return ijk * grid.cell_m + np.asarray(grid.origin_m, dtype=float)


def prolong(coarse: Grid, flow: Flow, fine: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Face velocities of ``flow`` (on ``coarse``) interpolated onto ``fine``'s faces
    (trilinear, clamped at the ends: ``map_coordinates(order=1, mode="nearest")``)."""
    hc, hf = coarse.cell_m, fine.cell_m
    out = []
    for a, comp in enumerate((flow.u, flow.v, flow.w)):
        shape = fine.face_shape(a)
        coords = np.empty((3, *shape))
        for b in range(3):
            x = np.arange(shape[b], dtype=float) * hf + (0.0 if b == a else 0.5 * hf)
            c = x / hc - (0.0 if b == a else 0.5)
            bshape = [1, 1, 1]
            bshape[b] = shape[b]
            coords[b] = c.reshape(bshape)
        out.append(trilinear(comp, list(coords)))
    return out[0], out[1], out[2]
