"""A per-rack heat balance: the simulator's thermal model when the airflow physics is absent,
and the interface the physics replaces (rack inlets from rack heat and unit states).

Air side, per hall: running air units deliver airflow that follows the racks' demand with
fan inertia. Each rack's inlet mixes supply air with the hall's hot-aisle air,
``inlet = supply + rc * (T_hot - supply)``, ``T_hot`` the flow-weighted mean exhaust and ``rc``
the rack's recirculated share (row ends and racks far from a running unit get more; a hall
short of airflow gets more everywhere); a rack that blows into its own intake (installed
backwards) adds ``rs / (1 - rs) * dT`` of its own rise ``dT = Q / (rho cp V)``. Units past their
capacity supply warmer air.
Liquid side, per CDU: return = supply + Q / (rho_w c_w V); a rack's cold plates sit
downstream in the loop and see most of its rise. Every temperature follows its target with first-order inertia.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model.facility import Facility
from twin.model.server_fans import fan_flow_fraction

#: Water at 25-35 degC (technology cooling loop).
WATER_RHO_KG_M3 = 997.0
WATER_CP_J_KGK = 4180.0
TAU_INLET_S = 45.0
TAU_AIR_UNIT_FLOW_S = 90.0  # CRAH fans ramping to a new demand
TAU_CDU_FLOW_S = 5.0
TAU_COOLANT_S = 20.0
TAU_SUPPLY_S = 120.0
MAX_LOOP_RISE_K = 60.0


@dataclass
class ThermalState:
    rack_inlet_c: np.ndarray
    rack_exhaust_c: np.ndarray
    rack_coolant_c: np.ndarray  # cold-plate coolant temperature, NaN for air-only racks
    air_unit_supply_c: np.ndarray
    air_unit_return_c: np.ndarray
    air_unit_flow_m3s: np.ndarray
    air_unit_load_w: np.ndarray
    cdu_supply_c: np.ndarray
    cdu_return_c: np.ndarray
    cdu_flow_lps: np.ndarray
    cdu_load_w: np.ndarray


def _lag(value: np.ndarray, target: np.ndarray, dt_s: float, tau_s: float) -> np.ndarray:
    return value + (target - value) * (1.0 - np.exp(-dt_s / tau_s))


class HeatBalance:
    """Steps rack, air-unit and CDU temperatures from rack powers and unit states."""

    def __init__(self, facility: Facility, rng: np.random.Generator) -> None:
        self.fac = fac = facility
        air = fac.layout.air
        self.rho_cp = air.density_kg_m3 * air.cp_j_kgk
        n_r, n_a, n_c = fac.n_racks, len(fac.air_unit_ids), len(fac.cdu_ids)
        n_h = len(fac.hall_ids)
        self.n_halls = n_h
        # base recirculation: well-contained middles of rows low, row ends higher
        first = np.r_[True, fac.rack_row[1:] != fac.rack_row[:-1]] if n_r else np.zeros(0, bool)
        last = np.r_[fac.rack_row[1:] != fac.rack_row[:-1], True] if n_r else np.zeros(0, bool)
        self.base_recirc = (0.03 + 0.04 * rng.random(n_r) + 0.08 * (first | last)).astype(float)
        #: extra hot-aisle air in a rack's intake, set by scenarios (a rack facing the wrong way)
        self.extra_recirc = np.zeros(n_r)
        #: share of a rack's own exhaust that comes back to its intake
        self.self_recirc = np.zeros(n_r)
        self.air_unit_on = fac.air_unit_on.copy()
        self.fixed_flow_h, self.fixed_supply_c_h = self._fixed_supplies()
        self.cdu_pump_frac = np.where(fac.cdu_on, 1.0, 0.0)
        self._weights_for = None
        self._update_weights()
        supply0 = self._hall_setpoint()
        self.state = ThermalState(
            rack_inlet_c=supply0[fac.rack_hall].astype(float) + 2.0,
            rack_exhaust_c=supply0[fac.rack_hall].astype(float) + 12.0,
            rack_coolant_c=np.where(
                fac.rack_cdu >= 0,
                fac.cdu_supply_c[np.maximum(fac.rack_cdu, 0)] if n_c else 0,
                np.nan,
            ),
            air_unit_supply_c=fac.air_unit_supply_c.copy(),
            air_unit_return_c=fac.air_unit_supply_c + 10.0,
            air_unit_flow_m3s=fac.air_unit_airflow_m3s * 0.7 * self.air_unit_on,
            air_unit_load_w=np.zeros(n_a),
            cdu_supply_c=fac.cdu_supply_c.copy(),
            cdu_return_c=fac.cdu_supply_c + 10.0,
            cdu_flow_lps=fac.cdu_flow_lps * self.cdu_pump_frac,
            cdu_load_w=np.zeros(n_c),
        )
        self._first = True

    def _hall_setpoint(self) -> np.ndarray:
        """Per hall, its air units' mean set point; where it has none, its own supplies'."""
        has_units = np.bincount(self.fac.air_unit_hall, minlength=self.n_halls) > 0
        return np.where(has_units, self._units_setpoint(), self.fixed_supply_c_h)

    def _fixed_supplies(self) -> tuple[np.ndarray, np.ndarray]:
        """Per hall, the flow (m3/s) of the supplies that state their own (tiles fed from a
        plenum or a duct the layout does not model) and its mixed temperature (their
        ``supply_c``, else the hall's units' set point, else 20 C). Without them a hall cooled
        only that way had no air at all: a 40 C supply and 165 C rack inlets."""
        fac, n_h = self.fac, self.n_halls
        flow = np.zeros(n_h)
        heat = np.zeros(n_h)
        units = self._units_setpoint()
        for s in fac.layout.cooling.supplies:  # a handful per hall, not per rack
            if s.flow_m3s is None or s.hall not in fac.hall_index:
                continue
            h = fac.hall_index[s.hall]
            t = s.supply_c if s.supply_c is not None else units[h]
            flow[h] += s.flow_m3s
            heat[h] += s.flow_m3s * t
        return flow, np.where(flow > 0, heat / np.maximum(flow, 1e-12), units)

    def _units_setpoint(self) -> np.ndarray:
        """Per hall, its air units' mean set point (20 C where it has none)."""
        fac, n_h = self.fac, self.n_halls
        w = np.bincount(fac.air_unit_hall, minlength=n_h).astype(float)
        s = np.bincount(fac.air_unit_hall, fac.air_unit_supply_c, minlength=n_h)
        return np.where(w > 0, s / np.maximum(w, 1), 20.0)

    def _update_weights(self) -> None:
        """Racks far from every running unit of their hall get a larger share of any airflow
        shortfall; racks next to a stopped unit lose its local supply."""
        fac = self.fac
        n_r = fac.n_racks
        on = self.air_unit_on
        rack_xy = fac.rack_center_m[:, :2]
        unit_xy = fac.air_unit_center_m[:, :2]
        same = fac.rack_hall[:, None] == fac.air_unit_hall[None, :]
        dist = np.linalg.norm(rack_xy[:, None, :] - unit_xy[None, :, :], axis=2)
        d_on = np.where(same & on[None, :], dist, np.inf).min(axis=1, initial=np.inf)
        finite = np.isfinite(d_on)
        mean_h = np.bincount(fac.rack_hall[finite], d_on[finite], minlength=self.n_halls)
        cnt_h = np.bincount(fac.rack_hall[finite], minlength=self.n_halls)
        mean_h = mean_h / np.maximum(cnt_h, 1)
        w = np.where(finite, d_on / np.maximum(mean_h[fac.rack_hall], 1e-6), 2.0)
        self.starve_weight = np.clip(w, 0.3, 2.0) if n_r else np.zeros(0)
        d_off = np.where(same & ~on[None, :], dist, np.inf).min(axis=1, initial=np.inf)
        self.local_loss = 0.3 * np.exp(-d_off / 5.0) if n_r else np.zeros(0)

    def set_air_unit(self, index: int, on: bool) -> None:
        self.air_unit_on[index] = on
        self._update_weights()

    def set_cdu_pump(self, index: int, fraction: float) -> None:
        self.cdu_pump_frac[index] = fraction

    def step(
        self, dt_s: float, rack_power_w: np.ndarray, rack_load_frac: np.ndarray
    ) -> ThermalState:
        """Advance by ``dt_s`` given each rack's power and its load as a share of nominal."""
        fac = self.fac
        first = self._first
        if first:  # start from the steady state, not from a cold hall
            dt_s, self._first = 1e6, False
        n_h = self.n_halls
        air_heat = rack_power_w * (1.0 - fac.rack_liquid_fraction)
        rack_flow = fac.rack_airflow_m3s * fan_flow_fraction(rack_load_frac)  # fans follow load
        q_h = np.bincount(fac.rack_hall, air_heat, minlength=n_h)
        demand_h = np.bincount(fac.rack_hall, rack_flow, minlength=n_h)
        flow, flow_h, load, supply, hall_supply = self._air_units(dt_s, q_h, demand_h)
        rise = air_heat / (self.rho_cp * np.maximum(rack_flow, 1e-3))
        inlet = self._rack_inlets(dt_s, first, rise, rack_flow, demand_h, flow_h, hall_supply)
        exhaust = inlet + rise
        on, hall = self.air_unit_on, fac.air_unit_hall
        ret = np.where(on, supply + load / (self.rho_cp * np.maximum(flow, 1e-3)), np.nan)
        # a stopped unit reads the room: the mean exhaust of its hall
        ex_h = np.bincount(fac.rack_hall, exhaust * rack_flow, minlength=n_h)
        room = ex_h / np.maximum(demand_h, 1e-9)
        ret = np.where(on, ret, room[hall])
        supply = np.where(on, supply, room[hall])
        self.state = ThermalState(
            rack_inlet_c=inlet,
            rack_exhaust_c=exhaust,
            air_unit_supply_c=supply,
            air_unit_return_c=ret,
            air_unit_flow_m3s=flow,
            air_unit_load_w=load,
            **self._liquid(dt_s, rack_power_w),
        )
        return self.state

    def _air_units(self, dt_s: float, q_h: np.ndarray, demand_h: np.ndarray):
        """Fans follow demand (10 % margin) up to their maximum, with inertia; a unit past
        its capacity supplies warmer air. Returns per unit flow, load and supply, and per
        hall flow and mixed supply temperature."""
        fac, st, n_h = self.fac, self.state, self.n_halls
        hall = fac.air_unit_hall
        on = self.air_unit_on
        max_flow = fac.air_unit_airflow_m3s
        on_max_h = np.bincount(hall, max_flow * on, minlength=n_h)
        share = np.where(on, max_flow / np.maximum(on_max_h[hall], 1e-9), 0.0)
        target = np.minimum(max_flow, 1.1 * demand_h[hall] * share) * on
        # a stopped unit's fans stop within seconds; running ones ramp with inertia
        flow = np.where(on, _lag(st.air_unit_flow_m3s, target, dt_s, TAU_AIR_UNIT_FLOW_S), 0.0)
        # the supplies with a flow of their own add theirs (their heat leaves by the returns)
        flow_h = np.bincount(hall, flow, minlength=n_h) + self.fixed_flow_h
        load = q_h[hall] * np.where(flow_h[hall] > 0, flow / np.maximum(flow_h[hall], 1e-9), 0)
        over = np.maximum(load - fac.air_unit_capacity_w, 0.0)
        supply_t = fac.air_unit_supply_c + over / (self.rho_cp * np.maximum(flow, 1e-3))
        supply = _lag(st.air_unit_supply_c, np.minimum(supply_t, 45.0), dt_s, TAU_SUPPLY_S)
        supply = np.where(on, supply, np.nan)
        sup_h = np.bincount(hall, np.nan_to_num(supply) * flow, minlength=n_h)
        sup_h = sup_h + self.fixed_flow_h * self.fixed_supply_c_h
        no_air = flow_h <= 1e-6
        hall_supply = np.where(no_air, 40.0, sup_h / np.maximum(flow_h, 1e-9))
        return flow, flow_h, load, supply, hall_supply

    def _rack_inlets(self, dt_s, first, rise, rack_flow, demand_h, flow_h, hall_supply):
        """Rack inlets: the supply plus recirculated exhaust (more where the hall's air falls
        short of the racks' demand)."""
        fac, n_h = self.fac, self.n_halls
        starve = np.clip(1.0 - flow_h / np.maximum(demand_h, 1e-9), 0.0, 1.0)
        rc = self.base_recirc + self.extra_recirc + self.local_loss
        rc = np.clip(rc + 0.9 * starve[fac.rack_hall] * self.starve_weight, 0.0, 0.95)
        rs = np.clip(self.self_recirc, 0.0, 0.5)
        sup_r = hall_supply[fac.rack_hall]
        inlet = self.state.rack_inlet_c
        for _ in range(20 if first else 1):  # the first step iterates to the steady state
            ex_h = np.bincount(fac.rack_hall, (inlet + rise) * rack_flow, minlength=n_h)
            hot = np.where(demand_h > 0, ex_h / np.maximum(demand_h, 1e-9), hall_supply)
            hot_r = np.maximum(hot[fac.rack_hall], sup_r)
            inlet_t = sup_r + rc * (hot_r - sup_r) + rs / (1.0 - rs) * rise
            inlet = _lag(inlet, inlet_t, dt_s, TAU_INLET_S)
        return inlet

    def _liquid(self, dt_s: float, rack_power_w: np.ndarray) -> dict[str, np.ndarray]:
        """CDU loops: load, pump flow, supply and return, and each liquid rack's coolant."""
        fac, st = self.fac, self.state
        n_c = len(fac.cdu_ids)
        has = fac.rack_cdu >= 0
        cdu_load = np.bincount(
            fac.rack_cdu[has], (rack_power_w * fac.rack_liquid_fraction)[has], minlength=n_c
        )
        cdu_flow = _lag(
            st.cdu_flow_lps, fac.cdu_flow_lps * self.cdu_pump_frac, dt_s, TAU_CDU_FLOW_S
        )
        m_dot_c = WATER_RHO_KG_M3 * cdu_flow * 1e-3 * WATER_CP_J_KGK
        over_c = np.maximum(cdu_load - fac.cdu_capacity_w, 0.0)
        cdu_supply_t = fac.cdu_supply_c + np.minimum(over_c / np.maximum(m_dot_c, 1.0), 20.0)
        cdu_supply = _lag(st.cdu_supply_c, cdu_supply_t, dt_s, TAU_SUPPLY_S)
        loop_rise = np.minimum(cdu_load / np.maximum(m_dot_c, 1e-6), MAX_LOOP_RISE_K)
        cdu_return = _lag(st.cdu_return_c, cdu_supply + loop_rise, dt_s, TAU_COOLANT_S)
        c = np.maximum(fac.rack_cdu, 0)
        coolant_t = cdu_supply[c] + 0.8 * loop_rise[c] if n_c else np.full(fac.n_racks, np.nan)
        coolant = np.where(
            has, _lag(np.nan_to_num(st.rack_coolant_c), coolant_t, dt_s, TAU_COOLANT_S), np.nan
        )
        return {
            "rack_coolant_c": coolant,
            "cdu_supply_c": cdu_supply,
            "cdu_return_c": cdu_return,
            "cdu_flow_lps": cdu_flow,
            "cdu_load_w": cdu_load,
        }
