"""What a set of failed devices does to the power chain: which racks go dark following their
A/B feeds, which lose their redundancy, and which devices carry more than their rating once
the surviving feeds take the load."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model.facility import Facility

#: Device kinds a what-if can fail, as the CLI and the window name them.
KINDS = ("power", "air_unit", "cdu")


class WhatIfError(ValueError):
    """A what-if that cannot be posed (unknown device, a device of a kind that cannot fail)."""


@dataclass(frozen=True)
class Failures:
    """Failed device ids split by kind (power devices, air units, CDUs)."""

    power: tuple[str, ...]
    air_units: tuple[str, ...]
    cdus: tuple[str, ...]

    @classmethod
    def parse(cls, facility: Facility, ids: list[str] | tuple[str, ...]) -> Failures:
        """Sort ``ids`` by kind; an id that names no power device, air unit or CDU is an error
        that lists what could fail."""
        power, air, cdu, bad = [], [], [], []
        for i in dict.fromkeys(ids):
            if i in facility.power_index:
                power.append(i)
            elif i in facility.air_unit_index:
                air.append(i)
            elif i in facility.cdu_index:
                cdu.append(i)
            else:
                bad.append(i)
        if bad:
            found = facility.find(bad[0])
            what = f"a {found[0]}" if found else "not in the layout"
            raise WhatIfError(
                f"cannot fail {bad[0]!r} ({what}): give a power device (utility feed, "
                "switchgear, UPS, PDU...), an air unit (CRAH, CRAC, fan wall) or a CDU"
            )
        return cls(tuple(power), tuple(air), tuple(cdu))

    @property
    def ids(self) -> tuple[str, ...]:
        return self.power + self.air_units + self.cdus


@dataclass
class PowerOutcome:
    """Power-chain consequences of the failures, in facility index order."""

    alive: np.ndarray  # (P,) device still energised
    rack_dark: np.ndarray  # (R,) neither feed alive
    rack_single_fed: np.ndarray  # (R,) had two feeds, now runs on one
    load_w: np.ndarray  # (P,) load after failover
    overloaded: np.ndarray  # (P,) load over rating after failover (and not before)

    def overloads(self, facility: Facility) -> list[dict]:
        """One entry per overloaded device: id, kind, load and rating in kW."""
        return [
            {
                "id": facility.power_ids[d],
                "kind": facility.power_kind[d],
                "load_kw": round(float(self.load_w[d]) / 1e3, 3),
                "capacity_kw": round(float(facility.power_capacity_w[d]) / 1e3, 3),
            }
            for d in np.flatnonzero(self.overloaded)
        ]


def power_outcome(
    facility: Facility, failed: tuple[str, ...], rack_power_w: np.ndarray | None = None
) -> PowerOutcome:
    """Follow the A/B feeds with ``failed`` (and devices already off) de-energised."""
    fac = facility
    p = fac.rack_power_w if rack_power_w is None else np.asarray(rack_power_w, float)
    alive = fac.power_alive(failed)
    ok = np.append(alive, False)  # feed index -1 reads False
    a, b = fac.rack_feed_a, fac.rack_feed_b
    has_a, has_b = a >= 0, b >= 0
    a_ok, b_ok = ok[a], ok[b]
    dark = (has_a | has_b) & ~a_ok & ~b_ok
    before = np.append(fac.power_alive(), False)
    dual_before = has_a & has_b & before[a] & before[b]
    single = dual_before & (a_ok ^ b_ok)
    load = fac.power_load_w(p, failed)
    normal = fac.power_load_w(p)
    cap = fac.power_capacity_w * (1 + 1e-9)
    over = (load > cap) & ~(normal > cap) & alive
    return PowerOutcome(alive, dark, single, load, over)
