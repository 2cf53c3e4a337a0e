"""The cooling plant's electricity: fans and pumps by the affinity law, chillers by a COP that
follows their lift, free cooling by dry coolers or towers below an approach temperature.

Figures and their sources are in the catalog (``assets/catalog/plant.yaml``, ``cooling.yaml``)
and ../shared/REFERENCE.md ("Energy and efficiency"):

- Fan affinity law (same fan, same air): flow ~ speed, pressure ~ speed^2, power ~ speed^3,
  so ``P = P_rated (Q / Q_rated)^3``; the same holds for a pump on a fixed circuit.
- Pump electricity: ``P = dp Q / eta``.
- Chiller COP as a fixed fraction of the Carnot COP between the evaporating and condensing
  refrigerant, calibrated at the chiller's rating point (AHRI 550/590):
  ``COP = eta_c * T_evap / (T_cond - T_evap)`` with ``T_evap = T_chw - approach_evap`` and
  ``T_cond = T_condenser_in + approach_cond`` (kelvin), the lift held above ``min_lift_k``.
  Around the rating point this gives ~3 % per K of warmer chilled water, as the rule of thumb
  (2-4 % per K) says.
- Free cooling (water-side economiser in series with the chiller): the dry cooler or tower
  makes water at ``T_outdoor + approach`` (dry bulb for a dry cooler, wet bulb for a tower).
  When that is at or below the plant's supply it carries the whole load; between supply and
  return it pre-cools the return and carries the fraction
  ``(T_return - T_hr) / (T_return - T_supply)``; above the return, none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model.catalog_schema import ChillerType, HeatRejectionType

KELVIN = 273.15
RHO_WATER = 997.0  # kg/m3
CP_WATER = 4180.0  # J/(kg K)


def affinity_power_w(rated_w: np.ndarray, flow: np.ndarray, rated_flow: np.ndarray) -> np.ndarray:
    """Fan or pump power at ``flow``: ``rated_w * (flow / rated_flow)^3`` (0 where no flow)."""
    ratio = np.divide(
        np.asarray(flow, float),
        np.asarray(rated_flow, float),
        out=np.zeros(np.broadcast(flow, rated_flow).shape),
        where=np.asarray(rated_flow) > 0,
    )
    return np.asarray(rated_w, float) * np.maximum(ratio, 0.0) ** 3


def pump_power_w(head_pa: float, flow_m3s: float, efficiency: float) -> float:
    """Electricity of a pump moving ``flow_m3s`` against ``head_pa``: dp Q / eta."""
    return head_pa * max(flow_m3s, 0.0) / efficiency


def _carnot_fraction(ch: ChillerType) -> float:
    t_evap = ch.rated_chw_supply_c - ch.evaporator_approach_k + KELVIN
    lift = max(ch.rated_condenser_c + ch.condenser_approach_k - (t_evap - KELVIN), ch.min_lift_k)
    return ch.cop_rated * lift / t_evap


def chiller_cop(ch: ChillerType, chw_supply_c: float, condenser_in_c: float) -> float:
    """COP of a chiller making ``chw_supply_c`` water with its condenser fed at
    ``condenser_in_c`` (entering condenser water, or outdoor air for an air-cooled one)."""
    t_evap = chw_supply_c - ch.evaporator_approach_k + KELVIN
    lift = max(condenser_in_c + ch.condenser_approach_k - (t_evap - KELVIN), ch.min_lift_k)
    return _carnot_fraction(ch) * t_evap / lift


def free_cooling_fraction(supply_c: float, return_c: float, hr_water_c: float) -> float:
    """Share of a plant's load that water at ``hr_water_c`` from the dry cooler or tower
    carries, ahead of the chiller, on a loop from ``return_c`` down to ``supply_c``."""
    span = return_c - supply_c
    if span <= 0:
        return 1.0 if hr_water_c <= supply_c else 0.0
    return float(np.clip((return_c - hr_water_c) / span, 0.0, 1.0))


def heat_rejection_water_c(
    heat_rejection: HeatRejectionType | None, dry_bulb_c: float, wet_bulb_c: float | None
) -> float:
    """Water a dry cooler (outdoor dry bulb + approach) or a tower (wet bulb, or the dry bulb
    when no wet bulb is known, + approach) makes; NaN without one."""
    if heat_rejection is None:
        return np.nan
    ref = dry_bulb_c
    if heat_rejection.kind == "cooling_tower" and wet_bulb_c is not None:
        ref = wet_bulb_c
    return ref + heat_rejection.approach_k


@dataclass
class PlantPower:
    """One plant at one operating point (powers in W, temperatures in C)."""

    load_w: float
    supply_c: float  # water the plant makes (the coldest its units need)
    return_c: float
    outdoor_c: float
    hr_water_c: float  # water the dry cooler/tower can make (NaN without one)
    free_fraction: float
    cop: float  # of the chiller at this point (NaN without a chiller)
    chiller_w: float
    heat_rejection_w: float
    pumps_w: float
    capacity_w: float  # chillers' (or, chiller-less, the heat rejection's)
    short_k: float  # how much warmer than asked the supply is (a chiller-less plant)

    @property
    def total_w(self) -> float:
        return self.chiller_w + self.heat_rejection_w + self.pumps_w

    @property
    def over_capacity(self) -> bool:
        return self.load_w > self.capacity_w * (1 + 1e-9)


def _chiller_w(
    chiller: ChillerType,
    heat_rejection: HeatRejectionType | None,
    supply_c: float,
    hr_c: float,
    dry_bulb_c: float,
    q_chiller_w: float,
) -> tuple[float, float]:
    """(COP, electricity) of chillers making ``q_chiller_w`` of cooling at ``supply_c``; their
    condensers take outdoor air, the heat rejection's water, or their rated condenser water."""
    if chiller.condenser == "air":
        cond_in = dry_bulb_c
    elif heat_rejection is not None:
        cond_in = max(hr_c, supply_c)  # a tower never makes water below the chilled water
    else:
        cond_in = chiller.rated_condenser_c
    cop = chiller_cop(chiller, supply_c, cond_in)
    return cop, q_chiller_w / cop if q_chiller_w > 0 else 0.0


def _pumps_w(
    load_w: float,
    rejected_w: float,
    delta_t_k: float,
    pump_head_pa: float,
    condenser_pump_head_pa: float,
    pump_efficiency: float,
) -> float:
    """Chilled-water pumps moving ``load_w`` across ``delta_t_k``, and condenser-water pumps
    moving ``rejected_w`` to the heat rejection (none when nothing is rejected there)."""
    rho_cp = RHO_WATER * CP_WATER
    pumps = pump_power_w(pump_head_pa, load_w / (rho_cp * delta_t_k), pump_efficiency)
    if rejected_w > 0:
        pumps += pump_power_w(
            condenser_pump_head_pa, rejected_w / (rho_cp * delta_t_k), pump_efficiency
        )
    return pumps


def plant_power(
    *,
    load_w: float,
    supply_c: float,
    delta_t_k: float,
    chiller: ChillerType | None,
    chillers: int,
    heat_rejection: HeatRejectionType | None,
    heat_rejection_units: int,
    dry_bulb_c: float,
    wet_bulb_c: float | None,
    pump_head_pa: float,
    condenser_pump_head_pa: float,
    pump_efficiency: float,
) -> PlantPower:
    """Electricity of a plant removing ``load_w`` with ``supply_c`` water on a loop of
    ``delta_t_k`` rise (see the module docstring for the model)."""
    load = max(float(load_w), 0.0)
    hr_c = heat_rejection_water_c(heat_rejection, dry_bulb_c, wet_bulb_c)
    short = 0.0
    if chiller is None:
        # nothing can make water colder than the dry cooler or tower does
        if heat_rejection is None:
            return PlantPower(
                load, supply_c, supply_c + delta_t_k, dry_bulb_c, hr_c, 0.0, np.nan,
                0.0, 0.0, 0.0, 0.0, 0.0,
            )  # fmt: skip
        short = max(hr_c - supply_c, 0.0)
        supply_c = supply_c + short
    return_c = supply_c + delta_t_k
    free = 0.0 if heat_rejection is None else free_cooling_fraction(supply_c, return_c, hr_c)
    if chiller is None:
        free = 1.0
    q_chiller = load * (1.0 - free)
    cop, w_chiller = np.nan, 0.0
    if chiller is not None:
        cop, w_chiller = _chiller_w(chiller, heat_rejection, supply_c, hr_c, dry_bulb_c, q_chiller)
    rejected = load * free
    if chiller is not None and chiller.condenser == "water":
        rejected += q_chiller + w_chiller
    w_hr = 0.0
    hr_cap = 0.0
    if heat_rejection is not None:
        hr_cap = heat_rejection.capacity_kw * 1e3 * heat_rejection_units
        w_hr = heat_rejection.fan_kw * 1e3 * heat_rejection_units * rejected / hr_cap
    to_condenser_w = rejected if heat_rejection is not None else 0.0
    pumps = _pumps_w(
        load, to_condenser_w, delta_t_k, pump_head_pa, condenser_pump_head_pa, pump_efficiency
    )
    cap = chiller.capacity_kw * 1e3 * chillers if chiller is not None else hr_cap
    if chiller is not None and free >= 1.0:
        cap = max(cap, hr_cap)
    return PlantPower(
        load, supply_c, return_c, dry_bulb_c, hr_c, free, cop, w_chiller, w_hr, pumps, cap, short
    )
