"""Heat carried by the air: a conservative finite-volume advection-diffusion operator on the
air cells, solved for the steady state or stepped in time.

Per air cell a (units m3/s * K, i.e. heat flow over rho*cp):

    sum_faces [ max(q_out, 0) T_a - max(q_in, 0) T_nb + D (T_a - T_nb) ] = inflow through ports

with q the face volume flow of the (divergence-free) velocity field, first-order upwind, and
D = kappa_t * h the turbulent conductance of a face, kappa_t = nu_t / Pr_t (Pr_t = 0.9).
Upwind keeps the matrix an M-matrix (no overshoot) and the flux form conserves energy exactly:
summed over all cells every interior face cancels, so what the ports bring in equals what they
take out, to the linear solver's tolerance.

Ports bring air in at a source temperature that is itself an unknown:
- a rack rear: T_exh = (flow-weighted mean of the rack's front cells) + Q_air / (rho cp F);
- an air unit's discharge: its set point, or, past its capacity, T_ret - capacity / (rho cp F)
  (an active-set iteration picks which units are at capacity);
- floor tiles fed by underfloor units: the plenum, the flow-weighted mean of those supplies;
  tiles with their own ``supply_c`` bring a fixed temperature.
The steady solve stacks these rows under the cell rows (one sparse system) and solves it with
GMRES preconditioned by algebraic multigrid (pyamg). The transient step is explicit Euler with
the same operator, its time step set by positivity: dt <= V / max(diagonal) (the CFL and
diffusion limits in one), so the transient settles exactly on the steady solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from twin.model.facility import Facility
from twin.physics.airflow import Flow
from twin.physics.amg import preconditioner, sa_hierarchy
from twin.physics.frame_step import FrameSolver
from twin.physics.grid import GRILLE, RACK_FRONT, RACK_REAR, SUPPLY, UNIT_IN, UNIT_OUT, Grid

PR_T = 0.9  # turbulent Prandtl number
KAPPA_AIR = 2.2e-5  # molecular thermal diffusivity of air, m2/s
#: Largest system solved directly (sparse LU); above it, AMG-preconditioned GMRES.
DIRECT_MAX = 2_000
#: Solves per steady solve (or per followed frame) that may change which units run at capacity.
ACTIVE_SET_PASSES = 6


class ThermalError(ValueError):
    """A heat problem that cannot be posed (e.g. tiles with no temperature to supply)."""


@dataclass
class HeatState:
    """Temperatures of every air cell (compressed) and of every source."""

    t_cells: np.ndarray  # (N,) air cells, in the order of HeatModel.cells
    t_src: np.ndarray  # (S,) rack exhausts, unit supplies, plenum


def transport_entries(
    grid: Grid, cell_id: np.ndarray, flow: Flow, pr_t: float
) -> tuple[list, list, list, np.ndarray]:
    """Upwind advection and turbulent diffusion between air cells (``cell_id``: each grid
    cell's air-cell index, -1 in solids): the off-diagonal entries (rows, cols, vals) and the
    diagonal so far."""
    n, h = int(cell_id.max()) + 1, grid.cell_m
    idx = cell_id.reshape(grid.shape)
    kappa = np.where(grid.fluid, flow.nu_t / pr_t + KAPPA_AIR, 0.0)
    rows, cols, vals = [], [], []
    diag = np.zeros(n)
    for a, (g, vel) in enumerate(((grid.gx, flow.u), (grid.gy, flow.v), (grid.gz, flow.w))):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        inner = [slice(None)] * 3
        lo[a], hi[a], inner[a] = slice(0, -1), slice(1, None), slice(1, -1)
        gi = g[tuple(inner)]
        m = gi > 0
        il, ih = idx[tuple(lo)][m], idx[tuple(hi)][m]
        q = vel[tuple(inner)][m] * h * h
        k_face = 0.5 * (kappa[tuple(lo)][m] + kappa[tuple(hi)][m])
        d = np.where(gi[m] >= 1.0, k_face * h, 0.0)
        qp, qn = np.maximum(q, 0.0), np.maximum(-q, 0.0)
        diag += np.bincount(il, qp + d, minlength=n) + np.bincount(ih, qn + d, minlength=n)
        rows += [il, ih]
        cols += [ih, il]
        vals += [-(qn + d), -(qp + d)]
    return rows, cols, vals, diag


def supplies_air(grid: Grid) -> bool:
    """Whether air is supplied to the hall (a running unit or a supply region with flow):
    without it the hall has no steady temperatures."""
    p = grid.ports
    return bool((p.q[(p.kind == SUPPLY) | (p.kind == UNIT_OUT)] > 0).any())


class HeatModel:
    """The heat operator for one grid and one flow field; reused for any rack powers."""

    def __init__(self, facility: Facility, grid: Grid, flow: Flow, pr_t: float = PR_T):
        """``pr_t``: the turbulent Prandtl number (a calibrated layout's
        ``physics.turbulent_prandtl``)."""
        self.facility = facility
        self.grid = grid
        air = facility.layout.air
        self.rho_cp = air.density_kg_m3 * air.cp_j_kgk
        fluid = grid.fluid.ravel()
        self.cells = np.flatnonzero(fluid)
        n = self.n = len(self.cells)
        cid = np.full(grid.n_cells, -1, dtype=np.int64)
        cid[self.cells] = np.arange(n)
        self.cell_id = cid
        rows, cols, vals, diag = transport_entries(grid, cid, flow, pr_t)
        self._port_maps()
        p = grid.ports
        pc = cid[p.cell]
        out = p.q < 0
        diag += np.bincount(pc[out], -p.q[out], minlength=n)
        self.diag = diag
        self.A = sp.csr_matrix(
            (
                np.concatenate(vals + [diag]),
                (np.concatenate(rows + [np.arange(n)]), np.concatenate(cols + [np.arange(n)])),
            ),
            shape=(n, n),
        )
        self._inflows(pc)
        self._rack_rows(pc)
        self._unit_rows(pc)
        # return/supply ports for the balance
        self.out_ports = out & (p.kind != RACK_FRONT)
        self.in_ports = (p.q > 0) & (p.kind != RACK_REAR)
        self.volume = grid.cell_m**3
        self.has_supply = supplies_air(grid)
        self.dt_stable = 0.9 * self.volume / max(diag.max(initial=0.0), 1e-300)
        self._ml = None
        self._lu = None
        self._aug_key = None
        self._stepper: FrameSolver | None = None
        self._stepper_key = None

    def _port_maps(self) -> None:
        """Facility rack and unit indices -> this hall's (source columns: racks, units,
        plenum)."""
        grid = self.grid
        nR, nA = grid.n_racks, grid.n_units
        self.rack_local = np.full(nR, -1, dtype=np.int64)
        self.rack_local[grid.rack_ids] = np.arange(len(grid.rack_ids))
        self.unit_local = np.full(nA, -1, dtype=np.int64)
        self.unit_local[grid.unit_ids] = np.arange(len(grid.unit_ids))
        Rh, Ah = len(grid.rack_ids), len(grid.unit_ids)
        self.n_src = Rh + Ah + 1
        self.plenum = Rh + Ah

    def _inflows(self, pc: np.ndarray) -> None:
        """Inflow ports -> source columns (rack exhausts, unit supplies, the plenum), or known
        temperatures (tiles with their own supply temperature)."""
        grid, facility, p, n = self.grid, self.facility, self.grid.ports, self.n
        Rh = len(grid.rack_ids)
        supplies = [
            s for s in facility.layout.cooling.supplies if s.hall == facility.hall_ids[grid.hall]
        ]
        sup_c = np.array([np.nan if s.supply_c is None else s.supply_c for s in supplies] + [0.0])
        src_col = np.full(len(p.q), -1, dtype=np.int64)
        rr = p.kind == RACK_REAR
        src_col[rr] = self.rack_local[p.owner[rr]]
        uo = p.kind == UNIT_OUT
        src_col[uo] = Rh + self.unit_local[p.owner[uo]]
        su = p.kind == SUPPLY
        known = su & ~np.isnan(sup_c[np.where(su, p.owner, -1)])
        src_col[su & ~known] = self.plenum
        self.b_known = np.bincount(pc[known], p.q[known] * sup_c[p.owner[known]], minlength=n)
        inflow = (p.q > 0) & ~known
        self.B = sp.csr_matrix((-p.q[inflow], (pc[inflow], src_col[inflow])), shape=(n, self.n_src))
        self.known_in = known
        if (su & ~known & (p.q > 0)).any() and not grid.unit_underfloor[grid.unit_ids].any():
            raise ThermalError(
                "floor tiles have no supply temperature: give the supply region supply_c or "
                "feed it from an underfloor air unit"
            )

    def _rack_rows(self, pc: np.ndarray) -> None:
        """Rack rows: exhaust = flow-weighted front mean + dT; per-layer inlets for GPUs."""
        grid, p, n = self.grid, self.grid.ports, self.n
        Rh = len(grid.rack_ids)
        fr = p.kind == RACK_FRONT
        rr = p.kind == RACK_REAR
        self.front = fr
        rl = np.full(len(p.q), -1, dtype=np.int64)
        rl[fr | rr] = self.rack_local[p.owner[fr | rr]]
        self.front_flow = np.bincount(rl[fr], -p.q[fr], minlength=Rh)
        self.rear_flow = np.bincount(rl[rr], p.q[rr], minlength=Rh)
        wts = -p.q[fr] / np.maximum(self.front_flow[rl[fr]], 1e-300)
        self.W_rack = sp.csr_matrix((wts, (rl[fr], pc[fr])), shape=(Rh, n))
        # per-rack, per-layer inlet (for GPUs at their height)
        nz = grid.shape[2]
        kk = np.unravel_index(p.cell[fr], grid.shape)[2]
        self._layer_key = rl[fr] * nz + kk
        self._layer_q = -p.q[fr]
        self._layer_cells = pc[fr]
        self._front_cells = pc[fr]
        self._front_rack = rl[fr]

    def _unit_rows(self, pc: np.ndarray) -> None:
        """Unit rows: each running unit's return mixture (grilles' or its own intakes'), set
        points, capacities and its share of the plenum."""
        grid, p, n = self.grid, self.grid.ports, self.n
        Ah = len(grid.unit_ids)
        uflow = grid.unit_flow_m3s[grid.unit_ids]
        self.unit_flow = uflow
        if grid.uses_grilles:
            gr = p.kind == GRILLE
            w = -p.q[gr] / max(-p.q[gr].sum(), 1e-300)
            run = np.flatnonzero(uflow > 0)
            r_ = np.repeat(run, gr.sum())
            c_ = np.tile(pc[gr], len(run))
            v_ = np.tile(w, len(run))
            self.W_ret = sp.csr_matrix((v_, (r_, c_)), shape=(Ah, n))
            self.grille_w = sp.csr_matrix((w, (np.zeros(gr.sum(), int), pc[gr])), shape=(1, n))
        else:
            ui = p.kind == UNIT_IN
            ul = self.unit_local[p.owner[ui]]
            fin = np.bincount(ul, -p.q[ui], minlength=Ah)
            self.W_ret = sp.csr_matrix(
                (-p.q[ui] / np.maximum(fin[ul], 1e-300), (ul, pc[ui])), shape=(Ah, n)
            )
            self.grille_w = None
        fac_units = grid.unit_ids
        self.set_c = self.facility.air_unit_supply_c[fac_units]
        self.cap_w = self.facility.air_unit_capacity_w[fac_units]
        ufl = grid.unit_underfloor[fac_units] & (uflow > 0)
        self.plenum_w = np.where(ufl, uflow, 0.0) / max(np.where(ufl, uflow, 0.0).sum(), 1e-300)
        self.has_plenum = bool(ufl.any())

    # ------------------------------------------------------------------ sources
    def rack_dt(self, rack_air_w: np.ndarray) -> np.ndarray:
        """(Rh,) exhaust rise of each rack of the hall for its air-side heat (facility order)."""
        q = np.asarray(rack_air_w, float)[self.grid.rack_ids]
        return np.where(
            self.rear_flow > 0, q / (self.rho_cp * np.maximum(self.rear_flow, 1e-300)), 0.0
        )

    def sources(self, t_cells: np.ndarray, dT: np.ndarray) -> np.ndarray:
        """Source temperatures from the current air: rack exhausts, unit supplies (set point up
        to capacity, warmer past it), plenum."""
        s = np.empty(self.n_src)
        Rh = len(dT)
        s[:Rh] = self.W_rack @ t_cells + dT
        ret = self.W_ret @ t_cells
        with np.errstate(divide="ignore", invalid="ignore"):
            cap_c = ret - self.cap_w / (self.rho_cp * self.unit_flow)
        sup = np.where(self.unit_flow > 0, np.maximum(self.set_c, cap_c), self.set_c)
        s[Rh : self.plenum] = sup
        s[self.plenum] = (
            self.plenum_w @ sup
            if self.has_plenum
            else float(np.mean(self.set_c))
            if len(self.set_c)
            else 0.0
        )
        return s

    # ------------------------------------------------------------------ steady
    def _augmented(self, at_cap: np.ndarray) -> sp.csr_matrix:
        Rh = len(self.grid.rack_ids)
        Ah = len(self.grid.unit_ids)
        rows = [sp.hstack([self.A, self.B])]
        # rack rows: T_r - W T = dT
        rows.append(sp.hstack([-self.W_rack, sp.eye(Rh, self.n_src)]))
        # unit rows: fixed (T_u = set) or at capacity (T_u - W_ret T = -cap/(rho cp F))
        wr = sp.diags(at_cap.astype(float)) @ self.W_ret
        rows.append(sp.hstack([-wr, sp.eye(Ah, self.n_src, k=Rh)]))
        # plenum row
        pl = np.zeros(self.n_src)
        pl[self.plenum] = 1.0
        if self.has_plenum:
            pl[Rh : self.plenum] = -self.plenum_w
        rows.append(sp.hstack([sp.csr_matrix((1, self.n)), sp.csr_matrix(pl[None, :])]))
        return sp.vstack(rows).tocsr()

    def solve(self, rack_air_w: np.ndarray, x0: HeatState | None = None, tol: float = 1e-7):
        """Steady temperatures for the given air-side rack heat (facility order, W).

        Returns (state, at_cap, overloaded): which units run at capacity, and whether the
        hall's heat exceeds every running unit's capacity (then no steady state exists and the
        set points are kept; the transient shows the hall warming)."""
        if not self.has_supply:
            raise ThermalError(
                f"hall {self.facility.hall_ids[self.grid.hall]} has no air supply (no running "
                "air unit, no supply region with flow): it has no steady state, its air warms "
                "without end"
            )
        dT = self.rack_dt(rack_air_w)
        Ah = len(self.grid.unit_ids)
        run = self.unit_flow > 0
        at_cap = np.zeros(Ah, dtype=bool)
        heat = float(np.asarray(rack_air_w, float)[self.grid.rack_ids][self.rear_flow > 0].sum())
        fixed_in = self.known_in.any()
        overloaded = bool(run.any() and not fixed_in and heat > self.cap_w[run].sum())
        x = None if x0 is None else np.concatenate([x0.t_cells, x0.t_src])
        for _ in range(ACTIVE_SET_PASSES):
            x = self._solve_aug(at_cap, dT, x, tol)
            if overloaded:
                break
            new = self.next_active_set(HeatState(x[: self.n], x[self.n :]), at_cap)
            if np.array_equal(new, at_cap):
                break
            at_cap = new
        return HeatState(x[: self.n], x[self.n :]), at_cap, overloaded

    def next_active_set(self, x: HeatState, at_cap: np.ndarray) -> np.ndarray:
        """Units at capacity after ``x`` (solved with ``at_cap``): held at its set point but
        loaded past its capacity, or at capacity and still supplying above its set point."""
        sup = x.t_src[len(self.grid.rack_ids) : self.plenum]
        load = self.rho_cp * self.unit_flow * (self.W_ret @ x.t_cells - self.set_c)
        over = (load > self.cap_w * (1 + 1e-9)) | (at_cap & (sup > self.set_c))
        return (self.unit_flow > 0) & over

    def active_set(self) -> np.ndarray:
        """The units at capacity the steady matrix holds (after a solve or use_active_set)."""
        return np.frombuffer(self._aug_key, dtype=bool).copy()

    def use_active_set(self, at_cap: np.ndarray) -> None:
        """The steady matrix for these units at capacity (rebuilt only when they change; its
        multigrid hierarchy is set up on the next solve that needs one)."""
        key = np.asarray(at_cap, dtype=bool).tobytes()
        if key != self._aug_key:
            self._M = self._augmented(at_cap)
            self._aug_key = key
            self._ml = None
            self._lu = None

    def _steady_rhs(self, at_cap: np.ndarray, dT: np.ndarray) -> np.ndarray:
        """Right-hand side of the steady system: known inflows, rack rises, unit set points
        (or capacity terms) and the plenum's row."""
        Rh = len(dT)
        rhs = np.zeros(self.n + self.n_src)
        rhs[: self.n] = self.b_known
        rhs[self.n : self.n + Rh] = dT
        with np.errstate(divide="ignore", invalid="ignore"):
            cap_rhs = -self.cap_w / (self.rho_cp * self.unit_flow)
        rhs[self.n + Rh : self.n + self.plenum] = np.where(at_cap, cap_rhs, self.set_c)
        if not self.has_plenum:
            rhs[-1] = float(np.mean(self.set_c)) if len(self.set_c) else 0.0
        return rhs

    def _solve_aug(self, at_cap: np.ndarray, dT: np.ndarray, x0, tol: float):
        self.use_active_set(at_cap)
        M = self._M
        rhs = self._steady_rhs(at_cap, dT)
        if M.shape[0] <= DIRECT_MAX:
            if self._lu is None:
                self._lu = spla.splu(M.tocsc())
            return self._lu.solve(rhs)
        if self._ml is None:
            # plain (unsmoothed) aggregation for a nonsymmetric operator: set-up is ~10x
            # cheaper than smoothed prolongation and the Krylov method makes up the extra
            # iterations
            self._ml = sa_hierarchy(M, symmetric=False, smooth=None)
        # BiCGSTAB with one V-cycle as preconditioner: short recurrences, so an iteration
        # costs two V-cycles and two products whatever the count (GMRES re-orthogonalises
        # against its whole basis); fallback GMRES at tol/10: it stops on a preconditioned residual
        x, info = spla.bicgstab(
            M, rhs, x0=x0, rtol=tol, atol=0.0, M=preconditioner(self._ml), maxiter=100
        )
        if info != 0 or not np.all(np.isfinite(x)):
            x = self._ml.solve(rhs, x0=x0, tol=0.1 * tol, accel="gmres", maxiter=200)
        return x

    # ------------------------------------------------------------------ transient
    def step(self, t_cells: np.ndarray, rack_air_w: np.ndarray, dt: float) -> np.ndarray:
        """Advance the air temperatures by ``dt`` seconds (sub-stepped at ``dt_stable``)."""
        return self.step_balanced(t_cells, rack_air_w, dt)[0]

    def step_balanced(
        self, t_cells: np.ndarray, rack_air_w: np.ndarray, dt: float
    ) -> tuple[np.ndarray, float]:
        """``step``, also returning the heat the ports carried out over the step (W, the mean
        of its sub-steps'), so that heat in = out + stored can be checked for the step."""
        n_sub = max(int(np.ceil(dt / self.dt_stable - 1e-9)), 1)
        h = dt / n_sub
        c = h / self.volume
        dT = self.rack_dt(rack_air_w)
        t = t_cells.copy()
        out = 0.0
        for _ in range(n_sub):
            s = self.sources(t, dT)
            out += self.balance(t, s, rack_air_w)[1]
            t += c * (self.b_known - self.A @ t - self.B @ s)
        return t, out / n_sub

    def stored_w(self, t_before: np.ndarray, t_after: np.ndarray, dt: float) -> float:
        """Heat the air took up over ``dt`` seconds (negative: released), W."""
        return float(self.rho_cp * self.volume * (t_after - t_before).sum() / dt)

    def step_implicit(
        self,
        x: HeatState,
        rack_air_w: np.ndarray,
        dt: float,
        tol: float = 1e-8,
        steady_tol: float | None = None,
    ) -> HeatState:
        """Advance by ``dt`` seconds in one backward-Euler step: the steady system with the
        cells' heat capacity ``V / dt`` added to its diagonal (see ``frame_step``).
        Unconditionally stable and conservative, so one telemetry frame costs one linear
        solve however long it is, where ``step`` takes ``dt / dt_stable`` explicit sub-steps;
        first-order in time, so it lags a fast transient by up to ``dt``. Needs a steady solve
        first (its active set of units at capacity is kept).

        Tolerance: the right-hand side is the steady one plus the cells' stored heat
        ``V / dt * T``; the residual may be ``steady_tol`` (default ``tol``) of the first and
        ``tol`` of the second. One relative residual on the sum would loosen the steady
        part's accuracy on short frames, where the stored heat dominates the norm."""
        stepper = self.implicit_stepper()
        at_cap = self.active_set()
        rhs = self._steady_rhs(at_cap, self.rack_dt(rack_air_w))
        stored = self.volume / dt * x.t_cells
        atol = (tol if steady_tol is None else steady_tol) * np.linalg.norm(rhs)
        atol += tol * np.linalg.norm(stored)
        rhs[: self.n] += stored
        x0 = np.concatenate([x.t_cells, x.t_src])
        try:
            out = stepper.solve(rhs, x0, float(dt), atol)
        except ArithmeticError as exc:
            raise ThermalError(str(exc)) from exc
        return HeatState(out[: self.n], out[self.n :])

    def implicit_stepper(self) -> FrameSolver:
        """The backward-Euler solver of the current steady matrix (built on first use and
        again after a steady solve changed the units at capacity)."""
        if self._aug_key is None:
            raise ThermalError("step_implicit needs a steady solve of this model first")
        if self._ml is None and self._M.shape[0] > DIRECT_MAX:
            self._ml = sa_hierarchy(self._M, symmetric=False, smooth=None)
        if self._stepper is None or self._stepper_key != self._aug_key:
            inflow = -np.asarray(self.B.sum(axis=0)).ravel()  # B holds -q of inflow ports
            conserved = np.concatenate([np.ones(self.n), inflow])
            self._stepper = FrameSolver(self._M, self.n, self.volume, self._ml, conserved)
            self._stepper_key = self._aug_key
        return self._stepper

    # ------------------------------------------------------------------ balance
    def port_temps(self, t_cells: np.ndarray, t_src: np.ndarray) -> np.ndarray:
        """Temperature of the air crossing each port (cell for outflow, source for inflow)."""
        p = self.grid.ports
        pc = self.cell_id[p.cell]
        t = t_cells[pc].copy()
        inflow = (p.q > 0) & ~self.known_in
        Rh = len(self.grid.rack_ids)
        rr = p.kind == RACK_REAR
        t[rr] = t_src[self.rack_local[p.owner[rr]]]
        uo = p.kind == UNIT_OUT
        t[uo] = t_src[Rh + self.unit_local[p.owner[uo]]]
        su = inflow & (p.kind == SUPPLY)
        t[su] = t_src[self.plenum]
        if self.known_in.any():
            lay = self.facility.layout
            hid = self.facility.hall_ids[self.grid.hall]
            supplies = [s for s in lay.cooling.supplies if s.hall == hid]
            sup_c = np.array([np.nan if s.supply_c is None else s.supply_c for s in supplies])
            t[self.known_in] = sup_c[p.owner[self.known_in]]
        return t

    def balance(self, t_cells: np.ndarray, t_src: np.ndarray, rack_air_w: np.ndarray):
        """(heat_in_w, heat_out_w): rack air heat in; enthalpy the returns carry out over what
        the supplies bring in."""
        p = self.grid.ports
        tp = self.port_temps(t_cells, t_src)
        heat_in = float(np.asarray(rack_air_w, float)[self.grid.rack_ids][self.rear_flow > 0].sum())
        out = self.rho_cp * (
            float((-p.q[self.out_ports] * tp[self.out_ports]).sum())
            - float((p.q[self.in_ports] * tp[self.in_ports]).sum())
        )
        return heat_in, out
