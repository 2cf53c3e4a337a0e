"""How warm can a hall run? The highest air-unit supply temperature, the lowest fan flow and
the highest CDU supply temperature that keep every limit, found with a handful of thermal
solves and then checked by solving the changed hall again.

The limits (``Limits``):

- normal operation: every rack's hottest inlet at or below ``inlet_max_c`` (ASHRAE A1
  recommended, 27 C), every GPU at least ``gpu_margin_k`` below its max operating
  temperature (catalog) and no air unit at its capacity (the design check's errors);
- the declared cooling failure (``cooling_redundancy`` N+1 or 2N: each running air unit of the
  hall failed in turn, the others' fans ramped to their rated flow, as a unit controller does
  on a failure: ``unit_loss``, the design check's failure cases): every inlet at or below
  ``failure_inlet_max_c`` (A1 allowable, 32 C), every GPU at least ``failure_gpu_margin_k``
  below max operating, and a steady state.

The search, per hall. With the airflow frozen, air temperatures move one for one with the
units' supply temperature (temperature is linear in its sources and inflows; buoyancy acts on
differences): so one solve at a fan speed gives the whole supply-temperature axis there, the
headroom being the smallest margin. The failure cases run at rated flow whatever the normal
fan speed, so one solve each gives their headroom once. The fan speed is then a 1-D search
over [lowest allowed speed, current] for the smallest facility power, each speed raising the
supply by its headroom: a quadratic model of the headroom against speed, refitted after each
solve, picks the next speed to solve (a few solves, each one flow solve; see ``_best_speed``). The chosen set points
are rounded down (0.1 K, 0.01 of rated flow) and checked: the normal case solved afresh on the
changed layout, the failure cases re-solved at the new set points; any overshoot is taken
off the supply and checked again. A hall with no headroom keeps its set points.

CDUs feed their GPUs directly: a CDU's headroom is the smallest
``max operating - margin - GPU temperature`` among its GPUs, capped at ``cdu_supply_max_c``
(ASHRAE liquid-cooling class W45: facility water up to 45 C).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from twin.model.facility import Facility
from twin.physics.cells import VIEW_MAX_CELLS, choose_cell_m
from twin.physics.energy import EnergyBreakdown, EnergyModel
from twin.physics.heat import ThermalError
from twin.physics.metrics import A1_ALLOWABLE_C, A1_RECOMMENDED_C
from twin.physics.model import ThermalModel, ThermalResult
from twin.physics.plausible import impossible
from twin.physics.unit_loss import ramped_flow_scale


@dataclass(frozen=True)
class Limits:
    inlet_max_c: float = A1_RECOMMENDED_C[1]
    gpu_margin_k: float = 5.0
    failure_inlet_max_c: float = A1_ALLOWABLE_C[1]
    failure_gpu_margin_k: float = 0.0
    cdu_supply_max_c: float = 45.0
    supply_step_c: float = 0.1
    flow_step: float = 0.01  # of the current flow
    speed_solves: int = 4  # flow solves the fan-speed search may spend per hall
    #: headroom the check keeps (K): a re-solve from other starting temperatures lands within
    #: the heat solver's tolerance (~1e-4 K) of the check's answer
    check_margin_k: float = 0.01
    #: a failure case re-solved on its kept airflow with less headroom than this is solved
    #: afresh (see ``SetPointOptimiser._check``)
    fresh_below_k: float = 1.0


@dataclass
class Margin:
    """Headroom of one solved case (K): how much warmer its air supply could be."""

    case: str
    inlet_k: float
    gpu_k: float  # air-cooled GPUs
    liquid_k: float = math.inf  # liquid-cooled GPUs (their CDU's supply sets them)
    #: why the case fails whatever its supply (no steady state; in normal operation, an air
    #: unit at its capacity, which the design check calls an error); "" when it does not
    refused: str = ""

    @property
    def k(self) -> float:
        return -math.inf if self.refused else min(self.inlet_k, self.gpu_k)

    @property
    def binding(self) -> str:
        if self.refused:
            return f"{self.case}: {self.refused}"
        return f"{self.case}: {'rack inlet' if self.inlet_k <= self.gpu_k else 'GPU temperature'}"


@dataclass
class HallSetPoints:
    """The result for one hall (facility index order within ``air_units`` and ``cdus``)."""

    hall: str
    air_units: list[str]
    supply_before_c: np.ndarray
    supply_after_c: np.ndarray
    flow_before_m3s: np.ndarray
    flow_after_m3s: np.ndarray
    cdus: list[str]
    cdu_supply_before_c: np.ndarray
    cdu_supply_after_c: np.ndarray
    racks: list[str]
    inlet_before_c: np.ndarray  # each rack's hottest inlet
    inlet_after_c: np.ndarray
    gpu_max_before_c: float
    gpu_max_after_c: float
    binding: str
    checks: list[Margin] = field(default_factory=list)  # the final check, every case
    solves: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            np.any(self.supply_after_c != self.supply_before_c)
            or np.any(self.flow_after_m3s != self.flow_before_m3s)
            or np.any(self.cdu_supply_after_c != self.cdu_supply_before_c)
        )


@dataclass
class Optimisation:
    halls: list[HallSetPoints]
    before: EnergyBreakdown
    after: EnergyBreakdown
    facility_after: Facility
    solves: int
    seconds: float

    @property
    def saved_w(self) -> float:
        return self.before.total_w - self.after.total_w

    def changes(self) -> list[tuple[str, str, dict[str, float]]]:
        """``(collection, id, {field: value})`` for every unit whose set points moved, as the
        layout stores them (kW-free: C and m3/s)."""
        out = []
        for h in self.halls:
            for i, uid in enumerate(h.air_units):
                vals = {}
                if h.supply_after_c[i] != h.supply_before_c[i]:
                    vals["supply_c"] = float(h.supply_after_c[i])
                if h.flow_after_m3s[i] != h.flow_before_m3s[i]:
                    vals["airflow_m3s"] = float(h.flow_after_m3s[i])
                if vals:
                    out.append(("air_units", uid, vals))
            for i, cid in enumerate(h.cdus):
                if h.cdu_supply_after_c[i] != h.cdu_supply_before_c[i]:
                    out.append(("cdus", cid, {"supply_c": float(h.cdu_supply_after_c[i])}))
        return out


def with_set_points(
    facility: Facility,
    air_supply_c: dict[str, float] | None = None,
    air_flow_m3s: dict[str, float] | None = None,
    cdu_supply_c: dict[str, float] | None = None,
) -> Facility:
    """A new facility: the same layout with some units' set points changed."""
    layout = facility.layout.model_copy(deep=True)
    for u in layout.cooling.air_units:
        if air_supply_c and u.id in air_supply_c:
            u.supply_c = float(air_supply_c[u.id])
        if air_flow_m3s and u.id in air_flow_m3s:
            u.airflow_m3s = float(air_flow_m3s[u.id])
    for c in layout.cooling.cdus:
        if cdu_supply_c and c.id in cdu_supply_c:
            c.supply_c = float(cdu_supply_c[c.id])
    return Facility(layout, facility.catalog, facility.path)


class SetPointOptimiser:
    """Searches every hall (or the ones asked for) of one facility; see the module docstring.
    ``progress(text)`` hears about each solve."""

    def __init__(
        self,
        facility: Facility,
        cell_m: float = 0.25,
        limits: Limits | None = None,
        progress: Callable[[str], None] | None = None,
    ):
        self.facility = facility
        self.cell_m = cell_m
        self.limits = limits or Limits()
        self.energy = EnergyModel(facility)
        self.progress = progress or (lambda text: None)
        self.solves = 0

    # ---------------------------------------------------------------- cases
    def cell_for(self, hall: int) -> float:
        """The asked cell, coarsened (by the one cell-size policy) where the hall would not
        solve in seconds at it."""
        return max(self.cell_m, choose_cell_m(self.facility, hall, VIEW_MAX_CELLS))

    def _solve(self, model: ThermalModel, what: str) -> ThermalResult:
        self.solves += 1
        self.progress(what)
        return model.solve()

    def _margin(
        self, res: ThermalResult, fac: Facility, hall: int, case: str, failure: bool
    ) -> Margin:
        lim = self.limits
        inlet_max = lim.failure_inlet_max_c if failure else lim.inlet_max_c
        gpu_margin = lim.failure_gpu_margin_k if failure else lim.gpu_margin_k
        racks = np.flatnonzero(fac.rack_hall == hall)
        inlets = res.rack_inlet_max_c[racks]
        inlets = inlets[np.isfinite(inlets)]
        inlet_k = inlet_max - float(inlets.max()) if len(inlets) else math.inf
        g = np.flatnonzero((fac.gpu_hall == hall) & ~_liquid_gpus(fac))
        head = fac.gpu_max_operating_c[g] - gpu_margin - res.gpu_temp_c[g]
        head = head[np.isfinite(head)]
        gpu_k = float(head.min()) if len(head) else math.inf
        g = np.flatnonzero((fac.gpu_hall == hall) & _liquid_gpus(fac))
        head = fac.gpu_max_operating_c[g] - gpu_margin - res.gpu_temp_c[g]
        head = head[np.isfinite(head)]
        liquid_k = float(head.min()) if len(head) else math.inf
        return Margin(case, inlet_k, gpu_k, liquid_k, _refused(res, fac, failure))

    def _flow_scale(self, units: np.ndarray, speed: float) -> np.ndarray:
        scale = np.ones(len(self.facility.air_unit_ids))
        scale[units] = speed
        return scale

    def _failure_models(
        self, hall: int, units: np.ndarray
    ) -> list[tuple[str, ThermalModel, Margin]]:
        """Each running unit of the hall failed in turn, the others ramped to their rated flow
        (``unit_loss``: the design check's failure cases)."""
        fac = self.facility
        if fac.layout.cooling_redundancy == "N" or len(units) < 2:
            return []
        scale = ramped_flow_scale(fac, hall)
        out = []
        for u in units:
            uid = fac.air_unit_ids[u]
            model = ThermalModel(fac, hall, self.cell_for(hall), [uid], unit_flow_scale=scale)
            res = self._solve(model, f"{fac.hall_ids[hall]}: {uid} failed")
            out.append((uid, model, self._margin(res, fac, hall, f"{uid} failed", True)))
        return out

    # ---------------------------------------------------------------- search
    def run(self, halls: Iterable[int] | None = None) -> Optimisation:
        t0 = time.perf_counter()
        fac = self.facility
        chosen = range(len(fac.hall_ids)) if halls is None else list(halls)
        results = [self._hall_or_as_is(h) for h in chosen]
        air_supply, air_flow, cdu_supply = {}, {}, {}
        for r in results:
            air_supply.update(zip(r.air_units, r.supply_after_c.tolist(), strict=True))
            air_flow.update(zip(r.air_units, r.flow_after_m3s.tolist(), strict=True))
            cdu_supply.update(zip(r.cdus, r.cdu_supply_after_c.tolist(), strict=True))
        after_fac = with_set_points(fac, air_supply, air_flow, cdu_supply)
        return Optimisation(
            halls=results,
            before=self.energy.breakdown(),
            after=EnergyModel(after_fac).breakdown(),
            facility_after=after_fac,
            solves=self.solves,
            seconds=time.perf_counter() - t0,
        )

    def _hall_or_as_is(self, hall: int) -> HallSetPoints:
        """``_hall``, or the hall as it is where nothing can be solved for it: no racks (no
        inlet to keep within limits), or no air supply (no steady state to search from)."""
        fac, start = self.facility, self.solves
        why = "" if np.any(fac.rack_hall == hall) else "nothing to keep within limits: no racks"
        if not why:
            try:
                return self._hall(hall)
            except ThermalError as exc:
                why = f"nothing solved: {exc}"
        units = np.flatnonzero((fac.air_unit_hall == hall) & fac.air_unit_on)
        racks = np.flatnonzero(fac.rack_hall == hall)
        cdus = np.flatnonzero(fac.cdu_hall == hall)
        nan = np.full(len(racks), np.nan)
        return HallSetPoints(
            hall=fac.hall_ids[hall],
            air_units=[fac.air_unit_ids[u] for u in units],
            supply_before_c=fac.air_unit_supply_c[units].copy(),
            supply_after_c=fac.air_unit_supply_c[units].copy(),
            flow_before_m3s=fac.air_unit_airflow_m3s[units].copy(),
            flow_after_m3s=fac.air_unit_airflow_m3s[units].copy(),
            cdus=[fac.cdu_ids[c] for c in cdus],
            cdu_supply_before_c=fac.cdu_supply_c[cdus].copy(),
            cdu_supply_after_c=fac.cdu_supply_c[cdus].copy(),
            racks=[fac.rack_ids[r] for r in racks],
            inlet_before_c=nan,
            inlet_after_c=nan.copy(),
            gpu_max_before_c=math.nan,
            gpu_max_after_c=math.nan,
            binding=why,
            solves=self.solves - start,  # the one tried, where it failed
        )

    def _hall(self, hall: int) -> HallSetPoints:
        fac = self.facility
        start = self.solves
        units = np.flatnonzero((fac.air_unit_hall == hall) & fac.air_unit_on)
        racks = np.flatnonzero(fac.rack_hall == hall)
        cdus = np.flatnonzero(fac.cdu_hall == hall)
        model = ThermalModel(fac, hall, self.cell_for(hall))
        base = self._solve(model, f"{fac.hall_ids[hall]}: as is")
        cdu_after = self._cdu_supply(base, cdus)
        supply = fac.air_unit_supply_c[units].copy()
        flow = fac.air_unit_airflow_m3s[units].copy()
        base_inlet_c, base_gpu_c = _figures(base)
        inlet_after, gpu_after, binding, checks = base_inlet_c[racks], base, "", []
        if len(units) and len(racks):
            normal = self._margin(base, fac, hall, "normal", False)
            failures = self._failure_models(hall, units)
            worst = min([normal] + [m for _, _, m in failures], key=lambda m: m.k)
            if worst.k < self.limits.supply_step_c + self.limits.check_margin_k:
                binding = f"no headroom ({worst.binding})"
            else:
                speed, rise, binding = self._best_speed(model, hall, units, normal, failures)
                supply = _floor(supply + rise, self.limits.supply_step_c)
                flow = np.round(flow * speed, 2)
                supply = np.maximum(supply, fac.air_unit_supply_c[units])
                checked = self._check(hall, units, supply, flow, cdu_after, failures)
                if checked is None:
                    supply = fac.air_unit_supply_c[units].copy()
                    flow = fac.air_unit_airflow_m3s[units].copy()
                    binding = f"no headroom (the check failed at fans {speed:.0%})"
                else:
                    res, checks, supply, cdu_after = checked
                    inlet_after, gpu_after = res.rack_inlet_max_c[racks], res
                    if not np.any(supply > fac.air_unit_supply_c[units]) and speed >= 1.0:
                        binding = f"no headroom ({binding})"
        if not checks and np.any(cdu_after != fac.cdu_supply_c[cdus]):
            gpu_after, checks, cdu_after = self._check_cdus(model, hall, cdus, cdu_after)
        return HallSetPoints(
            hall=fac.hall_ids[hall],
            air_units=[fac.air_unit_ids[u] for u in units],
            supply_before_c=fac.air_unit_supply_c[units].copy(),
            supply_after_c=supply,
            flow_before_m3s=fac.air_unit_airflow_m3s[units].copy(),
            flow_after_m3s=flow,
            cdus=[fac.cdu_ids[c] for c in cdus],
            cdu_supply_before_c=fac.cdu_supply_c[cdus].copy(),
            cdu_supply_after_c=cdu_after,
            racks=[fac.rack_ids[r] for r in racks],
            inlet_before_c=base_inlet_c[racks].copy(),
            inlet_after_c=np.asarray(inlet_after).copy(),
            gpu_max_before_c=_hall_max(base_gpu_c, fac.gpu_hall == hall),
            gpu_max_after_c=_hall_max(_figures(gpu_after)[1], fac.gpu_hall == hall),
            binding=binding,
            checks=checks,
            solves=self.solves - start,
        )

    def _best_speed(
        self,
        model: ThermalModel,
        hall: int,
        units: np.ndarray,
        normal: Margin,
        failures: list[tuple[str, ThermalModel, Margin]],
    ) -> tuple[float, float, str]:
        """(fan speed as a fraction of the current flow, supply rise K, what binds) with the
        smallest facility power. The normal case's headroom is solved at the current speed,
        the lowest allowed one and half-way, then modelled as a quadratic in the speed; the
        speed that model says is best is solved next (and the model refitted), up to
        ``Limits.speed_solves`` solves. Only solved speeds are ever returned."""
        fac, lim = self.facility, self.limits
        fail_worst = min((m for _, _, m in failures), key=lambda m: m.k, default=None)
        lo = self._lowest_speed(hall, units)
        solved: dict[float, Margin] = {1.0: normal}

        def snap(speed: float) -> float:
            return float(min(round(speed / lim.flow_step) * lim.flow_step, 1.0))

        def solve_at(speed: float) -> None:
            model.set_failed([], unit_flow_scale=self._flow_scale(units, speed))
            res = self._solve(model, f"{fac.hall_ids[hall]}: fans at {speed:.0%}")
            solved[speed] = self._margin(res, fac, hall, f"normal, fans at {speed:.0%}", False)

        def score(speed: float, headroom_k: float, binding: str) -> tuple[float, float, str]:
            if fail_worst is not None and fail_worst.k < headroom_k:
                headroom_k, binding = fail_worst.k, fail_worst.binding
            headroom_k -= lim.check_margin_k
            if headroom_k < 0:
                return math.inf, 0.0, binding
            rise = float(_floor(headroom_k, lim.supply_step_c))
            return self._power(units, speed, rise), rise, binding

        grid = np.unique([snap(s) for s in np.arange(lo, 1.0 + 1e-9, lim.flow_step)])
        for speed in (snap(lo), snap((lo + 1.0) / 2)):
            if speed not in solved and len(solved) < lim.speed_solves + 1:
                solve_at(speed)
        while len(grid) > 1 and len(solved) < lim.speed_solves + 1:
            xs = np.array(sorted(solved))
            ys = np.array([solved[x].k for x in xs])
            xs, ys = xs[np.isfinite(ys)], ys[np.isfinite(ys)]  # refused speeds: no headroom
            fit = np.polyfit(xs, ys, min(2, len(xs) - 1))
            predicted = np.polyval(fit, grid)
            best = min(grid, key=lambda s: score(s, predicted[np.searchsorted(grid, s)], "")[0])
            if best in solved:
                break
            solve_at(float(best))
        scored = {s: score(s, m.k, m.binding) for s, m in solved.items()}
        speed = min(scored, key=lambda s: (scored[s][0], -s))
        _, rise, binding = scored[speed]
        return speed, rise, binding

    def _lowest_speed(self, hall: int, units: np.ndarray) -> float:
        """Fans never below their minimum speed, and the hall's units never moving less air
        than its racks draw (below that the cold aisle runs dry and the racks recirculate their
        own exhaust: no set point is worth it)."""
        fac = self.facility
        flow = fac.air_unit_airflow_m3s[units]
        floor_unit = float(
            np.max(
                self.energy.air_unit_min_flow[units] * self.energy.air_unit_rated_m3s[units] / flow
            )
        )
        racks = fac.rack_hall == hall
        floor_racks = float(fac.rack_airflow_m3s[racks].sum() / flow.sum())
        return min(max(floor_unit, floor_racks, 0.0), 1.0)

    def _power(self, units: np.ndarray, speed: float, rise: float) -> float:
        cond = self.energy.nominal()
        cond.air_unit_flow_m3s[units] *= speed
        cond.air_unit_supply_c[units] += rise
        return self.energy.breakdown(cond).total_w

    # ---------------------------------------------------------------- check
    def _check(
        self,
        hall: int,
        units: np.ndarray,
        supply: np.ndarray,
        flow: np.ndarray,
        cdu_supply: np.ndarray,
        failures: list[tuple[str, ThermalModel, Margin]],
    ) -> tuple[ThermalResult, list[Margin], np.ndarray, np.ndarray] | None:
        """Check the changed hall as an independent solve would: the normal case solved
        afresh on the changed layout; each failure case re-solved at the new set points on its
        kept airflow, and afresh (straight away when the headroom it had less the supply rise
        predicts it) when that leaves less than ``Limits.fresh_below_k`` (the
        marched airflow moves a little with the set points: buoyancy's expansion coefficient
        is 1/T, and the march stops short of a fully developed field). Any overshoot is taken
        off the supply and the check repeated (at most three times). None when even the old
        supply temperatures fail at the new fan speed."""
        fac, lim = self.facility, self.limits
        ids = [fac.air_unit_ids[u] for u in units]
        cdus = [fac.cdu_ids[c] for c in np.flatnonzero(fac.cdu_hall == hall)]
        for _ in range(3):
            after = with_set_points(
                fac,
                dict(zip(ids, supply.tolist(), strict=True)),
                dict(zip(ids, flow.tolist(), strict=True)),
                dict(zip(cdus, cdu_supply.tolist(), strict=True)),
            )
            res = self._solve(
                ThermalModel(after, hall, self.cell_for(hall)), f"{fac.hall_ids[hall]}: check"
            )
            checks = [self._margin(res, after, hall, "normal", False)]
            scale = ramped_flow_scale(after, hall)
            rise = float(np.max(supply - fac.air_unit_supply_c[units]))
            checks += [self._check_failure(hall, after, f, rise, scale) for f in failures]
            worst = min(checks, key=lambda m: m.k)
            liquid = min(m.liquid_k for m in checks)
            slack = lim.check_margin_k
            if worst.k >= slack and liquid >= slack:
                return res, checks, supply, cdu_supply
            if worst.k < slack:
                supply = np.maximum(
                    _floor(supply + worst.k - slack - lim.supply_step_c, lim.supply_step_c),
                    fac.air_unit_supply_c[units],
                )
            if liquid < slack:
                cdu_supply = np.maximum(
                    _floor(cdu_supply + liquid - slack - lim.supply_step_c, lim.supply_step_c),
                    fac.cdu_supply_c[np.flatnonzero(fac.cdu_hall == hall)],
                )
        return None

    def _check_cdus(
        self, model: ThermalModel, hall: int, cdus: np.ndarray, cdu_after: np.ndarray
    ) -> tuple[ThermalResult, list[Margin], np.ndarray]:
        """Only the CDUs moved: check their GPUs on the unchanged airflow (a liquid GPU's
        temperature is its CDU's supply plus r_th P, whatever the air does)."""
        fac = self.facility
        ids = [fac.cdu_ids[c] for c in cdus]
        after = with_set_points(fac, cdu_supply_c=dict(zip(ids, cdu_after, strict=True)))
        model.set_set_points(after)
        res = self._solve(model, f"{fac.hall_ids[hall]}: check CDUs")
        checks = [self._margin(res, after, hall, "normal", False)]
        if checks[0].liquid_k < self.limits.check_margin_k:
            cdu_after = fac.cdu_supply_c[cdus].copy()
        return res, checks, cdu_after

    def _check_failure(
        self,
        hall: int,
        after: Facility,
        failure: tuple[str, ThermalModel, Margin],
        rise: float,
        scale: np.ndarray,
    ) -> Margin:
        """One failure case at the new set points: on its kept airflow where the headroom it
        had leaves room, afresh where that (or the re-solve) leaves under ``fresh_below_k``."""
        uid, model, m0 = failure
        what, case = f"{after.hall_ids[hall]}: check {uid} failed", f"{uid} failed"
        m = m0
        if m0.k - rise >= self.limits.fresh_below_k:
            model.set_set_points(after)
            m = self._margin(self._solve(model, what), after, hall, case, True)
        if m is m0 or m.k < self.limits.fresh_below_k:
            fresh = ThermalModel(after, hall, self.cell_for(hall), [uid], unit_flow_scale=scale)
            m = self._margin(self._solve(fresh, what), after, hall, case, True)
        return m

    def _cdu_supply(self, base: ThermalResult, cdus: np.ndarray) -> np.ndarray:
        """Each CDU's highest supply: its hottest GPU at max operating - margin, less the
        check's own margin (a liquid GPU's temperature is its supply plus r_th P, so a rise
        of the whole headroom leaves the check exactly 0 K and fails it)."""
        fac, lim = self.facility, self.limits
        out = fac.cdu_supply_c[cdus].copy()
        liquid = _liquid_gpus(fac)
        head = fac.gpu_max_operating_c - lim.gpu_margin_k - base.gpu_temp_c
        gcdu = np.where(liquid, fac.rack_cdu[fac.gpu_rack], -1)
        for k, c in enumerate(cdus):
            h = head[gcdu == c]
            h = h[np.isfinite(h)]
            if not len(h) or not fac.cdu_on[c]:
                continue
            rise = _floor(float(h.min()) - lim.check_margin_k, lim.supply_step_c)
            if rise > 0:
                out[k] = min(out[k] + rise, max(lim.cdu_supply_max_c, out[k]))
        return out


def _refused(res: ThermalResult, fac: Facility, failure: bool) -> str:
    """What fails a case whatever its supply temperature (see ``Margin.refused``)."""
    if res.overloaded:
        return "no steady state (the running air units cannot remove the heat)"
    why = impossible(res)
    if why:
        return f"no possible steady state ({why})"
    if failure:
        return ""  # a unit at capacity in a failure case: its warmer supply is in the inlets
    full = [fac.air_unit_ids[a] for a in np.flatnonzero(res.air_unit_at_capacity)]
    return f"{', '.join(full)} at capacity" if full else ""


def _liquid_gpus(fac: Facility) -> np.ndarray:
    return fac.gpu_liquid & (fac.rack_cdu[fac.gpu_rack] >= 0) if fac.n_gpus else np.zeros(0, bool)


def _floor(x, step: float):
    """Round down to ``step`` (with a hair of slack for values already on the grid)."""
    return np.round(np.floor(np.asarray(x, float) / step + 1e-6) * step, 9)


def _figures(res: ThermalResult) -> tuple[np.ndarray, np.ndarray]:
    """A result's rack inlets (hottest) and GPU temperatures, NaN where its solve has no
    possible figures (``plausible.impossible``): a report shows none rather than them."""
    if impossible(res):
        return np.full(res.rack_inlet_max_c.shape, np.nan), np.full(res.gpu_temp_c.shape, np.nan)
    return res.rack_inlet_max_c, res.gpu_temp_c


def _hall_max(values: np.ndarray, sel: np.ndarray) -> float:
    v = values[sel]
    v = v[np.isfinite(v)]
    return float(v.max()) if len(v) else math.nan


def as_edit(result: Optimisation):
    """One undoable layout edit that applies the new set points (None when nothing moved)."""
    from twin.model.edits import ChangeItem, Macro

    changes = [ChangeItem(coll, uid, **vals) for coll, uid, vals in result.changes()]
    return Macro("Apply optimised set points", changes) if changes else None
