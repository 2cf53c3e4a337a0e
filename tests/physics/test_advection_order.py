"""The momentum march's advection: MacCormack's second-order step against a plain numpy
construction of it and against the first-order step's known smearing, the inflow ports'
wash worked out by hand, and the step set by the fastest inflow (not a return's suction)."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from twin.physics import kernels
from twin.physics.airflow import CFL, FlowModel, InflowWash, _at_faces, step_velocity, trilinear
from twin.physics.grid import SUPPLY, build_grid


def _trace(field, own, cen, s, a, sign):
    """``field`` sampled at each face's departure point (``sign`` 1: traced back along the
    velocity, -1: forward), trilinear and clamped, with the eight values around it: the
    semi-Lagrangian step written with whole-array numpy."""
    coords = []
    for b in range(3):
        shape = [1, 1, 1]
        shape[b] = field.shape[b]
        base = np.arange(field.shape[b], dtype=float).reshape(shape)
        off = s * own if b == a else _at_faces(cen[b], a)
        coords.append(np.broadcast_to(base - sign * off, field.shape))
    value = trilinear(field, coords)
    corners = []
    lo_idx = []
    for b in range(3):
        n = field.shape[b]
        c = np.clip(coords[b], 0.0, n - 1)
        lo_idx.append(np.minimum(c.astype(np.intp), max(n - 2, 0)))
    for di in (0, 1):
        for dj in (0, 1):
            for dk in (0, 1):
                idx = []
                for b, d in zip(range(3), (di, dj, dk), strict=True):
                    step = d if field.shape[b] > 1 else 0
                    idx.append(lo_idx[b] + step)
                corners.append(field[tuple(idx)])
    return value, np.min(corners, 0), np.max(corners, 0)


def _maccormack_reference(comp, cen, s, a):
    fwd, lo, hi = _trace(comp, comp, cen, s, a, 1.0)
    back, _, _ = _trace(fwd, comp, cen, s, a, -1.0)
    return np.clip(fwd + 0.5 * (comp - back), lo, hi)


def _cen(u, v, w, s):
    return (
        (0.5 * s) * (u[1:] + u[:-1]),
        (0.5 * s) * (v[:, 1:] + v[:, :-1]),
        (0.5 * s) * (w[:, :, 1:] + w[:, :, :-1]),
    )


def _run(kernel, comp, a, s, cen):
    out = np.empty(comp.shape)
    if kernel is kernels.advect_component:
        kernel(comp, a, s, *cen, out)
    else:
        kernel(comp, a, s, *cen, out, np.empty(comp.shape), np.empty(comp.shape), out.copy())
    return out


@pytest.mark.parametrize("shape", [(9, 7, 5), (12, 1, 6), (6, 5, 1)])
@pytest.mark.parametrize("speed", [0.3, 4.0])  # departures inside the array and far past it
def test_maccormack_kernel_is_the_numpy_construction(shape, speed):
    rng = np.random.default_rng(sum(shape) + int(speed))
    nx, ny, nz = shape
    u = speed * rng.standard_normal((nx + 1, ny, nz))
    v = speed * rng.standard_normal((nx, ny + 1, nz))
    w = speed * rng.standard_normal((nx, ny, nz + 1))
    s = 0.7
    cen = _cen(u, v, w, s)
    for a, comp in enumerate((u, v, w)):
        got, fwd = np.empty(comp.shape), np.empty(comp.shape)
        work = (fwd, np.empty(comp.shape), np.empty(comp.shape))
        kernels.advect_maccormack(comp, a, s, *cen, got, *work)
        np.testing.assert_allclose(got, _maccormack_reference(comp, cen, s, a), atol=1e-12)
        # its first sweep is the first-order step, bit for bit
        assert np.array_equal(fwd, _run(kernels.advect_component, comp, a, s, cen))


def _carry(profile: np.ndarray, n_steps: int, kernel) -> np.ndarray:
    """A profile of v along x carried by a uniform 0.5 cells per step."""
    nx, ny, nz = len(profile), 4, 3
    v = np.broadcast_to(profile[:, None, None], (nx, ny + 1, nz)).copy()
    cen = (np.full((nx, ny, nz), 0.5), np.zeros((nx, ny, nz)), np.zeros((nx, ny, nz)))
    for _ in range(n_steps):
        # s = 0: v does not move itself along y (the field is uniform in y anyway)
        v = _run(kernel, v, 1, 0.0, cen)
    return v[:, 2, 1]


def test_first_order_step_smears_a_jet_binomially_and_maccormack_keeps_it():
    """Linear interpolation half-way between cells averages neighbours each step: after 8
    steps a profile is convolved with the binomial row C(8, j) / 2^8 (a Gaussian of 2 cells'
    width loses a fifth of its peak). MacCormack's correction keeps the peak within 6 %,
    makes no new extremes and carries the profile at the flow's speed (4 cells)."""
    x = np.arange(40)
    start = np.where(x > 1, np.exp(-0.5 * ((x - 12) / 2.0) ** 2), 0.0)  # nothing at the edge
    want = np.zeros(40)
    for j in range(9):
        want[j:] += comb(8, j) / 2**8 * start[: 40 - j]
    sl = _carry(start, 8, kernels.advect_component)
    np.testing.assert_allclose(sl, want, atol=1e-12)
    assert sl.max() < 0.82
    mc = _carry(start, 8, kernels.advect_maccormack)
    assert mc.max() > 0.93
    assert mc.min() >= 0.0 and mc.max() <= 1.0
    assert np.sum(x * mc) / np.sum(mc) == pytest.approx(16.0, abs=0.05)


def _floor_supply_room():
    """One 4.8 x 3.6 x 3 m room, a floor supply of 1.2 x 1.2 m at its middle (2 m3/s) and a
    small wall grille taking it back."""
    return """format: twin-layout/1
name: wash
halls: [{id: H, size_m: [4.8, 3.6, 3.0]}]
rows: []
cooling:
  supplies:
    - {id: T, hall: H, rect_m: [1.8, 1.2, 3.0, 2.4], kind: floor, flow_m3s: 2.0, supply_c: 18}
  returns:
    - {id: G, hall: H, rect_m: [4.5, 1.5, 4.8, 2.1], kind: wall}
"""


def test_wash_zeroes_what_departs_from_beyond_an_inflow_port(write_layout):
    """Above a floor port with w dt / h = 1.2 cells, a sideways face in the first air layer
    (departure 1.2 cells back, 0.7 below the floor plane) came in through the port: 0; in
    the second (0.2 cells behind the first cell's centre, 0.3 above the plane) it is 1 + 2 (1
    - 1.2) = 0.6 of the clamped value; from the third on it is untouched; faces beside the
    port are untouched."""
    fac = write_layout(_floor_supply_room())
    grid = build_grid(fac, 0, 0.3)
    wash = InflowWash.of(grid)
    p = grid.ports
    tile = p.cell[p.kind == SUPPLY]
    ti, tj, tk = np.unravel_index(tile, grid.shape)
    assert set(tk) == {0} and len(tile) == 16  # 4 x 4 cells of 0.3 m
    cen = (np.zeros(grid.shape), np.zeros(grid.shape), np.full(grid.shape, 1.2))
    for a in (0, 1):
        adv = np.ones(grid.face_shape(a))
        wash.apply(adv, a, cen)
        for k, want in ((0, 0.0), (1, 0.6), (2, 1.0), (3, 1.0)):
            for side in (0, 1):
                idx = [ti, tj, np.full(len(ti), k)]
                idx[a] = idx[a] + side
                np.testing.assert_allclose(adv[tuple(idx)], want, atol=1e-12)
        assert (adv == 1.0).sum() == adv.size - 2 * 20  # two layers of 5 x 4 faces changed
    # the port's own normal (w) is not washed: it carries the port's velocity
    w = np.ones(grid.face_shape(2))
    wash.apply(w, 2, cen)
    assert (w == 1.0).all()


def test_wash_leaves_outflows_and_traces_towards_a_port_alone(write_layout):
    fac = write_layout(_floor_supply_room())
    grid = build_grid(fac, 0, 0.3)
    wash = InflowWash.of(grid)
    faces, cells, axis, sign, depth = wash.entries[0]
    # only the supply (the one inflow) is washed: the grille takes air out
    inflow_cells = set(grid.ports.cell[grid.ports.q > 0])
    assert set(cells[depth == 0]) == inflow_cells
    assert depth.max() == int(np.ceil(CFL + 0.5)) - 1
    # air moving towards the port plane (as into an outflow) did not come through it
    cen = (np.zeros(grid.shape), np.zeros(grid.shape), np.full(grid.shape, -0.5))
    adv = np.ones(grid.face_shape(0))
    wash.apply(adv, 0, cen)
    assert (adv == 1.0).all()


def test_the_step_is_set_by_the_fastest_inflow_not_a_returns_suction(write_layout):
    """The room's supply blows 2 m3/s through 16 faces of 0.09 m2 (1.39 m/s); a narrowed
    grille takes it back through 3 (7.4 m/s). The step follows the supply: a return's suction
    carries no momentum into the room."""
    fac = write_layout(_floor_supply_room().replace("[4.5, 1.5, 4.8, 2.1]", "[4.5, 1.5, 4.8, 1.8]"))
    grid = build_grid(fac, 0, 0.3)
    q = grid.ports.q
    assert np.abs(q[q < 0]).max() > q[q > 0].max()  # the grille is the fastest port
    assert step_velocity(grid) == pytest.approx(2.0 / 16 / 0.09)
    fm = FlowModel(grid)
    assert fm.wash.entries[2][0].size == 0  # a floor port has no vertical tangential faces
