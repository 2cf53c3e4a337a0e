"""Backward-Euler steps of the heat operator: one linear solve per telemetry frame.

The frame's system is the steady one (cells, rack exhausts, unit supplies, plenum) with each
cell's heat capacity ``V / dt`` added to its diagonal. What it costs per frame, and why:

- the matrix is the steady matrix with its cell diagonal overwritten in place (positions
  found once), so a frame of a new length costs one pass over the diagonal, not a new matrix;
- the multigrid preconditioner is the steady hierarchy *shifted* by the same diagonal
  (``amg.shifted``: same aggregates, Galerkin coarse operators plus ``R D P``). It is the
  hierarchy a fresh set-up on the frame's matrix builds (the same aggregates come out), for a
  few sparse products instead of a set-up; the unshifted steady hierarchy preconditions an
  operator without the capacity term and needs several times the iterations;
- small systems (no hierarchy) are factorised once per frame length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from twin.physics.amg import preconditioner, shifted, v_cycle_work

if TYPE_CHECKING:
    from twin.physics.heat import HeatModel

#: Iterations a BiCGSTAB solve of a frame is assumed to take before one has been made.
EXPECTED_ITERATIONS = 3
#: Streaming passes over the unknowns per BiCGSTAB iteration (its dot products and updates).
KRYLOV_VECTOR_PASSES = 12


class FrameSolver:
    """Solves ``(M + diag(mass(dt))) x = rhs`` for frame after frame of one steady matrix
    ``M`` (``n_cells`` cell rows first, then the source rows, whose diagonal stays)."""

    def __init__(
        self,
        M: sp.csr_matrix,
        n_cells: int,
        volume_m3: float,
        ml=None,
        conserved: np.ndarray | None = None,
    ) -> None:
        """``conserved``: the weights whose product with a residual is the step's energy
        error (over rho cp): 1 on the cells, and on each source the flow it brings in."""
        self.n_cells = n_cells
        self.conserved = conserved
        self.volume_m3 = volume_m3
        self.ml = ml
        self.A = (M + sp.eye(M.shape[0], format="csr")).tocsr()
        self.A.sort_indices()
        rows = np.repeat(np.arange(M.shape[0]), np.diff(self.A.indptr))
        self._diag_pos = np.flatnonzero(self.A.indices == rows)
        if len(self._diag_pos) != M.shape[0]:
            raise ValueError("the heat matrix lacks a diagonal entry")
        self._diag0 = M.diagonal()
        self._dt: float | None = None
        self._ml_dt = None
        self._lu = None
        #: BiCGSTAB iterations of the last frame, 0.5 for one stopped half-way (None: none
        #: solved yet, or solved directly)
        self.last_iterations: float | None = None

    def _mass(self, dt: float) -> np.ndarray:
        mass = np.zeros(self.A.shape[0])
        mass[: self.n_cells] = self.volume_m3 / dt
        return mass

    def _set_dt(self, dt: float) -> None:
        """The frame's matrix (diagonal written in place) and its preconditioner."""
        if self._dt == dt:
            return
        mass = self._mass(dt)
        self.A.data[self._diag_pos] = self._diag0 + mass
        self._dt = dt
        if self.ml is not None:
            self._ml_dt = shifted(self.ml, self.A, mass)
        else:
            self._lu = spla.splu(self.A.tocsc())

    def solve(self, rhs: np.ndarray, x0: np.ndarray, dt: float, atol: float) -> np.ndarray:
        """The frame's new unknowns; BiCGSTAB from ``x0`` to residual norm ``atol``.
        Raises ``ArithmeticError`` when it does not converge."""
        self._set_dt(dt)
        if self.ml is None:
            self.last_iterations = None
            return self._lu.solve(rhs)
        pre = preconditioner(self._ml_dt)
        cycles = [0]

        def v_cycle(b: np.ndarray) -> np.ndarray:
            cycles[0] += 1
            return pre.matvec(b)

        x, info = spla.bicgstab(
            self.A,
            rhs,
            x0=x0,
            rtol=0.0,
            atol=atol,
            M=spla.LinearOperator(self.A.shape, v_cycle, dtype=self.A.dtype),
            maxiter=100,
        )
        if info != 0 or not np.all(np.isfinite(x)):
            raise ArithmeticError(f"implicit heat step did not converge (info {info})")
        # two V-cycles an iteration; one that converged half-way through used one
        self.last_iterations = cycles[0] / 2
        return x if self.conserved is None else self._conserve(x, rhs)

    def _conserve(self, x: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """``x`` moved by a uniform temperature ``c`` chosen so that the conserved weights'
        product with the residual is zero: the step then balances energy to round-off
        whatever its tolerance (a Petrov-Galerkin correction along the constant, of the
        order of the tolerance's kelvins)."""
        w = self.conserved
        ones = np.ones_like(x)
        c = float(w @ (rhs - self.A @ x)) / float(w @ (self.A @ ones))
        return x + c * ones

    def work(self) -> float:
        """Expected cost of one frame, in stored nonzeros read (see ``amg.v_cycle_work``):
        per BiCGSTAB iteration two V-cycles, two products and its vector updates; the last
        frame's iteration count, or ``EXPECTED_ITERATIONS`` before any. Direct solves: the
        two triangular solves (the factors' size, estimated as the matrix's times eight
        before the first factorisation)."""
        if self.ml is None:
            if self._lu is not None:
                return float(self._lu.L.nnz + self._lu.U.nnz)
            return 8.0 * self.A.nnz
        its = self.last_iterations or EXPECTED_ITERATIONS
        per_it = (
            2.0 * v_cycle_work(self.ml) + 2.0 * self.A.nnz + KRYLOV_VECTOR_PASSES * self.A.shape[0]
        )
        return max(its, 0.5) * per_it


def explicit_work(heat: HeatModel, dt: float) -> float:
    """Cost of ``heat.step`` over ``dt`` seconds in the units of ``FrameSolver.work`` (stored
    nonzeros read): per sub-step the products with the operator, the sources' and the inlet
    weights, and about ten passes over the cells for the update, the sources and the port
    balance."""
    n_sub = max(int(np.ceil(dt / heat.dt_stable - 1e-9)), 1)
    products = heat.A.nnz + heat.B.nnz + heat.W_rack.nnz + heat.W_ret.nnz
    return n_sub * (products + 10.0 * heat.n)
