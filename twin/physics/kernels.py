"""Compiled inner loops of the momentum march (numba): semi-Lagrangian advection (first
order, and MacCormack's second-order correction of it), the inflow ports' wash and eddy
diffusion of one MAC face component; and the step's bookkeeping around them (the eddy
diffusion numbers, the departure offsets, the projection's divergence and pressure
gradient, the step's largest change), each once a dozen numpy passes over the grid: one
pass each, bit for bit the same, took the contained validation room's solve from 0.281 to
0.267 s (medians of 9, three alternated runs).

Why compiled: in numpy each of these is ~50 whole-array passes (departure points, clamping,
eight gathers, seven lerps), and the march runs them 3 x 64 times per solve; one fused loop
per face does the same arithmetic in the same order (results identical to the last bit, see
tests/physics/test_kernels.py) about 3x faster, which is what brings the 200k-cell steady
solve under its 3 s budget. The loops release the GIL, so a solve on a background thread
leaves the interface thread free to run.

They compile on first use (~2 s) and are kept in numba's on-disk cache; a process then pays
0.2-0.4 s to load them on first use. ``warm_up`` does either up front: ``make`` calls it at
install to fill the cache, the benchmark before its timed solves.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_OPTS = {"cache": True, "nogil": True, "fastmath": False, "boundscheck": False}


@nb.njit(**_OPTS)
def _face_cells(f, n_cells, on_axis):
    """The two cells either side of face ``f`` along an axis with ``n_cells`` cells (the end
    faces repeat their one cell); off the face's normal axis, the face's own cell twice. The
    mean of the two, (x + x) * 0.5 == x exactly, is then ``airflow._at_faces``."""
    if not on_axis:
        return f, f
    lo = f - 1 if f > 0 else 0
    hi = f if f < n_cells else n_cells - 1
    return lo, hi


@nb.njit(**_OPTS)
def _cell_frac(c, n):
    """Clamp a fractional index to [0, n-1]; return the lower corner and the fraction."""
    if c < 0.0:
        c = 0.0
    if c > n - 1:
        c = n - 1.0
    i = int(c)
    top = n - 2 if n >= 2 else 0
    if i > top:
        i = top
    return i, c - i


@nb.njit(**_OPTS, inline="always")
def _offset(comp_own, a, il, ih, jl, jh, kl, kh, s, cx, cy, cz):
    """The departure offsets (cells) of one face: its own velocity along its normal, the
    two neighbouring cells' mean across it."""
    own = s * comp_own
    ox = own if a == 0 else (cx[il, jl, kl] + cx[ih, jh, kh]) * 0.5
    oy = own if a == 1 else (cy[il, jl, kl] + cy[ih, jh, kh]) * 0.5
    oz = own if a == 2 else (cz[il, jl, kl] + cz[ih, jh, kh]) * 0.5
    return ox, oy, oz


@nb.njit(**_OPTS, inline="always")
def _sample(src, x, y, z):
    """``src`` at fractional index (x, y, z), trilinear and clamped to the array, with the
    smallest and largest of the eight values it was interpolated from."""
    nx, ny, nz = src.shape
    i0, fx = _cell_frac(x, nx)
    j0, fy = _cell_frac(y, ny)
    k0, fz = _cell_frac(z, nz)
    i1 = i0 + 1 if nx > 1 else i0
    j1 = j0 + 1 if ny > 1 else j0
    k1 = k0 + 1 if nz > 1 else k0
    a000 = src[i0, j0, k0]
    a001 = src[i0, j0, k1]
    a010 = src[i0, j1, k0]
    a011 = src[i0, j1, k1]
    a100 = src[i1, j0, k0]
    a101 = src[i1, j0, k1]
    a110 = src[i1, j1, k0]
    a111 = src[i1, j1, k1]
    z00 = a000 + fz * (a001 - a000)
    z01 = a010 + fz * (a011 - a010)
    c0 = z00 + fy * (z01 - z00)
    z10 = a100 + fz * (a101 - a100)
    z11 = a110 + fz * (a111 - a110)
    c1 = z10 + fy * (z11 - z10)
    lo = min(min(min(a000, a001), min(a010, a011)), min(min(a100, a101), min(a110, a111)))
    hi = max(max(max(a000, a001), max(a010, a011)), max(max(a100, a101), max(a110, a111)))
    return c0 + fx * (c1 - c0), lo, hi


@nb.njit(**_OPTS)
def advect_component(comp, a, s, cx, cy, cz, out):
    """Semi-Lagrangian advection of ``comp``, the faces normal to axis ``a``: each face is
    traced back by its velocity over the step and the old field sampled there (trilinear,
    clamped to the array). ``s`` = dt / h; ``cx, cy, cz``: cell-centred velocities already
    scaled by dt / h (departure offsets in cells), averaged onto the face."""
    nx, ny, nz = comp.shape
    mx, my, mz = cx.shape
    for i in range(nx):
        il, ih = _face_cells(i, mx, a == 0)
        for j in range(ny):
            jl, jh = _face_cells(j, my, a == 1)
            for k in range(nz):
                kl, kh = _face_cells(k, mz, a == 2)
                ox, oy, oz = _offset(comp[i, j, k], a, il, ih, jl, jh, kl, kh, s, cx, cy, cz)
                out[i, j, k] = _sample(comp, i - ox, j - oy, k - oz)[0]


@nb.njit(**_OPTS)
def advect_maccormack(comp, a, s, cx, cy, cz, out, fwd, lo, hi):
    """MacCormack advection of ``comp`` (Selle et al. 2008): the semi-Lagrangian step
    (``fwd``), traced forward again to estimate its own error, half of which is taken back;
    clamped to the eight values the departure point was interpolated from, so it stays
    stable and makes no new extremes. Arguments as ``advect_component``; ``fwd``, ``lo`` and
    ``hi`` are work arrays of ``comp``'s shape.

    Why: linear semi-Lagrangian interpolation diffuses a jet's edges by about h |u| / 4 per
    unit time, whatever the eddy viscosity; this second-order step keeps tile and exhaust
    jets as stiff as a second-order CFD scheme does."""
    nx, ny, nz = comp.shape
    mx, my, mz = cx.shape
    for sweep in range(2):
        src = comp if sweep == 0 else fwd
        sign = 1.0 if sweep == 0 else -1.0
        for i in range(nx):
            il, ih = _face_cells(i, mx, a == 0)
            for j in range(ny):
                jl, jh = _face_cells(j, my, a == 1)
                for k in range(nz):
                    kl, kh = _face_cells(k, mz, a == 2)
                    ox, oy, oz = _offset(comp[i, j, k], a, il, ih, jl, jh, kl, kh, s, cx, cy, cz)
                    v, v_lo, v_hi = _sample(src, i - sign * ox, j - sign * oy, k - sign * oz)
                    if sweep == 0:
                        fwd[i, j, k] = v
                        lo[i, j, k] = v_lo
                        hi[i, j, k] = v_hi
                    else:
                        v = fwd[i, j, k] + 0.5 * (comp[i, j, k] - v)
                        out[i, j, k] = min(max(v, lo[i, j, k]), hi[i, j, k])


@nb.njit(**_OPTS)
def wash_inflow(adv, faces, cells, axis, sign, depth, cx, cy, cz, buf):
    """Zero what an advected face component took from beyond an inflow port (see
    ``airflow.InflowWash``): entry e is face ``faces[e]``, ``depth[e]`` cells into the air
    from a port of normal ``axis[e]`` (``sign[e]`` into the air) through cell ``cells[e]``;
    a departure point that far back along the port's normal lies beyond the port plane,
    where the air had none of the port's tangential velocity. ``buf``: a work array of
    ``adv.size`` (a face shared by two entries takes the smaller factor, once)."""
    flat = adv.ravel()
    fx, fy, fz = cx.ravel(), cy.ravel(), cz.ravel()
    for e in range(faces.size):
        buf[faces[e]] = 1.0
    for e in range(faces.size):
        c = cells[e]
        b = axis[e]
        o = fx[c] if b == 0 else (fy[c] if b == 1 else fz[c])
        f = 1.0 + 2.0 * (depth[e] - o * sign[e])
        f = min(max(f, 0.0), 1.0)
        if f < buf[faces[e]]:
            buf[faces[e]] = f
    for e in range(faces.size):
        f = buf[faces[e]]
        if f >= 0.0:
            flat[faces[e]] *= f
            buf[faces[e]] = -1.0


@nb.njit(**_OPTS)
def diffuse_component(c, a, alpha_c, out):
    """Explicit diffusion of face component ``c`` (faces normal to axis ``a``):
    out = c + alpha * (sum of the six neighbours - 6 c), a neighbour beyond the array's end
    being the face itself (zero flux); ``alpha_c`` per cell (nu dt / h^2, already capped),
    averaged onto the faces."""
    nx, ny, nz = c.shape
    mx, my, mz = alpha_c.shape
    for i in range(nx):
        il, ih = _face_cells(i, mx, a == 0)
        ip = i + 1 if i + 1 < nx else i
        im = i - 1 if i > 0 else i
        for j in range(ny):
            jl, jh = _face_cells(j, my, a == 1)
            jp = j + 1 if j + 1 < ny else j
            jm = j - 1 if j > 0 else j
            for k in range(nz):
                kl, kh = _face_cells(k, mz, a == 2)
                kp = k + 1 if k + 1 < nz else k
                km = k - 1 if k > 0 else k
                v = c[i, j, k]
                # summed in numpy's order (the reference in the tests), so bit for bit
                acc = c[ip, j, k] + c[im, j, k] + c[i, jp, k] + c[i, jm, k]
                acc += c[i, j, kp]
                acc += c[i, j, km]
                alpha = (alpha_c[il, jl, kl] + alpha_c[ih, jh, kh]) * 0.5
                out[i, j, k] = v + alpha * (acc - 6.0 * v)


@nb.njit(**_OPTS, inline="always")
def _chen_xu(u, v, w, i, j, k, k_nu, wall_m):
    """Chen and Xu's zero-equation eddy viscosity of cell (i, j, k): ``k_nu`` times the
    speed of its face-averaged velocity times its wall distance."""
    uc = 0.5 * (u[i + 1, j, k] + u[i, j, k])
    vc = 0.5 * (v[i, j + 1, k] + v[i, j, k])
    wc = 0.5 * (w[i, j, k + 1] + w[i, j, k])
    return k_nu * np.sqrt(uc * uc + vc * vc + wc * wc) * wall_m[i, j, k]


@nb.njit(**_OPTS)
def eddy_viscosity(u, v, w, k_nu, wall_m, out):
    """Each cell's eddy viscosity, m2/s (``_chen_xu``), into ``out``."""
    nx, ny, nz = out.shape
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                out[i, j, k] = _chen_xu(u, v, w, i, j, k, k_nu, wall_m)


@nb.njit(**_OPTS)
def march_diffusivity(u, v, w, k_nu, wall_m, dt, h2, cap, out):
    """Each cell's eddy diffusion number for a step: its eddy viscosity (``_chen_xu``) times
    dt / h^2, capped at ``cap``. What the viscosity and the step's cap took a dozen numpy
    passes for, in one, with the same arithmetic in the same order: bit for bit."""
    nx, ny, nz = out.shape
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                a = _chen_xu(u, v, w, i, j, k, k_nu, wall_m) * dt / h2
                out[i, j, k] = a if a < cap or a != a else cap


@nb.njit(**_OPTS)
def cell_offsets(u, v, w, half_s, cx, cy, cz):
    """The cell-centred velocities scaled by dt / h (``half_s`` = dt / 2h): the departure
    offsets, in cells, the step traces with."""
    nx, ny, nz = cx.shape
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                cx[i, j, k] = half_s * (u[i + 1, j, k] + u[i, j, k])
                cy[i, j, k] = half_s * (v[i, j + 1, k] + v[i, j, k])
                cz[i, j, k] = half_s * (w[i, j, k + 1] + w[i, j, k])


@nb.njit(**_OPTS)
def divergence_rhs(u, v, w, h2, cells, out):
    """The projection's right-hand side: minus the net flow out of each air cell (flat
    indices ``cells``), ((du + dv) + dw) * h^2 as ``airflow.divergence`` sums it."""
    ny, nz = v.shape[1] - 1, w.shape[2] - 1
    for n in range(cells.size):
        c = cells[n]
        k = c % nz
        j = (c // nz) % ny
        i = c // (ny * nz)
        d = (u[i + 1, j, k] - u[i, j, k]) + (v[i, j + 1, k] - v[i, j, k])
        d = d + (w[i, j, k + 1] - w[i, j, k])
        out[n] = -(d * h2)


@nb.njit(**_OPTS)
def subtract_gradient(u, v, w, gx, gy, gz, p_air, cell_id, h2):
    """Take the pressure's gradient off the interior faces, in place: each face by its
    conductance times the difference of its two cells' pressures (0 in a solid) over h^2, as
    ``FlowModel.project`` did it in numpy (same operations, same order)."""
    nx, ny, nz = u.shape[0] - 1, v.shape[1] - 1, w.shape[2] - 1
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                c = (i * ny + j) * nz + k
                pc = p_air[cell_id[c]] if cell_id[c] >= 0 else 0.0
                if i > 0:
                    b = c - ny * nz
                    pb = p_air[cell_id[b]] if cell_id[b] >= 0 else 0.0
                    u[i, j, k] -= gx[i, j, k] * (pc - pb) / h2
                if j > 0:
                    b = c - nz
                    pb = p_air[cell_id[b]] if cell_id[b] >= 0 else 0.0
                    v[i, j, k] -= gy[i, j, k] * (pc - pb) / h2
                if k > 0:
                    b = c - 1
                    pb = p_air[cell_id[b]] if cell_id[b] >= 0 else 0.0
                    w[i, j, k] -= gz[i, j, k] * (pc - pb) / h2


@nb.njit(**_OPTS)
def largest_change(new, old):
    """max |new - old| over the array (exact: the same maximum numpy finds)."""
    a, b = new.ravel(), old.ravel()
    m = 0.0
    for n in range(a.size):
        d = abs(a[n] - b[n])
        if d > m or d != d:  # a NaN wins, as in numpy's max
            m = d
            if d != d:
                return d
    return m


def warm_up() -> float:
    """Compile or load the kernels now (seconds taken): once per process."""
    import time

    t0 = time.perf_counter()
    c = np.zeros((3, 3, 3))
    out = np.empty_like(c)
    for a in range(3):
        advect_component(c, a, 0.5, c, c, c, out)
        advect_maccormack(c, a, 0.5, c, c, c, out, np.empty_like(c), np.empty_like(c), out)
        diffuse_component(c, a, c, out)
    i = np.zeros(1, np.int64)
    wash_inflow(out, i, i, i, i, i, c, c, c, np.empty(c.size))
    u, v, w = np.zeros((4, 3, 3)), np.zeros((3, 4, 3)), np.zeros((3, 3, 4))
    march_diffusivity(u, v, w, 0.04, c, 0.1, 0.04, 1.0 / 7.0, out)
    eddy_viscosity(u, v, w, 0.04, c, out)
    cell_offsets(u, v, w, 0.5, c, c.copy(), c.copy())
    divergence_rhs(u, v, w, 0.04, i, np.empty(1))
    subtract_gradient(u, v, w, u, v, w, np.zeros(1), np.zeros(27, np.int64), 0.04)
    largest_change(c, out)
    return time.perf_counter() - t0
