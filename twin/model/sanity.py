"""Checks a schema cannot express: totals over the whole file (before the facility's arrays are
allocated), generated host names that collide, and things placed outside their hall or
physically impossible (a rack heating its air by thousands of kelvin, a chiller better than
Carnot).

Each returns ``[(loc, message)]`` like the loader's other checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.model import limits as L
from twin.model.catalog import Catalog
from twin.model.catalog_schema import ChillerType, ServerType
from twin.model.errors import field_path
from twin.model.schema import Layout

Loc = tuple


def count_nodes(data: Any, budget: int = L.MAX_YAML_NODES) -> int:
    """Items in a parsed YAML document with aliases expanded, stopping once past ``budget``
    (so a 1 kB alias bomb that expands to 9^9 items costs ``budget`` steps, not forever)."""
    seen, stack = 0, [data]
    while stack:
        item = stack.pop()
        seen += 1
        if seen > budget:
            return seen
        if isinstance(item, dict):
            stack.extend(item.values())
            seen += len(item)
        elif isinstance(item, list):
            stack.extend(item)
    return seen


def check_totals(layout: Layout, catalog: Catalog) -> list[tuple[Loc, str]]:
    """Racks, hosts and GPUs over the whole file within the limits, before they are built."""
    racks = hosts = gpus = 0
    for row in layout.rows:
        racks += len(row.racks)
        for rack in row.racks:
            for grp in rack.servers:
                st = catalog.get(grp.type)
                if isinstance(st, ServerType):
                    hosts += grp.count * st.hosts
                    gpus += grp.count * st.hosts * (st.gpus_per_host if st.gpu else 0)
    out = []
    for what, n, limit in (
        ("racks", racks, L.MAX_RACKS),
        ("hosts", hosts, L.MAX_HOSTS),
        ("GPUs", gpus, L.MAX_GPUS),
    ):
        if n > limit:
            out.append((("rows",), f"{n:,} {what} in the layout: too many (at most {limit:,})"))
    return out


def check_host_names(layout: Layout, catalog: Catalog) -> list[tuple[Loc, str]]:
    """Every host name, given or generated from a pattern, unique. A collision is reported at
    what produced the second name: its ``hosts`` entry, its group's ``host_pattern`` or the
    layout's ``telemetry.default_host_pattern``."""
    out: list[tuple[Loc, str]] = []
    first: dict[str, Loc] = {}
    default = layout.telemetry.default_host_pattern
    hall_of = {h.id: h.id for h in layout.halls}
    reported: set[Loc] = set()
    for ri, row in enumerate(layout.rows):
        for k, rack in enumerate(row.racks):
            slot = 0
            for si, grp in enumerate(rack.servers):
                st = catalog.get(grp.type)
                if not isinstance(st, ServerType):
                    continue
                gloc = ("rows", ri, "racks", k, "servers", si)
                pattern = grp.host_pattern or default
                ploc = (
                    gloc + ("host_pattern",)
                    if grp.host_pattern
                    else ("telemetry", "default_host_pattern")
                )
                for j in range(grp.count * st.hosts):
                    slot += 1
                    if grp.hosts is not None:
                        if j >= len(grp.hosts):
                            break  # the count mismatch is reported by check_references
                        name, loc = grp.hosts[j], gloc + ("hosts", j)
                    else:
                        name = pattern.format(
                            rack=rack.id,
                            row=row.id,
                            hall=hall_of.get(row.hall, row.hall),
                            slot=slot,
                            n=j + 1,
                        )
                        loc = ploc
                    given = grp.hosts is not None
                    if name not in first:
                        first[name] = (f"{field_path(gloc)} host {j + 1}", given, loc)
                        continue
                    where, first_given, first_loc = first[name]
                    if given and first_given:
                        continue  # two given names alike: check_references reports it
                    here = f"{field_path(gloc)} host {j + 1}"
                    for at, other in ((first_loc, here), (loc, where)):
                        if at not in reported:
                            reported.add(at)
                            out.append(
                                (
                                    at,
                                    f"host name {name!r} is used twice (also by {other}); every "
                                    "host needs its own name, e.g. '{rack}-{slot:02d}'",
                                )
                            )
    return out


def check_placement(layout: Layout, hall_size_m: np.ndarray) -> list[tuple[Loc, str]]:
    """Tiles, returns, containment, sensors and placed power devices inside their hall;
    containment no taller than the hall; racks given by load with a possible air temperature
    rise. (Racks and units are checked against the hall by ``check_geometry``.)"""
    out: list[tuple[Loc, str]] = []
    index = {h.id: i for i, h in enumerate(layout.halls)}
    tol = 1e-6

    def inside(hall: str, xy: tuple, z: float | None = None) -> bool:
        w, d, h = hall_size_m[index[hall]]
        ok = all(-tol <= v <= lim + tol for v, lim in zip(xy, (w, d, w, d), strict=False))
        return ok and (z is None or -tol <= z <= h + tol)

    cool = layout.cooling
    for name in ("supplies", "returns", "containment"):
        for i, item in enumerate(getattr(cool, name)):
            if item.hall not in index:
                continue
            if not inside(item.hall, item.rect_m):
                out.append(
                    (
                        ("cooling", name, i, "rect_m"),
                        f"{item.id!r} lies (partly) outside hall {item.hall!r}",
                    )
                )
    for i, c in enumerate(cool.containment):
        if c.hall in index and c.height_m > hall_size_m[index[c.hall], 2] + tol:
            out.append(
                (
                    ("cooling", "containment", i, "height_m"),
                    f"containment {c.id!r} ({c.height_m:g} m) is taller than hall {c.hall!r} "
                    f"({hall_size_m[index[c.hall], 2]:g} m)",
                )
            )
    for i, s in enumerate(layout.sensors):
        if s.hall in index and not inside(s.hall, s.position_m[:2], s.position_m[2]):
            out.append(
                (("sensors", i, "position_m"), f"sensor {s.id!r} lies outside hall {s.hall!r}")
            )
    for i, d in enumerate(layout.power):
        if d.hall in index and d.position_m is not None and not inside(d.hall, d.position_m):
            out.append((("power", i, "position_m"), f"{d.id!r} lies outside hall {d.hall!r}"))
    rho_cp = layout.air.density_kg_m3 * layout.air.cp_j_kgk
    for ri, row in enumerate(layout.rows):
        for k, rack in enumerate(row.racks):
            ld = rack.load
            if ld is None or ld.airflow_m3s is None:
                continue
            rise = ld.power_kw * 1e3 * (1 - ld.liquid_fraction) / (rho_cp * ld.airflow_m3s)
            if rise > L.MAX_DELTA_T_K:
                out.append(
                    (
                        ("rows", ri, "racks", k, "load", "airflow_m3s"),
                        f"{ld.airflow_m3s:g} m³/s through rack {rack.id!r} at {ld.power_kw:g} kW "
                        f"would heat its air by {rise:.3g} K: physically impossible "
                        f"(at most {L.MAX_DELTA_T_K:g} K)",
                    )
                )
    return out


KELVIN = 273.15


def check_plant_physics(layout: Layout) -> list[tuple[Loc, str]]:
    """Chillers of the layout's catalog no better than a Carnot machine between their
    refrigerant temperatures at the rating point (evaporating below the chilled water by the
    evaporator approach, condensing above the condenser medium by the condenser approach)."""
    out: list[tuple[Loc, str]] = []
    for i, item in enumerate(layout.catalog):
        if not isinstance(item, ChillerType):
            continue
        t_evap = item.rated_chw_supply_c - item.evaporator_approach_k + KELVIN
        t_cond = item.rated_condenser_c + item.condenser_approach_k + KELVIN
        carnot = t_evap / (t_cond - t_evap)  # the schema keeps the condenser above the water
        if item.cop_rated > carnot:
            out.append(
                (
                    ("catalog", i, "cop_rated"),
                    f"a COP of {item.cop_rated:g} is above the Carnot COP {carnot:.2f} between "
                    f"{t_evap - KELVIN:g} and {t_cond - KELVIN:g} °C at its rating point: "
                    "physically impossible",
                )
            )
    return out
