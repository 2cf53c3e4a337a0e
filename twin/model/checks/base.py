"""What every family of design checks shares: the ``Violation`` it reports, the ``CheckOptions``
that say what to check, and the tolerances of its comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.model.errors import Problem

if TYPE_CHECKING:
    from twin.model.facility import Facility

TOL_M = 1e-6
OVER = 1 + 1e-9  # capacity comparisons forgive rounding only


@dataclass(frozen=True)
class Violation:
    """One broken constraint: what (kind, message), how bad (``error`` or ``warning``), which
    items (ids), and where in the layout file (``field``, e.g. ``rows[0].racks[3].position_m``)."""

    kind: str
    severity: str
    message: str
    items: tuple[str, ...]
    field: str

    def to_problem(self, file: str | None = None) -> Problem:
        return Problem(self.message, self.field, None, file, self.severity)


@dataclass(frozen=True)
class CheckOptions:
    """What to check and how. Clearances default to each hall's ``clearance_front_m`` and
    ``clearance_rear_m``. ``aisle_m`` is how far behind a rack another rack's intake counts as
    facing its exhaust. ``failure_kinds``: power devices whose single failure 2N/N+1 must
    survive (utility feeds are taken as backed by generators)."""

    clearance: bool = True
    clearance_front_m: float | None = None
    clearance_rear_m: float | None = None
    aisle_m: float = 2.4
    orientation: bool = True
    power: bool = True
    cooling: bool = True
    floor_load: bool = True
    failure_kinds: tuple[str, ...] = ("switchgear", "transformer", "ups", "pdu", "rpp", "busway")


def rack_locs(fac: Facility) -> list[tuple]:
    """Where each rack sits in the layout file, in index order, for ``field_path``."""
    return [
        ("rows", ri, "racks", k)
        for ri, row in enumerate(fac.layout.rows)
        for k in range(len(row.racks))
    ]


def kw(w: float) -> str:
    """Watts as kilowatts for a message."""
    return f"{w / 1e3:.1f} kW"
