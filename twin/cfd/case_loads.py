"""What a Twin-written case was run with against what Twin solves the hall with now: the
racks' heat and airflow, the air supplied and its temperature.

``case_files`` refuses a case whose room has changed (racks, units or panels moved). A case
whose loads have changed still describes the room, but not the air Twin is solving: a rack
turned up from 25 to 50 kW since the run, or a set point moved, shows in every figure as
Twin's error. The comparison goes on, and says so."""

from __future__ import annotations

import numpy as np

from twin.physics.grid import RACK_REAR, SUPPLY, UNIT_OUT, Grid

#: a change smaller than this share, or than the report's last digit (0.01 kW or m3/s), is
#: the case's own rounding, not a change of load
REL_CHANGE = 0.005
LEAST_CHANGE = 0.01
SUPPLY_K = 0.05
#: racks named in a note (the rest counted)
NAMED = 3


def _racks_text(what: str, unit: str, ids: list[str], was: np.ndarray, now: np.ndarray) -> str:
    moved = np.flatnonzero(np.abs(now - was) > np.maximum(REL_CHANGE * np.abs(was), LEAST_CHANGE))
    if not len(moved):
        return ""
    named = ", ".join(f"{ids[i]} {was[i]:.2f} -> {now[i]:.2f} {unit}" for i in moved[:NAMED])
    more = f" and {len(moved) - NAMED} more" if len(moved) > NAMED else ""
    return f"the racks' {what} {was.sum():.2f} -> {now.sum():.2f} {unit} ({named}{more})"


def _supply_now(fac, hall: int, grid: Grid) -> tuple[float, float]:
    """(air supplied, m3/s; its flow-weighted temperature, C) as Twin solves the hall."""
    from twin.cfd.foam_case import supply_temps

    s_c, u_c = supply_temps(fac, hall, grid)
    p = grid.ports
    sup, uo = (p.kind == SUPPLY) & (p.q > 0), (p.kind == UNIT_OUT) & (p.q > 0)
    q = np.concatenate([p.q[sup], p.q[uo]])
    t = np.concatenate([s_c[p.owner[sup]], u_c[p.owner[uo]]])
    total = float(q.sum())
    return total, float((q * t).sum() / total) if total > 0 else float("nan")


def changes(desc: dict, fac, hall: int, grid: Grid) -> str:
    """What the case ``desc`` (its ``twin_case.json``) was run with that Twin, solving the
    hall on ``grid``, does not have now ("the racks' heat 250.00 -> 275.00 kW (A1 25.00 ->
    50.00 kW); ..."), or "" (also for a description with no patches, as tests write)."""
    patches = desc.get("patches") or []
    rear = [p for p in patches if p["kind"] == "rack_rear" and p["owner_id"] in fac.rack_index]
    if not rear:
        return ""
    ids = [p["owner_id"] for p in rear]
    idx = np.array([fac.rack_index[i] for i in ids])
    flow_was = np.array([p["flow_m3s"] for p in rear])
    heat_was = np.array([p["rise_k"] * desc["rho_cp"] * p["flow_m3s"] for p in rear]) / 1e3
    ports = grid.ports
    back = ports.kind == RACK_REAR
    flow_now = np.bincount(ports.owner[back], ports.q[back], minlength=len(fac.rack_ids))[idx]
    heat_now = fac.air_heat_w()[idx] / 1e3
    parts = [
        _racks_text("heat", "kW", ids, heat_was, heat_now),
        _racks_text("airflow", "m3/s", ids, flow_was, flow_now),
    ]
    sup_was = sum(p["flow_m3s"] for p in patches if p["kind"] in ("supply", "unit_out"))
    sup_now, t_now = _supply_now(fac, hall, grid)
    if abs(sup_now - sup_was) > max(REL_CHANGE * abs(sup_was), LEAST_CHANGE):
        parts.append(f"the air supplied {sup_was:.2f} -> {sup_now:.2f} m3/s")
    t_was = desc.get("supply_mean_c")
    if t_was is not None and np.isfinite(t_now) and abs(t_now - t_was) > SUPPLY_K:
        parts.append(f"its supply temperature {t_was:.2f} -> {t_now:.2f} C")
    return "; ".join(p for p in parts if p)
