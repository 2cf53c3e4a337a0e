"""Facility power and PUE: IT, power-chain losses, fans, pumps, chillers, heat rejection,
lighting and fixed loads, for the whole site and per hall, from the layout at nominal load or
from one frame of telemetry.

    PUE = total facility power / IT power (The Green Grid)
    partial PUE of a hall = (everything inside the hall's boundary + its share of the plant) /
                            the hall's IT power
    cooling kW per IT kW = (fans + pumps + chillers + heat rejection) / IT

Where the heat goes: an air unit carries its hall's air-side rack heat, the fans' own heat and
the lighting, shared among the running units by airflow; a CDU carries its racks' liquid heat
and its pump's heat. A plant carries the units it serves, making water at the coldest
temperature any of them needs (air unit: supply - coil approach; CDU: supply - approach).
Power-chain losses are each device's ``load (1/efficiency - 1)`` with the loads of
``Facility.power_load_w``; the cooling plant is taken to be fed outside the UPS chain.

Frames are read duck-typed (``frame.rack["power_w"]``, ``frame.air_unit["flow_m3s"]``, ...):
a NaN or a missing metric falls back on the layout's value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from twin.model.catalog_schema import ChillerType, HeatRejectionType
from twin.model.facility import Facility
from twin.model.frame import reads_off
from twin.model.schema import CoolingPlant, Energy, is_time_of_day, outdoor_time_s
from twin.model.units import finite_or_none
from twin.physics.devices import SAMPLED_FRAMES, rack_power_from_readings
from twin.physics.plant import PlantPower, affinity_power_w, plant_power

#: Fan power of an air unit type without ``fan_kw``, per m3/s of rated flow (W).
DEFAULT_FAN_W_PER_M3S = 800.0
#: Pump of a CDU type without ``pump_kw``: head (Pa) and efficiency.
DEFAULT_CDU_PUMP = (200e3, 0.6)
#: The plant assumed for a layout without an ``energy:`` block.
DEFAULT_CHILLER = "chiller-wc-1750kw"
DEFAULT_HEAT_REJECTION = "tower-4000kw"


@dataclass
class Conditions:
    """What the energy depends on at one instant (facility index order)."""

    rack_power_w: np.ndarray
    air_unit_flow_m3s: np.ndarray  # 0 when off
    air_unit_supply_c: np.ndarray
    cdu_flow_lps: np.ndarray  # 0 when off
    cdu_supply_c: np.ndarray
    power_failed: tuple[str, ...]
    dry_bulb_c: float
    wet_bulb_c: float | None
    #: what a frame did not read and the layout gave (``frame_assumed``)
    assumed: tuple[str, ...] = ()


@dataclass
class EnergyBreakdown:
    """Facility power at one instant (W), its PUE and where it goes."""

    it_w: float
    chain_loss_w: float
    fans_w: float
    pumps_w: float  # CDU pumps and plant pumps
    chillers_w: float
    heat_rejection_w: float
    lighting_w: float
    fixed_w: float
    hall_ids: list[str]
    hall_it_w: np.ndarray
    hall_total_w: np.ndarray
    air_unit_fan_w: np.ndarray
    cdu_pump_w: np.ndarray
    plant_ids: list[str]
    plants: list[PlantPower]
    dry_bulb_c: float
    notes: list[str] = field(default_factory=list)

    @property
    def cooling_w(self) -> float:
        return self.fans_w + self.pumps_w + self.chillers_w + self.heat_rejection_w

    @property
    def total_w(self) -> float:
        return self.it_w + self.chain_loss_w + self.cooling_w + self.lighting_w + self.fixed_w

    @property
    def pue(self) -> float:
        return self.total_w / self.it_w if self.it_w > 0 else math.nan

    @property
    def cooling_per_it(self) -> float:
        return self.cooling_w / self.it_w if self.it_w > 0 else math.nan

    @property
    def hall_ppue(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.hall_it_w > 0, self.hall_total_w / self.hall_it_w, np.nan)

    def as_dict(self) -> dict:
        """Plain numbers (kW) for JSON; a ratio with no IT under it is None (JSON has no NaN:
        ``json.dumps`` would write one that a strict reader refuses)."""

        def kw(w: float) -> float:
            return round(float(w) / 1e3, 3)

        return {
            "it_kw": kw(self.it_w),
            "total_kw": kw(self.total_w),
            "pue": finite_or_none(self.pue, 4),
            "cooling_kw_per_it_kw": finite_or_none(self.cooling_per_it, 4),
            "breakdown_kw": {
                "it": kw(self.it_w),
                "power_chain_losses": kw(self.chain_loss_w),
                "fans": kw(self.fans_w),
                "pumps": kw(self.pumps_w),
                "chillers": kw(self.chillers_w),
                "heat_rejection": kw(self.heat_rejection_w),
                "lighting": kw(self.lighting_w),
                "fixed": kw(self.fixed_w),
            },
            "halls": [
                {"id": h, "it_kw": kw(it), "total_kw": kw(tot), "ppue": finite_or_none(pp, 4)}
                for h, it, tot, pp in zip(
                    self.hall_ids, self.hall_it_w, self.hall_total_w, self.hall_ppue, strict=True
                )
            ],
            "plants": [
                {
                    "id": pid,
                    "load_kw": kw(p.load_w),
                    "supply_c": round(p.supply_c, 2),
                    "free_cooling": round(p.free_fraction, 3),
                    "cop": None if math.isnan(p.cop) else round(p.cop, 3),
                    "chillers_kw": kw(p.chiller_w),
                    "heat_rejection_kw": kw(p.heat_rejection_w),
                    "pumps_kw": kw(p.pumps_w),
                    "over_capacity": p.over_capacity,
                }
                for pid, p in zip(self.plant_ids, self.plants, strict=True)
            ],
            "outdoor_c": self.dry_bulb_c,
            "notes": list(self.notes),
        }


def default_energy(facility: Facility) -> Energy:
    """The plant assumed when a layout declares none: water-cooled chillers and cooling
    towers from the shipped catalog, sized for the nominal heat with one spare chiller."""
    heat_kw = float(facility.rack_power_w.sum()) / 1e3 * 1.1
    cat = facility.catalog
    chillers = max(math.ceil(heat_kw / cat[DEFAULT_CHILLER].capacity_kw), 1) + 1
    towers = max(math.ceil(heat_kw * 1.25 / cat[DEFAULT_HEAT_REJECTION].capacity_kw), 1)
    plant = CoolingPlant(
        id="default-plant",
        chiller=DEFAULT_CHILLER,
        chillers=chillers,
        heat_rejection=DEFAULT_HEAT_REJECTION,
        heat_rejection_units=towers,
    )
    return Energy(plants=[plant])


class EnergyModel:
    """Energy of one facility: per-unit constants and plant assignments worked out once;
    ``breakdown`` is then a handful of vector operations."""

    def __init__(self, facility: Facility, energy: Energy | None = None):
        self.facility = facility
        self.declared = facility.layout.energy is not None or energy is not None
        self.energy = energy or facility.layout.energy or default_energy(facility)
        self._unit_constants()
        self._assign_plants()
        self._outdoor = _OutdoorSeries(self.energy)
        area = facility.hall_size_m[:, 0] * facility.hall_size_m[:, 1]
        self.hall_lighting_w = self.energy.lighting_w_m2 * area

    # ---------------------------------------------------------------- set-up
    def _unit_constants(self) -> None:
        fac, cat, lay = self.facility, self.facility.catalog, self.facility.layout
        au = [cat[u.type] for u in lay.cooling.air_units]
        self.air_unit_rated_m3s = fac.air_unit_rated_m3s
        self.air_unit_fan_rated_w = np.array(
            [
                t.fan_kw * 1e3 if t.fan_kw is not None else DEFAULT_FAN_W_PER_M3S * t.airflow_m3s
                for t in au
            ],
            dtype=float,
        )
        self.air_unit_coil_approach_k = np.array([t.coil_approach_k for t in au], dtype=float)
        self.air_unit_min_flow = np.array([t.min_flow_fraction for t in au], dtype=float)
        cd = [cat[c.type] for c in lay.cooling.cdus]
        self.cdu_rated_lps = np.array([t.flow_lps for t in cd], dtype=float)
        head, eta = DEFAULT_CDU_PUMP
        self.cdu_pump_rated_w = np.array(
            [
                t.pump_kw * 1e3 if t.pump_kw is not None else head * t.flow_lps * 1e-3 / eta
                for t in cd
            ],
            dtype=float,
        )
        self.cdu_approach_k = np.array([t.approach_k for t in cd], dtype=float)
        self.n_halls = len(fac.hall_ids)

    def _assign_plants(self) -> None:
        """Which plant serves each air unit and CDU (-1: none); a plant with an empty
        ``serves`` takes every unit no other plant names."""
        fac = self.facility
        plants = self.energy.plants
        self.plant_ids = [p.id for p in plants]
        self.air_unit_plant = np.full(len(fac.air_unit_ids), -1, dtype=np.int32)
        self.cdu_plant = np.full(len(fac.cdu_ids), -1, dtype=np.int32)
        catch_all = -1
        for k, p in enumerate(plants):
            if not p.serves:
                catch_all = k if catch_all < 0 else catch_all
            for ref in p.serves:
                if ref == "air":
                    self.air_unit_plant[self.air_unit_plant < 0] = k
                elif ref == "liquid":
                    self.cdu_plant[self.cdu_plant < 0] = k
                elif ref in fac.air_unit_index:
                    self.air_unit_plant[fac.air_unit_index[ref]] = k
                elif ref in fac.cdu_index:
                    self.cdu_plant[fac.cdu_index[ref]] = k
                elif ref in fac.hall_index:
                    h = fac.hall_index[ref]
                    self.air_unit_plant[(fac.air_unit_hall == h) & (self.air_unit_plant < 0)] = k
                    self.cdu_plant[(fac.cdu_hall == h) & (self.cdu_plant < 0)] = k
        if catch_all >= 0:
            self.air_unit_plant[self.air_unit_plant < 0] = catch_all
            self.cdu_plant[self.cdu_plant < 0] = catch_all
        cat = fac.catalog
        self._chillers: list[ChillerType | None] = [
            cat[p.chiller] if p.chiller else None for p in plants
        ]  # type: ignore[misc]
        self._hr: list[HeatRejectionType | None] = [
            cat[p.heat_rejection] if p.heat_rejection else None for p in plants
        ]  # type: ignore[misc]

    # ---------------------------------------------------------------- inputs
    def outdoor_at(self, time_s: float | None) -> tuple[float, float | None]:
        """(dry bulb, wet bulb or None) at a time (seconds since the epoch; None: constant)."""
        return self._outdoor.at(time_s)

    def nominal(self) -> Conditions:
        """The layout as declared: nominal rack powers, units at their set points."""
        fac = self.facility
        dry, wet = self.outdoor_at(None)
        return Conditions(
            rack_power_w=fac.rack_power_w.copy(),
            air_unit_flow_m3s=fac.air_unit_airflow_m3s * fac.air_unit_on,
            air_unit_supply_c=fac.air_unit_supply_c.copy(),
            cdu_flow_lps=fac.cdu_flow_lps * fac.cdu_on,
            cdu_supply_c=fac.cdu_supply_c.copy(),
            power_failed=tuple(np.asarray(fac.power_ids, dtype=object)[~fac.power_on]),
            dry_bulb_c=dry,
            wet_bulb_c=wet,
        )

    def from_frame(self, frame) -> Conditions:
        """Conditions in a frame; NaN or missing values take the layout's, but for a rack's
        power, which its GPUs' readings give where it has none of its own."""
        base = self.nominal()
        dry, wet = self.outdoor_at(float(frame.time_s))

        def pick(group: dict, name: str, fallback: np.ndarray) -> np.ndarray:
            vals = group.get(name)
            if vals is None or len(vals) != len(fallback):
                return fallback
            vals = np.asarray(vals, dtype=float)
            return np.where(np.isfinite(vals), vals, fallback)

        fac = self.facility
        # NaN states took the layout's above, so "not off" is on
        au_on = ~reads_off(pick(frame.air_unit, "state", fac.air_unit_on.astype(float)))
        cdu_on = ~reads_off(pick(frame.cdu, "state", fac.cdu_on.astype(float)))
        p_on = ~reads_off(pick(frame.power, "state", fac.power_on.astype(float)))
        return replace(
            base,
            # a rack with no reading of its own: from its GPUs' (live DCGM data), else nominal
            rack_power_w=np.maximum(
                rack_power_from_readings(fac, frame.rack.get("power_w"), frame.gpu.get("power_w")),
                0.0,
            ),
            # a negative reading moves no air (as the physics clips it); left in, it would
            # hand the other units of its hall more than their hall's heat
            air_unit_flow_m3s=np.maximum(
                pick(frame.air_unit, "flow_m3s", fac.air_unit_airflow_m3s), 0.0
            )
            * au_on,
            air_unit_supply_c=pick(frame.air_unit, "supply_c", base.air_unit_supply_c),
            cdu_flow_lps=pick(frame.cdu, "flow_lps", fac.cdu_flow_lps) * cdu_on,
            cdu_supply_c=pick(frame.cdu, "supply_c", base.cdu_supply_c),
            power_failed=tuple(np.asarray(fac.power_ids, dtype=object)[~p_on]),
            dry_bulb_c=dry,
            wet_bulb_c=wet,
            assumed=tuple(frame_assumed(fac, frame)),
        )

    # ---------------------------------------------------------------- figures
    def chain_losses_w(self, rack_power_w: np.ndarray, failed: tuple[str, ...]) -> np.ndarray:
        """(H,) power-chain losses caused by each hall's racks: each device's
        ``load (1/efficiency - 1)``, the loads from ``Facility.power_load_w`` (linear in the
        rack powers, so the halls' losses add up to the site's)."""
        fac = self.facility
        factor = 1.0 / np.maximum(fac.power_efficiency, 1e-9) - 1.0
        out = np.zeros(self.n_halls)
        if not len(fac.power_ids) or not factor.any():
            return out
        for h in range(self.n_halls):
            p = np.where(fac.rack_hall == h, rack_power_w, 0.0)
            if p.any():
                out[h] = float(fac.power_load_w(p, failed) @ factor)
        return out

    def breakdown(self, cond: Conditions | None = None) -> EnergyBreakdown:
        """Facility power at ``cond`` (the layout's nominal state by default)."""
        cond = self.nominal() if cond is None else cond
        fac = self.facility
        H = self.n_halls
        p = np.asarray(cond.rack_power_w, float)
        hall_it = np.bincount(fac.rack_hall, p, minlength=H)
        losses = self.chain_losses_w(p, cond.power_failed)
        fans = affinity_power_w(
            self.air_unit_fan_rated_w, cond.air_unit_flow_m3s, self.air_unit_rated_m3s
        )
        cdu_pumps = affinity_power_w(self.cdu_pump_rated_w, cond.cdu_flow_lps, self.cdu_rated_lps)
        hall_fans = np.bincount(fac.air_unit_hall, fans, minlength=H)
        hall_cdu = np.bincount(fac.cdu_hall, cdu_pumps, minlength=H)

        # heat each unit hands to its plant
        air_heat = np.bincount(fac.rack_hall, p * (1 - fac.rack_liquid_fraction), minlength=H)
        flow = np.asarray(cond.air_unit_flow_m3s, float)
        hall_flow = np.bincount(fac.air_unit_hall, flow, minlength=H)
        share = np.divide(
            flow,
            hall_flow[fac.air_unit_hall],
            out=np.zeros_like(flow),
            where=hall_flow[fac.air_unit_hall] > 0,
        )
        air_unit_heat = (air_heat + hall_fans + self.hall_lighting_w)[fac.air_unit_hall] * share
        cdu_heat = fac.cdu_load_w(p) * (np.asarray(cond.cdu_flow_lps) > 0) + cdu_pumps

        plants, hall_plant = self._plants(cond, air_unit_heat, cdu_heat)
        hall_total = hall_it + losses + hall_fans + hall_cdu + self.hall_lighting_w + hall_plant
        notes = [] if self.declared else ["no energy: block in the layout: default plant"]
        notes += [
            f"plant {i} is over capacity"
            for i, q in zip(self.plant_ids, plants, strict=True)
            if q.over_capacity
        ]
        notes += [f"assumed: {what}" for what in cond.assumed]
        return EnergyBreakdown(
            it_w=float(p.sum()),
            chain_loss_w=float(losses.sum()),
            fans_w=float(fans.sum()),
            pumps_w=float(cdu_pumps.sum() + sum(q.pumps_w for q in plants)),
            chillers_w=float(sum(q.chiller_w for q in plants)),
            heat_rejection_w=float(sum(q.heat_rejection_w for q in plants)),
            lighting_w=float(self.hall_lighting_w.sum()),
            fixed_w=self.energy.fixed_kw * 1e3,
            hall_ids=list(fac.hall_ids),
            hall_it_w=hall_it,
            hall_total_w=hall_total,
            air_unit_fan_w=fans,
            cdu_pump_w=cdu_pumps,
            plant_ids=list(self.plant_ids),
            plants=plants,
            dry_bulb_c=cond.dry_bulb_c,
            notes=notes,
        )

    def _plants(
        self, cond: Conditions, air_unit_heat: np.ndarray, cdu_heat: np.ndarray
    ) -> tuple[list[PlantPower], np.ndarray]:
        """Each plant's power, and each hall's share of it (by the heat its units hand over)."""
        fac = self.facility
        hall_plant = np.zeros(self.n_halls)
        out = []
        au_need = np.asarray(cond.air_unit_supply_c) - self.air_unit_coil_approach_k
        cdu_need = np.asarray(cond.cdu_supply_c) - self.cdu_approach_k
        au_run = np.asarray(cond.air_unit_flow_m3s) > 0
        cdu_run = np.asarray(cond.cdu_flow_lps) > 0
        for k, spec in enumerate(self.energy.plants):
            au = (self.air_unit_plant == k) & au_run
            cd = (self.cdu_plant == k) & cdu_run
            load = float(air_unit_heat[au].sum() + cdu_heat[cd].sum())
            needs = np.concatenate([au_need[au], cdu_need[cd]])
            supply = float(needs.min()) if len(needs) else 20.0
            pp = plant_power(
                load_w=load,
                supply_c=supply,
                delta_t_k=spec.loop_delta_t_k,
                chiller=self._chillers[k],
                chillers=spec.chillers,
                heat_rejection=self._hr[k],
                heat_rejection_units=spec.heat_rejection_units,
                dry_bulb_c=cond.dry_bulb_c,
                wet_bulb_c=cond.wet_bulb_c,
                pump_head_pa=spec.pump_head_kpa * 1e3,
                condenser_pump_head_pa=spec.condenser_pump_head_kpa * 1e3,
                pump_efficiency=spec.pump_efficiency,
            )
            out.append(pp)
            if load > 0:
                by_hall = np.zeros(self.n_halls)
                by_hall += np.bincount(fac.air_unit_hall[au], air_unit_heat[au], self.n_halls)
                by_hall += np.bincount(fac.cdu_hall[cd], cdu_heat[cd], self.n_halls)
                hall_plant += pp.total_w * by_hall / load
        return out, hall_plant


class _OutdoorSeries:
    """The outdoor temperature: a constant, or a series by time of day (``HH:MM``, repeated
    daily, UTC) or by absolute ISO 8601 time, interpolated linearly."""

    def __init__(self, energy: Energy):
        self.dry_c = energy.outdoor_c
        self.wet_c = energy.outdoor_wet_bulb_c
        pts = energy.outdoor_series
        self.daily = bool(pts) and is_time_of_day(pts[0].at)
        t = np.array([outdoor_time_s(p.at) for p in pts], dtype=float)
        order = np.argsort(t, kind="stable")
        self.t = t[order]
        self.dry = np.array([pts[i].dry_bulb_c for i in order], dtype=float)
        wet = [pts[i].wet_bulb_c for i in order]
        self.wet = None if any(w is None for w in wet) or not wet else np.array(wet, float)

    def at(self, time_s: float | None) -> tuple[float, float | None]:
        """(dry bulb, wet bulb or None) at ``time_s``. The constant wet bulb is checked against
        the constant dry bulb only; air is never wetter than saturated, so where a series
        point is colder, it caps the wet bulb."""
        dry, wet = self._at(time_s)
        return dry, (None if wet is None else min(wet, dry))

    def _at(self, time_s: float | None) -> tuple[float, float | None]:
        if not len(self.t) or time_s is None or not math.isfinite(time_s):
            if len(self.t) and (time_s is None or not math.isfinite(time_s)):
                return float(self.dry.mean()), (
                    float(self.wet.mean()) if self.wet is not None else self.wet_c
                )
            return self.dry_c, self.wet_c
        if self.daily:
            x = time_s % 86400.0
            kw = {"period": 86400.0}
        else:
            x, kw = time_s, {}
        dry = float(np.interp(x, self.t, self.dry, **kw))
        wet = float(np.interp(x, self.t, self.wet, **kw)) if self.wet is not None else self.wet_c
        return dry, wet


#: An interval between a series' frames this many times its median interval, and at least
#: ``GAP_MIN_S``, is a gap in the data (``EnergySeries.gaps``): a 1 Hz recording that stops
#: for a minute, a 15 s poll for two and a half.
GAP_FACTOR = 10.0
GAP_MIN_S = 60.0


@dataclass
class EnergySeries:
    """Facility power over time (one value per frame; W, C)."""

    time_s: np.ndarray
    it_w: np.ndarray
    total_w: np.ndarray
    chain_loss_w: np.ndarray
    fans_w: np.ndarray
    pumps_w: np.ndarray
    chillers_w: np.ndarray
    heat_rejection_w: np.ndarray
    outdoor_c: np.ndarray

    @property
    def pue(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.it_w > 0, self.total_w / self.it_w, np.nan)

    @property
    def cooling_w(self) -> np.ndarray:
        return self.fans_w + self.pumps_w + self.chillers_w + self.heat_rejection_w

    def as_lists(self) -> dict:
        """The series for JSON: kW and °C rounded, a PUE with no IT under it None."""
        return {
            "time_s": self.time_s.tolist(),
            "it_kw": (self.it_w / 1e3).round(3).tolist(),
            "total_kw": (self.total_w / 1e3).round(3).tolist(),
            "cooling_kw": (self.cooling_w / 1e3).round(3).tolist(),
            "pue": [finite_or_none(v, 4) for v in self.pue],
            "outdoor_c": [finite_or_none(v, 2) for v in self.outdoor_c],
        }

    def gaps(self) -> np.ndarray:
        """Which intervals between frames are gaps in the data (``GAP_FACTOR`` times the
        median interval and at least ``GAP_MIN_S``): a recorder that was off, not a power
        held steady, so no energy is counted across them."""
        dt = np.diff(self.time_s)
        if len(dt) == 0:
            return np.zeros(0, bool)
        return dt > max(GAP_FACTOR * float(np.median(dt)), GAP_MIN_S)

    def energy_kwh(self, power_w: np.ndarray) -> float:
        """Energy over the span (trapezoid rule) but its gaps; one frame alone counts no time."""
        if len(self.time_s) < 2:
            return 0.0
        t, p = self.time_s, power_w
        dt = np.where(self.gaps(), 0.0, np.diff(t))
        return float(np.sum(0.5 * (p[1:] + p[:-1]) * dt)) / 3.6e6

    def energy_kwh_each(self, power_w: np.ndarray) -> np.ndarray:
        """``energy_kwh`` of each column of a (frames, n) array of powers (W): the heat each
        air unit removed, by the rule the facility's energy is counted by."""
        p = np.asarray(power_w, float)
        if len(self.time_s) < 2:
            return np.zeros(p.shape[1:])
        dt = np.where(self.gaps(), 0.0, np.diff(self.time_s))
        return dt @ (0.5 * (p[1:] + p[:-1])) / 3.6e6

    def summary(self) -> dict:
        """Energies over the span, the energy-weighted PUE and where PUE peaked."""
        pue = self.pue
        it_kwh, total_kwh = self.energy_kwh(self.it_w), self.energy_kwh(self.total_w)
        ok = np.isfinite(pue)
        hi = int(np.nanargmax(np.where(ok, pue, -np.inf))) if ok.any() else -1
        lo = int(np.nanargmin(np.where(ok, pue, np.inf))) if ok.any() else -1
        gaps = self.gaps()
        return {
            "frames": int(len(self.time_s)),
            # intervals left out of the energies (``gaps``) and the time they span
            "gaps": int(gaps.sum()),
            "gap_s": float(np.diff(self.time_s)[gaps].sum()),
            "it_kwh": round(it_kwh, 3),
            "facility_kwh": round(total_kwh, 3),
            "cooling_kwh": round(self.energy_kwh(self.cooling_w), 3),
            "pue": round(total_kwh / it_kwh, 4)
            if it_kwh > 0
            else (round(float(np.nanmean(pue)), 4) if ok.any() else None),
            "pue_min": round(float(pue[lo]), 4) if lo >= 0 else None,
            "pue_min_time_s": float(self.time_s[lo]) if lo >= 0 else None,
            "pue_max": round(float(pue[hi]), 4) if hi >= 0 else None,
            "pue_max_time_s": float(self.time_s[hi]) if hi >= 0 else None,
            "mean_it_kw": round(float(np.mean(self.it_w)) / 1e3, 3) if len(self.it_w) else None,
            "mean_total_kw": round(float(np.mean(self.total_w)) / 1e3, 3)
            if len(self.total_w)
            else None,
        }


def gap_note(summary: dict) -> str:
    """The energies' caveat for an ``EnergySeries.summary`` with gaps ("" without): what
    time they leave out, so a total is not read as the whole span's."""
    n, s = summary.get("gaps", 0), summary.get("gap_s", 0.0)
    if not n:
        return ""
    units = (("days", 86_400.0), ("h", 3_600.0), ("min", 60.0), ("s", 1.0))
    unit, size = next((u, v) for u, v in units if s >= v or u == "s")
    span = f"{s / size:,.1f} {unit}"
    return f" (not counted: {n} gap{'s' if n > 1 else ''} in the data, {span})"


#: (kind, metric, items' name, what the energy takes without the reading)
_ASSUMED = (
    ("rack", "power_w", "racks without a power reading of their own",
     "from their GPUs' readings, their nominal power where those are missing too"),
    ("air_unit", "state", "air units without a state reading", "taken as running"),
    ("air_unit", "flow_m3s", "air units without a flow reading", "their fans at rated flow"),
    ("cdu", "state", "CDUs without a state reading", "taken as running"),
    ("cdu", "flow_lps", "CDUs without a flow reading", "their pumps at rated flow"),
)  # fmt: skip


def assumed_in(rows) -> list[str]:
    """What an energy takes from the layout rather than from readings, one phrase per
    reading some items went without in ``rows`` ({(kind, metric): (frames, items) array},
    the readings the energy read): "air units without a flow reading (6 of 6): their fans at
    rated flow". Live dcgm-exporter data holds GPU readings only, so its cooling power is the
    layout's, not a measurement, and a PUE from it says so."""
    out = []
    for kind, name, which, how in _ASSUMED:
        values = rows.get((kind, name))
        if values is None or not np.shape(values)[-1]:
            continue  # not read, or a kind the layout has none of
        unread = int((~np.isfinite(np.atleast_2d(values))).any(axis=0).sum())
        if unread:
            out.append(f"{which} ({unread} of {np.shape(values)[-1]}): {how}")
    return out


def assumed_readings(rec) -> list[str]:
    """``assumed_in`` a recording's frames: 64 spread over it, as ``rack_power_kinds`` looks."""
    if not rec.n_frames:
        return []
    step = max(1, rec.n_frames // SAMPLED_FRAMES)
    return assumed_in(
        {
            (kind, name): rec.metric_rows(kind, name, step)[1]
            for kind, name, _, _ in _ASSUMED
            if name in {m for m, _, _ in rec.metrics.get(kind, ())}
        }
    )


def frame_assumed(facility: Facility, frame) -> list[str]:
    """``assumed_in`` one frame (the Energy dock's live figures): a reading absent or of the
    wrong length is none for every item."""
    counts = facility.counts()
    rows = {}
    for kind, name, _, _ in _ASSUMED:
        values = getattr(frame, kind).get(name)  # frame.group(kind), as stand-ins offer it
        fits = values is not None and len(values) == counts[kind]
        rows[(kind, name)] = values if fits else np.full(counts[kind], np.nan)
    return assumed_in(rows)


def energy_series(model: EnergyModel, frames) -> EnergySeries:
    """Facility power for each frame of an iterable (e.g. a recording's frames)."""
    rows = []
    for frame in frames:
        b = model.breakdown(model.from_frame(frame))
        rows.append(
            (
                float(frame.time_s),
                b.it_w,
                b.total_w,
                b.chain_loss_w,
                b.fans_w,
                b.pumps_w,
                b.chillers_w,
                b.heat_rejection_w,
                b.dry_bulb_c,
            )
        )
    cols = np.array(rows, dtype=float).reshape(-1, 9).T
    return EnergySeries(*cols)
