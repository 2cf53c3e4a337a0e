"""The parts of a ``ThermalResult`` from a solved or stepped heat state of a
``ThermalModel``: per rack, per GPU, per air unit, and the hall's means, balances and
cooling metrics. Functions of the model (its grid, heat operator and facility)."""

from __future__ import annotations

import numpy as np

from twin.physics import devices, metrics
from twin.physics.airflow import divergence


def rack_values(model, state) -> dict[str, np.ndarray]:
    """Per rack (facility order, NaN outside the hall): inlet mean and max, exhaust,
    airflow; ``tin`` is the hall's racks' flow-weighted inlet."""
    grid, hm = model.grid, model.heat
    racks = grid.rack_ids
    Rh = len(racks)
    nan_r = np.full(model.facility.n_racks, np.nan)
    inlet_mean = nan_r.copy()
    inlet_max = nan_r.copy()
    exhaust = nan_r.copy()
    flow_r = nan_r.copy()
    tin = hm.W_rack @ state.t_cells
    has = hm.front_flow > 0
    inlet_mean[racks] = np.where(has, tin, np.nan)
    mx = np.full(Rh, -np.inf)
    np.maximum.at(mx, hm._front_rack, state.t_cells[hm._front_cells])
    inlet_max[racks] = np.where(has, mx, np.nan)
    exhaust[racks] = np.where(has, state.t_src[:Rh], np.nan)
    flow_r[racks] = hm.front_flow
    return {
        "inlet_mean": inlet_mean,
        "inlet_max": inlet_max,
        "exhaust": exhaust,
        "flow": flow_r,
        "tin": tin,
    }


def air_shortfall_k(model, rack_power_w: np.ndarray) -> np.ndarray:
    """(Rh,) how much hotter than its nominal rise the air leaves each rack of the hall: the
    air its fans move falls short of what its heat needs (a failed or throttled fan reading,
    a blocked front, a load past nominal at a fixed flow), so the air inside reaches its GPUs
    that much warmer. The rack's whole extra rise, an upper bound for any one GPU. Infinite
    where a rack with air-side heat moves no air at all; 0 at or under its nominal rise (a
    rack's nominal rise, its nominal air-side heat over its rated flow, is what the GPUs'
    r_th is rated with: REFERENCE.md's 10-15 K; above about 14 K a rack is starved)."""
    fac, hm = model.facility, model.heat
    racks = model.grid.rack_ids
    air_w = fac.air_heat_w(rack_power_w)
    q = air_w[racks]
    rated = fac.rack_airflow_m3s[racks]
    with np.errstate(divide="ignore", invalid="ignore"):
        nominal = np.where(rated > 0, fac.air_heat_w()[racks] / (hm.rho_cp * rated), np.inf)
    rise = hm.rack_dt(air_w)  # the exhaust rise the heat solve uses (0 without flow)
    short = np.where(hm.rear_flow > 0, np.maximum(rise - nominal, 0.0), np.inf)
    return np.where(q > 0, short, 0.0)


def racks_without_air(facility, res) -> np.ndarray:
    """Racks (facility order) of ``res``'s hall that have heat for the air but move none (fans
    stopped or read at zero, or a front or rear that meets no air): the air model has nowhere
    to put their heat, and their GPUs read held at shutdown (``gpu_temps``)."""
    heat_w = facility.air_heat_w(res.rack_power_w)
    return np.flatnonzero((res.rack_airflow_m3s == 0) & (heat_w > 0))


def airless_note(facility, res, shown: int = 6) -> str | None:
    """What a report says of ``racks_without_air`` (None when there are none)."""
    idx = racks_without_air(facility, res)
    if not idx.size:
        return None
    heat_w = facility.air_heat_w(res.rack_power_w)[idx]
    names = ", ".join(
        f"{facility.rack_ids[i]} ({w / 1e3:.1f} kW)"
        for i, w in zip(idx[:shown], heat_w[:shown], strict=True)
    )
    if idx.size > shown:
        names += f" and {idx.size - shown} more"
    one = idx.size == 1
    whose = "its" if one else "their"
    return (
        f"{names} {'moves' if one else 'move'} no air (fans stopped, or a front or rear against "
        f"a wall): any GPUs in {'it' if one else 'them'} read at shutdown, and {whose} "
        f"{heat_w.sum() / 1e3:.1f} kW is not in the air's heat balance"
    )


def overload_note(facility, res) -> str | None:
    """What a report says of an overloaded hall (``ThermalResult.overloaded``; None when it is
    not): its figures hold every running unit at its set supply, which it cannot hold, so the
    hall runs hotter than shown and keeps warming."""
    if not res.overloaded:
        return None
    units = res.grid.unit_ids
    running = units[res.grid.unit_flow_m3s[units] > 0]
    cap_w = float(np.sum(res.air_unit_capacity_w[running]))
    return (
        f"no steady state: the racks send {res.heat_in_w / 1e3:,.1f} kW to the air and the "
        f"running air units ({', '.join(facility.air_unit_ids[a] for a in running)}) can remove "
        f"{cap_w / 1e3:,.1f} kW; the figures hold their set supply, which they cannot, so the "
        "hall runs hotter than shown and keeps warming"
    )


def coolant(
    model, state, tin: np.ndarray, cdu_sup: np.ndarray, rack_power_w: np.ndarray
) -> np.ndarray:
    """Each GPU's coolant: the inlet air at its height, warmer by its rack's air shortfall
    (``air_shortfall_k``; infinite in a rack that moves no air), or its CDU's supply when
    liquid."""
    fac, grid, hm = model.facility, model.grid, model.heat
    coolant = np.full(fac.n_gpus, np.nan)
    gsel = np.flatnonzero(fac.gpu_hall == grid.hall)
    if not len(gsel):
        return coolant
    Rh, nz = len(grid.rack_ids), grid.shape[2]
    num = np.bincount(
        hm._layer_key, hm._layer_q * state.t_cells[hm._layer_cells], minlength=Rh * nz
    )
    den = np.bincount(hm._layer_key, hm._layer_q, minlength=Rh * nz)
    rl = hm.rack_local[fac.gpu_rack[gsel]]
    kg = np.clip((fac.gpu_position_m[gsel, 2] / grid.cell_m).astype(np.int64), 0, nz - 1)
    key = rl * nz + kg
    with np.errstate(invalid="ignore", divide="ignore"):
        layer = np.where(den[key] > 0, num[key] / den[key], tin[rl])
    layer = layer + air_shortfall_k(model, rack_power_w)[rl]
    cdu = fac.rack_cdu[fac.gpu_rack[gsel]]
    liquid = fac.gpu_liquid[gsel] & (cdu >= 0)
    loop = cdu_sup[np.maximum(cdu, 0)] if len(cdu_sup) else np.full(len(cdu), np.nan)
    coolant[gsel] = np.where(liquid, loop, layer)
    return coolant


def gpu_temps(model, coolant, rack_power_w, gpu_power_w, dt):
    """GPU temperatures and throttling: steady, or stepped from the last ones by ``dt``."""
    fac = model.facility
    g_all = fac.n_gpus
    gpw = (
        devices.gpu_power_from_racks(fac, rack_power_w)
        if gpu_power_w is None
        else np.asarray(gpu_power_w, float)
    )
    if gpw.shape != (g_all,):
        raise ValueError(f"gpu_power_w must have shape ({g_all},), got {gpw.shape}")
    # no air through its rack: nothing cools it (at shutdown a GPU switches itself off)
    starved = np.isposinf(coolant)
    if dt is None or model.gpu_temp_c is None:
        gtemp, thr = devices.gpu_steady_c(fac, coolant, gpw)
        gtemp = np.where(starved, fac.gpu_shutdown_c, gtemp)
        thr = thr | starved
    else:
        gtemp, thr = devices.gpu_step_c(fac, model.gpu_temp_c, coolant, gpw, dt)
        if starved.any():
            warm, warm_thr = devices.gpu_uncooled_c(fac, model.gpu_temp_c, gpw, dt)
            gtemp, thr = np.where(starved, warm, gtemp), np.where(starved, warm_thr, thr)
    model.gpu_temp_c = gtemp.copy()
    return gtemp, thr


def unit_values(model, state, at_cap):
    """Per air unit (facility order): supply, return, load, at capacity."""
    grid, hm = model.grid, model.heat
    A = len(model.facility.air_unit_ids)
    units = grid.unit_ids
    Rh, Ah = len(grid.rack_ids), len(units)
    sup = np.full(A, np.nan)
    ret = np.full(A, np.nan)
    load = np.full(A, np.nan)
    capf = np.zeros(A, dtype=bool)
    run = hm.unit_flow > 0
    ret_h = hm.W_ret @ state.t_cells
    sup_h = state.t_src[Rh : Rh + Ah]
    sup[units] = sup_h
    ret[units] = np.where(run, ret_h, np.nan)
    load[units] = np.where(run, hm.rho_cp * hm.unit_flow * (ret_h - sup_h), 0.0)
    capf[units] = at_cap
    return sup, ret, load, capf


def hall_values(model, state, rack_power_w, rk: dict) -> dict:
    """Hall means, heat and mass balance, and the cooling metrics."""
    grid, hm, p = model.grid, model.heat, model.grid.ports
    tp = hm.port_temps(state.t_cells, state.t_src)
    outp, inp = hm.out_ports, hm.in_ports
    q_out, q_in = -p.q[outp], p.q[inp]
    ret_mean = float((q_out * tp[outp]).sum() / q_out.sum()) if q_out.sum() > 0 else np.nan
    sup_mean = float((q_in * tp[inp]).sum() / q_in.sum()) if q_in.sum() > 0 else np.nan
    air_w = model.facility.air_heat_w(rack_power_w)
    heat_in, heat_out = hm.balance(state.t_cells, state.t_src, air_w)
    div = np.abs(divergence(grid, model.flow.u, model.flow.v, model.flow.w))[grid.fluid]
    total = max(float(q_in.sum()), 1e-12)
    mass_err = max(float(div.sum() / total), abs(float(q_in.sum() - q_out.sum())) / total)
    sel = np.isfinite(rk["inlet_mean"])
    inlet_mean, inlet_max = rk["inlet_mean"][sel], rk["inlet_max"][sel]
    exhaust, flow_r = rk["exhaust"][sel], rk["flow"][sel]
    shi, rhi = metrics.shi_rhi(sup_mean, inlet_mean, exhaust, flow_r)
    met = {
        "rci_hi": metrics.rci_hi(inlet_max),
        "rci_lo": metrics.rci_lo(inlet_max),
        "rti": metrics.rti(ret_mean, sup_mean, inlet_mean, exhaust, flow_r),
        "shi": shi,
        "rhi": rhi,
    }
    return {
        "supply_mean_c": sup_mean,
        "return_mean_c": ret_mean,
        "heat_in_w": heat_in,
        "heat_out_w": heat_out,
        "mass_error": mass_err,
        "metrics": met,
    }


def march_change(model, res, air_w: np.ndarray, before: np.ndarray | None) -> float | None:
    """How far the racks' mean inlets moved over the march's last chunk (K, the largest):
    ``res``, a solve at heat ``air_w``, against ``before``, the rack inlets (grid rack order,
    NaN without front flow) of the heat solve that drove that chunk. None where the solve is
    at other than nominal heat (the two would differ by the load, not the march), or there
    is no ``before`` (no buoyant chunk, or a march on a coarser grid)."""
    if before is None or not np.array_equal(air_w, model.facility.air_heat_w()):
        return None
    change = np.abs(res.rack_inlet_mean_c[model.grid.rack_ids] - before)
    return float(np.nanmax(change)) if np.isfinite(change).any() else None
