"""Rack inlets and air-unit temperatures from the airflow physics (``twin.physics``), one
``ThermalModel`` per hall with racks, for the simulator. Optional: the simulator falls back to
its per-rack heat balance where the physics is absent or a hall cannot be modelled."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import Event, EventKind, reads_off
from twin.model.units import count_text
from twin.physics.cells import DEFAULT_CELL_M
from twin.physics.sample import sample_field

#: Halls above this many racks use the heat balance: a field solve per frame would not keep
#: up with a live 1 Hz source. (Frames fetched from history wait for the fill: no limit there,
#: ``twin record --start/--end --physics``; a 350-rack hall takes ~20 s and 1.2 GB to set up.)
MAX_RACKS_PER_HALL = 200
#: What ``PhysicsFill`` writes where a frame has no reading, per kind. A recording made with
#: the fill names them (``Recorder(filled_by_model=...)``), so that no fit or comparison takes
#: the model's own figures for measurements.
FILLED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rack", ("inlet_c", "exhaust_c")),
    ("air_unit", ("supply_c", "return_c", "load_w")),
)


def filled_metrics() -> tuple[str, ...]:
    """``FILLED`` as the recording names metrics: ``rack/inlet_c``, ..."""
    return tuple(f"{kind}/{name}" for kind, names in FILLED for name in names)


def available() -> bool:
    try:
        import twin.physics.model  # noqa: F401 (scipy, pyamg, numba)
    except ImportError:
        return False
    return True


class PhysicsAir:
    """Steps the hall air with ``twin.physics`` and reports per-rack and per-unit values in
    facility order (NaN for racks and units it does not model)."""

    def __init__(
        self,
        facility: Facility,
        cell_m: float = DEFAULT_CELL_M,
        flow_scale: np.ndarray | None = None,
        rack_scale: np.ndarray | None = None,
        max_racks_per_hall: int | None = MAX_RACKS_PER_HALL,
    ) -> None:
        """``flow_scale`` and ``rack_scale``: the fan speeds to solve the first fields at, as
        ``set_failed`` takes them (None: rated), so that a source whose first frame's fans
        are not at rated solves each hall once, not at rated and again at its fans.
        ``max_racks_per_hall``: larger halls are left out (None: none is)."""
        from twin.physics import ThermalModel
        from twin.physics.fan_follow import followed_flow_scale

        fac = self.facility = facility
        counts = np.bincount(fac.rack_hall, minlength=len(fac.hall_ids))
        self.models = {}
        self.problems: list[str] = []
        self._problems_taken = 0
        #: halls with racks left to the caller's heat balance from the start, and why
        limit = counts.max(initial=0) if max_racks_per_hall is None else max_racks_per_hall
        self.unmodelled: dict[int, str] = {
            int(h): f"{count_text(counts[h], 'rack')}, more than the {limit} whose air a field "
            "solve per frame keeps up with"
            for h in np.flatnonzero(counts > limit)
        }
        supplied = {s.hall for s in fac.layout.cooling.supplies if s.flow_m3s is not None}
        for h in np.flatnonzero((counts > 0) & (counts <= limit)):
            # air units, or supplies of their own flow (a plenum the layout does not model)
            if not (np.any(fac.air_unit_hall == h) or fac.hall_ids[h] in supplied):
                self.unmodelled[int(h)] = "no air unit and no supply of its own flow moves its air"
                continue
            units, _ = followed_flow_scale(None, flow_scale, np.flatnonzero(fac.air_unit_hall == h))
            racks, _ = followed_flow_scale(None, rack_scale, np.flatnonzero(fac.rack_hall == h))
            try:
                self.models[int(h)] = ThermalModel(
                    fac, hall=int(h), cell_m=cell_m, unit_flow_scale=units, rack_flow_scale=racks
                )
            except Exception as exc:  # a hall the grid cannot model: heat balance instead
                self.problems.append(f"{fac.hall_ids[h]}: {type(exc).__name__}: {exc}")

    def take_problems(self) -> list[str]:
        """The problems not taken before (halls given up since): a caller says each once."""
        new = self.problems[self._problems_taken :]
        self._problems_taken = len(self.problems)
        return new

    @property
    def halls(self) -> list[int]:
        return list(self.models)

    def set_failed(
        self,
        failed: Iterable[str],
        flow_scale: np.ndarray | None = None,
        rack_scale: np.ndarray | None = None,
    ) -> None:
        """Air units that are off (fans stopped), the air units' fan speeds measured
        (``fan_follow.measured_flow_scale``) and the racks' server-fan speeds
        (``fan_follow.rack_flow_scale``), each None when not known: a hall's flow field is
        re-solved when its failed units change or one of its air units or racks moved by
        more than ``FLOW_RESOLVE_FRACTION`` of its rated flow, and kept otherwise."""
        from twin.physics.fan_follow import followed_fans

        failed = set(failed)
        fac = self.facility
        for h, model in self.models.items():
            ids = [
                u
                for u in failed
                if u in fac.air_unit_index and fac.air_unit_hall[fac.air_unit_index[u]] == h
            ]
            units, racks, moved = followed_fans(model, flow_scale, rack_scale)
            if moved or tuple(sorted(ids)) != tuple(sorted(model.failed)):
                model.set_failed(ids, units, racks)

    def step(self, dt_s: float, rack_power_w: np.ndarray) -> dict[str, np.ndarray]:
        fac = self.facility
        out = {
            "rack_inlet_c": np.full(fac.n_racks, np.nan),
            "rack_exhaust_c": np.full(fac.n_racks, np.nan),
            "air_unit_supply_c": np.full(len(fac.air_unit_ids), np.nan),
            "air_unit_return_c": np.full(len(fac.air_unit_ids), np.nan),
            "air_unit_load_w": np.full(len(fac.air_unit_ids), np.nan),
            "sensor_temp_c": np.full(len(fac.sensor_ids), np.nan),
        }
        p = np.maximum(np.nan_to_num(rack_power_w), 0.0)
        for h, model in list(self.models.items()):
            if not self._possible_start(h, model, p):
                continue
            res = model.follow(dt_s, p)
            racks = fac.rack_hall == h
            units = fac.air_unit_hall == h
            out["rack_inlet_c"][racks] = res.rack_inlet_mean_c[racks]
            out["rack_exhaust_c"][racks] = res.rack_exhaust_c[racks]
            out["air_unit_supply_c"][units] = res.air_unit_supply_c[units]
            out["air_unit_return_c"][units] = res.air_unit_return_c[units]
            out["air_unit_load_w"][units] = res.air_unit_load_w[units]
            sensors = fac.sensor_hall == h
            if sensors.any():
                out["sensor_temp_c"][sensors] = sample_field(
                    res.air_c, res.cell_m, fac.sensor_position_m[sensors]
                )
        return out

    def _possible_start(self, h: int, model, power_w: np.ndarray) -> bool:
        """A hall's first frame starts from its steady state: where that has no possible
        figures (``plausible``: air at 100,000 C in a hall its units hardly ventilate) the hall
        goes back to the heat balance, said in ``problems``, rather than recording them."""
        if model.state is not None or not model.heat.has_supply:
            return True
        from twin.physics.plausible import impossible

        why = impossible(model.solve(power_w))
        if not why:
            return True
        del self.models[h]
        self.problems.append(f"{self.facility.hall_ids[h]}: no possible steady state ({why})")
        return False


class PhysicsFill:
    """The session's physics for live sources: fills what telemetry does not measure (rack
    inlet and exhaust, air-unit supply, return and load) from the airflow model, stepped by
    the frames' own time. Measured values are never overwritten. Air units the frames report
    off stop their fans in the model: that hall's airflow is re-solved then (and only then),
    its air temperatures kept, so the following frames show the hall warming. Measured fan
    flows (``flow_m3s``) set the units' fan speeds in the model the same way, when they move
    by more than ``fan_follow.FLOW_RESOLVE_FRACTION`` of rated, and so do the racks' server
    fans, following the racks' powers (or their measured ``flow_m3s``)."""

    #: the metrics it may write (``FILLED``), as a recording names them
    filled_by_model: tuple[str, ...] = filled_metrics()

    def __init__(
        self,
        facility: Facility,
        cell_m: float = DEFAULT_CELL_M,
        max_racks_per_hall: int | None = MAX_RACKS_PER_HALL,
    ) -> None:
        """``max_racks_per_hall``: as ``PhysicsAir`` takes it (None for frames that wait for
        the fill, as history does)."""
        self.facility = facility
        self.air = PhysicsAir(facility, cell_m, max_racks_per_hall=max_racks_per_hall)
        # said with the first frame, as the halls given up later are
        self.air.problems.extend(
            f"{facility.hall_ids[h]}: {why}" for h, why in sorted(self.air.unmodelled.items())
        )
        self._last_t: float | None = None
        #: ``kind/metric`` -> which items of the last frame hold the model's value, not a
        #: reading (the window's inspector marks them)
        self.filled: dict[str, np.ndarray] = {}

    def summary(self, seconds: float) -> str:
        """What it solved, said once it has: "physics: 1 of 1 halls' air from the airflow
        model (1.4 s)" (``twin record --physics`` and the window say the same)."""
        return (
            f"physics: {len(self.air.models)} of {len(self.facility.hall_ids)} halls' air from "
            f"the airflow model ({seconds:.1f} s)"
        )

    def rack_power_w(self, frame) -> np.ndarray:
        """Measured rack power where there is one; else from the rack's GPU readings; else
        the rack's nominal power (``devices.rack_power_from_readings``)."""
        from twin.physics.devices import rack_power_from_readings

        return rack_power_from_readings(
            self.facility, frame.rack.get("power_w"), frame.gpu.get("power_w")
        )

    def failed_units(self, frame) -> list[str] | None:
        """Air units the frame reports off (``state`` below 0.5), or None where it reports no
        states; a unit with no reading keeps the state the model has."""
        state = frame.air_unit.get("state")
        ids = self.facility.air_unit_ids
        if state is None or len(state) != len(ids):
            return None
        state = np.asarray(state, float)
        known_off = {u for h in self.air.models.values() for u in h.failed}
        return [
            u
            for u, st, off in zip(ids, state, reads_off(state), strict=True)
            if (off if np.isfinite(st) else u in known_off)
        ]

    def measured_fans(self, frame) -> np.ndarray | None:
        """The air units' fan speeds the frame measured (share of rated flow, NaN where a
        unit has no reading), or None where it reports no flows."""
        from twin.physics.fan_follow import measured_flow_scale

        return measured_flow_scale(self.facility, frame.air_unit.get("flow_m3s"))

    def update(self, frame) -> None:
        from twin.physics.fan_follow import rack_flow_scale

        dt = 1.0 if self._last_t is None else frame.time_s - self._last_t
        self._last_t = frame.time_s
        dt = float(min(max(dt, 0.1), 60.0))  # a seek or a stall: one bounded step
        failed = self.failed_units(frame)
        power = self.rack_power_w(frame)
        racks = rack_flow_scale(self.facility, power, frame.rack.get("flow_m3s"))
        # a hall's airflow is re-solved only when its fans changed beyond the threshold
        known_off = [u for m in self.air.models.values() for u in m.failed]
        self.air.set_failed(
            known_off if failed is None else failed, self.measured_fans(frame), racks
        )
        air = self.air.step(dt, power)
        self._leave_impossible(air)
        for kind, names in FILLED:
            group = frame.group(kind)
            for name in names:
                model = air[f"{kind}_{name}"]
                have = group.get(name)
                if have is None or len(have) != len(model):
                    have = np.full(len(model), np.nan, dtype=np.float32)
                measured = np.isfinite(have)
                group[name] = np.where(measured, have, model).astype(np.float32)
                self.filled[f"{kind}/{name}"] = ~measured & np.isfinite(model)
        frame.events.extend(self._new_problems(frame.time_s))

    def _leave_impossible(self, air: dict[str, np.ndarray]) -> None:
        """A hall whose stepped air left the range any hall's air can be in (``plausible
        .AIR_C``: a source handing 1e30 W of GPU power, say) is left unfilled from this frame
        on, said once: its figures would be written into frames and recordings as the
        model's, and its air would carry the heat on for many frames after."""
        from twin.physics.plausible import AIR_C, span_outside

        fac, (lo, hi) = self.facility, AIR_C
        for h in list(self.air.models):
            items = {"rack": fac.rack_hall == h, "air_unit": fac.air_unit_hall == h}
            v = np.concatenate(
                [
                    air[f"{kind}_{name}"][items[kind]]
                    for kind, names in FILLED
                    for name in names
                    if name.endswith("_c")  # temperatures (an air unit's load is in W)
                ]
            )
            span = span_outside(v, AIR_C)
            if span is None:
                continue
            del self.air.models[h]
            items["sensor"] = fac.sensor_hall == h
            for key, values in air.items():  # rack_inlet_c, air_unit_load_w, sensor_temp_c, ...
                values[next(m for kind, m in items.items() if key.startswith(f"{kind}_"))] = np.nan
            self.air.problems.append(
                f"{fac.hall_ids[h]}: its air went outside the range {lo:g}..{hi:g} °C any hall's "
                f"air can be in ({span[0]:.4g} to {span[1]:.4g} °C) at this frame's readings; "
                "not filled from here on"
            )

    def _new_problems(self, time_s: float) -> list[Event]:
        """A note for each hall the model gave up since the last frame (the grid cannot model
        it, or its air has no possible steady state): its gaps stay unfilled, and without a
        word a user reads the missing inlets as missing sensors."""
        return [
            Event(time_s, EventKind.NOTE, "physics", f"not filled from the airflow model: {p}", 1)
            for p in self.air.take_problems()
        ]
