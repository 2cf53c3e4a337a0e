"""Rack inlets and air-unit temperatures from the airflow physics (``twin.physics``), one
``ThermalModel`` per hall with racks, for the simulator. Optional: the simulator falls back to
its per-rack heat balance where the physics is absent or a hall cannot be modelled."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from twin.model.facility import Facility

#: Halls above this many racks use the heat balance: a field solve per frame would not keep
#: up with a live 1 Hz source (about 0.1 s per step for a 16-rack hall at 0.2 m cells).
MAX_RACKS_PER_HALL = 200


def available() -> bool:
    try:
        import twin.physics  # noqa: F401
    except ImportError:
        return False
    return True


class PhysicsAir:
    """Steps the hall air with ``twin.physics`` and reports per-rack and per-unit values in
    facility order (NaN for racks and units it does not model)."""

    def __init__(self, facility: Facility, cell_m: float = 0.2) -> None:
        from twin.physics import ThermalModel

        fac = self.facility = facility
        counts = np.bincount(fac.rack_hall, minlength=len(fac.hall_ids))
        self.models = {}
        self.problems: list[str] = []
        for h in np.flatnonzero((counts > 0) & (counts <= MAX_RACKS_PER_HALL)):
            has_units = np.any(fac.air_unit_hall == h)
            if not has_units:
                continue
            try:
                self.models[int(h)] = ThermalModel(fac, hall=int(h), cell_m=cell_m)
            except Exception as exc:  # a hall the grid cannot model: heat balance instead
                self.problems.append(f"{fac.hall_ids[h]}: {type(exc).__name__}: {exc}")

    @property
    def halls(self) -> list[int]:
        return list(self.models)

    def set_failed(self, failed: Iterable[str]) -> None:
        """Air units that are off (fans stopped): new flow fields for their halls."""
        failed = set(failed)
        fac = self.facility
        for h, model in self.models.items():
            ids = [
                u
                for u in failed
                if u in fac.air_unit_index and fac.air_unit_hall[fac.air_unit_index[u]] == h
            ]
            if tuple(sorted(ids)) != tuple(sorted(model.failed)):
                model.set_failed(ids)

    def step(self, dt_s: float, rack_power_w: np.ndarray) -> dict[str, np.ndarray]:
        fac = self.facility
        out = {
            "rack_inlet_c": np.full(fac.n_racks, np.nan),
            "rack_exhaust_c": np.full(fac.n_racks, np.nan),
            "air_unit_supply_c": np.full(len(fac.air_unit_ids), np.nan),
            "air_unit_return_c": np.full(len(fac.air_unit_ids), np.nan),
            "air_unit_load_w": np.full(len(fac.air_unit_ids), np.nan),
        }
        p = np.maximum(np.nan_to_num(rack_power_w), 0.0)
        for h, model in self.models.items():
            res = model.step(dt_s, p)
            racks = fac.rack_hall == h
            units = fac.air_unit_hall == h
            out["rack_inlet_c"][racks] = res.rack_inlet_mean_c[racks]
            out["rack_exhaust_c"][racks] = res.rack_exhaust_c[racks]
            out["air_unit_supply_c"][units] = res.air_unit_supply_c[units]
            out["air_unit_return_c"][units] = res.air_unit_return_c[units]
            out["air_unit_load_w"][units] = res.air_unit_load_w[units]
        return out
