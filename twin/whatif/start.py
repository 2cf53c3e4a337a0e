"""Where a what-if starts: nominal load, or one frame (an instant of a replay, or the live
frame now). Values a frame lacks (NaN or absent) fall back to nominal."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import reads_off
from twin.physics.devices import gpu_power_from_racks, rack_power_from_readings


@dataclass
class StartState:
    """Loads, GPU temperatures and devices already off at the start of a what-if.

    ``gpu_temp_c`` is NaN where unknown (the steady temperature is used there);
    ``off`` lists devices (air units, CDUs, power devices) already off at the start."""

    label: str
    time_s: float | None
    rack_power_w: np.ndarray
    gpu_power_w: np.ndarray
    gpu_temp_c: np.ndarray
    off: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def nominal(cls, facility: Facility) -> StartState:
        """Every rack at its nominal power, every device as the layout states it."""
        return cls(
            "nominal load",
            None,
            facility.rack_power_w.copy(),
            facility.gpu_tdp_w.copy(),
            np.full(facility.n_gpus, np.nan),
        )

    @classmethod
    def from_frame(cls, facility: Facility, frame, label: str = "frame") -> StartState:
        """From a ``Frame`` (replay or live): rack and GPU powers (a rack with no reading of
        its own from its GPUs', as live DCGM data has), GPU temperatures, and the units and
        power devices the frame reports off (``state`` 0)."""
        fac = facility

        def take(group: dict, name: str, n: int) -> np.ndarray:
            a = group.get(name)
            return np.full(n, np.nan) if a is None else np.asarray(a, float)

        gp = take(frame.gpu, "power_w", fac.n_gpus)
        rack_w = rack_power_from_readings(fac, take(frame.rack, "power_w", fac.n_racks), gp)
        gpu_w = np.where(np.isfinite(gp), gp, gpu_power_from_racks(fac, rack_w))
        off = []
        for kind, ids in (
            ("air_unit", fac.air_unit_ids),
            ("cdu", fac.cdu_ids),
            ("power", fac.power_ids),
        ):
            st = take(frame.group(kind), "state", len(ids))
            off += [ids[i] for i in np.flatnonzero(reads_off(st))]
        return cls(
            label,
            float(frame.time_s),
            rack_w,
            gpu_w,
            take(frame.gpu, "temp_c", fac.n_gpus),
            tuple(off),
        )
