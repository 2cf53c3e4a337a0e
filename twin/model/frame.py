"""One instant of the hall: arrays in the facility's index order, NaN where a value is missing.

Every consumer (physics, recorder, scene, charts) works on these arrays directly, so a frame
of 100,000 GPUs is a handful of contiguous float32 vectors, never a list of objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

# Metric names per item kind, with unit and the resolution the recorder stores them at.
# (name, unit, resolution)
GPU_METRICS: tuple[tuple[str, str, float], ...] = (
    ("temp_c", "degC", 0.1),
    ("mem_temp_c", "degC", 0.1),
    ("power_w", "W", 1.0),
    ("util_pct", "%", 1.0),
    ("sm_clock_mhz", "MHz", 1.0),
    ("throttle", "bitmask", 1.0),
    ("xid", "code", 1.0),  # last XID error DCGM reported (0 none)
    ("job", "id", 1.0),
)
RACK_METRICS: tuple[tuple[str, str, float], ...] = (
    ("inlet_c", "degC", 0.1),
    ("exhaust_c", "degC", 0.1),
    ("power_w", "W", 1.0),
)
AIR_UNIT_METRICS: tuple[tuple[str, str, float], ...] = (
    ("supply_c", "degC", 0.1),
    ("return_c", "degC", 0.1),
    ("flow_m3s", "m3/s", 0.01),
    ("load_w", "W", 100.0),
    ("state", "on=1", 1.0),
)
CDU_METRICS: tuple[tuple[str, str, float], ...] = (
    ("supply_c", "degC", 0.1),
    ("return_c", "degC", 0.1),
    ("flow_lps", "L/s", 0.1),
    ("load_w", "W", 100.0),
    ("state", "on=1", 1.0),
)
POWER_METRICS: tuple[tuple[str, str, float], ...] = (
    ("load_w", "W", 100.0),
    ("state", "on=1", 1.0),
)

#: Readings room air can take (degC): outside it a probe's fault code, a unit mistake or a
#: file's fill value, never air. Sensor readings and CFD fields outside it are left out.
AIR_READING_C = (-50.0, 150.0)

#: Point sensors (the layout's ``sensors:``): what a site measures between the racks.
SENSOR_METRICS: tuple[tuple[str, str, float], ...] = (("temp_c", "degC", 0.1),)

METRICS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "gpu": GPU_METRICS,
    "rack": RACK_METRICS,
    "air_unit": AIR_UNIT_METRICS,
    "cdu": CDU_METRICS,
    "power": POWER_METRICS,
    "sensor": SENSOR_METRICS,
}


def reads_off(state) -> np.ndarray:
    """Where a device's ``state`` reading says it is off: below 0.5 (``on=1``, stored at a
    resolution of 1, so anything a source rounds or averages toward 0). NaN (no reading) is
    not off, but not on either: ``~reads_off`` is True for it too, so a caller that needs
    "on" masks with ``np.isfinite`` (or fills missing states first)."""
    st = np.asarray(state, float)
    with np.errstate(invalid="ignore"):
        return st < 0.5


# NVML clocks-event (throttle) reason bits, as DCGM_FI_DEV_CLOCK_THROTTLE_REASONS reports them.
THROTTLE_GPU_IDLE = 0x1
THROTTLE_APP_CLOCKS = 0x2
THROTTLE_SW_POWER_CAP = 0x4
THROTTLE_HW_SLOWDOWN = 0x8
THROTTLE_SYNC_BOOST = 0x10
THROTTLE_SW_THERMAL = 0x20
THROTTLE_HW_THERMAL = 0x40
THROTTLE_HW_POWER_BRAKE = 0x80
#: Reasons that mean the GPU is slowed by heat or power, not by choice.
THROTTLE_SLOWDOWN_MASK = (
    THROTTLE_SW_POWER_CAP
    | THROTTLE_HW_SLOWDOWN
    | THROTTLE_SW_THERMAL
    | THROTTLE_HW_THERMAL
    | THROTTLE_HW_POWER_BRAKE
)


class EventKind(enum.StrEnum):
    UNIT_FAILED = "unit_failed"
    UNIT_RECOVERED = "unit_recovered"
    FAILOVER = "failover"
    THROTTLE_START = "throttle_start"
    THROTTLE_END = "throttle_end"
    ALARM = "alarm"
    ALARM_CLEARED = "alarm_cleared"
    JOB_START = "job_start"
    JOB_END = "job_end"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Event:
    time_s: float
    kind: EventKind
    item: str
    message: str = ""
    severity: int = 1  # 0 info, 1 warning, 2 critical


@dataclass(slots=True)
class Frame:
    """One instant. ``time_s`` is seconds since the Unix epoch (UTC).

    ``gpu``, ``rack``, ``air_unit``, ``cdu``, ``power`` and ``sensor`` map metric names (see
    ``METRICS``) to float arrays of the facility's GPU, rack, air-unit, CDU, power-device and
    point-sensor counts. A metric a source does not know is absent or all NaN. Sensor values
    are measurements only: nothing in Twin fills them from its own model, so a recording's
    sensors can calibrate that model.
    """

    time_s: float
    gpu: dict[str, np.ndarray] = field(default_factory=dict)
    rack: dict[str, np.ndarray] = field(default_factory=dict)
    air_unit: dict[str, np.ndarray] = field(default_factory=dict)
    cdu: dict[str, np.ndarray] = field(default_factory=dict)
    power: dict[str, np.ndarray] = field(default_factory=dict)
    sensor: dict[str, np.ndarray] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def group(self, kind: str) -> dict[str, np.ndarray]:
        """The metric dictionary of one item kind (``gpu``, ``rack``, ...)."""
        return getattr(self, kind)

    @classmethod
    def empty(cls, time_s: float, counts: dict[str, int]) -> Frame:
        """A frame with every known metric present and all NaN, sized by ``counts`` per kind."""
        frame = cls(time_s=time_s)
        for kind, metrics in METRICS.items():
            n = counts.get(kind, 0)
            frame.group(kind).update(
                {name: np.full(n, np.nan, dtype=np.float32) for name, _, _ in metrics}
            )
        return frame
