"""The compiled momentum kernels against the plain numpy they replace, bit for bit, and the
solver's reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from twin.physics import kernels
from twin.physics.airflow import _at_faces, trilinear


def _advect_reference(u, v, w, s):
    """The numpy semi-Lagrangian step the kernel replaced (airflow.FlowModel._advect before
    the kernels): departure points from face-averaged cell velocities, trilinear sampling."""
    cen = (
        (0.5 * s) * (u[1:] + u[:-1]),
        (0.5 * s) * (v[:, 1:] + v[:, :-1]),
        (0.5 * s) * (w[:, :, 1:] + w[:, :, :-1]),
    )
    out = []
    for a, comp in enumerate((u, v, w)):
        coords = []
        for b in range(3):
            shape = [1, 1, 1]
            shape[b] = comp.shape[b]
            base = np.arange(comp.shape[b], dtype=float).reshape(shape)
            coords.append(base - s * comp if b == a else base - _at_faces(cen[b], a))
        out.append(trilinear(comp, coords))
    return out, cen


def _diffuse_reference(comps, alpha_c):
    out = []
    for a, c in enumerate(comps):
        al = _at_faces(alpha_c, a)
        cp = np.pad(c, 1, mode="edge")
        lap = (
            cp[2:, 1:-1, 1:-1]
            + cp[:-2, 1:-1, 1:-1]
            + cp[1:-1, 2:, 1:-1]
            + cp[1:-1, :-2, 1:-1]
            + cp[1:-1, 1:-1, 2:]
            + cp[1:-1, 1:-1, :-2]
            - 6.0 * c
        )
        out.append(c + al * lap)
    return out


def _faces(shape, rng, speed):
    nx, ny, nz = shape
    return (
        speed * rng.standard_normal((nx + 1, ny, nz)),
        speed * rng.standard_normal((nx, ny + 1, nz)),
        speed * rng.standard_normal((nx, ny, nz + 1)),
    )


@pytest.mark.parametrize("shape", [(9, 7, 5), (12, 1, 6), (1, 4, 3), (6, 5, 1)])
@pytest.mark.parametrize("speed", [0.3, 4.0])  # departures inside the array and far past it
def test_advection_kernel_is_the_numpy_step_bit_for_bit(shape, speed):
    rng = np.random.default_rng(sum(shape))
    u, v, w = _faces(shape, rng, speed)
    s = 0.7
    ref, cen = _advect_reference(u, v, w, s)
    for a, comp in enumerate((u, v, w)):
        out = np.empty(comp.shape)
        kernels.advect_component(comp, a, s, *cen, out)
        assert np.array_equal(out, ref[a]), f"component {a}"


@pytest.mark.parametrize("shape", [(9, 7, 5), (12, 1, 6), (6, 5, 1)])
def test_diffusion_kernel_is_the_numpy_step_bit_for_bit(shape):
    rng = np.random.default_rng(7)
    comps = _faces(shape, rng, 1.0)
    alpha_c = np.minimum(rng.random(shape), 1.0 / 7.0)
    ref = _diffuse_reference(comps, alpha_c)
    for a, c in enumerate(comps):
        out = np.empty(c.shape)
        kernels.diffuse_component(c, a, alpha_c, out)
        assert np.array_equal(out, ref[a]), f"component {a}"


def test_diffusion_kernel_conserves_a_uniform_field():
    c = np.full((6, 5, 4), 2.5)
    out = np.empty_like(c)
    kernels.diffuse_component(c, 0, np.full((5, 5, 4), 1.0 / 7.0), out)
    assert np.array_equal(out, c)


def _grid_case(shape, rng):
    """Face velocities, a wall distance with solids (0) and a fluid mask, like a hall's."""
    u, v, w = _faces(shape, rng, 1.5)
    fluid = rng.random(shape) > 0.2
    wall_m = np.where(fluid, rng.random(shape) * 2.0, 0.0)
    return u, v, w, wall_m, fluid


@pytest.mark.parametrize("shape", [(9, 7, 5), (12, 1, 6), (1, 4, 3)])
def test_step_bookkeeping_kernels_are_the_numpy_they_replace_bit_for_bit(shape):
    rng = np.random.default_rng(sum(shape) + 3)
    u, v, w, wall_m, fluid = _grid_case(shape, rng)
    k_nu, dt, h = 0.03874 * 1.3, 0.21, 0.2
    # FlowModel.eddy_viscosity and the step's cap as they were in numpy
    uc, vc, wc = (
        0.5 * (u[1:] + u[:-1]),
        0.5 * (v[:, 1:] + v[:, :-1]),
        0.5 * (w[:, :, 1:] + w[:, :, :-1]),
    )
    nu = k_nu * np.sqrt(uc * uc + vc * vc + wc * wc) * wall_m
    want = np.minimum(nu * dt / h**2, 1.0 / 7.0)
    assert 0 < (want == 1.0 / 7.0).sum() < want.size  # some cells capped, some not
    got = np.empty(shape)
    kernels.march_diffusivity(u, v, w, k_nu, wall_m, dt, h**2, 1.0 / 7.0, got)
    assert np.array_equal(got, want)
    kernels.eddy_viscosity(u, v, w, k_nu, wall_m, got)
    assert np.array_equal(got, nu)
    s = dt / h
    cen = tuple(np.empty(shape) for _ in range(3))
    kernels.cell_offsets(u, v, w, 0.5 * s, *cen)
    for got_c, want_c in zip(
        cen,
        (
            (0.5 * s) * (u[1:] + u[:-1]),
            (0.5 * s) * (v[:, 1:] + v[:, :-1]),
            (0.5 * s) * (w[:, :, 1:] + w[:, :, :-1]),
        ),
        strict=True,
    ):
        assert np.array_equal(got_c, want_c)


@pytest.mark.parametrize("shape", [(9, 7, 5), (12, 1, 6), (1, 4, 3)])
def test_projection_kernels_are_the_numpy_they_replace_bit_for_bit(shape):
    from twin.physics.airflow import divergence

    class _Grid:
        cell_m = 0.2

    rng = np.random.default_rng(sum(shape) + 5)
    u, v, w, _, fluid = _grid_case(shape, rng)
    h2 = 0.2**2
    cells = np.flatnonzero(fluid.ravel())
    rhs = np.empty(cells.size)
    kernels.divergence_rhs(u, v, w, h2, cells, rhs)
    assert np.array_equal(rhs, -divergence(_Grid, u, v, w).ravel()[cells])
    # the pressure's gradient off the interior faces, 0 in solids
    cell_id = np.full(fluid.size, -1, np.int64)
    cell_id[cells] = np.arange(cells.size)
    p_air = rng.standard_normal(cells.size)
    gx, gy, gz = (rng.random(c.shape) for c in (u, v, w))
    p = np.zeros(fluid.size)
    p[cells] = p_air
    p = p.reshape(shape)
    want = [u.copy(), v.copy(), w.copy()]
    want[0][1:-1] -= gx[1:-1] * (p[1:] - p[:-1]) / h2
    want[1][:, 1:-1] -= gy[:, 1:-1] * (p[:, 1:] - p[:, :-1]) / h2
    want[2][:, :, 1:-1] -= gz[:, :, 1:-1] * (p[:, :, 1:] - p[:, :, :-1]) / h2
    kernels.subtract_gradient(u, v, w, gx, gy, gz, p_air, cell_id, h2)
    for got_c, want_c in zip((u, v, w), want, strict=True):
        assert np.array_equal(got_c, want_c)


def test_largest_change_is_numpys_maximum_and_keeps_a_nan():
    rng = np.random.default_rng(11)
    a, b = rng.standard_normal((5, 4, 3)), rng.standard_normal((5, 4, 3))
    assert kernels.largest_change(a, b) == np.abs(a - b).max()
    assert kernels.largest_change(a, a) == 0.0
    a[2, 1, 0] = np.nan
    assert np.isnan(kernels.largest_change(a, b))


def test_warm_up_compiles_the_kernels_and_reports_its_time():
    import time

    t0 = time.perf_counter()
    took = kernels.warm_up()
    wall = time.perf_counter() - t0
    assert 0.0 < took <= wall
    # every kernel is compiled (or loaded from the cache) for float64 arrays afterwards
    every = (
        kernels.advect_component,
        kernels.advect_maccormack,
        kernels.wash_inflow,
        kernels.diffuse_component,
        kernels.march_diffusivity,
        kernels.eddy_viscosity,
        kernels.cell_offsets,
        kernels.divergence_rhs,
        kernels.subtract_gradient,
        kernels.largest_change,
    )
    for kernel in every:
        assert any("float64" in str(sig) for sig in kernel.signatures), kernel


def test_same_hall_same_answer(small_facility):
    """Two solves of one hall agree to the last bit (the AMG set-up used to start its
    spectral-radius estimate from a random vector: ~0.003 K run to run)."""
    from twin.physics import solve_steady

    a = solve_steady(small_facility, cell_m=0.25)
    b = solve_steady(small_facility, cell_m=0.25)
    assert np.array_equal(a.air_c, b.air_c, equal_nan=True)
    assert np.array_equal(a.flow.u, b.flow.u)


def test_the_side_thread_changes_nothing_but_the_time(small_facility, monkeypatch):
    """The x faces' momentum on a second thread: the same march bit for bit as all three
    components on one (a swapped or stale component would differ)."""
    from twin.physics import airflow
    from twin.physics.airflow import FlowModel
    from twin.physics.grid import build_grid

    grid = build_grid(small_facility, 0, 0.25)
    fields = {}
    for side in (False, True):
        monkeypatch.setattr(airflow, "MOMENTUM_SIDE_THREAD", side)
        flow = FlowModel(grid).solve(iterations=12)
        fields[side] = (flow.u, flow.v, flow.w)
    assert all(np.array_equal(a, b) for a, b in zip(fields[False], fields[True], strict=True))
    assert np.abs(fields[True][0]).max() > 0.1  # the x faces did move


def _march_in_child(grid, out) -> None:
    from twin.physics.airflow import FlowModel

    out.put(float(np.abs(FlowModel(grid).solve(iterations=4).u).max()))


def test_a_forked_child_marches_with_its_own_side_thread(small_facility):
    """A child forked after the parent's side thread exists has no copy of that thread: it
    must make its own, not queue its steps for a worker that is not there (a hang)."""
    import multiprocessing

    from twin.physics.airflow import FlowModel, _side_thread
    from twin.physics.grid import build_grid

    grid = build_grid(small_facility, 0, 0.25)
    parent = float(np.abs(FlowModel(grid).solve(iterations=4).u).max())
    assert _side_thread() is not None  # made by the parent's march
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_march_in_child, args=(grid, out))
    child.start()
    child.join(60)
    hung = child.is_alive()
    if hung:
        child.kill()
    assert not hung, "the forked child's march hung"
    assert out.get(timeout=5) == parent
