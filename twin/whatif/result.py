"""What a what-if found, per GPU, rack and unit, with the summary a sweep ranks by and the
forms it leaves in: a JSON-ready dict and CSV rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from twin.model.facility import Facility
from twin.model.units import finite_or_none
from twin.whatif.failures import PowerOutcome


def _num(x, nd: int = 2):
    """JSON number: None for NaN/inf."""
    return finite_or_none(x, nd)


@dataclass
class WhatIfResult:
    """Times are seconds after the failure: 0 already past the limit at the start, inf never
    within the time followed (``duration_s``, or less where the air passed
    ``engine.AIR_LIMIT_C``: ``air_past_limit_s``), NaN not followed (other hall, dark). Arrays
    are in facility order.

    What was past its limit before the failure (``gpu_slow_at_start``, ``gpu_shut_at_start``,
    ``rack_outside_at_start``: a rack that moves no air, a hall already too hot) is counted
    apart: the summary's counts and ride-through, and with them a sweep's ranking, are what
    the failure did. Counted in, every case of a sweep read "ride-through 0.0 min"."""

    facility: Facility
    failed: tuple[str, ...]
    start_label: str
    hall: int
    duration_s: float
    dt_s: float
    power: PowerOutcome
    gpu_dark: np.ndarray
    gpu_slowdown_s: np.ndarray
    gpu_shutdown_s: np.ndarray
    gpu_peak_c: np.ndarray
    gpu_final_c: np.ndarray
    rack_recommended_s: np.ndarray
    rack_allowable_s: np.ndarray
    rack_peak_inlet_c: np.ndarray
    thermal_run: bool = False
    seconds: float = 0.0
    #: time series: times (T,), hall racks' max inlet (T, Rh), GPUs throttling and shut
    #: down (T,), air units' load (T, Ah)
    series: dict[str, np.ndarray] = field(default_factory=dict)
    #: per GPU: at slowdown (or shutdown) in the start state; per rack: its hottest inlet
    #: past A1 allowable there (all False until ``mark_start``)
    gpu_slow_at_start: np.ndarray | None = None
    gpu_shut_at_start: np.ndarray | None = None
    rack_outside_at_start: np.ndarray | None = None
    #: when the hall's air passed what any data hall reaches and the transient stopped there
    #: (None: followed for the whole ``duration_s``)
    air_past_limit_s: float | None = None
    #: the hall's air units ramped to their rated flow after the loss (``WhatIfOptions.ramp``)
    ramped_units: tuple[str, ...] = ()
    #: the ramp was asked for and an air unit of the hall lost (with ``ramped_units`` empty:
    #: every other running unit already ran at its rating)
    ramp_applied: bool = False
    #: the start state was overloaded (``results.overload_note``: its steady figures hold a
    #: supply its units cannot; the transient is followed from them): None where it was not
    start_overload_note: str | None = None

    def __post_init__(self) -> None:
        g, r = self.facility.n_gpus, self.facility.n_racks
        for name, n in (
            ("gpu_slow_at_start", g),
            ("gpu_shut_at_start", g),
            ("rack_outside_at_start", r),
        ):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(n, dtype=bool))

    @classmethod
    def empty(cls, fac: Facility, failed, label, hall, opts, power, gpu_dark) -> WhatIfResult:
        g, r = fac.n_gpus, fac.n_racks
        return cls(
            fac,
            tuple(failed),
            label,
            hall,
            float(opts.duration_s),
            float(opts.dt_s),
            power,
            gpu_dark,
            np.full(g, np.nan),
            np.full(g, np.nan),
            np.full(g, np.nan),
            np.full(g, np.nan),
            np.full(r, np.nan),
            np.full(r, np.nan),
            np.full(r, np.nan),
        )

    def set_series(self, times, rack_inlet_max_c, throttling, shut_down, unit_load_w) -> None:
        self.series = {
            "time_s": np.asarray(times, float),
            "rack_inlet_max_c": np.asarray(rack_inlet_max_c, float),
            "gpus_throttling": np.asarray(throttling),
            "gpus_shut_down": np.asarray(shut_down),
            "air_unit_load_w": np.asarray(unit_load_w, float),
        }

    @property
    def followed_s(self) -> float:
        """How long the transient was followed: ``duration_s``, or until its air passed
        ``engine.AIR_LIMIT_C``."""
        return self.duration_s if self.air_past_limit_s is None else self.air_past_limit_s

    # ------------------------------------------------------------------ summary
    @property
    def gpus_dark(self) -> int:
        return int(self.gpu_dark.sum())

    def _slowed(self) -> np.ndarray:
        """GPUs the failure brought to slowdown within the duration."""
        return np.isfinite(self.gpu_slowdown_s) & ~self.gpu_slow_at_start

    @property
    def gpus_throttled(self) -> int:
        """GPUs that reach slowdown within the duration (not those at it from the start)."""
        return int(self._slowed().sum())

    @property
    def gpus_shut_down(self) -> int:
        """GPUs shut down by heat within the duration (not those off from the start)."""
        return int((np.isfinite(self.gpu_shutdown_s) & ~self.gpu_shut_at_start).sum())

    @property
    def ride_through_s(self) -> float:
        """Time until the first GPU not at slowdown at the start reaches it; inf when none does
        within the duration."""
        t = self.gpu_slowdown_s[self._slowed()]
        return float(t.min()) if len(t) else math.inf

    def _left_allowable(self) -> np.ndarray:
        """Racks whose hottest inlet the failure took past A1 allowable."""
        return np.isfinite(self.rack_allowable_s) & ~self.rack_outside_at_start

    def rank_key(self) -> tuple:
        """Worst first: more GPUs dark, then more throttled, then less ride-through."""
        return (-self.gpus_dark, -self.gpus_throttled, self.ride_through_s, self.failed)

    def summary(self) -> dict:
        """The figures a sweep ranks and a person reads first."""
        fac = self.facility
        allow = self.rack_allowable_s[self._left_allowable()]
        rt = self.ride_through_s
        return {
            "failed": list(self.failed),
            "hall": fac.hall_ids[self.hall],
            "gpus_dark": self.gpus_dark,
            "racks_dark": int(self.power.rack_dark.sum()),
            "racks_single_fed": int(self.power.rack_single_fed.sum()),
            "gpus_throttled": self.gpus_throttled,
            "gpus_shut_down": self.gpus_shut_down,
            "ride_through_min": _num(rt / 60.0) if math.isfinite(rt) else None,
            "first_rack_outside_allowable_min": _num(allow.min() / 60.0) if len(allow) else None,
            "racks_outside_allowable": int(len(allow)),
            # already past the limits before the failure: not in the counts above
            "gpus_throttled_at_start": int(self.gpu_slow_at_start.sum()),
            "gpus_shut_down_at_start": int(self.gpu_shut_at_start.sum()),
            "racks_outside_allowable_at_start": int(self.rack_outside_at_start.sum()),
            "overloaded": self.power.overloads(fac),
            "duration_min": _num(self.duration_s / 60.0),
            "air_past_limit_min": _min(self.air_past_limit_s),
            "ramped_units": list(self.ramped_units),
            "ramp_applied": self.ramp_applied,
            "start_overload_note": self.start_overload_note,
        }

    def racks_ranked(self) -> list[dict]:
        """Racks of the hall (and dark racks anywhere), soonest in trouble first."""
        fac = self.facility
        rows = []
        slow_by_rack = np.full(fac.n_racks, np.inf)
        ok = self._slowed()
        np.minimum.at(slow_by_rack, fac.gpu_rack[ok], self.gpu_slowdown_s[ok])
        thr = np.bincount(fac.gpu_rack[ok], minlength=fac.n_racks)
        thr_before = np.bincount(fac.gpu_rack[self.gpu_slow_at_start], minlength=fac.n_racks)
        show = (fac.rack_hall == self.hall) | self.power.rack_dark
        for r in np.flatnonzero(show):
            rows.append(
                {
                    "id": fac.rack_ids[r],
                    "dark": bool(self.power.rack_dark[r]),
                    "single_fed": bool(self.power.rack_single_fed[r]),
                    "gpus": int(fac.rack_gpu_count[r]),
                    "gpus_throttled": int(thr[r]),
                    "gpus_throttled_at_start": int(thr_before[r]),
                    "outside_at_start": bool(self.rack_outside_at_start[r]),
                    "first_slowdown_min": _min(slow_by_rack[r]),
                    "outside_recommended_min": _min(self.rack_recommended_s[r]),
                    "outside_allowable_min": _min(self.rack_allowable_s[r]),
                    "peak_inlet_c": _num(self.rack_peak_inlet_c[r]),
                }
            )

        def key(row):
            big = 1e9
            left = row["outside_allowable_min"]
            return (
                not row["dark"],
                row["first_slowdown_min"] if row["first_slowdown_min"] is not None else big,
                left if left is not None and not row["outside_at_start"] else big,
                -(row["peak_inlet_c"] or 0.0),
            )

        return sorted(rows, key=key)

    def gpus_ranked(self, limit: int = 50) -> list[dict]:
        """GPUs the failure brings to slowdown, soonest first (at most ``limit``)."""
        fac = self.facility
        idx = np.flatnonzero(self._slowed())
        idx = idx[np.argsort(self.gpu_slowdown_s[idx], kind="stable")][:limit]
        return [
            {
                "id": fac.gpu_label(int(g)),
                "rack": fac.rack_ids[fac.gpu_rack[g]],
                "slowdown_min": _min(self.gpu_slowdown_s[g]),
                "shutdown_min": _min(self.gpu_shutdown_s[g]),
                "peak_c": _num(self.gpu_peak_c[g]),
            }
            for g in idx
        ]

    def to_dict(self) -> dict:
        """Everything for ``--json``: summary, ranked racks and GPUs, and the time series."""
        s = self.series
        fac = self.facility
        racks = [fac.rack_ids[r] for r in np.flatnonzero(fac.rack_hall == self.hall)]
        units = [u for i, u in enumerate(fac.air_unit_ids) if fac.air_unit_hall[i] == self.hall]
        return {
            "summary": self.summary(),
            "start": self.start_label,
            "thermal_transient": self.thermal_run,
            "dt_s": self.dt_s,
            "racks": self.racks_ranked(),
            "gpus": self.gpus_ranked(),
            "series": {
                "time_s": [_num(t, 1) for t in s.get("time_s", [])],
                "racks": racks,
                "rack_inlet_max_c": [
                    [_num(v) for v in row] for row in s.get("rack_inlet_max_c", [])
                ],
                "gpus_throttling": [int(v) for v in s.get("gpus_throttling", [])],
                "gpus_shut_down": [int(v) for v in s.get("gpus_shut_down", [])],
                "air_units": units,
                "air_unit_load_kw": [
                    [_num(v / 1e3) for v in row] for row in s.get("air_unit_load_w", [])
                ],
            },
            "seconds": _num(self.seconds, 3),
        }


def _min(seconds: float | None):
    """Minutes for a time in seconds; None for never (inf or None) or not followed (NaN)."""
    return _num(seconds / 60.0) if seconds is not None and math.isfinite(seconds) else None
