"""The public face of the physics: ``ThermalModel`` (grid, flow and operators kept for per-frame
steps) and ``solve_steady`` (one call, one result)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from twin.model.facility import Facility
from twin.physics import buoyant_march, devices, metrics, results
from twin.physics.airflow import Flow, FlowModel, carry_panel_flow, prolong
from twin.physics.buoyant_march import BUOYANCY_CHUNK, BUOYANCY_PROJECTION_TOL, x0_from
from twin.physics.cells import DEFAULT_CELL_M
from twin.physics.frame_step import explicit_work
from twin.physics.grid import Grid, build_grid
from twin.physics.heat import ACTIVE_SET_PASSES, HeatModel, HeatState, supplies_air
from twin.physics.params import PhysicsParams
from twin.physics.threads import single_blas_thread

#: Default cell of the momentum grid (m): finer grids take their flow from it. 0.2 m, the
#: default heat cell, so that at the default cell the momentum is marched where the racks
#: are: the rooms are laid out on the 0.6 m tile pitch, which 0.25 m divides none of, and a
#: 0.25 m grid put every rack face 0.05-0.1 m off. Against the references with the air
#: drawn evenly into the racks (December 2026) the 0.25 m march read 0.05 / 0.11 / 0.89 /
#: 0.94 / 1.36 K RMS (contained, hot aisle, open aisle, perimeter, room 5; max 3.26 K) and
#: this one 0.04 / 0.12 / 0.44 / 0.79 / 0.72 K (max 1.57 K), for about half as much time
#: again (README, "Accuracy against CFD"). Against the older references, whose rack fronts
#: drew warm air round the row ends, it had read worse in room 5, and was not shipped then.
FLOW_CELL_M = 0.2
#: Momentum pseudo-steps of a steady solve before buoyancy (a third as many follow under
#: it). With the second-order, inflow-washed advection (``airflow``) the validation rooms'
#: rack inlets settle by about 40 + 13 steps: from 42 to 60 steps no room's RMS against its
#: CFD moves by more than the field's own flapping (0.1 K; 0.45 K in the hot-aisle room,
#: whose reference was then itself uncertain by 1.7 K), where 24 + 8 left the open aisle 0.35 K
#: and the over-supplied room 0.5 K short (tests/validation/HISTORY.md).
FLOW_ITERATIONS = 48
#: The largest change of a rack's mean inlet over the march's last chunk (between the heat
#: solve that drove it and the steady solve of the flow it left) from which a report says
#: the air had not settled: the 0.1 K the CFD references were stopped by (every inlet within
#: 0.1 K over their last 300 iterations), the threshold the buoyant march stops at. The
#: two contained validation rooms change by 0.006-0.011 K, the other eight 0.18-1.18 K, the
#: demo hall 0.33 K; marched longer the change does not shrink
#: (tests/validation/HISTORY.md): their air wanders, as their CFD does.
UNSETTLED_K = buoyant_march.SETTLED_K
#: Relative residual of the steady heat solve.
HEAT_TOL = 1e-6
#: Relative residual of ``follow``'s implicit step on the heat the cells store over the frame:
#: on the 1M-cell bench hall the cells end within 0.01 K of a converged step (a tenth of the
#: display's resolution, a hundredth of the step's own first-order lag: about a kelvin in the
#: rack plumes of a 1 s frame), where 5e-5 bought 0.005 K for half an iteration more. Energy
#: balances to round-off whatever the tolerance (``FrameSolver._conserve``).
FOLLOW_TOL = 1e-4
#: ... and on the steady part of its right-hand side (rack rises, set points), which is all
#: that is left of it on long frames: a very long frame lands on the steady state as closely
#: as a steady solve does.
FOLLOW_STEADY_TOL = 1e-7


@dataclass
class WarmStart:
    """What a re-solve of the same hall after a small edit starts from: the air temperatures
    of the last steady solve (and its fields, for callers). Used only where the grids match
    (same hall size, cell and momentum cell); cells an edit opened take the mean.

    The flow is marched afresh, exactly as a cold solve: the march's field still flaps (its
    answer is the mean of the march's second half), so a march continued from the old field
    lands elsewhere (with the first-order march, continuing 8 iterations moved the demo hall's
    moved-rack inlet change from +2.5 K to +1.2 K, and resuming the old march part-way left
    it anywhere from -1.4 to +4.6 K). Only the heat solves start from the old temperatures
    (same answer to their tolerance)."""

    hall: int
    cell_m: float
    flow_cell_m: float
    shape: tuple[int, int, int]
    coarse_flow: Flow | None  # on the momentum grid (None when it is the fine grid)
    flow: Flow  # on the fine grid
    air_c: np.ndarray  # (nx, ny, nz), NaN in solids
    supply_m3s: float  # air the hall's ports bring in

    def fits(self, hall: int, cell_m: float, flow_cell_m: float, grid: Grid) -> bool:
        """Same grid and the same air moved (within 1 %): a change of supply or rack flows
        reshapes the whole field, which a short march from the old one does not settle."""
        q = grid.ports.q
        supply = float(q[q > 0].sum())
        return (
            self.hall == hall
            and abs(self.cell_m - cell_m) < 1e-9
            and abs(self.flow_cell_m - flow_cell_m) < 1e-9
            and tuple(self.shape) == tuple(grid.shape)
            and abs(supply - self.supply_m3s) <= 0.01 * max(self.supply_m3s, 1e-9)
        )


def unsettled_note(change_k: float | None) -> str | None:
    """What a report says of a solve whose rack inlets still moved by ``change_k`` over the
    march's last chunk (``ThermalResult.march_change_k``); None below ``UNSETTLED_K``."""
    if change_k is None or change_k < UNSETTLED_K:
        return None
    return (
        f"air not settled: rack inlets still moved by up to {change_k:.1f} K over the march's "
        f"last {BUOYANCY_CHUNK} steps; a difference smaller than that between two solves may "
        "be the march's, not the layout's"
    )


@dataclass
class ThermalResult:
    """Everything one solve (or step) knows. Arrays over racks, GPUs, units and CDUs are in the
    facility's index order (NaN for items of other halls); grid arrays are (nx, ny, nz)."""

    grid: Grid
    flow: Flow
    air_c: np.ndarray  # (nx, ny, nz) air temperature, NaN inside solids
    rack_power_w: np.ndarray
    rack_airflow_m3s: np.ndarray
    rack_inlet_mean_c: np.ndarray
    rack_inlet_max_c: np.ndarray
    rack_exhaust_c: np.ndarray
    gpu_temp_c: np.ndarray
    gpu_coolant_c: np.ndarray
    gpu_throttled: np.ndarray
    air_unit_supply_c: np.ndarray
    air_unit_return_c: np.ndarray
    air_unit_load_w: np.ndarray
    air_unit_capacity_w: np.ndarray
    air_unit_at_capacity: np.ndarray
    cdu_load_w: np.ndarray
    cdu_supply_c: np.ndarray
    cdu_return_c: np.ndarray
    supply_mean_c: float
    return_mean_c: float
    heat_in_w: float
    heat_out_w: float
    mass_error: float
    overloaded: bool
    seconds: float
    metrics: dict = field(default_factory=dict)
    #: heat the air took up over a transient step (negative: released), W; 0 when steady
    heat_stored_w: float = 0.0
    #: pass as ``warm_start`` to re-solve the hall after a small edit (steady solves only)
    warm: WarmStart | None = None
    #: the cell the momentum was marched on (``ThermalModel.flow_cell_m``; 0: not known)
    flow_cell_m: float = 0.0
    #: how far the racks' mean inlets moved over the march's last chunk (K; None: not known,
    #: see ``results.march_change``); from ``UNSETTLED_K`` up, the air had not settled
    march_change_k: float | None = None

    @property
    def energy_error(self) -> float:
        """|heat in - heat out - heat stored| / heat in (against 1 W for a hall without heat):
        the solver's error only; in a transient step the heat the air stores or releases is
        ``heat_stored_w``, not an error."""
        return abs(self.heat_in_w - self.heat_out_w - self.heat_stored_w) / max(self.heat_in_w, 1.0)

    @property
    def origin_m(self) -> np.ndarray:
        """Hall-local corner of cell (0, 0, 0); add ``grid.site_origin_m`` for site coords."""
        return self.grid.origin_m

    @property
    def cell_m(self) -> float:
        return self.grid.cell_m

    @cached_property
    def velocity(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell-centred (u, v, w) in m/s, each (nx, ny, nz); zero inside solids."""
        return self.flow.cell_velocity()

    @property
    def rack_ashrae(self) -> np.ndarray:
        """Per rack: 0 A1 recommended, 1 allowable, 2 outside (by its maximum inlet)."""
        return metrics.ashrae_a1(self.rack_inlet_max_c)


class ThermalModel:
    """One hall's airflow and heat. Geometry and fan states fix the flow (recomputed only by
    ``set_failed``); ``solve`` and ``step`` take any rack powers without re-solving the flow."""

    @single_blas_thread()
    def __init__(
        self,
        facility: Facility,
        hall: int = 0,
        cell_m: float = DEFAULT_CELL_M,
        failed: Iterable[str] = (),
        flow_iterations: int = FLOW_ITERATIONS,
        buoyancy: bool = True,
        rack_airflow_m3s: np.ndarray | None = None,
        flow_cell_m: float | None = None,
        unit_flow_scale: np.ndarray | None = None,
        rack_flow_scale: np.ndarray | None = None,
        warm_start: ThermalResult | WarmStart | None = None,
        params: PhysicsParams | None = None,
    ):
        """``warm_start``: a previous steady result (or its ``warm``) of this hall before a
        small edit (racks moved, turned, added): both heat solves (the coarse one that drives
        buoyancy and the fine one) start from its temperatures; the flow is marched as cold
        (see ``WarmStart``), so the answer is a cold solve's to solver tolerance. Ignored when
        the grids differ or the air moved changed (``WarmStart.fits``). ``params``: the
        model's free parameters (by default the layout's ``physics:`` block, else defaults).
        ``rack_flow_scale``: per rack (facility order), its server fans' speed as a share of
        its airflow (``rack_airflow_m3s`` or rated; NaN or None: that airflow)."""
        t0 = time.perf_counter()
        self.params = PhysicsParams.of(facility.layout) if params is None else params
        self.facility = facility
        self.hall = hall
        self.cell_m = cell_m
        self.flow_iterations = flow_iterations
        self.buoyancy = buoyancy
        self.rack_airflow = rack_airflow_m3s
        self.unit_flow_scale = unit_flow_scale
        self.rack_flow_scale = rack_flow_scale
        self.failed = tuple(failed)
        #: momentum is marched on a grid of this cell size (>= cell_m), then prolonged and
        #: projected on the fine grid: see airflow's docstring for why
        self.flow_cell_m = max(cell_m, FLOW_CELL_M if flow_cell_m is None else flow_cell_m)
        if isinstance(warm_start, ThermalResult):
            warm_start = warm_start.warm
        # with a coarse march and nothing to check a warm start against, the fine grid is
        # built on the second core with its pressure hierarchy (see _solve_flow)
        coarse_march = self.flow_cell_m > cell_m * 1.001
        self.grid: Grid | None = None if coarse_march and warm_start is None else self._grid(cell_m)
        fits = warm_start is not None and warm_start.fits(hall, cell_m, self.flow_cell_m, self.grid)
        self._warm: WarmStart | None = warm_start if fits else None
        self.warm_started = self._warm is not None
        self.coarse_flow: Flow | None = None
        self.flow_model: FlowModel | None = None  # built by _solve_flow
        self.state: HeatState | None = None
        self.gpu_temp_c: np.ndarray | None = None
        #: airflow fields solved so far (this one, and one per fan change): what following
        #: telemetry costs beyond its heat steps
        self.flow_solves = 0
        self._warm_air = None if self._warm is None else self._warm.air_c
        #: the temperatures that drove the march's buoyancy, and their cell (``start_air``)
        self._march_air: tuple[np.ndarray, float] | None = None
        self._march_inlets: np.ndarray | None = None  # see ``results.march_change``
        self._solve_flow()
        self.setup_seconds = time.perf_counter() - t0

    # ---------------------------------------------------------------- flow
    def _grid(self, cell_m: float) -> Grid:
        return build_grid(
            self.facility, self.hall, cell_m, self.failed, self.rack_flows(), self.unit_flow_scale
        )

    def rack_flows(self) -> np.ndarray | None:
        """The racks' airflow the field is solved with (facility order; None: rated)."""
        scale = self.rack_flow_scale
        if scale is None:
            return self.rack_airflow
        base = self.facility.rack_airflow_m3s if self.rack_airflow is None else self.rack_airflow
        base = np.asarray(base, float)
        return np.where(np.isfinite(scale), base * scale, base)

    def _solve_flow(self) -> None:
        fac = self.facility
        self.flow_solves += 1
        self._march_inlets = None
        self._march_heat = None  # (heat model, its flow) of a march that settled
        if self.flow_cell_m > self.cell_m * 1.001:
            pending = None
            if self.flow_model is None:
                # the fine grid (when not built yet) and its pressure hierarchy (geometry
                # only) are set up on the second core while this one builds the coarse grid
                # and marches the momentum
                pool = ThreadPoolExecutor(1)
                pending = pool.submit(self._fine_flow_model)
            try:
                coarse = self._grid(self.flow_cell_m)
                cfm = getattr(self, "_coarse_fm", None)
                if cfm is None:
                    cfm = self._coarse_fm = FlowModel(coarse, self.params.eddy_viscosity_scale)
                else:  # same geometry, new fans: keep the coarse AMG hierarchy too
                    cfm.use_grid(coarse)
                # its last projection is the fine grid's: a coarse one first changes nothing
                cflow = self._march(cfm, tol=1e-4, final_projection=False)
            finally:
                if pending is not None:
                    self.flow_model = pending.result()
                    self.grid = self.flow_model.grid
                    pool.shutdown()
            if self.flow_model is None:
                self.flow_model = FlowModel(self.grid, self.params.eddy_viscosity_scale)
            self.coarse_flow = cflow
            u, v, w = carry_panel_flow(coarse, cflow, self.grid, prolong(coarse, cflow, self.grid))
            self.flow = self.flow_model.from_velocity(u, v, w, keep_panels=True)
            self.flow.iterations = cflow.iterations
        else:
            if self.flow_model is None:
                self.flow_model = FlowModel(self.grid, self.params.eddy_viscosity_scale)
            self.flow = self._march(self.flow_model)
        heat, flow = self._march_heat or (None, None)
        if flow is not self.flow:
            heat = HeatModel(fac, self.grid, self.flow, self.params.turbulent_prandtl)
        self.heat, self._march_heat = heat, None
        self.state = None
        self._warm = None  # a fan change afterwards marches cold

    def _fine_flow_model(self) -> FlowModel:
        grid = self.grid if self.grid is not None else self._grid(self.cell_m)
        return FlowModel(grid, self.params.eddy_viscosity_scale)

    def _march(self, fm: FlowModel, tol: float = 1e-7, final_projection: bool = True) -> Flow:
        """Momentum iterations on fm's grid; with buoyancy, a heat solve then more iterations
        under the Boussinesq force of that temperature field. ``tol``: the last projection's
        (a coarse field is projected again on the fine grid, so it can be loose);
        ``final_projection=False``: the last march's mean is left unprojected (see
        ``FlowModel.solve``)."""
        buoyant = self.buoyancy and self.flow_iterations > 0 and supplies_air(fm.grid)
        # the heat solve that drives buoyancy needs a divergence-free field
        flow = fm.solve(
            iterations=self.flow_iterations,
            tol=max(tol, BUOYANCY_PROJECTION_TOL) if buoyant else tol,
            final_projection=final_projection or buoyant,
        )
        if buoyant:
            flow = self._buoyant_march(fm, flow, tol, final_projection)
        return flow

    def _buoyant_march(self, fm: FlowModel, flow: Flow, tol: float, final_projection: bool):
        """``buoyant_march.march`` after the march without buoyancy, its first heat solve
        started from a warm start's temperatures (fewer iterations, the same answer); keeps
        what the steady solve starts from."""
        start = None
        if self._warm is not None:
            start = _resample(self._warm.air_c, self._warm.cell_m, fm.grid)
        steps = max(self.flow_iterations // 3, 1)
        pr_t = self.params.turbulent_prandtl
        end = buoyant_march.march(
            self.facility, fm, flow, steps, pr_t, start, tol, final_projection
        )
        if end is None:
            return flow
        self._march_air = (end.air_c, fm.grid.cell_m)
        if fm.grid.cell_m == self.cell_m:  # not a coarse march: the same racks' fronts
            self._march_inlets = end.inlets
        if end.settled is not None:
            self._march_heat = (end.settled, end.flow)
        return end.flow

    @single_blas_thread()
    def set_failed(
        self,
        failed: Iterable[str],
        unit_flow_scale: np.ndarray | None = None,
        rack_flow_scale: np.ndarray | None = None,
    ) -> None:
        """Change the fan states (failed air units, fan speeds per unit and per rack as
        ``__init__`` takes them; None: rated): new port flows and
        a new field; the pressure AMG hierarchies depend on geometry only and are kept. The
        air temperatures are kept too, so ``step`` shows the transient that follows (a CRAH
        trip warming the hall); ``solve`` gives the new steady state."""
        self.failed = tuple(failed)
        self.unit_flow_scale = unit_flow_scale
        self.rack_flow_scale = rack_flow_scale
        grid = self._grid(self.cell_m)
        self.grid = grid
        self.flow_model.use_grid(grid)
        keep = self.state
        self._solve_flow()
        if keep is not None:  # same cells: a replay carries on warming from where it was
            dT = self.heat.rack_dt(self.facility.air_heat_w())
            self.state = HeatState(keep.t_cells, self.heat.sources(keep.t_cells, dT))

    def set_set_points(self, facility: Facility) -> None:
        """Take ``facility``, which differs from this model's only in the air units' and CDUs'
        supply set points: the flow and the heat operator are kept (a set point enters the heat
        solve only as the units' supply temperature; with every unit of the hall moved alike
        the air shifts alike and buoyancy, which acts on differences from the hall mean, does
        not change), so the next ``solve`` is one heat solve from the current temperatures."""
        if facility.n_racks != self.facility.n_racks or len(facility.air_unit_ids) != len(
            self.facility.air_unit_ids
        ):
            raise ValueError("set_set_points takes the same layout with other set points")
        self.facility = facility
        self.heat.facility = facility
        self.heat.set_c = facility.air_unit_supply_c[self.grid.unit_ids]

    # ---------------------------------------------------------------- heat
    @single_blas_thread()
    def solve(
        self, rack_power_w: np.ndarray | None = None, gpu_power_w: np.ndarray | None = None
    ) -> ThermalResult:
        """Steady state for the given rack powers (nominal by default)."""
        t0 = time.perf_counter()
        fac = self.facility
        p = fac.rack_power_w if rack_power_w is None else np.asarray(rack_power_w, float)
        self._check(p, fac.n_racks, "rack_power_w")
        air_w = fac.air_heat_w(p)
        x0 = self.state
        start = start_air(self._warm_air, self._march_air, self.grid) if x0 is None else None
        if start is not None:
            x0 = x0_from(self.heat, start, air_w)
        self._warm_air = self._march_air = None

        # 1e-6: temperatures within ~4e-4 K of a 1e-7 solve and an energy error ~1e-6, for two
        # BiCGSTAB iterations fewer
        state, at_cap, over = self.heat.solve(air_w, x0=x0, tol=HEAT_TOL)
        self.state = state
        res = self._result(state, p, gpu_power_w, at_cap, over, None, time.perf_counter() - t0)
        res.march_change_k = results.march_change(self, res, air_w, self._march_inlets)
        self.gpu_temp_c = res.gpu_temp_c.copy()
        res.warm = WarmStart(
            self.hall,
            self.cell_m,
            self.flow_cell_m,
            self.grid.shape,
            self.coarse_flow,
            self.flow,
            res.air_c,
            float(self.grid.ports.q[self.grid.ports.q > 0].sum()),
        )
        return res

    @single_blas_thread()
    def step(
        self,
        dt: float,
        rack_power_w: np.ndarray | None = None,
        gpu_power_w: np.ndarray | None = None,
    ) -> ThermalResult:
        """Advance air and GPU temperatures by ``dt`` seconds (stable sub-steps of the heat
        operator; GPU inertia exact). Starts from the nominal steady state on first use."""
        t0 = time.perf_counter()
        if not dt > 0:
            raise ValueError(f"dt must be positive, got {dt}")
        fac = self.facility
        p = fac.rack_power_w if rack_power_w is None else np.asarray(rack_power_w, float)
        self._check(p, fac.n_racks, "rack_power_w")
        if self.state is None:
            self.solve(p, gpu_power_w)
        air_w = fac.air_heat_w(p)
        t_before = self.state.t_cells
        t, out_w = self.heat.step_balanced(t_before, air_w, dt)
        s = self.heat.sources(t, self.heat.rack_dt(air_w))
        self.state = HeatState(t, s)
        Ah = len(self.grid.unit_ids)
        sup = s[len(self.grid.rack_ids) : len(self.grid.rack_ids) + Ah]
        at_cap = sup > self.heat.set_c + 1e-9
        res = self._result(self.state, p, gpu_power_w, at_cap, False, dt, time.perf_counter() - t0)
        res.heat_out_w = out_w  # over the step, as the stored heat is
        res.heat_stored_w = self.heat.stored_w(t_before, t, dt)
        return res

    @single_blas_thread()
    def follow(
        self,
        dt: float,
        rack_power_w: np.ndarray | None = None,
        gpu_power_w: np.ndarray | None = None,
    ) -> ThermalResult:
        """One telemetry frame of ``dt`` seconds, by whichever costs less (``follow_implicit``):
        explicit sub-steps at the stability limit (``step``), or one implicit step (see
        ``HeatModel.step_implicit``), whose cost does not grow with the frame's length or the
        grid's fineness. Explicit where the hall has no steady state (no supply)."""
        if not dt > 0:
            raise ValueError(f"dt must be positive, got {dt}")
        p = self.facility.rack_power_w if rack_power_w is None else np.asarray(rack_power_w, float)
        self._check(p, self.facility.n_racks, "rack_power_w")
        if self.state is None and self.heat.has_supply:
            self.solve(p, gpu_power_w)
        elif self.heat.has_supply and self.heat._aug_key is None:
            # new fans kept the temperatures (set_failed): the steady matrix for the units
            # now at capacity, without jumping to the steady state
            Rh, Ah = len(self.grid.rack_ids), len(self.grid.unit_ids)
            sup = self.state.t_src[Rh : Rh + Ah]
            self.heat.use_active_set((sup > self.heat.set_c + 1e-9) & (self.heat.unit_flow > 0))
        if not self.follow_implicit(dt):
            return self.step(dt, p, gpu_power_w)
        t0 = time.perf_counter()
        t_before = self.state.t_cells
        state = self._implicit_frame(self.facility.air_heat_w(p), dt)
        self.state = state
        Rh, Ah = len(self.grid.rack_ids), len(self.grid.unit_ids)
        at_cap = state.t_src[Rh : Rh + Ah] > self.heat.set_c + 1e-9
        res = self._result(state, p, gpu_power_w, at_cap, False, dt, time.perf_counter() - t0)
        # backward Euler: the end-of-step outflow is the step's
        res.heat_stored_w = self.heat.stored_w(t_before, state.t_cells, dt)
        return res

    def _implicit_frame(self, air_w: np.ndarray, dt: float) -> HeatState:
        """One backward-Euler frame from ``self.state``, its units at capacity revisited as
        the steady solve does: a unit whose return warmed past what its capacity cools is
        put at capacity, one at capacity that now supplies below its set point goes back to
        it, and the frame is solved again. The set chosen when the fans changed used to be
        kept for good, so a transient could settle off the steady state it leads to (a CRAH
        held at capacity after the hall cooled supplied below its set point)."""
        heat = self.heat
        at_cap = heat.active_set()
        for n in range(ACTIVE_SET_PASSES):
            state = heat.step_implicit(self.state, air_w, dt, FOLLOW_TOL, FOLLOW_STEADY_TOL)
            new = heat.next_active_set(state, at_cap)
            if np.array_equal(new, at_cap) or n == ACTIVE_SET_PASSES - 1:
                break
            at_cap = new
            heat.use_active_set(at_cap)
        return state

    def follow_implicit(self, dt: float) -> bool:
        """Whether ``follow`` takes a frame of ``dt`` seconds in one implicit step: where the
        hall has a steady state and the step's estimated cost (its solver's iterations of
        multigrid-preconditioned BiCGSTAB) is below that of the explicit sub-steps. Both
        estimates count the nonzeros each reads (``frame_step``)."""
        heat = self.heat
        if not heat.has_supply or heat._aug_key is None:
            return False
        return heat.implicit_stepper().work() < explicit_work(heat, dt)

    @staticmethod
    def _check(a: np.ndarray, n: int, name: str) -> None:
        if a.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
        if not np.all(np.isfinite(a)) or (a < 0).any():
            raise ValueError(f"{name} must be finite and non-negative")

    # ---------------------------------------------------------------- results
    def _result(self, state, rack_power_w, gpu_power_w, at_cap, overloaded, dt, seconds):
        fac, grid, hm = self.facility, self.grid, self.heat
        air = np.full(grid.n_cells, np.nan)
        air[hm.cells] = state.t_cells
        rk = results.rack_values(self, state)
        cdu_load, cdu_sup, cdu_ret = devices.cdu_temps(fac, rack_power_w)
        coolant = results.coolant(self, state, rk["tin"], cdu_sup, rack_power_w)
        gtemp, thr = results.gpu_temps(self, coolant, rack_power_w, gpu_power_w, dt)
        sup, ret, load, capf = results.unit_values(self, state, at_cap)
        hall = results.hall_values(self, state, rack_power_w, rk)
        return ThermalResult(
            grid=grid,
            flow=self.flow,
            air_c=air.reshape(grid.shape),
            rack_power_w=np.asarray(rack_power_w, float),
            rack_airflow_m3s=rk["flow"],
            rack_inlet_mean_c=rk["inlet_mean"],
            rack_inlet_max_c=rk["inlet_max"],
            rack_exhaust_c=rk["exhaust"],
            gpu_temp_c=gtemp,
            gpu_coolant_c=coolant,
            gpu_throttled=thr,
            air_unit_supply_c=sup,
            air_unit_return_c=ret,
            air_unit_load_w=load,
            air_unit_capacity_w=fac.air_unit_capacity_w.copy(),
            air_unit_at_capacity=capf,
            cdu_load_w=cdu_load,
            cdu_supply_c=cdu_sup,
            cdu_return_c=cdu_ret,
            overloaded=overloaded,
            seconds=seconds,
            flow_cell_m=self.flow_cell_m,
            **hall,
        )


def solve_steady(
    facility: Facility,
    hall: int = 0,
    cell_m: float = DEFAULT_CELL_M,
    failed: Iterable[str] = (),
    rack_power_w: np.ndarray | None = None,
    **options,
) -> ThermalResult:
    """Steady airflow and temperatures of one hall; ``seconds`` covers the whole solve.
    ``warm_start=previous_result`` (in ``options``) re-solves a slightly edited hall from the
    previous solution (see ``ThermalModel``)."""
    from twin.physics.plausible import check_result

    t0 = time.perf_counter()
    model = ThermalModel(facility, hall, cell_m, failed, **options)
    res = model.solve(rack_power_w)
    res.seconds = time.perf_counter() - t0
    check_result(res, facility.hall_ids[hall])
    return res


def start_air(
    warm_air: np.ndarray | None, march_air: tuple[np.ndarray, float] | None, grid: Grid
) -> np.ndarray | None:
    """Where a model's first steady heat solve starts on ``grid`` (None: from nothing): a
    warm start's temperatures, else those of the last heat solve that drove the march's
    buoyancy (``march_air``: the field and its cell). That flow is the one now solved but for
    its last chunk, so its temperatures are nearly the answer: a validation room's steady
    solve takes 2-3 BiCGSTAB iterations instead of 6 (the same answer to the solver's
    tolerance)."""
    if warm_air is not None:
        return warm_air
    if march_air is None:
        return None
    air, cell_m = march_air
    return air if air.shape == grid.shape else _resample(air, cell_m, grid)


def _resample(air_c: np.ndarray, cell_m: float, grid: Grid) -> np.ndarray:
    """Fine-grid temperatures (NaN in solids) sampled at ``grid``'s cell centres (trilinear,
    solids filled with the mean first), NaN in ``grid``'s solids."""
    from scipy.ndimage import map_coordinates

    filled = np.where(np.isfinite(air_c), air_c, np.nanmean(air_c))
    coords = np.meshgrid(
        *((np.arange(n) + 0.5) * grid.cell_m / cell_m - 0.5 for n in grid.shape), indexing="ij"
    )
    out = map_coordinates(filled, coords, order=1, mode="nearest", prefilter=False)
    return np.where(grid.fluid, out, np.nan)
