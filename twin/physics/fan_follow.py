"""Which measured fan flows re-solve a hall's airflow while telemetry is followed.

A frame may report each air unit's airflow (``flow_m3s``). The flow field of a hall is a
steady march (seconds on a demo hall); the heat transport through it is one cheap step per
frame. So the field is re-solved with the measured fan speeds (``unit_flow_scale``: measured
over rated flow) only when some unit of the hall has moved by more than
``FLOW_RESOLVE_FRACTION`` of its rated flow since the field was solved; smaller wobbles only
step the heat transport through the field already there. Changes are measured against the
speeds the field was solved with, not the previous frame's, so a slow drift re-solves once it
has added up. No Qt.
"""

from __future__ import annotations

import numpy as np

from twin.model.facility import Facility

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
    flow = np.asarray(flow_m3s, float)
    ok = np.isfinite(flow) & (rated > 0)
    scale = np.full(len(rated), np.nan)
    scale[ok] = np.clip(flow[ok] / rated[ok], 0.0, MAX_FLOW_SCALE)
    return scale


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
