"""What a what-if found, per GPU, rack and unit, with the summary a sweep ranks by and the
forms it leaves in: a JSON-ready dict and CSV rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from twin.model.facility import Facility
from twin.whatif.failures import PowerOutcome


def _num(x, nd: int = 2):
    """JSON number: None for NaN/inf."""
    x = float(x)
    return round(x, nd) if math.isfinite(x) else None


@dataclass
class WhatIfResult:
    """Times are seconds after the failure: 0 already past the limit at the start, inf never
    within ``duration_s``, NaN not followed (other hall, dark). Arrays are in facility order."""

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

    # ------------------------------------------------------------------ summary
    @property
    def gpus_dark(self) -> int:
        return int(self.gpu_dark.sum())

    @property
    def gpus_throttled(self) -> int:
        """GPUs that reach slowdown within the duration (those at it from the start too)."""
        return int(np.isfinite(self.gpu_slowdown_s).sum())

    @property
    def gpus_shut_down(self) -> int:
        return int(np.isfinite(self.gpu_shutdown_s).sum())

    @property
    def ride_through_s(self) -> float:
        """Time until the first GPU reaches slowdown; inf when none does within the duration."""
        t = self.gpu_slowdown_s[np.isfinite(self.gpu_slowdown_s)]
        return float(t.min()) if len(t) else math.inf

    def rank_key(self) -> tuple:
        """Worst first: more GPUs dark, then more throttled, then less ride-through."""
        return (-self.gpus_dark, -self.gpus_throttled, self.ride_through_s, self.failed)

    def summary(self) -> dict:
        """The figures a sweep ranks and a person reads first."""
        fac = self.facility
        allow = self.rack_allowable_s[np.isfinite(self.rack_allowable_s)]
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
            "overloaded": self.power.overloads(fac),
            "duration_min": _num(self.duration_s / 60.0),
        }

    def racks_ranked(self) -> list[dict]:
        """Racks of the hall (and dark racks anywhere), soonest in trouble first."""
        fac = self.facility
        rows = []
        slow_by_rack = np.full(fac.n_racks, np.inf)
        ok = np.isfinite(self.gpu_slowdown_s)
        np.minimum.at(slow_by_rack, fac.gpu_rack[ok], self.gpu_slowdown_s[ok])
        thr = np.bincount(fac.gpu_rack[ok], minlength=fac.n_racks)
        show = (fac.rack_hall == self.hall) | self.power.rack_dark
        for r in np.flatnonzero(show):
            rows.append(
                {
                    "id": fac.rack_ids[r],
                    "dark": bool(self.power.rack_dark[r]),
                    "single_fed": bool(self.power.rack_single_fed[r]),
                    "gpus": int(fac.rack_gpu_count[r]),
                    "gpus_throttled": int(thr[r]),
                    "first_slowdown_min": _min(slow_by_rack[r]),
                    "outside_recommended_min": _min(self.rack_recommended_s[r]),
                    "outside_allowable_min": _min(self.rack_allowable_s[r]),
                    "peak_inlet_c": _num(self.rack_peak_inlet_c[r]),
                }
            )

        def key(row):
            big = 1e9
            return (
                not row["dark"],
                row["first_slowdown_min"] if row["first_slowdown_min"] is not None else big,
                row["outside_allowable_min"] if row["outside_allowable_min"] is not None else big,
                -(row["peak_inlet_c"] or 0.0),
            )

        return sorted(rows, key=key)

    def gpus_ranked(self, limit: int = 50) -> list[dict]:
        """GPUs that reach slowdown, soonest first (at most ``limit``)."""
        fac = self.facility
        idx = np.flatnonzero(np.isfinite(self.gpu_slowdown_s))
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


def _min(seconds: float):
    """Minutes for a time in seconds; None for never (inf) or not followed (NaN)."""
    return _num(seconds / 60.0) if math.isfinite(seconds) else None
