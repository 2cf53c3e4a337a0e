"""GPU temperatures from their coolant (inlet air or liquid loop), power and thermal
resistance, with first-order thermal inertia and thermal throttling.

    T_target = T_coolant + r_th * P,          dT/dt = (T_target - T) / tau

r_th (K/W) and tau (s) come from the catalog's GPU type, as do the slowdown and shutdown
thresholds (H100: slowdown 89 C, shutdown 92 C; REFERENCE.md). Past slowdown the GPU cuts its
power to the level that holds it at slowdown (never below idle): that is what HW/SW thermal
slowdown does to the clocks, and it keeps the model stable.
"""

from __future__ import annotations

import numpy as np

from twin.model.facility import Facility

RHO_W = 997.0  # water, kg/m3
CP_W = 4180.0  # water, J/(kg K)


def gpu_power_from_racks(facility: Facility, rack_power_w: np.ndarray) -> np.ndarray:
    """(G,) GPU power when only rack powers are known: TDP scaled by each rack's load ratio."""
    nominal = np.maximum(facility.rack_power_w, 1e-9)
    ratio = np.asarray(rack_power_w, float) / nominal
    return facility.gpu_tdp_w * ratio[facility.gpu_rack]


#: Share of a rack's non-GPU power (CPUs, memory, NICs, fans) drawn at idle; the rest rises
#: with the GPUs' load, as the simulator draws it (``telemetry.simulator``).
OTHER_IDLE_SHARE = 0.4


def rack_power_from_readings(
    facility: Facility,
    rack_w: np.ndarray | None = None,
    gpu_w: np.ndarray | None = None,
    unread_w: float | None = None,
) -> np.ndarray:
    """(R,) each rack's power as a frame tells it: its own reading where it has one (live
    dcgm-exporter data has none); else, where some of its GPUs read, their power, those that
    did not taken at the load (power over TDP) of those that did, plus its other power at 40 %
    and 60 % x that load; else its nominal power (``unread_w`` instead, e.g. NaN, where given).
    What needs every rack's power from telemetry (the air's heat, the facility's energy, a
    what-if's start, a calibration's span) reads it here."""
    fac = facility
    p = fac.rack_power_w.astype(float) if unread_w is None else np.full(fac.n_racks, unread_w)
    n = fac.n_racks
    if gpu_w is not None and len(gpu_w) == fac.n_gpus:
        g = np.asarray(gpu_w, float)
        read = np.isfinite(g)
        read_w = np.bincount(fac.gpu_rack, np.where(read, g, 0.0), minlength=n)
        read_tdp = np.bincount(fac.gpu_rack, np.where(read, fac.gpu_tdp_w, 0.0), minlength=n)
        all_tdp = np.bincount(fac.gpu_rack, fac.gpu_tdp_w, minlength=n)
        seen = read_tdp > 0
        load = read_w / np.where(seen, read_tdp, 1.0)
        other = np.maximum(fac.rack_power_w - all_tdp, 0.0)
        share = OTHER_IDLE_SHARE + (1.0 - OTHER_IDLE_SHARE) * np.clip(load, 0.0, 1.0)
        p = np.where(seen, read_w + (all_tdp - read_tdp) * load + other * share, p)
    if rack_w is not None and len(rack_w) == n:
        r = np.asarray(rack_w, float)
        p = np.where(np.isfinite(r), r, p)
    return p


#: Frames spread over a recording whose rack powers ``rack_power_kinds`` looks at.
SAMPLED_FRAMES = 64


def rack_power_kinds(rec, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """The frame groups to read from recording ``rec`` for each rack's power: ``kinds`` with
    "gpu" added where some rack goes without a power reading of its own in 64 frames spread
    over it (live dcgm-exporter data), so that ``rack_power_from_readings`` has its GPUs';
    a simulated recording (102,848 GPUs a frame in the factory's) reads no GPU."""
    if "gpu" in kinds or "gpu" not in rec.metrics or not rec.n_frames:
        return kinds
    if "rack" in rec.metrics:
        step = max(1, rec.n_frames // SAMPLED_FRAMES)
        if np.isfinite(rec.metric_rows("rack", "power_w", step)[1]).all():
            return kinds
    return (*kinds, "gpu")


def throttled_power(
    facility: Facility, coolant_c: np.ndarray, power_w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(power actually drawn, throttled flag): a GPU that would pass slowdown is held there."""
    r = np.maximum(facility.gpu_r_th_k_per_w, 1e-12)
    hold = (facility.gpu_slowdown_c - coolant_c) / r
    p = np.minimum(power_w, np.maximum(hold, facility.gpu_idle_w))
    return p, p < power_w - 1e-9


def gpu_steady_c(
    facility: Facility, coolant_c: np.ndarray, power_w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(steady temperature, throttled flag) per GPU."""
    p, thr = throttled_power(facility, coolant_c, power_w)
    return coolant_c + facility.gpu_r_th_k_per_w * p, thr


def gpu_step_c(
    facility: Facility, temp_c: np.ndarray, coolant_c: np.ndarray, power_w: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray]:
    """(temperature after dt, throttled flag): exact first-order relaxation towards the target
    (stable for any dt), the target using the power a throttling GPU actually draws."""
    p, thr = throttled_power(facility, coolant_c, power_w)
    target = coolant_c + facility.gpu_r_th_k_per_w * p
    tau = np.maximum(facility.gpu_tau_s, 1e-9)
    a = 1.0 - np.exp(-dt / tau)
    return temp_c + (target - temp_c) * a, thr | (temp_c >= facility.gpu_slowdown_c)


def gpu_uncooled_c(
    facility: Facility, temp_c: np.ndarray, power_w: np.ndarray, dt: float
) -> tuple[np.ndarray, np.ndarray]:
    """(temperature after dt, throttled flag) of GPUs that nothing cools (their rack moves no
    air): their heat goes into their own heat capacity, tau / r_th (J/K), at their power until
    slowdown and at idle past it (throttling cannot hold them there), up to shutdown, where
    a GPU switches itself off."""
    capacity_j_k = np.maximum(facility.gpu_tau_s, 1e-9) / np.maximum(
        facility.gpu_r_th_k_per_w, 1e-12
    )
    hot = temp_c >= facility.gpu_slowdown_c
    p = np.where(hot, np.minimum(power_w, facility.gpu_idle_w), power_w)
    warmed = np.minimum(temp_c + p * dt / capacity_j_k, facility.gpu_shutdown_c)
    return warmed, warmed >= facility.gpu_slowdown_c


def cdu_temps(
    facility: Facility, rack_power_w: np.ndarray, on: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(load W, supply C, return C) of each CDU; ``on`` overrides the layout's states (a
    what-if failing CDUs).

    Return = supply + Q / (rho_w cp_w flow). A CDU holds its supply set point up to its
    capacity; past it (or when off) the unremoved heat warms the supply."""
    load = facility.cdu_load_w(rack_power_w)
    mcp = RHO_W * CP_W * facility.cdu_flow_lps * 1e-3
    cap = np.where(facility.cdu_on if on is None else on, facility.cdu_capacity_w, 0.0)
    supply = facility.cdu_supply_c + np.maximum(load - cap, 0.0) / np.maximum(mcp, 1e-9)
    return load, supply, supply + load / np.maximum(mcp, 1e-9)
