"""What a recording says about an incident: what failed and when, the event timeline, the
worst GPUs and racks, cooling over time, where the heat went and the throttled GPU-hours.

Reads whole metric rows every ``step`` frames (``Recording.metric_rows``), at most
``MAX_ROWS`` rows per metric, so a day-long recording costs the same as half an hour."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import (
    THROTTLE_HW_POWER_BRAKE,
    THROTTLE_HW_SLOWDOWN,
    THROTTLE_HW_THERMAL,
    THROTTLE_SW_THERMAL,
    Event,
    EventKind,
)
from twin.physics.energy import EnergyModel, EnergySeries, assumed_in, energy_series
from twin.physics.metrics import rci_hi
from twin.recording.reader import Recording

#: Throttle reasons that mean heat or a power brake slowed the GPU (power capping is routine).
HEAT_THROTTLE = (
    THROTTLE_HW_SLOWDOWN | THROTTLE_SW_THERMAL | THROTTLE_HW_THERMAL | THROTTLE_HW_POWER_BRAKE
)
MAX_ROWS = 900
WORST = 4
FAILURE_KINDS = (EventKind.UNIT_FAILED, EventKind.FAILOVER)


@dataclass
class Incident:
    """The figures and series of one recording, times in seconds from its start."""

    path: str
    layout_name: str
    start_s: float
    end_s: float
    n_frames: int
    step: int
    events: list[Event]
    t: np.ndarray  # (T,) seconds from the start
    dt_s: float  # seconds per row
    worst_gpus: list[int] = field(default_factory=list)
    worst_racks: list[int] = field(default_factory=list)
    gpu: dict[str, np.ndarray] = field(default_factory=dict)  # metric -> (T, WORST)
    rack: dict[str, np.ndarray] = field(default_factory=dict)  # metric -> (T, WORST)
    units: dict[str, np.ndarray] = field(default_factory=dict)  # metric -> (T, A)
    #: the recording has racks but no inlet reading of any (live GPU telemetry)
    no_rack_inlets: bool = False
    hall_inlet_max_c: np.ndarray | None = None
    hall_inlet_mean_c: np.ndarray | None = None
    rci_hi_pct: np.ndarray | None = None
    gpus_throttling: np.ndarray | None = None
    throttled_gpu_hours: float = 0.0
    it_energy_kwh: float = 0.0
    unit_energy_kwh: np.ndarray | None = None
    gpu_peak_c: np.ndarray | None = None
    rack_peak_c: np.ndarray | None = None
    energy: EnergySeries | None = None  # facility power per row (twin.physics.energy)
    #: what the energy took from the layout for want of readings (``assumed_readings``)
    energy_assumed: list[str] = field(default_factory=list)
    #: damage the reader read past (``Recording.warnings``): the report covers less
    warnings: list[str] = field(default_factory=list)
    #: metrics whose gaps the live session filled from the airflow model (``twin record
    #: --physics``): the report's inlets may be the model's
    filled_by_model: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Event]:
        return [e for e in self.events if e.kind in FAILURE_KINDS]

    def rel(self, time_s: float) -> float:
        return time_s - self.start_s


def gather(rec: Recording, fac: Facility) -> Incident:
    """Everything the report shows, from an open recording of ``fac``'s layout."""
    n = rec.n_frames
    if n == 0:
        raise ValueError(f"{rec.path}: the recording has no frames")
    step = max(1, -(-n // MAX_ROWS))
    times, _ = (
        rec.metric_rows("rack", "inlet_c", step)
        if "rack" in rec.metrics
        else (rec.times[::step], None)
    )
    dt = float(np.median(np.diff(rec.times))) * step if n > 1 else 1.0
    inc = Incident(
        str(rec.path),
        rec.layout_name,
        rec.start_s,
        rec.end_s,
        n,
        step,
        rec.events,
        times - rec.start_s,
        dt,
        warnings=list(rec.warnings),
        filled_by_model=list(rec.filled_by_model),
    )
    if "gpu" in rec.metrics:
        _gpus(rec, fac, inc)
    if "rack" in rec.metrics:
        _racks(rec, inc)
    if "air_unit" in rec.metrics:
        for name in ("supply_c", "return_c", "load_w", "state"):
            inc.units[name] = rec.metric_rows("air_unit", name, step)[1]
    inc.energy, inc.energy_assumed = _energy(rec, fac, step)
    # one rule for every energy of the report: the energy model's (trapezoid, none across a gap)
    inc.it_energy_kwh = inc.energy.energy_kwh(inc.energy.it_w)
    if "air_unit" in rec.metrics:
        inc.unit_energy_kwh = inc.energy.energy_kwh_each(np.nan_to_num(inc.units["load_w"]))
    return inc


class _RowFrame:
    """One row of the recording's metric rows, read as a frame by the energy model."""

    def __init__(self, time_s: float, groups: dict[str, dict[str, np.ndarray]]):
        self.time_s = time_s
        self.rack = groups.get("rack", {})
        self.gpu = groups.get("gpu", {})
        self.air_unit = groups.get("air_unit", {})
        self.cdu = groups.get("cdu", {})
        self.power = groups.get("power", {})


def _has(rec: Recording, kind: str, name: str) -> bool:
    return any(m == name for m, _, _ in rec.metrics.get(kind, ()))


def _energy(rec: Recording, fac: Facility, step: int) -> tuple[EnergySeries, list[str]]:
    """Facility power (IT, losses, cooling, PUE) at every row, from the metrics the energy
    model reads (those the recording lacks take the layout's values), and what those rows
    left it to assume (``assumed_in``)."""
    wanted = {
        "rack": ("power_w",),
        "air_unit": ("state", "flow_m3s", "supply_c"),
        "cdu": ("state", "flow_lps", "supply_c"),
        "power": ("state",),
    }
    rows: dict[str, dict[str, np.ndarray]] = {}
    times = rec.times[::step]
    for kind, names in wanted.items():
        for name in names:
            if _has(rec, kind, name):
                times, rows.setdefault(kind, {})[name] = rec.metric_rows(kind, name, step)
    if not np.isfinite(rows.get("rack", {}).get("power_w", np.nan)).all() and _has(
        rec, "gpu", "power_w"
    ):  # racks with no power reading (live DCGM data): from their GPUs'
        rows.setdefault("gpu", {})["power_w"] = rec.metric_rows("gpu", "power_w", step)[1]
    frames = (
        _RowFrame(float(t), {k: {n: v[i] for n, v in g.items()} for k, g in rows.items()})
        for i, t in enumerate(times)
    )
    assumed = assumed_in({(k, n): v for k, g in rows.items() for n, v in g.items()})
    return energy_series(EnergyModel(fac), frames), assumed


def _gpus(rec: Recording, fac: Facility, inc: Incident) -> None:
    step = inc.step
    _, temp = rec.metric_rows("gpu", "temp_c", step)
    with np.errstate(invalid="ignore"):
        peak = np.nanmax(np.where(np.isfinite(temp), temp, -np.inf), axis=0)
    inc.gpu_peak_c = np.where(np.isfinite(peak), peak, np.nan)
    order = np.argsort(-np.nan_to_num(inc.gpu_peak_c, nan=-np.inf), kind="stable")
    inc.worst_gpus = [int(g) for g in order[:WORST]]
    inc.gpu["temp_c"] = temp[:, inc.worst_gpus]
    for name in ("power_w", "throttle"):
        if _has(rec, "gpu", name):
            rows = rec.metric_rows("gpu", name, step)[1]
            inc.gpu[name] = rows[:, inc.worst_gpus]
            if name == "throttle":
                hot = (np.nan_to_num(rows).astype(np.int64) & HEAT_THROTTLE) != 0
                inc.gpus_throttling = hot.sum(axis=1)
                inc.throttled_gpu_hours = float(hot.sum()) * inc.dt_s / 3600.0
                inc.gpu["throttling"] = hot[:, inc.worst_gpus].astype(float)


def _racks(rec: Recording, inc: Incident) -> None:
    """The racks' inlets: the hottest ranked among the racks with a reading. A recording with
    none (live DCGM telemetry is GPU readings only) has no inlet figures at all, not NaN."""
    step = inc.step
    _, inlet = rec.metric_rows("rack", "inlet_c", step)
    read = np.isfinite(inlet)
    if not read.any():
        inc.no_rack_inlets = True
        return
    worst = np.where(read, inlet, -np.inf)
    peak = worst.max(axis=0)
    inc.rack_peak_c = np.where(np.isfinite(peak), peak, np.nan)
    inc.hall_inlet_max_c = worst.max(axis=1)  # -inf (no point drawn) in a frame without one
    with np.errstate(invalid="ignore", divide="ignore"):
        inc.hall_inlet_mean_c = np.where(read, inlet, 0.0).sum(axis=1) / read.sum(axis=1)
    inc.rci_hi_pct = np.array([rci_hi(row) for row in inlet])
    ranked = np.flatnonzero(np.isfinite(peak))
    order = ranked[np.argsort(-peak[ranked], kind="stable")]
    inc.worst_racks = [int(r) for r in order[:WORST]]
    inc.rack["inlet_c"] = inlet[:, inc.worst_racks]
    _, power = rec.metric_rows("rack", "power_w", step)
    inc.rack["power_w"] = power[:, inc.worst_racks]
