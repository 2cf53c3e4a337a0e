"""The loss of one air unit, judged one way by the design check and the set-point optimiser.

N+1 (and 2N) air cooling is sized on the units left running at their rated flow: variable-
speed fans share the load at part speed, and their controllers (on underfloor pressure or
supply air) ramp the survivors up when one unit stops. So a failure case runs every other
running unit of the hall at its rated flow, never slower than it was set (an optimised hall
whose fans run at 85 % is judged as it would run after a failure, not as if its fans stayed
at 85 %).

The hall survives the loss when, in that steady state, no rack's hottest inlet is above ASHRAE
A1 allowable (32 C), no GPU is at its slowdown temperature and the running units can remove the
heat at all (a steady state exists). A unit driven to its capacity warms its supply above the
set point; that warmer air is in the inlets the rule reads, so it is reported beside the
verdict, not as a verdict of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.model.facility import Facility
from twin.model.units import above_text
from twin.physics.metrics import A1_ALLOWABLE_C
from twin.physics.plausible import impossible

#: the largest fan-speed scale a grid takes (``grid.unit_flows``)
MAX_FLOW_SCALE = 1.5


def ramped_flow_scale(
    fac: Facility, hall: int, set_flow_m3s: np.ndarray | None = None
) -> np.ndarray:
    """Fan-speed scale per air unit (layout order, over each unit's layout flow) after a unit
    of ``hall`` is lost: the hall's running units at their rated flow, or at their set flow
    where that is higher; every other unit at its set flow. ``set_flow_m3s``: the set flows
    (default: the layout's)."""
    base = fac.air_unit_airflow_m3s
    flow = base if set_flow_m3s is None else np.asarray(set_flow_m3s, float)
    scale = flow / base
    units = np.flatnonzero((fac.air_unit_hall == hall) & fac.air_unit_on)
    scale[units] = np.maximum(flow[units], fac.air_unit_rated_m3s[units]) / base[units]
    return np.minimum(scale, MAX_FLOW_SCALE)


@dataclass
class Survival:
    """What one failure case's steady state did to the hall: ``problems`` (empty: it
    survives) and ``at_capacity`` (units driven to their capacity, said beside the verdict;
    their ids in ``full_units``)."""

    problems: list[str] = field(default_factory=list)
    at_capacity: list[str] = field(default_factory=list)
    full_units: list[str] = field(default_factory=list)

    @property
    def survives(self) -> bool:
        return not self.problems


def survival(fac: Facility, res) -> Survival:
    """Judge one failure case's steady result (``ThermalResult``) by the module's rule."""
    out = Survival()
    if res.overloaded:
        out.problems.append("its running air units cannot remove the heat (no steady state)")
    why = impossible(res)
    if why:  # its figures mean nothing (``plausible``): the verdict without them
        if not res.overloaded:
            out.problems.append(f"no possible steady state ({why})")
        return out
    racks = res.grid.rack_ids
    inlet = res.rack_inlet_max_c[racks]
    hot = racks[inlet > A1_ALLOWABLE_C[1]]
    if len(hot):
        worst = racks[int(np.nanargmax(inlet))]
        out.problems.append(
            f"{len(hot)} rack(s) above A1 allowable (worst {fac.rack_ids[worst]!r} "
            f"{above_text(np.nanmax(inlet), A1_ALLOWABLE_C[1])} C)"
        )
    n_thr = int(res.gpu_throttled[fac.gpu_hall == res.grid.hall].sum())
    if n_thr:
        out.problems.append(f"{n_thr} GPU(s) at slowdown")
    for a in np.flatnonzero(res.air_unit_at_capacity):
        out.full_units.append(fac.air_unit_ids[a])
        out.at_capacity.append(
            f"{fac.air_unit_ids[a]} at its {res.air_unit_capacity_w[a] / 1e3:.0f} kW capacity "
            f"(supply {res.air_unit_supply_c[a]:.1f} C)"
        )
    return out
