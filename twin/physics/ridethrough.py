"""How long GPUs and racks ride through a loss of cooling: a GPU thermal governor stepped
with exact threshold-crossing times, and the inlet probes a transient reads every step.

The governor is what the GPU's firmware does: full power until the die reaches its slowdown
temperature, then the power that holds it there (never below idle, never above what the work
asks for); if even idle power cannot hold it (coolant + r_th * idle above slowdown) the die
keeps warming, and at the shutdown temperature the GPU switches off (power 0). Within a step
the coolant is constant, so the first-order model

    dT/dt = (T_target - T) / tau,   T_target = T_coolant + r_th * P

gives each crossing time in closed form: t = tau * ln((T_target - T0) / (T_target - T_limit)).

Unlike ``devices.gpu_step_c`` (which throttles as soon as the steady target would pass
slowdown, a stable choice for replays), the governor engages only when the die reaches the
limit, so "time to slowdown" is the moment throttling starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.model.facility import Facility
from twin.physics.heat import HeatModel

_EPS_K = 1e-9


def _crossing_s(t0: np.ndarray, target: np.ndarray, limit: np.ndarray, tau: np.ndarray):
    """Time for T (relaxing from t0 to target with time constant tau) to reach limit; inf
    where it never does."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (target > limit + _EPS_K) & (t0 < limit)
        t = tau * np.log((target - t0) / (target - limit))
    return np.where(ok, t, np.where(t0 >= limit, 0.0, np.inf))


def _relax(t0, target, tau, dt):
    return target + (t0 - target) * np.exp(-np.asarray(dt) / tau)


@dataclass
class GpuGovernor:
    """Per-GPU state of the governor for a set of GPUs (indices into the facility)."""

    tau_s: np.ndarray
    r_k_per_w: np.ndarray
    slowdown_c: np.ndarray
    shutdown_c: np.ndarray
    idle_w: np.ndarray
    temp_c: np.ndarray
    off: np.ndarray  # shut down by heat
    #: the hottest each die has been (°C), within steps too: a GPU shut down at 92 °C whose
    #: air then cools ends below 92, and its end temperature is not its peak
    peak_c: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        if self.peak_c is None:
            self.peak_c = np.asarray(self.temp_c, float).copy()

    @classmethod
    def for_gpus(cls, facility: Facility, gpus: np.ndarray, temp_c: np.ndarray) -> GpuGovernor:
        return cls(
            np.maximum(facility.gpu_tau_s[gpus], 1e-9),
            facility.gpu_r_th_k_per_w[gpus],
            facility.gpu_slowdown_c[gpus],
            facility.gpu_shutdown_c[gpus],
            facility.gpu_idle_w[gpus],
            np.asarray(temp_c, float).copy(),
            np.zeros(len(gpus), dtype=bool),
        )

    def hold_w(self, coolant_c: np.ndarray, demand_w: np.ndarray) -> np.ndarray:
        """Power a throttling GPU draws: what holds it at slowdown, within [idle, demand]."""
        hold = (self.slowdown_c - coolant_c) / np.maximum(self.r_k_per_w, 1e-12)
        return np.minimum(np.maximum(hold, self.idle_w), demand_w)

    def step(
        self, coolant_c: np.ndarray, demand_w: np.ndarray, dt: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance by ``dt`` s. Returns (power drawn at the end of the step, seconds into the
        step at which slowdown was reached (inf: not in this step), same for shutdown)."""
        t0 = self.temp_c
        r, tau = self.r_k_per_w, self.tau_s
        slow, shut = self.slowdown_c, self.shutdown_c
        demand = np.where(self.off, 0.0, demand_w)
        below = t0 < slow - _EPS_K
        # phase 1: full power until slowdown (GPUs below it)
        full_target = coolant_c + r * demand
        t_slow = np.where(below, _crossing_s(t0, full_target, slow, tau), np.inf)
        t_slow = np.where(self.off, np.inf, t_slow)
        reach = t_slow < dt
        t1 = np.where(below & ~reach, _relax(t0, full_target, tau, dt), t0)
        t1 = np.where(reach, slow, t1)
        # phase 2: governed, for the GPUs at slowdown now or from t_slow on
        gov = ~self.off & (~below | reach)
        rest = np.where(reach, dt - t_slow, dt)
        hold = self.hold_w(coolant_c, demand)
        gov_target = coolant_c + r * hold
        t_shut = np.where(gov, _crossing_s(t1, gov_target, shut, tau), np.inf)
        t_end = np.where(gov, _relax(t1, gov_target, tau, rest), t1)
        # a governed GPU whose demand no longer needs throttling falls back below slowdown
        # (target under the limit), which the relaxation above already gives
        dies = gov & (t_shut < rest)
        t_shut_abs = np.where(dies, np.where(reach, t_slow, 0.0) + t_shut, np.inf)
        # after shutdown: no power, the die relaxes to the coolant
        after = np.where(dies, rest - t_shut, 0.0)
        t_end = np.where(dies, _relax(shut, coolant_c, tau, after), t_end)
        off_now = self.off | dies
        t_end = np.where(self.off, _relax(t0, coolant_c, tau, dt), t_end)
        # each phase relaxes one way, so a step's hottest is at its start, its end or a
        # limit it reached on the way (slowdown, then shutdown)
        peak = np.maximum(self.peak_c, t_end)
        peak = np.where(reach, np.maximum(peak, slow), peak)
        self.peak_c = np.where(dies, np.maximum(peak, shut), peak)
        self.temp_c = t_end
        self.off = off_now
        power = np.where(off_now, 0.0, np.where(gov, hold, demand))
        return power, np.where(reach, t_slow, np.where(gov & ~below, 0.0, np.inf)), t_shut_abs


class InletProbe:
    """Rack inlets and the air at each GPU's height, read from one hall's air temperatures."""

    def __init__(self, facility: Facility, heat: HeatModel):
        self.heat = heat
        grid = heat.grid
        self.racks = grid.rack_ids  # facility indices of the hall's racks
        self.has_flow = heat.front_flow > 0
        self.gpus = np.flatnonzero(facility.gpu_hall == grid.hall)
        nz = grid.shape[2]
        self._n_keys = len(self.racks) * nz
        rl = heat.rack_local[facility.gpu_rack[self.gpus]]
        kg = (facility.gpu_position_m[self.gpus, 2] / grid.cell_m).astype(np.int64)
        self._gpu_rack_local = rl
        self._gpu_key = rl * nz + np.clip(kg, 0, nz - 1)
        self._den = np.bincount(heat._layer_key, heat._layer_q, minlength=self._n_keys)

    def rack_inlets_c(self, t_cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, max) inlet of each of the hall's racks (NaN for racks moving no air)."""
        hm = self.heat
        mean = hm.W_rack @ t_cells
        mx = np.full(len(self.racks), -np.inf)
        np.maximum.at(mx, hm._front_rack, t_cells[hm._front_cells])
        return np.where(self.has_flow, mean, np.nan), np.where(self.has_flow, mx, np.nan)

    def gpu_air_c(self, t_cells: np.ndarray, rack_mean_c: np.ndarray) -> np.ndarray:
        """Inlet air at each hall GPU's height (the rack's mean inlet where its layer draws
        nothing)."""
        hm = self.heat
        num = np.bincount(
            hm._layer_key, hm._layer_q * t_cells[hm._layer_cells], minlength=self._n_keys
        )
        den = self._den[self._gpu_key]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num[self._gpu_key] / den, rack_mean_c[self._gpu_rack_local])
