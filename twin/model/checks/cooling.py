"""Cooling checks: CDU capacity and liquid racks without a CDU; air-unit capacity (as the
declared redundancy counts it) and airflow per hall."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.model.checks.base import OVER, Violation, kw, rack_locs
from twin.model.errors import field_path

if TYPE_CHECKING:
    from twin.model.facility import Facility

_NOTE = {"N": "", "N+1": " with the largest unit off (N+1)", "2N": " with half the units (2N)"}


def cooling_violations(fac: Facility, redundancy: str) -> list[Violation]:
    """CDU capacity and liquid racks without a CDU; air-unit capacity and airflow per hall."""
    return _cdu_violations(fac) + _air_violations(fac, redundancy)


def _cdu_violations(fac: Facility) -> list[Violation]:
    """CDUs over capacity or off while cooling racks, and liquid racks without a CDU."""
    out: list[Violation] = []
    load = fac.cdu_load_w()
    cap = fac.cdu_capacity_w
    for c in np.flatnonzero(load > cap * OVER):
        out.append(
            Violation(
                "cdu",
                "error",
                f"CDU {fac.cdu_ids[c]!r} takes {kw(load[c])} of liquid heat, over its "
                f"{kw(cap[c])} capacity",
                (fac.cdu_ids[c],),
                field_path(("cooling", "cdus", int(c), "capacity_kw")),
            )
        )
    for c in np.flatnonzero(~fac.cdu_on & (load > 0)):
        out.append(
            Violation(
                "cdu",
                "error",
                f"CDU {fac.cdu_ids[c]!r} is off but cools racks",
                (fac.cdu_ids[c],),
                field_path(("cooling", "cdus", int(c), "state")),
            )
        )
    locs = rack_locs(fac)
    ids = fac.rack_ids
    liquid = fac.rack_power_w * fac.rack_liquid_fraction
    for r in np.flatnonzero((liquid > 0) & (fac.rack_cdu < 0)):
        out.append(
            Violation(
                "cdu",
                "error",
                f"rack {ids[r]!r} is liquid-cooled ({kw(liquid[r])}) but has no CDU",
                (ids[r],),
                field_path(locs[r] + ("cdu",)),
            )
        )
    return out


def _hall_air_capacity_w(fac: Facility, redundancy: str) -> np.ndarray:
    """(H,) heat the running air units of each hall remove, as the redundancy counts them."""
    n_h = len(fac.hall_ids)
    unit_cap = fac.air_unit_capacity_w * fac.air_unit_on
    cap_h = np.bincount(fac.air_unit_hall, unit_cap, minlength=n_h)
    if redundancy == "N+1":
        biggest = np.zeros(n_h)
        np.maximum.at(biggest, fac.air_unit_hall, unit_cap)
        cap_h = cap_h - biggest
    elif redundancy == "2N":
        cap_h = cap_h / 2
    return cap_h


def _plant_flow_m3s(fac: Facility) -> np.ndarray:
    """(H,) airflow of supply regions with their own flow and temperature. They stand for a
    plant outside the model (a test room, a chilled-air main): their flow counts, and they
    carry their own capacity."""
    plant_flow = np.zeros(len(fac.hall_ids))
    for sup in fac.layout.cooling.supplies:
        if sup.flow_m3s is not None and sup.supply_c is not None:
            plant_flow[fac.hall_index[sup.hall]] += sup.flow_m3s
    return plant_flow


def _air_violations(fac: Facility, redundancy: str) -> list[Violation]:
    """Halls whose air units cannot remove the racks' air-side heat, or supply less air than
    the racks draw."""
    out: list[Violation] = []
    n_h = len(fac.hall_ids)
    heat = np.bincount(fac.rack_hall, fac.air_heat_w(), minlength=n_h)
    cap_h = _hall_air_capacity_w(fac, redundancy)
    plant_flow = _plant_flow_m3s(fac)
    external = plant_flow > 0
    for h in np.flatnonzero((heat > cap_h * OVER) & ~external):
        out.append(
            Violation(
                "air",
                "error",
                f"hall {fac.hall_ids[h]!r}: racks send {kw(heat[h])} to the air, its air units "
                f"remove {kw(cap_h[h])}{_NOTE[redundancy]}",
                (fac.hall_ids[h],),
                "cooling.air_units",
            )
        )
    flow = np.bincount(fac.rack_hall, fac.rack_airflow_m3s, minlength=n_h)
    on = fac.air_unit_on
    supply = np.bincount(fac.air_unit_hall, fac.air_unit_airflow_m3s * on, minlength=n_h)
    supply = supply + plant_flow
    for h in np.flatnonzero(flow > supply * OVER):
        out.append(
            Violation(
                "air",
                "warning",
                f"hall {fac.hall_ids[h]!r}: racks draw {flow[h]:.1f} m3/s, its cooling supplies "
                f"{supply[h]:.1f} m3/s (hot air will recirculate)",
                (fac.hall_ids[h],),
                "cooling.air_units",
            )
        )
    return out
