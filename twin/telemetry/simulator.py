"""The simulated hall, stepped in time: workload -> GPU power -> heat -> temperatures ->
throttling, with the scenario's failures and the events an operator would see.

``Simulator.step()`` returns the next ``Frame``; it runs as fast as numpy allows (no Python
loops over GPUs or racks) and is deterministic for a given seed. ``SimulatedSource`` paces it
in real time for the window; ``twin simulate`` runs it flat out into a recording.
"""

from __future__ import annotations

import time

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import (
    THROTTLE_GPU_IDLE,
    THROTTLE_HW_SLOWDOWN,
    THROTTLE_HW_THERMAL,
    THROTTLE_SLOWDOWN_MASK,
    THROTTLE_SW_POWER_CAP,
    THROTTLE_SW_THERMAL,
    Event,
    EventKind,
    Frame,
)
from twin.model.server_fans import rack_load_fraction
from twin.model.units import above_text
from twin.physics.metrics import A1_ALLOWABLE_C, A1_RECOMMENDED_C
from twin.telemetry.scenario_play import ScenarioPlayer
from twin.telemetry.scenarios import Scenario
from twin.telemetry.thermal import HeatBalance
from twin.telemetry.workload import Workload

BOOST_CLOCK_MHZ = 1980.0  # H100 SXM maximum SM clock
IDLE_CLOCK_MHZ = 345.0
#: ASHRAE A1 recommended and allowable maximum inlet temperatures (REFERENCE.md)
INLET_WARN_C = A1_RECOMMENDED_C[1]
INLET_CRIT_C = A1_ALLOWABLE_C[1]
CDU_RETURN_WARN_C = 45.0
#: Throttle reasons that raise events: heat and power brakes. Power capping alone (a GPU at
#: its power limit) is routine and shows in the bit mask, not in the event list.
THERMAL_MASK = THROTTLE_SLOWDOWN_MASK & ~THROTTLE_SW_POWER_CAP
#: Thermal governor: target this far below the slowdown temperature, clock factor change
#: per kelvin of error per second.
THROTTLE_MARGIN_K = 1.0
THROTTLE_GAIN_PER_KS = 0.01
#: Per-GPU events beyond this many in one step are reported per rack instead.
MAX_GPU_EVENTS = 64


class Simulator:
    """Steps a facility through a scenario; ``step()`` -> the next Frame. The scenario's
    failures and recoveries are played by ``ScenarioPlayer``."""

    def __init__(
        self,
        facility: Facility,
        scenario: Scenario | str = "normal",
        *,
        seed: int = 0,
        rate_hz: float = 1.0,
        start_s: float | None = None,
        physics: bool = False,
    ) -> None:
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self.facility = fac = facility
        self.scenario = scenario if isinstance(scenario, Scenario) else Scenario(scenario)
        self.dt_s = 1.0 / rate_hz
        self.start_s = float(int(time.time()) if start_s is None else start_s)
        self.rng = np.random.default_rng(seed)
        self.workload = Workload(fac, self.rng)
        self.heat = HeatBalance(fac, self.rng)
        self.t_rel = 0.0
        self.steps = 0
        n = fac.n_gpus
        self.gpu_temp_offset = (1.5 * self.rng.standard_normal(n)).astype(np.float32)
        self.gpu_temp_c = np.zeros(n, dtype=np.float32)
        self.thermal_factor = np.ones(n, dtype=np.float32)
        self.prev_throttle = np.zeros(n, dtype=bool)
        self.rack_alarm = np.zeros(fac.n_racks, dtype=np.int8)
        self.cdu_alarm = np.zeros(len(fac.cdu_ids), dtype=bool)
        self.rack_gpu_tdp_w = np.bincount(fac.gpu_rack, fac.gpu_tdp_w, minlength=fac.n_racks)
        self.rack_other_w = np.maximum(fac.rack_power_w - self.rack_gpu_tdp_w, 0.0)
        self.play = ScenarioPlayer(fac, self.scenario, self.heat)
        self._first = True
        #: air temperatures from twin.physics (built on the first step, off the caller's
        #: thread when a source runs us); None: the per-rack heat balance alone
        self.physics_wanted = physics
        self.physics = None
        self._air_limit_told = False  # the racks' air passed what any hall reaches
        #: the point sensors' readings: the physics' air at their positions (NaN without it:
        #: the heat balance knows no air between the racks)
        self.sensor_c = np.full(len(fac.sensor_ids), np.nan)

    # ------------------------------------------------------------------ stepping
    def step(self) -> Frame:
        """Advance one sample period and return the frame at the new time."""
        fac, dt = self.facility, self.dt_s
        t = self.start_s + self.t_rel
        events = self.play.events(t, self.t_rel, self._first)
        util, demand_w, job_events = self.workload.step(self.t_rel, t)
        events.extend(job_events)
        power, capped, f = self._gpu_power(demand_w, dt)
        rack_power = self._rack_power(power, util)
        load_frac = rack_load_fraction(fac.rack_power_w, rack_power)
        th = self.heat.step(dt, rack_power, load_frac)
        if self.physics_wanted:
            events.extend(self._physics_air(t, dt, rack_power, th))
        temp, mem = self._gpu_temperatures(th, power, dt)
        throttle, clock = self._throttle_and_clock(util, demand_w, capped, f, temp)
        # events with hysteresis: a GPU starts throttling when it loses 5 % of its clock (or
        # hits a hardware limit) and ends when it is back at full clock
        hard = (throttle & (THERMAL_MASK & ~(THROTTLE_SW_THERMAL | THROTTLE_HW_SLOWDOWN))) != 0
        now = np.where(self.prev_throttle, (f < 0.995) | hard, (f < 0.95) | hard)
        events.extend(self._throttle_events(t, now))
        events.extend(self._alarm_events(t, th))
        events.extend(self._air_limit_event(t, th))
        self._first = False
        gone = np.isnan(power)
        gpu = {
            "temp_c": np.where(gone, np.nan, temp).astype(np.float32),
            "mem_temp_c": np.where(gone, np.nan, mem).astype(np.float32),
            "power_w": power.astype(np.float32),
            "util_pct": np.where(gone, np.nan, np.rint(util * 100)).astype(np.float32),
            "sm_clock_mhz": np.where(gone, np.nan, np.rint(clock)).astype(np.float32),
            "throttle": np.where(gone, np.nan, throttle).astype(np.float32),
        }
        frame = self._frame(t, gpu, rack_power, th, events)
        self.t_rel += dt
        self.steps += 1
        return frame

    def _gpu_power(self, demand_w: np.ndarray, dt: float):
        """(power, capped, clock factor) per GPU: idle plus the governed share of the active
        demand, capped; NaN for GPUs in dark racks."""
        fac = self.facility
        idle = fac.gpu_idle_w.astype(np.float32)
        active = np.maximum(demand_w - idle, 0.0)
        self.thermal_factor = f = self._governor(active, dt)
        power = idle + active * f
        capped = power > self.play.gpu_cap_w
        power = np.minimum(power, self.play.gpu_cap_w)
        dark = self.play.rack_dark
        if dark is not None:
            power = np.where(dark[fac.gpu_rack], np.nan, power)
        return power, capped, f

    def _rack_power(self, power: np.ndarray, util: np.ndarray) -> np.ndarray:
        """Each rack's power: its GPUs plus the rest of its servers at their utilisation."""
        fac = self.facility
        rack_power = np.bincount(fac.gpu_rack, np.nan_to_num(power), minlength=fac.n_racks)
        gpus = np.maximum(fac.rack_gpu_count, 1)
        rack_util = np.bincount(fac.gpu_rack, util, minlength=fac.n_racks) / gpus
        no_gpu = fac.rack_gpu_count == 0
        rack_util = np.where(no_gpu, 0.75 + 0.05 * np.sin(self.t_rel / 600.0), rack_util)
        return rack_power + self.rack_other_w * np.where(no_gpu, rack_util, 0.4 + 0.6 * rack_util)

    def _gpu_temperatures(self, th, power: np.ndarray, dt: float):
        """(die, HBM) temperatures: coolant (liquid) or rack inlet (air) plus r_th * P, with
        first-order inertia and sensor noise."""
        fac = self.facility
        base = np.where(
            fac.gpu_liquid, th.rack_coolant_c[fac.gpu_rack], th.rack_inlet_c[fac.gpu_rack]
        )
        p = np.nan_to_num(power)
        target = base + fac.gpu_r_th_k_per_w * p + self.gpu_temp_offset
        if self._first:
            self.gpu_temp_c = target.astype(np.float32)
        else:
            a = 1.0 - np.exp(-dt / fac.gpu_tau_s)
            self.gpu_temp_c = (self.gpu_temp_c + (target - self.gpu_temp_c) * a).astype(np.float32)
        temp = self.gpu_temp_c + 0.15 * self.rng.standard_normal(fac.n_gpus, dtype=np.float32)
        return temp, temp + 2.0 + 0.006 * p

    def _throttle_and_clock(self, util, demand_w, capped, f, temp):
        """NVML throttle reason bits and SM clock per GPU."""
        fac = self.facility
        throttle = np.where(util <= 0.0, THROTTLE_GPU_IDLE, 0)
        throttle |= np.where(capped, THROTTLE_SW_POWER_CAP, 0)
        throttle |= np.where(f < 0.99, THROTTLE_SW_THERMAL | THROTTLE_HW_SLOWDOWN, 0)
        throttle |= np.where(temp >= fac.gpu_shutdown_c - 1.0, THROTTLE_HW_THERMAL, 0)
        cap_ratio = np.where(capped, self.play.gpu_cap_w / np.maximum(demand_w, 1.0), 1.0)
        clock = BOOST_CLOCK_MHZ * np.sqrt(f) * np.sqrt(np.minimum(cap_ratio, 1.0))
        return throttle, np.where(util > 0.0, clock, IDLE_CLOCK_MHZ)

    def _frame(self, t: float, gpu: dict, rack_power, th, events) -> Frame:
        fac = self.facility
        job = self.workload.jobs.ids[self.workload.gpu_job].astype(np.float32)
        job[self.workload.gpu_job == 0] = 0
        gpu = {**gpu, "xid": np.zeros(fac.n_gpus, dtype=np.float32), "job": job}
        return Frame(
            time_s=t,
            gpu=gpu,
            rack={
                "inlet_c": th.rack_inlet_c.astype(np.float32),
                "exhaust_c": th.rack_exhaust_c.astype(np.float32),
                "power_w": rack_power.astype(np.float32),
            },
            air_unit={
                "supply_c": th.air_unit_supply_c.astype(np.float32),
                "return_c": th.air_unit_return_c.astype(np.float32),
                "flow_m3s": th.air_unit_flow_m3s.astype(np.float32),
                "load_w": th.air_unit_load_w.astype(np.float32),
                "state": self.heat.air_unit_on.astype(np.float32),
            },
            cdu={
                "supply_c": th.cdu_supply_c.astype(np.float32),
                "return_c": th.cdu_return_c.astype(np.float32),
                "flow_lps": th.cdu_flow_lps.astype(np.float32),
                "load_w": th.cdu_load_w.astype(np.float32),
                "state": (self.heat.cdu_pump_frac > 0.5).astype(np.float32),
            },
            power={
                "load_w": fac.power_load_w(rack_power, self.play.failed_power).astype(np.float32),
                "state": fac.power_alive(self.play.failed_power).astype(np.float32),
            },
            sensor={"temp_c": self.sensor_c.astype(np.float32)},
            events=events,
        )

    def _governor(self, active_w: np.ndarray, dt: float) -> np.ndarray:
        """Clock factor per GPU (share of the power above idle that it may draw).

        An integral governor holds a hot GPU just under its slowdown temperature, so a GPU that
        cannot be cooled stays throttled at a steady clock instead of flapping, and recovers as
        it cools. At slowdown the hardware brake acts at once: the factor drops to the one
        whose steady temperature on the current coolant or inlet is just under slowdown
        (never below the 0.3 floor), so a fast-warming loop cannot carry a GPU on to shutdown.
        """
        fac = self.facility
        target_c = fac.gpu_slowdown_c - THROTTLE_MARGIN_K
        err = self.gpu_temp_c - target_c
        f = self.thermal_factor - THROTTLE_GAIN_PER_KS * err * dt
        prev = self.heat.state
        base = np.where(
            fac.gpu_liquid,
            prev.rack_coolant_c[fac.gpu_rack],
            prev.rack_inlet_c[fac.gpu_rack],
        )
        hold_w = (target_c - base - self.gpu_temp_offset) / fac.gpu_r_th_k_per_w
        hold = (hold_w - fac.gpu_idle_w) / np.maximum(active_w, 1.0)
        at_slowdown = self.gpu_temp_c >= fac.gpu_slowdown_c
        f = np.where(at_slowdown, np.minimum(f, np.minimum(hold, 0.97)), f)
        return np.clip(f, 0.3, 1.0).astype(np.float32)

    def _physics_air(self, t: float, dt: float, rack_power: np.ndarray, th) -> list[Event]:
        """Replace the heat balance's air temperatures by the physics' where it models them
        (a rack a scenario misplaces keeps the heat balance's value: the grid has it facing
        the right way)."""
        from twin.physics.fan_follow import measured_flow_scale, rack_flow_scale

        out: list[Event] = []
        fac = self.facility
        off = [fac.air_unit_ids[i] for i in np.flatnonzero(~self.heat.air_unit_on)]
        # the air moves as the fans this frame records do (the units' as stored, the racks'
        # following the power stored), as a replay of the recording re-solves it: at rated
        # fans the recording's temperatures and its fan speeds told two stories (the demo
        # hall's inlets 0.6 K RMS apart)
        fans = measured_flow_scale(fac, th.air_unit_flow_m3s.astype(np.float32))
        racks = rack_flow_scale(fac, rack_power.astype(np.float32))
        if self.physics is None:
            from twin.telemetry.physics_air import PhysicsAir

            try:
                self.physics = PhysicsAir(fac, flow_scale=fans, rack_scale=racks)
            except Exception as exc:  # physics missing or failing: keep the heat balance
                self.physics_wanted = False
                return [Event(t, EventKind.NOTE, "physics", f"airflow model unavailable: {exc}", 0)]
        self.physics.set_failed(off, fans, racks)
        air = self.physics.step(dt, rack_power)
        for problem in self.physics.take_problems():
            out.append(Event(t, EventKind.NOTE, "physics", f"heat balance for {problem}", 0))
        keep = self.heat.extra_recirc > 0
        for name in ("rack_inlet_c", "rack_exhaust_c"):
            v = air[name]
            setattr(th, name, np.where(np.isfinite(v) & ~keep, v, getattr(th, name)))
        on = self.heat.air_unit_on
        for name in ("air_unit_supply_c", "air_unit_return_c", "air_unit_load_w"):
            v = air[name]
            setattr(th, name, np.where(np.isfinite(v) & on, v, getattr(th, name)))
        self.sensor_c = air["sensor_temp_c"]
        return out

    # ------------------------------------------------------------------ events
    def _throttle_events(self, t: float, throttling: np.ndarray) -> list[Event]:
        fac = self.facility
        started = throttling & ~self.prev_throttle
        ended = ~throttling & self.prev_throttle
        self.prev_throttle = throttling
        out: list[Event] = []
        for mask, kind, verb, sev in (
            (started, EventKind.THROTTLE_START, "started", 1),
            (ended, EventKind.THROTTLE_END, "stopped", 0),
        ):
            idx = np.flatnonzero(mask)
            if len(idx) <= MAX_GPU_EVENTS:
                for g in idx:
                    label = fac.gpu_label(int(g))
                    msg = f"{label} {verb} throttling at {self.gpu_temp_c[g]:.1f} degC"
                    out.append(Event(t, kind, label, msg, sev))
            else:
                per_rack = np.bincount(fac.gpu_rack[idx], minlength=fac.n_racks)
                for r in np.flatnonzero(per_rack):
                    rid = fac.rack_ids[r]
                    out.append(
                        Event(t, kind, rid, f"{per_rack[r]} GPUs in {rid} {verb} throttling", sev)
                    )
        return out

    def _air_limit_event(self, t: float, th) -> list[Event]:
        """Once a run: a rack's inlet passed the air no data hall reaches
        (``plausible.AIR_C``). Neither air model holds past it (no walls taking up heat, no
        equipment but the GPUs tripping), so what is recorded after it is not physical; the
        what-if stops following there, a recording says so."""
        if self._air_limit_told:
            return []
        from twin.physics.plausible import AIR_C, AIR_LIMIT_WHY

        inlet = np.where(np.isfinite(th.rack_inlet_c), th.rack_inlet_c, -np.inf)
        r = int(np.argmax(inlet)) if inlet.size else -1
        if r < 0 or not inlet[r] > AIR_C[1]:
            return []
        self._air_limit_told = True
        rid = self.facility.rack_ids[r]
        msg = (
            f"{rid} inlet {inlet[r]:.1f} degC, past the {AIR_C[1]:.0f} degC no data hall reaches "
            f"{AIR_LIMIT_WHY}: the temperatures recorded from here on are not physical"
        )
        return [Event(t, EventKind.NOTE, rid, msg, 2)]

    def _alarm_events(self, t: float, th) -> list[Event]:
        fac = self.facility
        inlet = th.rack_inlet_c
        level = np.where(inlet >= INLET_CRIT_C, 2, np.where(inlet >= INLET_WARN_C, 1, 0))
        # hysteresis: an alarm clears only 0.5 K below its threshold
        keep = (self.rack_alarm > level) & (
            inlet >= np.where(self.rack_alarm == 2, INLET_CRIT_C, INLET_WARN_C) - 0.5
        )
        level = np.where(keep, self.rack_alarm, level).astype(np.int8)
        out: list[Event] = []
        for r in np.flatnonzero(level != self.rack_alarm):
            rid = fac.rack_ids[r]
            if level[r] > self.rack_alarm[r]:
                limit = INLET_CRIT_C if level[r] == 2 else INLET_WARN_C
                msg = f"{rid} inlet {above_text(inlet[r], limit)} degC above {limit:.0f} degC"
                out.append(Event(t, EventKind.ALARM, rid, msg, int(level[r])))
            elif level[r] == 0:
                out.append(
                    Event(
                        t,
                        EventKind.ALARM_CLEARED,
                        rid,
                        f"{rid} inlet back to {inlet[r]:.1f} degC",
                        0,
                    )
                )
        self.rack_alarm = level
        hot = th.cdu_return_c >= CDU_RETURN_WARN_C
        hot = np.where(self.cdu_alarm, th.cdu_return_c >= CDU_RETURN_WARN_C - 1.0, hot)
        for c in np.flatnonzero(hot != self.cdu_alarm):
            cid = fac.cdu_ids[c]
            if hot[c]:
                msg = (
                    f"{cid} return {above_text(th.cdu_return_c[c], CDU_RETURN_WARN_C)} degC above "
                    f"{CDU_RETURN_WARN_C:.0f} degC"
                )
                out.append(Event(t, EventKind.ALARM, cid, msg, 2))
            else:
                out.append(
                    Event(t, EventKind.ALARM_CLEARED, cid, f"{cid} return temperature normal", 0)
                )
        self.cdu_alarm = hot
        return out
