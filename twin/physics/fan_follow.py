"""Which fan flows re-solve a hall's airflow while telemetry is followed: the air units'
measured ones, and the racks' server fans following their load.

A frame may report each air unit's airflow (``flow_m3s``). The flow field of a hall is a
steady march (seconds on a demo hall); the heat transport through it is one cheap step per
frame. So the field is re-solved with the measured fan speeds (``unit_flow_scale``: measured
over rated flow) only when some unit of the hall has moved by more than
``FLOW_RESOLVE_FRACTION`` of its rated flow since the field was solved; smaller wobbles only
step the heat transport through the field already there. Changes are measured against the
speeds the field was solved with, not the previous frame's, so a slow drift re-solves once it
has added up. The racks' server fans are followed the same way (``rack_flow_scale``: a
rack's airflow over its rated one, measured where a frame carries ``flow_m3s`` for racks,
else from its power by ``twin.model.server_fans``, the simulator's own rule), so a hall at
part load is not solved with its racks pulling rated air from CRAHs that slowed down with
them. No Qt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.model.facility import Facility
from twin.model.server_fans import fan_flow_fraction, rack_load_fraction

if TYPE_CHECKING:
    from twin.physics.model import ThermalModel

#: A measured air-unit flow re-solves its hall's airflow when it differs from the flow the
#: field was solved with by more than this share of the unit's rated airflow (5 %: about the
#: resolution of a fan-speed reading, and well above the wobble of a unit holding steady).
FLOW_RESOLVE_FRACTION = 0.05
#: Highest fan speed a measurement may set, as a share of rated (the grid's own limit).
MAX_FLOW_SCALE = 1.5


def measured_flow_scale(facility: Facility, flow_m3s) -> np.ndarray | None:
    """Per air unit of ``facility``: the measured flow over the unit's rated airflow, clipped
    to 0..``MAX_FLOW_SCALE``; NaN where the unit has no reading (or no rated flow). None when
    there are no flows, or not one per air unit."""
    rated = np.asarray(facility.air_unit_airflow_m3s, float)
    if flow_m3s is None or len(flow_m3s) != len(rated):
        return None
    return _share_of_rated(flow_m3s, rated)


def _share_of_rated(flow_m3s, rated_m3s: np.ndarray) -> np.ndarray:
    """Measured flow over rated flow, clipped to 0..``MAX_FLOW_SCALE``; NaN where there is no
    reading or no rated flow."""
    flow = np.asarray(flow_m3s, float)
    ok = np.isfinite(flow) & (rated_m3s > 0)
    share = np.clip(flow / np.where(rated_m3s > 0, rated_m3s, 1.0), 0.0, MAX_FLOW_SCALE)
    return np.where(ok, share, np.nan)


def followed_flow_scale(
    solved: np.ndarray | None,
    measured: np.ndarray | None,
    hall_units: np.ndarray,
    fraction: float = FLOW_RESOLVE_FRACTION,
) -> tuple[np.ndarray | None, bool]:
    """``(scale, changed)``: the fan speeds a hall's field should have after a frame that
    measured ``measured`` (``measured_flow_scale``), given the speeds it was ``solved`` with
    (None: rated). ``changed`` when a unit of the hall (``hall_units``: facility indices)
    moved by more than ``fraction`` of its rated flow: then ``scale`` is the measured speeds
    (units without a reading keep theirs); otherwise ``scale`` is ``solved`` unchanged."""
    if measured is None:
        return solved, False
    base = np.ones(len(measured)) if solved is None else np.asarray(solved, float)
    new = np.where(np.isfinite(measured), measured, base)
    moved = np.abs(new - base)[np.asarray(hall_units, dtype=np.int64)]
    if moved.size and float(moved.max()) > fraction:
        return new, True
    return solved, False


def rack_flow_scale(
    facility: Facility, rack_power_w: np.ndarray, measured_flow_m3s=None
) -> np.ndarray:
    """Per rack: the airflow its server fans move as a share of its rated airflow, the
    measured flow over rated where ``measured_flow_m3s`` (one per rack, NaN: no reading) has
    one (clipped to 0..``MAX_FLOW_SCALE``), else the share its power implies
    (``server_fans.fan_flow_fraction``); NaN for racks with no power reading or no rated
    airflow (they keep the airflow the field has)."""
    rated = np.asarray(facility.rack_airflow_m3s, float)
    power = np.asarray(rack_power_w, float)
    scale = fan_flow_fraction(rack_load_fraction(facility.rack_power_w, power))
    if measured_flow_m3s is not None and len(measured_flow_m3s) == len(rated):
        measured = _share_of_rated(measured_flow_m3s, rated)
        scale = np.where(np.isfinite(measured), measured, scale)
    return np.where(rated > 0, scale, np.nan)


def followed_fans(
    model: ThermalModel,
    unit_scale: np.ndarray | None,
    rack_scale: np.ndarray | None,
    fraction: float = FLOW_RESOLVE_FRACTION,
) -> tuple[np.ndarray | None, np.ndarray | None, bool]:
    """``(unit_scale, rack_scale, changed)`` the ``model``'s field should have after a frame
    with these air-unit (``measured_flow_scale``) and rack (``rack_flow_scale``) fan speeds:
    ``changed`` when an air unit or a rack of its hall moved by more than ``fraction`` of its
    rated flow from the speeds the field was solved with (see ``followed_flow_scale``)."""
    fac, hall = model.facility, model.hall
    units, moved_u = followed_flow_scale(
        model.unit_flow_scale, unit_scale, np.flatnonzero(fac.air_unit_hall == hall), fraction
    )
    racks, moved_r = followed_flow_scale(
        model.rack_flow_scale, rack_scale, np.flatnonzero(fac.rack_hall == hall), fraction
    )
    return units, racks, moved_u or moved_r
