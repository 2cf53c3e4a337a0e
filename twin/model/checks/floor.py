"""Floor checks: weight over footprint against the hall's rated floor load, racks loaded beyond
their enclosure's static rating, and racks taller than their hall."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.model.checks.base import OVER, TOL_M, Violation, rack_locs
from twin.model.errors import field_path

if TYPE_CHECKING:
    from twin.model.facility import Facility


def floor_violations(fac: Facility) -> list[Violation]:
    """Rack and unit weight over footprint against the hall's rated floor load, racks loaded
    beyond their enclosure's static rating, and racks taller than their hall."""
    rated = np.array([h.floor_load_kg_m2 for h in fac.layout.halls], dtype=float)
    locs = rack_locs(fac)
    return (
        _too_tall(fac, locs)
        + _rack_load_violations(fac, locs, rated)
        + _unit_floor_load(fac, rated)
    )


def _too_tall(fac: Facility, locs: list[tuple]) -> list[Violation]:
    """Racks taller than their hall."""
    out: list[Violation] = []
    tall = fac.rack_size_m[:, 2] > fac.hall_size_m[fac.rack_hall, 2] + TOL_M
    for r in np.flatnonzero(tall):
        out.append(
            Violation(
                "outside",
                "error",
                f"rack {fac.rack_ids[r]!r} ({fac.rack_size_m[r, 2]:.2f} m) is taller than hall "
                f"{fac.hall_ids[fac.rack_hall[r]]!r}",
                (fac.rack_ids[r],),
                field_path(locs[r] + ("type",)),
            )
        )
    return out


def _rack_load_violations(fac: Facility, locs: list[tuple], rated: np.ndarray) -> list[Violation]:
    """Racks over the floor rating of their hall, then racks over their enclosure's rating."""
    out: list[Violation] = []
    area = fac.rack_size_m[:, 0] * fac.rack_size_m[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_m2 = np.where(area > 0, fac.rack_weight_kg / area, 0.0)
    for r in np.flatnonzero(per_m2 > rated[fac.rack_hall] * OVER):
        out.append(
            Violation(
                "floor-load",
                "error",
                f"rack {fac.rack_ids[r]!r} puts {per_m2[r]:.0f} kg/m² on a floor rated "
                f"{rated[fac.rack_hall[r]]:.0f} kg/m²",
                (fac.rack_ids[r],),
                field_path(locs[r] + ("servers",)),
            )
        )
    enclosure = np.array([fac.catalog[r.type].weight_kg for r in fac.racks])
    inside = fac.rack_weight_kg - enclosure
    for r in np.flatnonzero(inside > fac.rack_max_load_kg * OVER):
        out.append(
            Violation(
                "floor-load",
                "error",
                f"rack {fac.rack_ids[r]!r} holds {inside[r]:.0f} kg, over its enclosure's "
                f"{fac.rack_max_load_kg[r]:.0f} kg rating",
                (fac.rack_ids[r],),
                field_path(locs[r] + ("servers",)),
            )
        )
    return out


def _unit_floor_load(fac: Facility, rated: np.ndarray) -> list[Violation]:
    """Air units and CDUs over the floor rating of their hall."""
    out: list[Violation] = []
    for kind, key in (("air_unit", "air_units"), ("cdu", "cdus")):
        items = getattr(fac.layout.cooling, key)
        if not items:
            continue
        size = getattr(fac, f"{kind}_size_m")
        weight = np.array([fac.catalog[u.type].weight_kg for u in items])
        hall = getattr(fac, f"{kind}_hall")
        per = weight / (size[:, 0] * size[:, 1])
        for i in np.flatnonzero(per > rated[hall] * OVER):
            out.append(
                Violation(
                    "floor-load",
                    "error",
                    f"{items[i].id!r} puts {per[i]:.0f} kg/m² on a floor rated "
                    f"{rated[hall[i]]:.0f} kg/m²",
                    (items[i].id,),
                    field_path(("cooling", key, int(i), "type")),
                )
            )
    return out
