"""The numerical kernels the speed work replaced: same answers as the library routines."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import map_coordinates

from twin.physics.airflow import trilinear
from twin.physics.amg import sa_hierarchy


def test_trilinear_matches_map_coordinates_including_clamping():
    rng = np.random.default_rng(3)
    for shape in ((9, 7, 5), (2, 3, 2), (4, 2, 6)):
        a = rng.standard_normal(shape)
        coords = [
            np.arange(n).reshape([n if k == b else 1 for k in range(3)]) + rng.uniform(-4, 4, shape)
            for b, n in enumerate(shape)
        ]
        ref = map_coordinates(a, np.array(coords), order=1, mode="nearest", prefilter=False)
        assert np.allclose(trilinear(a, coords), ref, atol=1e-12)


def test_sa_hierarchy_has_csr_levels_and_solves_a_poisson_problem():
    n = 30
    lap1 = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    eye = sp.eye(n)
    lap = (sp.kron(sp.kron(lap1, eye), eye) + sp.kron(sp.kron(eye, lap1), eye)).tocsr()
    lap = (lap + sp.kron(sp.kron(eye, eye), lap1)).tocsr()
    ml = sa_hierarchy(lap, symmetric=True)
    assert len(ml.levels) > 1
    assert all(lvl.A.format == "csr" for lvl in ml.levels)
    b = np.random.default_rng(0).standard_normal(n**3)
    x = ml.solve(b, tol=1e-8, accel="cg", maxiter=50)
    assert np.linalg.norm(lap @ x - b) < 1e-7 * np.linalg.norm(b)
    # the pyamg estimator swapped during set-up is back afterwards
    import pyamg.aggregation.smooth as smooth
    from pyamg.util.linalg import approximate_spectral_radius

    assert smooth.approximate_spectral_radius is approximate_spectral_radius


def test_pressure_solve_from_zero_reaches_the_same_pressure_in_fewer_iterations(monkeypatch):
    # a march's mean field is nearly divergence-free: its projection starts from zero, not
    # from the last step's pressure (which solved a far larger right-hand side)
    from twin.model.loader import load_layout
    from twin.physics import airflow
    from twin.physics.airflow import PressureSolver
    from twin.physics.grid import build_grid

    fac = load_layout("tests/validation/rooms/cold-containment-leaky.yaml")
    solver = PressureSolver(build_grid(fac, 0, 0.2))
    rng = np.random.default_rng(1)
    step_rhs = rng.standard_normal(solver.L.shape[0])
    small_rhs = 1e-3 * rng.standard_normal(solver.L.shape[0])
    taken: list[int] = []
    cg = airflow.amg_cg

    def counted(*a, **k):
        x, it = cg(*a, **k)
        taken.append(it)
        return x, it

    monkeypatch.setattr(airflow, "amg_cg", counted)
    counts = {}
    for warm in (True, False):
        solver.p = solver.solve(step_rhs, 1e-10, 200)  # the march's last step's pressure
        p = solver.solve(small_rhs, 1e-7, 100, warm=warm)
        counts[warm] = taken[-1]
        assert np.linalg.norm(solver.L @ p - small_rhs) <= 1.01e-7 * np.linalg.norm(small_rhs)
    assert 0 < counts[False] < counts[True], counts


def test_cg_gives_pyamgs_iterates_with_one_v_cycle_fewer(monkeypatch):
    """``amg.cg`` against ``pyamg.krylov.cg`` with the same preconditioner: the same answer
    bit for bit, converged or stopped at ``maxiter`` (across the eighth iteration, where the
    residual is recomputed), in one V-cycle fewer."""
    import pyamg

    from twin.model.loader import load_layout
    from twin.physics import amg
    from twin.physics.airflow import PressureSolver
    from twin.physics.grid import build_grid

    fac = load_layout("tests/validation/rooms/cold-containment-leaky.yaml")
    solver = PressureSolver(build_grid(fac, 0, 0.2))
    rng = np.random.default_rng(3)
    b = rng.standard_normal(solver.L.shape[0])
    x0 = rng.standard_normal(len(b))
    cycles = [0]
    v_cycle = amg.v_cycle

    def counted(*a):
        cycles[0] += 1
        return v_cycle(*a)

    monkeypatch.setattr(amg, "v_cycle", counted)
    for tol, maxiter in ((1e-12, 3), (1e-12, 1), (1e-12, 9), (1e-7, 100), (1e-4, 100)):
        cycles[0] = 0
        want = pyamg.krylov.cg(
            solver.L, b, x0=x0.copy(), tol=tol, maxiter=maxiter, M=amg.preconditioner(solver.ml)
        )[0]
        theirs = cycles[0]
        cycles[0] = 0
        got, it = amg.cg(solver.L, b, x0, solver.ml, tol, maxiter)
        assert np.array_equal(got, want), (tol, maxiter)
        assert cycles[0] == theirs - 1 == it, (tol, maxiter, cycles[0], theirs, it)
    assert it == 6  # converged to 1e-4 before its maxiter
    # already converged at the start: nothing done, x0 returned
    cycles[0] = 0
    x, it = amg.cg(solver.L, solver.L @ x0, x0, solver.ml, 1e-6, 10)
    assert it == 0 and cycles[0] == 0 and np.array_equal(x, x0)
