"""Algebraic-multigrid hierarchies as the physics uses them (pyamg smoothed aggregation).

pyamg keeps the coarse levels of a scalar problem as 1x1-block BSR matrices, whose
Gauss-Seidel and products run about twice as slow as CSR ones: converted here once after
set-up, a V-cycle of the 0.25 m demo-hall pressure costs 8.5 ms instead of 17 ms (same result
to round-off). Scalar Gauss-Seidel smoothing replaces pyamg's block default for the same
reason, and no candidate "improvement" sweeps are made: the constant, pyamg's default
candidate, is already the near-null space of both operators (a pressure Laplacian and a
heat operator whose rows sum to about zero), so the sweeps only cost set-up time.

Smoothing: a symmetric operator (the pressure) gets the textbook symmetric V-cycle, one
forward Gauss-Seidel sweep going down and one backward sweep coming up. It is half the work
of symmetric sweeps both ways, stays a symmetric preconditioner for CG (two iterations more
to 1e-6, each much cheaper), and as the march's one-cycle-per-step projection it moved the
bench hall's rack inlets by 0.05 K at most (mean 0.008 K) and its steady solve from ~1.75 to
~1.55 s. The nonsymmetric heat operator keeps symmetric sweeps both ways: BiCGSTAB needs 15
iterations instead of 9 with the lighter cycle.

The Jacobi prolongation smoother's weight needs the spectral radius of D^-1 A, which pyamg
estimates with up to six restarts of 15 Arnoldi steps; one run of 10 steps gives the same
hierarchy quality here (12 CG iterations either way on the 1M-cell bench pressure) and saves
0.6 s of a 2.8 s set-up. pyamg has no option for it, so the estimator is swapped for the
duration of our set-up only (under a lock: other threads never see it half done). Its start
vector is seeded, so the same hall always gets the same hierarchy and the same answer.
"""

from __future__ import annotations

import threading

import numpy as np
import pyamg
import pyamg.aggregation.smooth as _smooth
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

_GS = ("gauss_seidel", {"sweep": "symmetric"})
# the textbook symmetric V-cycle: one forward sweep down, one backward sweep up
_GS_DOWN = ("gauss_seidel", {"sweep": "forward"})
_GS_UP = ("gauss_seidel", {"sweep": "backward"})
_LOCK = threading.Lock()
_RHO = _smooth.approximate_spectral_radius


def _cheap_rho(A) -> float:
    """One 10-step Arnoldi run from a fixed start vector: pyamg's default starts from
    ``np.random.rand``, so two solves of the same hall differed by ~0.003 K; a seeded start
    makes every solve reproducible (and leaves the global random state alone)."""
    v0 = np.random.default_rng(12345).random(A.shape[0])
    return _RHO(A, maxiter=10, restart=0, symmetric=False, initial_guess=v0)


def sa_hierarchy(A: sp.spmatrix, symmetric: bool, **options) -> pyamg.MultilevelSolver:
    """Smoothed-aggregation hierarchy of ``A`` with CSR levels (see the module docstring)."""
    opts = {
        "symmetry": "hermitian" if symmetric else "nonsymmetric",
        "max_coarse": 300,
        "improve_candidates": None,
        "presmoother": _GS_DOWN if symmetric else _GS,
        "postsmoother": _GS_UP if symmetric else _GS,
    }
    opts.update(options)
    with _LOCK:
        _smooth.approximate_spectral_radius = _cheap_rho
        try:
            ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(A), **opts)
        finally:
            _smooth.approximate_spectral_radius = _RHO
    for lvl in ml.levels:
        lvl.A = _as_csr(lvl.A)
        if hasattr(lvl, "P"):
            lvl.P = _as_csr(lvl.P)
        if hasattr(lvl, "R"):
            lvl.R = _as_csr(lvl.R)
    return ml


def _as_csr(M: sp.spmatrix) -> sp.csr_matrix:
    """A CSR view of ``M``: a 1x1-block BSR matrix already holds CSR's three arrays (its data
    just has two extra unit axes), so it is re-wrapped without scipy's entry-by-entry copy."""
    if sp.issparse(M) and M.format == "bsr" and M.blocksize == (1, 1):
        return sp.csr_matrix((M.data.reshape(-1), M.indices, M.indptr), shape=M.shape)
    return sp.csr_matrix(M)


def v_cycle(ml: pyamg.MultilevelSolver, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One V-cycle of ``ml`` on ``A x = b``, improving ``x`` in place and returning it.

    ``ml.solve(maxiter=1)`` runs the same cycle plus two fine-level residual products and norms
    for convergence checks a single cycle never uses (a fifth of the cycle's cost): this calls
    pyamg's cycle itself (a private method, so ``ml.solve`` stands in should it go)."""
    cycle = getattr(ml, "_MultilevelSolver__solve", None)
    if cycle is None or len(ml.levels) < 2:
        return ml.solve(b, x0=x, tol=1e-12, maxiter=1)
    cycle(0, x, b, "V")
    return x


def preconditioner(ml: pyamg.MultilevelSolver) -> LinearOperator:
    """``ml.aspreconditioner()`` (one V-cycle from zero) without its unused residual checks:
    the same operator bit for bit (see ``v_cycle``)."""
    A = ml.levels[0].A

    def matvec(b: np.ndarray) -> np.ndarray:
        b = np.ravel(np.asarray(b, dtype=A.dtype))
        return v_cycle(ml, b, np.zeros_like(b))

    return LinearOperator(A.shape, matvec, dtype=A.dtype)


def cg(
    A: sp.csr_matrix,
    b: np.ndarray,
    x0: np.ndarray,
    ml: pyamg.MultilevelSolver,
    tol: float,
    maxiter: int,
) -> tuple[np.ndarray, int]:
    """``pyamg.krylov.cg(A, b, x0, tol, maxiter=maxiter, M=preconditioner(ml))``: the same
    iterates bit for bit (criterion ``rr``, the residual recomputed every eighth iteration),
    returning (x, iterations taken), less one V-cycle. pyamg preconditions the residual again
    after its last iteration and throws that away; this stops first. The march's buoyant
    steps project with three iterations, so that was a quarter of their V-cycles (about
    10 ms of a validation room's 0.29 s solve)."""
    x = np.array(x0, dtype=float)
    b = np.ravel(np.asarray(b, dtype=float))
    r = b - A @ x
    normr = np.linalg.norm(r)
    normb = np.sqrt(np.inner(b, b))
    rtol = tol * (normb if normb != 0.0 else 1.0)
    if normr < rtol:
        return x, 0
    z = v_cycle(ml, r, np.zeros_like(r))
    p = z.copy()
    rz = np.inner(r, z)
    it = 0
    while True:
        Ap = A @ p
        rz_old = rz
        pAp = np.inner(Ap, p)
        if pAp < 0.0:  # not positive definite: pyamg gives up here too
            return x, it
        alpha = rz / pAp
        x += alpha * p
        if it % 8 and it > 0:
            r -= alpha * Ap
        else:
            r = b - A @ x
        it += 1
        if np.linalg.norm(r) < rtol or it == maxiter:
            return x, it
        z = v_cycle(ml, r, np.zeros_like(r))
        rz = np.inner(r, z)
        if rz < 0.0:
            return x, it
        beta = rz / rz_old
        p *= beta
        p += z


def shifted(ml: pyamg.MultilevelSolver, fine_A: sp.csr_matrix, shift: np.ndarray):
    """The hierarchy of ``fine_A = A + diag(shift)`` (``A`` being ``ml``'s operator) with
    ``ml``'s aggregates: each coarse operator is its Galerkin product ``R (A + D) P``, i.e.
    ``ml``'s plus ``R D P``, so the result is what a fresh set-up keeping those aggregates
    would give, for the price of a few sparse products instead of a new set-up. ``fine_A``
    is used as is (not copied): a caller that updates its diagonal in place updates the
    hierarchy's finest level with it."""
    levels = []
    d = sp.diags(np.asarray(shift, dtype=float))
    for i, lvl in enumerate(ml.levels):
        new = pyamg.MultilevelSolver.Level()
        new.A = fine_A if i == 0 else _as_csr(lvl.A + d)
        if i < len(ml.levels) - 1:
            new.P, new.R = lvl.P, lvl.R
            new.presmoother, new.postsmoother = lvl.presmoother, lvl.postsmoother
            d = _as_csr(lvl.R @ d @ lvl.P)
        levels.append(new)
    return pyamg.MultilevelSolver(levels, coarse_solver="pinv")


def v_cycle_work(ml: pyamg.MultilevelSolver) -> float:
    """What one V-cycle of ``ml`` costs, in stored nonzeros read (a sparse product reads each
    once): per level two symmetric Gauss-Seidel smoothings (four sweeps, each about two
    products' worth: its divisions and in-place updates do not stream), the residual, and
    the restriction and prolongation."""
    work = 0.0
    for lvl in ml.levels[:-1]:
        work += 9.0 * lvl.A.nnz + lvl.P.nnz + lvl.R.nnz
    return work + ml.levels[-1].A.shape[0] ** 2
