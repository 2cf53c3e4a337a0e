"""What a telemetry frame says one hall ran under, as the airflow model takes it: the racks'
powers, the air units it reports off and the fans' speeds. The window's Thermal dock follows
frames with it, and ``twin render --recording --at T --thermal`` solves the instant with it.
No Qt, no VTK."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.model.frame import reads_off
from twin.physics.devices import rack_power_from_readings
from twin.physics.fan_follow import measured_flow_scale, rack_flow_scale

if TYPE_CHECKING:
    from twin.model.facility import Facility


def frame_inputs(
    facility: Facility, hall: int, frame
) -> tuple[np.ndarray, set[str], np.ndarray | None, np.ndarray] | None:
    """A frame's rack powers (from their GPUs' readings where a rack has none of its own, as
    in live DCGM data; nominal where neither read: ``rack_power_from_readings``), the air
    units of ``hall`` it reports off, the fan speeds it measured (``measured_flow_scale``:
    None without flows), and the racks' server-fan speeds (``rack_flow_scale``: their
    measured flows, else their powers'); None when the frame has no rack powers for this
    layout."""
    f = facility
    p = frame.rack.get("power_w") if hasattr(frame, "rack") else None
    if p is None or len(p) != f.n_racks:
        return None
    gpu = getattr(frame, "gpu", {}).get("power_w")
    p = rack_power_from_readings(f, np.asarray(p, float), gpu)
    p = np.where(p >= 0, p, f.rack_power_w)
    off: set[str] = set()
    state = frame.air_unit.get("state")
    if state is not None and len(state) == len(f.air_unit_ids):
        down = reads_off(state) & (f.air_unit_hall == hall)
        off = {f.air_unit_ids[a] for a in np.flatnonzero(down)}
    fans = measured_flow_scale(f, frame.air_unit.get("flow_m3s"))
    return p, off, fans, rack_flow_scale(f, p, frame.rack.get("flow_m3s"))
