"""Implicit time steps of the heat operator, for transients of minutes to hours.

``HeatModel.step`` is explicit: its step is held to ``dt_stable`` (about 0.01 s in the 0.2 m
demo hall, set by the fastest cell near a port), so 30 simulated minutes cost some 170,000
sub-steps. A what-if needs those minutes in seconds. Here each step of ``dt_s`` (seconds)
solves, for the air temperatures T and source temperatures s,

    V (c0 T' + c1 T + c2 T_prev) / dt + A T' + B s' = b_known           (cell rows)
    s' rows exactly as the steady solve: rack exhaust = inlet mean + dT, unit supply at its
    set point or, past capacity, return - capacity / (rho cp F), plenum = supply mix

with BDF2 (c0, c1, c2 = 3/2, -2, 1/2; the first step backward Euler, 1, -1, 0). Both are
L-stable, so the algebraic source rows (a differential-algebraic system) do not ring, and
summing the cell rows gives V dsum(T)/dt = ports in - ports out: energy is conserved step by
step. The matrix is the steady system's with V c0 / dt added to the cell diagonal, so one
AMG hierarchy per (step kind, active set) serves the whole run, and BiCGSTAB starts from the
extrapolated last two steps.

Units past capacity form an active set, iterated per step as in ``HeatModel.solve``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from twin.physics.amg import preconditioner, sa_hierarchy
from twin.physics.heat import HeatModel, HeatState
from twin.physics.threads import single_blas_thread

#: Relative residual of each step's solve.
STEP_TOL = 1e-7
_BE = (1.0, -1.0, 0.0)
_BDF2 = (1.5, -2.0, 0.5)


@dataclass
class StepInfo:
    """What one implicit step did: units at capacity, Krylov iterations."""

    at_cap: np.ndarray
    iterations: int


class ImplicitStepper:
    """BDF2 steps of one ``HeatModel`` at a fixed ``dt_s``; reuse it for the whole transient."""

    def __init__(self, heat: HeatModel, dt_s: float):
        if not dt_s > 0:
            raise ValueError(f"dt_s must be positive, got {dt_s}")
        self.heat = heat
        self.dt_s = float(dt_s)
        self._solvers: dict[tuple, object] = {}
        self._prev: np.ndarray | None = None  # x of the step before the current one
        self._at_cap = np.zeros(len(heat.grid.unit_ids), dtype=bool)

    def reset(self) -> None:
        """Forget the previous step: the next one is backward Euler (a new start state)."""
        self._prev = None

    def _matrix(self, scheme: tuple, at_cap: np.ndarray):
        key = (scheme, at_cap.tobytes())
        ml = self._solvers.get(key)
        if ml is None:
            hm = self.heat
            d = np.zeros(hm.n + hm.n_src)
            d[: hm.n] = scheme[0] * hm.volume / self.dt_s
            M = (hm._augmented(at_cap) + sp.diags(d)).tocsr()
            ml = (M, sa_hierarchy(M, symmetric=False, smooth=None))
            self._solvers[key] = ml
        return ml

    def _rhs(self, scheme, at_cap, dT, x_now, x_prev) -> np.ndarray:
        hm = self.heat
        n, Rh = hm.n, len(dT)
        rhs = np.zeros(n + hm.n_src)
        hist = scheme[1] * x_now[:n]
        if scheme[2]:
            hist = hist + scheme[2] * x_prev[:n]
        rhs[:n] = hm.b_known - hm.volume / self.dt_s * hist
        rhs[n : n + Rh] = dT
        with np.errstate(divide="ignore", invalid="ignore"):
            cap_rhs = -hm.cap_w / (hm.rho_cp * hm.unit_flow)
        rhs[n + Rh : n + hm.plenum] = np.where(at_cap, cap_rhs, hm.set_c)
        if not hm.has_plenum:
            rhs[-1] = float(np.mean(hm.set_c)) if len(hm.set_c) else 0.0
        return rhs

    @single_blas_thread()
    def step(self, state: HeatState, rack_air_w: np.ndarray) -> tuple[HeatState, StepInfo]:
        """Advance ``state`` by ``dt_s`` with the given air-side rack heat (facility order)."""
        hm = self.heat
        dT = hm.rack_dt(rack_air_w)
        x_now = np.concatenate([state.t_cells, state.t_src])
        x_prev = self._prev
        scheme = _BE if x_prev is None else _BDF2
        guess = x_now if x_prev is None else 2.0 * x_now - x_prev
        run = hm.unit_flow > 0
        at_cap = self._at_cap & run
        iters = 0
        for _ in range(6):
            M, ml = self._matrix(scheme, at_cap)
            rhs = self._rhs(scheme, at_cap, dT, x_now, x_prev)
            count = [0]

            def counter(_x, count=count):
                count[0] += 1

            x, info = spla.bicgstab(
                M,
                rhs,
                x0=guess,
                rtol=STEP_TOL,
                atol=0.0,
                M=preconditioner(ml),
                maxiter=200,
                callback=counter,
            )
            iters += count[0]
            if info != 0 or not np.all(np.isfinite(x)):
                x = ml.solve(rhs, x0=guess, tol=STEP_TOL, accel="gmres", maxiter=300)
            t, s = x[: hm.n], x[hm.n :]
            Rh = len(dT)
            load = hm.rho_cp * hm.unit_flow * (hm.W_ret @ t - hm.set_c)
            sup = s[Rh : hm.plenum]
            new = run & ((load > hm.cap_w * (1 + 1e-9)) | (at_cap & (sup > hm.set_c)))
            if np.array_equal(new, at_cap):
                break
            at_cap, guess = new, x
        self._prev = x_now
        self._at_cap = at_cap
        return HeatState(x[: hm.n], x[hm.n :]), StepInfo(at_cap.copy(), iters)
