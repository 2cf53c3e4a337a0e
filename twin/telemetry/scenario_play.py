"""A scenario played on a simulated hall: which unit it strikes, when it fails and recovers,
what that does to the heat balance and the power paths, and the events an operator sees.

``Simulator`` asks ``ScenarioPlayer.events`` once per step; the player switches units off and
on in the ``HeatBalance`` and keeps the GPU power caps and dark racks that a power failure
leaves (``gpu_cap_w``, ``rack_dark``, ``failed_power``).
"""

from __future__ import annotations

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import Event, EventKind
from twin.telemetry.scenarios import Scenario
from twin.telemetry.thermal import HeatBalance


def pick_target(fac: Facility, name: str) -> int:
    """Index of the unit the scenario strikes (its busiest candidate); -1 for none."""
    if name == "crah-trip":
        if not len(fac.air_unit_ids):
            raise ValueError("scenario crah-trip needs a layout with air units")
        load = fac.air_unit_load_share_w()
        return int(np.argmax(np.where(fac.air_unit_on, load, -1)))
    if name == "cdu-pump-failure":
        if not len(fac.cdu_ids):
            raise ValueError("scenario cdu-pump-failure needs a layout with CDUs")
        return int(np.argmax(np.where(fac.cdu_on, fac.cdu_load_w(), -1)))
    if name == "ups-failover":
        return _busiest_ups(fac)
    if name == "hot-spot":
        return _hot_spot_rack(fac)
    return -1


def _busiest_ups(fac: Facility) -> int:
    """The UPS that feeds the most racks."""
    ups = [i for i, k in enumerate(fac.power_kind) if k == "ups"]
    best, best_n = -1, 0
    for i in ups:
        n = len(fac.served_racks(fac.power_ids[i]))
        if n > best_n:
            best, best_n = i, n
    if best < 0:
        raise ValueError("scenario ups-failover needs a layout with a UPS feeding racks")
    return best


def _hot_spot_rack(fac: Facility) -> int:
    """The busiest air-cooled rack in the middle of its row."""
    if not fac.n_racks:
        raise ValueError("scenario hot-spot needs a layout with racks")
    pos = np.arange(fac.n_racks) - np.searchsorted(fac.rack_row, fac.rack_row)
    size = np.bincount(fac.rack_row)[fac.rack_row]
    middle = np.abs(pos - (size - 1) / 2) <= np.maximum(size / 4, 1)
    air = fac.rack_liquid_fraction < 0.5
    pool = air if air.any() else np.ones(fac.n_racks, dtype=bool)
    score = np.where(pool, fac.rack_power_w * (1 + middle), -1.0)
    return int(np.argmax(score))


class ScenarioPlayer:
    """Plays one scenario on a facility's heat balance; ``events(t, t_rel, first)`` each step."""

    def __init__(self, facility: Facility, scenario: Scenario, heat: HeatBalance) -> None:
        self.facility = fac = facility
        self.scenario = scenario
        self.heat = heat
        self.target = pick_target(fac, scenario.name)
        self.failed = False
        self.recovered = False
        self.failed_power: set[str] = set()
        self.gpu_cap_w = fac.gpu_tdp_w.astype(np.float32).copy()
        #: (R,) racks with neither feed alive, once a power failure has struck
        self.rack_dark: np.ndarray | None = None
        if scenario.name == "hot-spot":
            # intake in the hot aisle, exhaust into the cold aisle its neighbours breathe
            r = self.target
            heat.extra_recirc[r] = 0.9
            heat.self_recirc[r] = 0.3
            same_row = np.flatnonzero(fac.rack_row == fac.rack_row[r])
            near = same_row[np.abs(same_row - r) == 1]
            heat.extra_recirc[near] += 0.3

    def events(self, t: float, t_rel: float, first: bool) -> list[Event]:
        """The scenario's events at time ``t`` (``t_rel`` after the start): the failure when
        its time comes, the recovery when that comes; ``first`` on the first step."""
        sc, fac = self.scenario, self.facility
        if sc.name in ("normal", "hot-spot"):
            if sc.name == "hot-spot" and first:
                rid = fac.rack_ids[self.target]
                return [
                    Event(t, EventKind.NOTE, rid, f"{rid} is installed facing the hot aisle", 1)
                ]
            return []
        fail = not self.failed and t_rel >= sc.fail_at_s
        recover = (
            self.failed
            and not self.recovered
            and sc.recover_at_s is not None
            and t_rel >= sc.recover_at_s
        )
        if not (fail or recover):
            return []
        if fail:
            self.failed = True
        else:
            self.recovered = True
        if sc.name == "crah-trip":
            return self._air_unit(t, self.target, fail)
        if sc.name == "cdu-pump-failure":
            return self._cdu(t, self.target, fail)
        if sc.name == "ups-failover":
            return self._ups(t, self.target, fail)
        return []

    def _air_unit(self, t: float, k: int, fail: bool) -> list[Event]:
        uid = self.facility.air_unit_ids[k]
        self.heat.set_air_unit(k, not fail)
        cap = self.facility.air_unit_capacity_w[k] / 1e3
        if fail:
            msg = f"{uid} tripped: {cap:.0f} kW of cooling lost"
            return [Event(t, EventKind.UNIT_FAILED, uid, msg, 2)]
        return [Event(t, EventKind.UNIT_RECOVERED, uid, f"{uid} restarted", 0)]

    def _cdu(self, t: float, k: int, fail: bool) -> list[Event]:
        cid = self.facility.cdu_ids[k]
        self.heat.set_cdu_pump(k, 0.02 if fail else 1.0)  # residual flow only
        racks = len(self.facility.served_racks(cid))
        if fail:
            msg = f"{cid} pumps failed: coolant flow lost to {racks} racks"
            return [Event(t, EventKind.UNIT_FAILED, cid, msg, 2)]
        msg = f"{cid} standby pump running, flow restored"
        return [Event(t, EventKind.UNIT_RECOVERED, cid, msg, 0)]

    def _ups(self, t: float, k: int, fail: bool) -> list[Event]:
        """A UPS fails (or returns): racks on one path left are power-capped, racks on none
        go dark."""
        fac = self.facility
        pid = fac.power_ids[k]
        if fail:
            self.failed_power.add(pid)
        else:
            self.failed_power.discard(pid)
        alive = fac.power_alive(self.failed_power)
        a, b = fac.rack_feed_a, fac.rack_feed_b
        a_ok = (a >= 0) & alive[np.maximum(a, 0)]
        b_ok = (b >= 0) & alive[np.maximum(b, 0)]
        # racks fed A and B left with one live path; a rack single-fed by design on the
        # surviving side keeps its power and transfers nothing
        single = (a >= 0) & (b >= 0) & (a_ok ^ b_ok)
        dark = ~(a_ok | b_ok) & ((a >= 0) | (b >= 0))
        tdp = fac.gpu_tdp_w.astype(np.float32)
        capped = single[fac.gpu_rack]
        self.gpu_cap_w = np.where(capped, tdp * self.scenario.failover_cap, tdp).astype(np.float32)
        self.rack_dark = dark
        n_single, n_gpu = int(single.sum()), int(capped.sum())
        pct = round(self.scenario.failover_cap * 100)
        if fail:
            return [
                Event(t, EventKind.UNIT_FAILED, pid, f"{pid} failed", 2),
                Event(
                    t,
                    EventKind.FAILOVER,
                    pid,
                    f"{n_single} racks transferred to their other feed",
                    2,
                ),
                Event(
                    t,
                    EventKind.ALARM,
                    pid,
                    f"single power path: {n_gpu} GPUs capped at {pct} % of TDP",
                    1,
                ),
            ]
        return [
            Event(t, EventKind.UNIT_RECOVERED, pid, f"{pid} back online, both feeds restored", 0),
            Event(t, EventKind.ALARM_CLEARED, pid, "power caps lifted", 0),
        ]
