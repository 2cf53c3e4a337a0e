"""Cooling metrics engineers expect, from rack inlet/exhaust temperatures and flows.

Formulas as in ../shared/REFERENCE.md ("Thermal guidelines and metrics"):

- ASHRAE TC9.9 class A1: recommended inlet 18-27 C, allowable 15-32 C.
- Rack Cooling Index (Herrlin 2005), over n intake temperatures T_x:
  RCI_HI = [1 - sum_{T_x > T_max,rec} (T_x - T_max,rec) / ((T_max,all - T_max,rec) n)] * 100 %
  RCI_LO = [1 - sum_{T_x < T_min,rec} (T_min,rec - T_x) / ((T_min,rec - T_min,all) n)] * 100 %
  with T_max,rec 27, T_max,all 32, T_min,rec 18, T_min,all 15 C. 100 % is ideal.
- Return Temperature Index (Herrlin 2008): RTI = (T_return - T_supply) / dT_equipment * 100 %,
  dT_equipment the flow-weighted rack rise. Below 100 %: bypass; above 100 %: recirculation.
- Supply / Return Heat Index (Sharma, Bash, Patel 2002): dQ = sum m cp (T_in - T_supply),
  Q = sum m cp (T_out - T_in); SHI = dQ / (Q + dQ), RHI = Q / (Q + dQ) (SHI + RHI = 1).
"""

from __future__ import annotations

import numpy as np

A1_RECOMMENDED_C = (18.0, 27.0)
A1_ALLOWABLE_C = (15.0, 32.0)


def ashrae_a1(inlet_c: np.ndarray) -> np.ndarray:
    """Per inlet: 0 within the A1 recommended range, 1 within allowable only, 2 outside."""
    t = np.asarray(inlet_c, float)
    rec = (t >= A1_RECOMMENDED_C[0]) & (t <= A1_RECOMMENDED_C[1])
    allow = (t >= A1_ALLOWABLE_C[0]) & (t <= A1_ALLOWABLE_C[1])
    return np.where(rec, 0, np.where(allow, 1, 2)).astype(np.int8)


ASHRAE_LABELS = ("recommended", "allowable", "outside")


def rci_hi(
    inlet_c: np.ndarray, t_rec: float = A1_RECOMMENDED_C[1], t_all: float = A1_ALLOWABLE_C[1]
) -> float:
    """RCI_HI in percent (Herrlin); NaN for no inlets."""
    t = np.asarray(inlet_c, float)
    t = t[np.isfinite(t)]
    if len(t) == 0:
        return float("nan")
    over = np.maximum(t - t_rec, 0.0).sum()
    return float((1.0 - over / ((t_all - t_rec) * len(t))) * 100.0)


def rci_lo(
    inlet_c: np.ndarray, t_rec: float = A1_RECOMMENDED_C[0], t_all: float = A1_ALLOWABLE_C[0]
) -> float:
    """RCI_LO in percent (Herrlin); NaN for no inlets."""
    t = np.asarray(inlet_c, float)
    t = t[np.isfinite(t)]
    if len(t) == 0:
        return float("nan")
    under = np.maximum(t_rec - t, 0.0).sum()
    return float((1.0 - under / ((t_rec - t_all) * len(t))) * 100.0)


#: RTI, SHI and RHI are undefined below this flow-weighted mean rack rise (K).
MIN_MEAN_RISE_K = 1e-3


def rti(return_c: float, supply_c: float, inlet_c, exhaust_c, flow_m3s) -> float:
    """Return Temperature Index in percent."""
    f = np.asarray(flow_m3s, float)
    rise = np.asarray(exhaust_c, float) - np.asarray(inlet_c, float)
    ok = np.isfinite(rise) & (f > 0)
    if not ok.any():
        return float("nan")
    d_eq = float((f[ok] * rise[ok]).sum() / f[ok].sum())
    # racks that add (next to) no heat: a ratio of round-off (a hall at zero power read 336 %)
    return float((return_c - supply_c) / d_eq * 100.0) if d_eq > MIN_MEAN_RISE_K else float("nan")


def shi_rhi(supply_c: float, inlet_c, exhaust_c, flow_m3s) -> tuple[float, float]:
    """(SHI, RHI) as fractions (Sharma, Bash, Patel 2002)."""
    f = np.asarray(flow_m3s, float)
    tin = np.asarray(inlet_c, float)
    tout = np.asarray(exhaust_c, float)
    ok = np.isfinite(tin) & np.isfinite(tout) & (f > 0)
    dq = float((f[ok] * (tin[ok] - supply_c)).sum())
    q = float((f[ok] * (tout[ok] - tin[ok])).sum())
    # racks that add (next to) no heat: both indices are ratios of solver round-off (a hall
    # at zero power read SHI 1.554, RHI -0.554)
    if q <= MIN_MEAN_RISE_K * float(f[ok].sum()) or q + dq <= 0:
        return float("nan"), float("nan")
    return dq / (q + dq), q / (q + dq)
