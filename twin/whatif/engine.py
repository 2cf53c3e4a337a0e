"""The what-if engine: fail devices from a starting state and follow the consequences.

Power first: racks whose A and B feeds both lose power go dark (no heat, no fans), devices
that take over the load may pass their rating. Then heat, in the chosen hall: the airflow is
re-solved with the failed air units stopped and the dark racks' fans off, and the air, the
CDU loops and every GPU are stepped from the pre-failure steady state with implicit BDF2
steps (``physics.transient``) and the GPU governor (``physics.ridethrough``). Throttling
GPUs draw less, so the racks' heat follows the governor step by step.

A CDU failure removes its heat rejection as ``devices.cdu_temps`` models an off unit: the
supply rises at once by load / (water flow x cp) and stays there. A real loop with no heat
rejection keeps warming at a rate its water mass sets (not in the catalog), so for
liquid-cooled GPUs this is optimistic; they ride through on their own inertia from that supply.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from twin.model.facility import Facility
from twin.physics import ThermalModel
from twin.physics.devices import cdu_temps
from twin.physics.heat import HeatState, ThermalError
from twin.physics.metrics import A1_ALLOWABLE_C, A1_RECOMMENDED_C
from twin.physics.plausible import AIR_C, check_result
from twin.physics.results import overload_note
from twin.physics.ridethrough import GpuGovernor, InletProbe
from twin.physics.transient import ImplicitStepper
from twin.physics.unit_loss import ramped_flow_scale
from twin.whatif.failures import Failures, power_outcome
from twin.whatif.result import WhatIfResult
from twin.whatif.start import StartState

#: The what-if grid: the momentum grid's cell, so the flow needs no finer projection.
WHATIF_CELL_M = 0.25
#: Air no data hall reaches (°C, ``plausible.AIR_C``): its equipment trips and its walls and
#: floor take up heat first, and the model has neither (its thermal mass is the air's, its
#: only trips the GPUs'). A transient stops at the step its air passes this: with every
#: cooling unit lost, the small test hall's air read 845 °C after 30 minutes.
AIR_LIMIT_C = AIR_C[1]


def whatif_cell_m(facility: Facility, hall: int) -> float:
    """The what-if's cell for a hall: ``WHATIF_CELL_M``, or coarser where the cell-size
    policy (``physics.cells``) coarsens the hall's view grid."""
    from twin.physics.cells import choose_cell_m

    return max(WHATIF_CELL_M, choose_cell_m(facility, hall))


@dataclass(frozen=True)
class WhatIfOptions:
    """How far and how finely to follow the transient."""

    duration_s: float = 1800.0
    dt_s: float = 10.0
    cell_m: float | None = None  # None: whatif_cell_m
    hall: int | None = None
    #: when an air unit of the followed hall is lost, its other running units go to their
    #: rated flow at once, as their controllers ramp them (``unit_loss``, the assumption of
    #: the N+1 design check and the optimiser); False: they keep their set flow (the
    #: pessimistic end, and the default)
    ramp: bool = False

    def cell_for(self, facility: Facility, hall: int) -> float:
        return self.cell_m if self.cell_m is not None else whatif_cell_m(facility, hall)


class Baseline:
    """One hall before any new failure: the steady state of the start loads with the units the
    start state reports off. Kept and reused by every what-if of that hall (a sweep solves it
    once per worker)."""

    def __init__(self, facility: Facility, start: StartState, hall: int, cell_m: float):
        self.facility, self.start, self.hall, self.cell_m = facility, start, hall, cell_m
        fac = facility
        self.off_units = tuple(u for u in start.off if u in fac.air_unit_index)
        self.model = ThermalModel(fac, hall, cell_m, failed=self.off_units)
        self.result = self.model.solve(start.rack_power_w, start.gpu_power_w)
        try:  # a start state of 100,000 C air is nothing to follow a failure from
            check_result(self.result, fac.hall_ids[hall])
        except ThermalError as exc:
            raise ThermalError(f"before the failure: {exc}") from None
        known = np.isfinite(start.gpu_temp_c)
        self.gpu_temp_c = np.where(known, start.gpu_temp_c, self.result.gpu_temp_c)


def choose_hall(facility: Facility, failures: Failures, rack_dark: np.ndarray) -> int:
    """The hall a what-if follows: that of the first failed air unit or CDU, else the hall
    with the most dark racks, else the first."""
    fac = facility
    if failures.air_units:
        return int(fac.air_unit_hall[fac.air_unit_index[failures.air_units[0]]])
    if failures.cdus:
        return int(fac.cdu_hall[fac.cdu_index[failures.cdus[0]]])
    if rack_dark.any():
        return int(np.argmax(np.bincount(fac.rack_hall[rack_dark], minlength=len(fac.hall_ids))))
    return 0


def whatif_hall(
    facility: Facility,
    fail: list[str] | tuple[str, ...],
    start: StartState | None = None,
    options: WhatIfOptions | None = None,
) -> int:
    """The hall ``run_whatif`` will follow for these failures (``options.hall`` if given)."""
    if options is not None and options.hall is not None:
        return options.hall
    start = start or StartState.nominal(facility)
    failures = Failures.parse(facility, list(fail))
    off_power = tuple(d for d in start.off if d in facility.power_index)
    power = power_outcome(facility, failures.power + off_power, start.rack_power_w)
    return choose_hall(facility, failures, power.rack_dark)


def run_whatif(
    facility: Facility,
    fail: list[str] | tuple[str, ...],
    start: StartState | None = None,
    options: WhatIfOptions | None = None,
    baseline: Baseline | None = None,
) -> WhatIfResult:
    """Fail the devices ``fail`` from ``start`` (nominal by default) and follow them for
    ``options.duration_s``. Pass a ``baseline`` of the same hall, start and cell to skip its
    steady solve."""
    t0 = time.perf_counter()
    fac = facility
    opts = options or WhatIfOptions()
    if not opts.duration_s > 0 or not opts.dt_s > 0:
        raise ValueError("duration and time step must be positive")
    start = start or StartState.nominal(fac)
    failures = Failures.parse(fac, list(fail))
    off_power = tuple(d for d in start.off if d in fac.power_index)
    power = power_outcome(fac, failures.power + off_power, start.rack_power_w)
    hall = opts.hall if opts.hall is not None else choose_hall(fac, failures, power.rack_dark)
    cell = opts.cell_for(fac, hall)
    if baseline is None or (baseline.hall, baseline.cell_m) != (hall, cell):
        baseline = Baseline(fac, start, hall, cell)
    gpu_dark = power.rack_dark[fac.gpu_rack]
    res = WhatIfResult.empty(fac, failures.ids, start.label, hall, opts, power, gpu_dark)
    _mark_start(fac, baseline, gpu_dark, res)
    in_hall_units = [
        u for u in failures.air_units if fac.air_unit_hall[fac.air_unit_index[u]] == hall
    ]
    in_hall_cdus = [c for c in failures.cdus if fac.cdu_hall[fac.cdu_index[c]] == hall]
    dark_here = power.rack_dark & (fac.rack_hall == hall)
    # a start with units already off may itself be a transient under way (an overloaded hall
    # has no steady state): follow it too
    changing = baseline.result.overloaded or bool(baseline.off_units)
    if in_hall_units or in_hall_cdus or dark_here.any() or changing:
        _transient(fac, start, baseline, failures, power.rack_dark, opts, res)
    else:
        _unchanged(fac, baseline, gpu_dark, res)
    res.seconds = time.perf_counter() - t0
    return res


def _ramp(
    fac: Facility, hall: int, failed: tuple[str, ...], failures: Failures, ramp: bool
) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """The fan speeds a lost air unit of ``hall`` leaves its other running units at (None:
    as set, no ramp applies) and the units whose flow that raises (none where every other
    unit already runs at its rating)."""
    lost = [u for u in failures.air_units if fac.air_unit_hall[fac.air_unit_index[u]] == hall]
    if not ramp or not lost:
        return None, ()
    scale = ramped_flow_scale(fac, hall)
    stopped = set(failed)
    raised = [u for i, u in enumerate(fac.air_unit_ids) if scale[i] > 1.0 and u not in stopped]
    return scale, tuple(raised)


def _mark_start(fac: Facility, baseline: Baseline, gpu_dark: np.ndarray, res: WhatIfResult) -> None:
    """What was past its limit before the failure, in the start state (GPUs at slowdown or
    shutdown, racks whose hottest inlet is past A1 allowable): the result counts it apart."""
    b = baseline.result
    gpus = np.flatnonzero((fac.gpu_hall == baseline.hall) & ~gpu_dark)
    t = baseline.gpu_temp_c[gpus]
    res.gpu_slow_at_start[gpus] = (t >= fac.gpu_slowdown_c[gpus] - 1e-6) | b.gpu_throttled[gpus]
    res.gpu_shut_at_start[gpus] = t >= fac.gpu_shutdown_c[gpus]
    racks = b.grid.rack_ids
    with np.errstate(invalid="ignore"):
        res.rack_outside_at_start[racks] = b.rack_inlet_max_c[racks] > A1_ALLOWABLE_C[1]
    res.start_overload_note = overload_note(fac, b)


def _unchanged(fac: Facility, baseline: Baseline, gpu_dark: np.ndarray, res: WhatIfResult) -> None:
    """Nothing in the hall's cooling or racks changed: the start state holds (GPUs already at
    slowdown count from time 0)."""
    b = baseline.result
    racks = b.grid.rack_ids
    gpus = np.flatnonzero((fac.gpu_hall == baseline.hall) & ~gpu_dark)
    at_slow = baseline.gpu_temp_c[gpus] >= fac.gpu_slowdown_c[gpus] - 1e-6
    at_shut = baseline.gpu_temp_c[gpus] >= fac.gpu_shutdown_c[gpus]
    res.gpu_slowdown_s[gpus] = np.where(at_slow | b.gpu_throttled[gpus], 0.0, np.inf)
    res.gpu_shutdown_s[gpus] = np.where(at_shut, 0.0, np.inf)
    res.gpu_peak_c[gpus] = baseline.gpu_temp_c[gpus]
    mx = b.rack_inlet_max_c[racks]
    res.rack_recommended_s[racks] = np.where(mx > A1_RECOMMENDED_C[1], 0.0, np.inf)
    res.rack_allowable_s[racks] = np.where(mx > A1_ALLOWABLE_C[1], 0.0, np.inf)
    res.rack_peak_inlet_c[racks] = mx
    res.set_series(
        np.array([0.0, res.duration_s]),
        np.stack([mx, mx]),
        np.array([int((at_slow & ~at_shut).sum())] * 2),  # at shutdown: off, not throttling
        np.array([int(at_shut.sum())] * 2),
        np.stack([b.air_unit_load_w[b.grid.unit_ids]] * 2),
    )


class _FailedHall:
    """The hall with the failures applied: its airflow re-solved with the failed units stopped
    and the dark racks' fans off, the GPUs it follows with their governor, and where each
    GPU's coolant comes from (the air at its inlet, or its CDU's supply)."""

    def __init__(
        self,
        fac: Facility,
        start: StartState,
        baseline: Baseline,
        failures: Failures,
        rack_dark: np.ndarray,
        dt_s: float,
        ramp: bool = False,
    ) -> None:
        self.fac = fac
        airflow = np.where(rack_dark, 0.0, fac.rack_airflow_m3s)
        failed_units = baseline.off_units + failures.air_units
        scale, self.ramped_units = _ramp(fac, baseline.hall, failed_units, failures, ramp)
        self.ramp_applied = scale is not None
        model = ThermalModel(
            fac,
            baseline.hall,
            baseline.cell_m,
            failed=failed_units,
            rack_airflow_m3s=airflow,
            unit_flow_scale=scale,
        )
        self.hm = hm = model.heat
        t_cells = baseline.result.air_c.ravel()[hm.cells]
        t_cells = np.where(np.isfinite(t_cells), t_cells, np.nanmean(t_cells))
        self.rack_w = np.where(rack_dark, 0.0, start.rack_power_w)
        self.state = HeatState(
            t_cells, hm.sources(t_cells, hm.rack_dt(fac.air_heat_w(self.rack_w)))
        )
        self.stepper = ImplicitStepper(hm, dt_s)
        self.probe = InletProbe(fac, hm)
        self.gpus = gpus = self.probe.gpus
        self.live = ~rack_dark[fac.gpu_rack[gpus]]
        self.demand = np.where(self.live, start.gpu_power_w[gpus], 0.0)
        self.gov = GpuGovernor.for_gpus(fac, gpus, baseline.gpu_temp_c[gpus])
        self.gov.off |= ~self.live
        self.cdu_on = fac.cdu_on.copy()
        for c in failures.cdus:
            self.cdu_on[fac.cdu_index[c]] = False
        self.g_rack = fac.gpu_rack[gpus]
        self.g_cdu = fac.rack_cdu[self.g_rack]
        self.liquid = fac.gpu_liquid[gpus] & (self.g_cdu >= 0)

    def step(self, drawn: np.ndarray, dt_s: float):
        """One time step, the racks' heat following what their GPUs drew: (hottest inlet per
        rack, what the GPUs draw now, their slowdown and shutdown times within the step)."""
        fac = self.fac
        cut = np.bincount(self.g_rack, self.demand - drawn, minlength=fac.n_racks)
        now_w = np.maximum(self.rack_w - cut, 0.0)
        self.state, _ = self.stepper.step(self.state, fac.air_heat_w(now_w))
        mean, mx = self.probe.rack_inlets_c(self.state.t_cells)
        coolant = self.probe.gpu_air_c(self.state.t_cells, mean)
        if self.liquid.any():
            _, sup, _ = cdu_temps(fac, now_w, self.cdu_on)
            coolant = np.where(self.liquid, sup[np.maximum(self.g_cdu, 0)], coolant)
        drawn, t_slow, t_shut = self.gov.step(coolant, self.demand, dt_s)
        return mx, drawn, t_slow, t_shut

    def unit_load_w(self) -> np.ndarray:
        """Heat each air unit of the hall removes now."""
        hm, state = self.hm, self.state
        ret = hm.W_ret @ state.t_cells
        return hm.rho_cp * hm.unit_flow * (ret - state.t_src[len(hm.grid.rack_ids) : hm.plenum])

    def throttling(self) -> int:
        gov = self.gov
        return int((~gov.off & (gov.temp_c >= gov.slowdown_c - 1e-6)).sum())


def _transient(
    fac: Facility,
    start: StartState,
    baseline: Baseline,
    failures: Failures,
    rack_dark: np.ndarray,
    opts: WhatIfOptions,
    res: WhatIfResult,
) -> None:
    """Step the hall from the baseline with the failures applied, filling ``res``. Loops over
    time steps only; each step is vectorised over cells, racks and GPUs."""
    hall = _FailedHall(fac, start, baseline, failures, rack_dark, opts.dt_s, opts.ramp)
    res.ramped_units, res.ramp_applied = hall.ramped_units, hall.ramp_applied
    gov, live = hall.gov, hall.live
    n_steps = int(np.ceil(opts.duration_s / opts.dt_s - 1e-9))
    racks = hall.hm.grid.rack_ids
    times = np.arange(n_steps + 1) * opts.dt_s
    inlet_series = np.empty((n_steps + 1, len(racks)))
    throttling = np.zeros(n_steps + 1, dtype=np.int64)
    shut = np.zeros(n_steps + 1, dtype=np.int64)
    unit_load = np.zeros((n_steps + 1, len(hall.hm.grid.unit_ids)))
    _, inlet_series[0] = hall.probe.rack_inlets_c(hall.state.t_cells)
    unit_load[0] = baseline.result.air_unit_load_w[hall.hm.grid.unit_ids]
    slow_at = np.where(live & (gov.temp_c >= gov.slowdown_c - 1e-6), 0.0, np.inf)
    shut_at = np.full(len(hall.gpus), np.inf)
    at_shut = live & (gov.temp_c >= gov.shutdown_c)  # switched off in the first step, at 0 s
    throttling[0] = int(((slow_at == 0) & ~at_shut).sum())
    shut[0] = int(at_shut.sum())
    drawn = hall.demand.copy()
    for k in range(1, n_steps + 1):
        mx, drawn, t_slow, t_shut = hall.step(drawn, opts.dt_s)
        t_prev = times[k - 1]
        slow_at = np.where(np.isinf(slow_at) & np.isfinite(t_slow), t_prev + t_slow, slow_at)
        shut_at = np.where(np.isinf(shut_at) & np.isfinite(t_shut), t_prev + t_shut, shut_at)
        inlet_series[k] = mx
        throttling[k] = hall.throttling()
        shut[k] = int((gov.off & live).sum())
        unit_load[k] = hall.unit_load_w()
        if hall.state.t_cells.max() > AIR_LIMIT_C:
            res.air_past_limit_s = float(times[k])
            times, inlet_series, throttling, shut, unit_load = (
                a[: k + 1] for a in (times, inlet_series, throttling, shut, unit_load)
            )
            break
    _gpu_results(res, hall, slow_at, shut_at)
    res.rack_recommended_s[racks] = _first_above(times, inlet_series, A1_RECOMMENDED_C[1])
    res.rack_allowable_s[racks] = _first_above(times, inlet_series, A1_ALLOWABLE_C[1])
    with np.errstate(invalid="ignore"):
        peak = np.max(np.where(np.isnan(inlet_series), -np.inf, inlet_series), axis=0)
    res.rack_peak_inlet_c[racks] = np.where(np.isfinite(peak), peak, np.nan)
    res.set_series(times, inlet_series, throttling, shut, unit_load)
    res.thermal_run = True


def _gpu_results(
    res: WhatIfResult, hall: _FailedHall, slow_at: np.ndarray, shut_at: np.ndarray
) -> None:
    """Each followed GPU's slowdown and shutdown times (NaN for GPUs in dark racks), its final
    and peak temperatures."""
    gpus, live, gov = hall.gpus, hall.live, hall.gov
    res.gpu_slowdown_s[gpus] = np.where(live, slow_at, np.nan)
    res.gpu_shutdown_s[gpus] = np.where(live, shut_at, np.nan)
    res.gpu_final_c[gpus] = gov.temp_c
    res.gpu_peak_c[gpus] = gov.peak_c


def _first_above(times: np.ndarray, series: np.ndarray, limit: float) -> np.ndarray:
    """Per column, the first time the series passes ``limit`` (linear between samples; 0 if
    above from the start, inf if never, NaN for an all-NaN column)."""
    above = series > limit
    first = np.argmax(above, axis=0)
    ever = above.any(axis=0)
    cols = np.arange(series.shape[1])
    k = np.maximum(first, 1)
    y0, y1 = series[k - 1, cols], series[k, cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip((limit - y0) / (y1 - y0), 0.0, 1.0)
    t = times[k - 1] + frac * (times[k] - times[k - 1])
    t = np.where(first == 0, 0.0, t)
    out = np.where(ever, t, np.inf)
    return np.where(np.isnan(series).all(axis=0), np.nan, out)
