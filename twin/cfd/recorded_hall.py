"""What a recording says one hall ran under over a span, and whether it held steady there.

A fit to a recording's sensors compares their means with a steady solve. That is only a fit
of the model's mixing where the solve runs as the hall did: with the air units that were off
left off, the fans at the speeds they ran, the supply air at the temperature measured, and
the racks' server fans following their load, as the replay's physics does
(``twin.physics.fan_follow``). Solved at the layout's nominal state against a recording of a
CRAH trip, the fit took the trip's hot racks for too little mixing and moved the eddy
viscosity to x3.4 and the turbulent Prandtl number to 2.96, at its bound.

And the means are a steady state only if the hall held one: a span over which a unit went
off, or its fans ramped, or the readings still drifted, has no steady state to fit, so it is
refused, naming what moved and when, for the user to pick a span where the hall held.
No Qt, no VTK.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import AIR_READING_C, reads_off

#: Most a rack inlet, a point sensor or a unit's supply may move between the span's first
#: third and its last (K) for the span to count as steady: above the recordings' 0.1 K
#: resolution and the wobble of a hall holding steady under changing jobs (at most 0.09 K in
#: the demo hall's simulated run), below the 1-5 K by which a CRAH trip moves the racks near it.
STEADY_DRIFT_K = 0.5
#: Most an air unit's mean fan flow may move between the span's first third and its last, as
#: a share of its rated flow: the replay's own threshold for a fan that moved
#: (``fan_follow.FLOW_RESOLVE_FRACTION``). A drift, not a range: fans that follow the load
#: wander (the demo's simulated two hours: 6.42-7.37 m3/s, 9 % of rated, in steady air), while
#: a trip's survivors ramp up and stay (the first third's mean 6.42, the last's 7.6 m3/s).
STEADY_FLOW_FRACTION = 0.05
#: Offenders named per kind in a refusal (the largest first).
NAMED = 3


@dataclass
class HallConditions:
    """The state a hall held over a span: ``failed`` its air units that were off, ``running``
    the others; ``unit_flow_scale`` and ``rack_flow_scale`` its fans' speeds as
    ``ThermalModel`` takes them (None: rated); ``supply_c`` each running unit's mean measured
    supply temperature."""

    running: tuple[str, ...]
    failed: tuple[str, ...] = ()
    unit_flow_scale: np.ndarray | None = None
    rack_flow_scale: np.ndarray | None = None
    supply_c: dict[str, float] | None = None

    def facility(self, fac: Facility) -> Facility:
        """``fac`` with the supply temperatures measured (itself where none was)."""
        if not self.supply_c:
            return fac
        from twin.physics.setpoints import with_set_points

        return with_set_points(fac, air_supply_c=self.supply_c)

    def model_options(self) -> dict:
        """``ThermalModel`` keyword arguments for this state."""
        return {
            "failed": self.failed,
            "unit_flow_scale": self.unit_flow_scale,
            "rack_flow_scale": self.rack_flow_scale,
        }

    def describe(self, fac: Facility) -> str:
        """One line for the report: what the solves ran under."""
        parts = [f"{', '.join(self.failed)} off" if self.failed else "every air unit on"]
        if self.unit_flow_scale is not None and self.running:
            share = self.unit_flow_scale[[fac.air_unit_index[u] for u in self.running]]
            parts.append(f"fans at {_span_of(share, '{:.0%}')} of rated")
        if self.supply_c:
            parts.append(f"supply {_span_of(list(self.supply_c.values()), '{:.1f}')} C")
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {
            "failed": list(self.failed),
            "unit_flow_scale": _listed(self.unit_flow_scale),
            "rack_flow_scale": _listed(self.rack_flow_scale),
            "supply_c": {k: round(v, 2) for k, v in (self.supply_c or {}).items()},
        }


def _span_of(values, fmt: str) -> str:
    """``lo-hi`` of ``values`` as ``fmt`` writes them; one value where both read alike."""
    lo, hi = fmt.format(min(values)), fmt.format(max(values))
    return lo if lo == hi else f"{lo}-{hi}"


def _listed(a: np.ndarray | None) -> list | None:
    return None if a is None else [round(float(x), 4) for x in a]


class SpanReadings:
    """Readings of a span of frames, fed one frame at a time: means per third of the span (a
    drift is the last third's mean less the first's) and the air units' states."""

    def __init__(self, fac: Facility, n_frames: int):
        self.fac = fac
        self.n_frames = n_frames
        n_units = len(fac.air_unit_ids)
        air = AIR_READING_C
        self.thirds = {
            ("rack", "inlet_c"): _thirds(fac.n_racks, air),
            ("rack", "power_w"): _thirds(fac.n_racks),
            ("sensor", "temp_c"): _thirds(len(fac.sensor_ids), air),
            ("air_unit", "supply_c"): _thirds(n_units, air),
            ("air_unit", "flow_m3s"): _thirds(n_units),
        }
        self.state_first = np.full(n_units, np.nan)  # the first state read in the span
        self.state_change_s = np.full(n_units, np.nan)  # when it first read otherwise
        self.state_on = np.zeros(n_units, bool)  # on in some frame of the span
        self.count = 0

    def add(self, frame) -> None:
        """Frame number ``count`` of the ``n_frames`` declared (no more)."""
        third = 3 * self.count // self.n_frames
        self.count += 1
        for (kind, name), means in self.thirds.items():
            means[third].add(self._reading(frame, kind, name))
        state = frame.group("air_unit").get("state")
        if _fits(state, self.state_first):
            state = np.asarray(state)
            known = np.isfinite(state)
            on = ~reads_off(state)  # as a replay reads it; used where known only
            first = np.isnan(self.state_first) & known
            self.state_first[first] = on[first]
            flip = known & ~first & (on != (self.state_first == 1)) & np.isnan(self.state_change_s)
            self.state_change_s[flip] = frame.time_s
            self.state_on |= known & on

    def _reading(self, frame, kind: str, name: str):
        """A frame's reading; a rack's power where it has none from its GPUs' power (live
        DCGM data), NaN where neither read (``devices.rack_power_from_readings``)."""
        values = frame.group(kind).get(name)
        gpu_w = frame.group("gpu").get("power_w")
        fac = self.fac
        if (kind, name) != ("rack", "power_w") or not _fits(gpu_w, fac.gpu_rack):
            return values
        from twin.physics.devices import rack_power_from_readings

        return rack_power_from_readings(fac, values, gpu_w, unread_w=np.nan)

    def mean(self, kind: str, name: str) -> np.ndarray:
        """The mean over the whole span (NaN where nothing was read)."""
        means = self.thirds[(kind, name)]
        total = sum(m.total for m in means)
        count = sum(m.count for m in means)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def drift(self, kind: str, name: str) -> np.ndarray:
        """The last third's mean less the first third's (NaN where either read nothing)."""
        means = self.thirds[(kind, name)]
        return means[2].mean() - means[0].mean()


def _thirds(n: int, valid: tuple[float, float] = (-np.inf, np.inf)) -> list[_Mean]:
    return [_Mean(n, valid) for _ in range(3)]


def _fits(values, like: np.ndarray) -> bool:
    return values is not None and len(values) == len(like)


def conditions(span: SpanReadings, hall: int) -> HallConditions:
    """The state the hall held over the span (see ``HallConditions``)."""
    from twin.physics.fan_follow import (
        followed_flow_scale,
        measured_flow_scale,
        rack_flow_scale,
    )

    fac = span.fac
    units = np.flatnonzero(fac.air_unit_hall == hall)
    off = [u for u in units if np.isfinite(span.state_first[u]) and not span.state_on[u]]
    running = [u for u in units if u not in off]
    supply = span.mean("air_unit", "supply_c")
    measured = measured_flow_scale(fac, span.mean("air_unit", "flow_m3s"))
    fans, _ = followed_flow_scale(None, measured, units)
    # the server fans follow the power (recordings hold no rack airflow); a rack with no
    # power reading gets NaN: it keeps its rated fans
    racks = rack_flow_scale(fac, span.mean("rack", "power_w"))
    racks, _ = followed_flow_scale(None, racks, np.flatnonzero(fac.rack_hall == hall))
    return HallConditions(
        running=tuple(fac.air_unit_ids[u] for u in running),
        failed=tuple(fac.air_unit_ids[u] for u in off),
        unit_flow_scale=fans,
        rack_flow_scale=racks,
        supply_c={fac.air_unit_ids[u]: float(supply[u]) for u in running if np.isfinite(supply[u])},
    )


def unsteady(span: SpanReadings, hall: int, start_s: float) -> list[str]:
    """What moved over the span in ``hall`` (empty: it held steady), each as a phrase naming
    the unit, rack or sensor, how much and (for a unit going on or off) when, as m:ss into
    the recording (``start_s``: its first frame's time)."""
    fac = span.fac
    units = np.flatnonzero(fac.air_unit_hall == hall)
    moved = [
        f"{fac.air_unit_ids[u]} went {'on' if span.state_first[u] == 0 else 'off'} at "
        f"{clock(span.state_change_s[u] - start_s)}"
        for u in units
        if np.isfinite(span.state_change_s[u])
    ]
    # a unit named going on or off is not named again for its fans and supply, nor is the
    # "supply" of a unit that was off throughout (the return air passing through it)
    held = units[np.isnan(span.state_change_s[units])]
    running = held[span.state_on[held] | np.isnan(span.state_first[held])]
    flows = span.thirds[("air_unit", "flow_m3s")]
    first, last = flows[0].mean(), flows[2].mean()
    share = np.abs(last - first) / fac.air_unit_airflow_m3s  # rated: positive by schema
    moved += [
        f"{fac.air_unit_ids[u]}'s fans moved {first[u]:.2f} -> {last[u]:.2f} m3/s "
        f"({share[u]:.0%} of rated)"
        for u in _worst(share, held, STEADY_FLOW_FRACTION)
    ]
    checks = (
        ("air_unit", "supply_c", fac.air_unit_ids, "{}'s supply", running),
        ("rack", "inlet_c", fac.rack_ids, "rack {}'s inlet", np.flatnonzero(fac.rack_hall == hall)),
        ("sensor", "temp_c", fac.sensor_ids, "sensor {}", np.flatnonzero(fac.sensor_hall == hall)),
    )
    for kind, name, ids, what, among in checks:
        d = span.drift(kind, name)
        moved += [f"{what.format(ids[i])} moved {d[i]:+.1f} K" for i in _worst(np.abs(d), among, 0)]
    return moved


def _worst(value: np.ndarray, among: np.ndarray, floor: float) -> list[int]:
    """Up to ``NAMED`` of ``among`` whose ``value`` exceeds its limit, largest first (the
    limit: ``floor``, or ``STEADY_DRIFT_K`` where ``floor`` is 0)."""
    limit = floor if floor > 0 else STEADY_DRIFT_K
    over = [int(i) for i in among if value[i] > limit]  # NaN: never over
    return sorted(over, key=lambda i: -value[i])[:NAMED]  # a tie: facility order


def clock(seconds: float) -> str:
    """Seconds into a recording as ``--from`` reads them: m:ss, or h:mm:ss."""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _Mean:
    """A per-item mean over frames that skips missing (NaN) readings and, given ``valid``,
    readings outside it (a recording written by another tool may hold a probe's fault code:
    recordings clip, so -999 C is stored as -999 C)."""

    def __init__(self, n: int, valid: tuple[float, float] = (-np.inf, np.inf)):
        self.total = np.zeros(n)
        self.count = np.zeros(n)
        self.valid = valid

    def add(self, values) -> None:
        if values is None or len(values) != len(self.total):
            return
        v = np.asarray(values)
        ok = np.isfinite(v) & (v >= self.valid[0]) & (v <= self.valid[1])
        self.total[ok] += v[ok]
        self.count[ok] += 1

    def mean(self) -> np.ndarray:
        return np.where(self.count > 0, self.total / np.maximum(self.count, 1), np.nan)
