"""The one registry of what can colour the hall: live GPU metrics (from frames) and design
figures (from the layout), each with its title, unit, fixed range, colour map and marked
thresholds. Render, the window's menus, the legends and the CLI all read it, so a metric is
added in one place and a colour means the same value everywhere.

Ranges come from physics and the GPUs' own catalog limits (slowdown, HBM maximum, TDP), never
from the data in view. Colour maps are matplotlib names or lists of colours; no VTK here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from twin.model.frame import (
    THROTTLE_GPU_IDLE,
    THROTTLE_HW_POWER_BRAKE,
    THROTTLE_SLOWDOWN_MASK,
    THROTTLE_SW_POWER_CAP,
)

if TYPE_CHECKING:
    from twin.model.facility import Facility

#: Colour maps per quantity (matplotlib names), shared by every metric of that quantity.
CMAP_TEMPERATURE = "turbo"
CMAP_POWER = "viridis"
CMAP_DEFAULT = "viridis"
CMAP_CATEGORY = "tab20"

H100_BOOST_MHZ = 1980.0  # H100 SXM maximum SM clock
THROTTLE_CLASSES = ("running", "idle", "power capped", "thermal slowdown")
THROTTLE_COLOURS = ("#4f9d69", "#6d7580", "#f0a830", "#ff3b3b")
JOB_COLOURS = 20  # categorical colours cycle after this many jobs


@dataclass(frozen=True)
class Mark:
    """A threshold drawn on a legend (e.g. the slowdown temperature)."""

    value: float
    label: str


@dataclass(frozen=True)
class MetricScale:
    """How one metric maps values to colours for one facility: title, fixed range, colour map,
    marks. ``categories`` names the classes of a categorical metric (value k -> categories[k])."""

    metric: str
    title: str
    unit: str
    clim: tuple[float, float] | None
    cmap: object
    marks: tuple[Mark, ...] = ()
    categories: tuple[str, ...] = ()
    colours: tuple[str, ...] = field(default=())

    @property
    def legend_title(self) -> str:
        return f"{self.title} ({self.unit})" if self.unit else self.title


@dataclass(frozen=True)
class GpuMetric:
    """A per-GPU telemetry metric a user can colour by (``frame.gpu[name]``)."""

    name: str
    menu_title: str
    scale: Callable[[Facility], MetricScale]
    #: Raw frame values -> the values coloured (classes for throttle, slots for job).
    transform: Callable[[np.ndarray], np.ndarray] = np.asarray


@dataclass(frozen=True)
class DesignColouring:
    """A colouring from the layout's own design figures (``twin render --color``)."""

    name: str
    target: str  # "rack" or "gpu"
    title: str
    cmap: str
    values: Callable[[Facility], np.ndarray]
    clim: Callable[[Facility], tuple[float, float] | None] = lambda f: None


def _limit(values: np.ndarray, default: float, how=np.nanmin) -> float:
    v = np.asarray(values, dtype=float)
    return float(how(v)) if v.size and np.isfinite(v).any() else default


def throttle_class(throttle: np.ndarray) -> np.ndarray:
    """NVML reason bits -> 0 running, 1 idle, 2 power capped, 3 thermal slowdown (NaN kept).
    The worst reason wins: heat over power over idle."""
    t = np.asarray(throttle, dtype=np.float64)
    ok = np.isfinite(t)
    bits = np.where(ok, t, 0).astype(np.int64)
    power = (bits & (THROTTLE_SW_POWER_CAP | THROTTLE_HW_POWER_BRAKE)) != 0
    thermal = (
        bits & (THROTTLE_SLOWDOWN_MASK & ~THROTTLE_SW_POWER_CAP & ~THROTTLE_HW_POWER_BRAKE)
    ) != 0
    cls = np.where(thermal, 3, np.where(power, 2, np.where(bits & THROTTLE_GPU_IDLE, 1, 0)))
    return np.where(ok, cls, np.nan)


def job_colour_index(job: np.ndarray) -> np.ndarray:
    """Job ids -> categorical colour slot (0..JOB_COLOURS-1); no job (0 or NaN) -> NaN."""
    j = np.asarray(job, dtype=np.float64)
    return np.where(np.isfinite(j) & (j > 0), np.mod(j, JOB_COLOURS), np.nan)


def _temperature(f: Facility) -> MetricScale:
    slow = _limit(f.gpu_slowdown_c, 89.0)
    marks = [Mark(slow, f"slowdown {slow:.0f}")]
    shut = _limit(f.gpu_shutdown_c, float("nan"))
    if np.isfinite(shut) and shut <= 95.0:
        marks.append(Mark(shut, f"shutdown {shut:.0f}"))
    return MetricScale(
        "temp_c", "GPU temperature", "°C", (20.0, 95.0), CMAP_TEMPERATURE, tuple(marks)
    )


def _hbm(f: Facility) -> MetricScale:
    hbm = _limit(f.gpu_hbm_max_c, 95.0)
    return MetricScale(
        "mem_temp_c",
        "HBM temperature",
        "°C",
        (20.0, max(100.0, hbm + 5.0)),
        CMAP_TEMPERATURE,
        (Mark(hbm, f"HBM max {hbm:.0f}"),),
    )


def _power(f: Facility) -> MetricScale:
    tdp = _limit(f.gpu_tdp_w, 700.0, np.nanmax)
    return MetricScale("power_w", "GPU power", "W", (0.0, tdp), CMAP_POWER, (Mark(tdp, "TDP"),))


GPU_METRICS: dict[str, GpuMetric] = {
    m.name: m
    for m in (
        GpuMetric("temp_c", "Temperature", _temperature),
        GpuMetric("mem_temp_c", "HBM temperature", _hbm),
        GpuMetric("power_w", "Power", _power),
        GpuMetric(
            "util_pct",
            "Utilisation",
            lambda f: MetricScale("util_pct", "GPU utilisation", "%", (0.0, 100.0), CMAP_DEFAULT),
        ),
        GpuMetric(
            "sm_clock_mhz",
            "SM clock",
            lambda f: MetricScale(
                "sm_clock_mhz",
                "SM clock",
                "MHz",
                (0.0, 2000.0),
                "cividis",
                (Mark(H100_BOOST_MHZ, "max boost"),),
            ),
        ),
        GpuMetric(
            "throttle",
            "Throttle reason",
            lambda f: MetricScale(
                "throttle",
                "Throttle reason",
                "",
                (-0.5, len(THROTTLE_CLASSES) - 0.5),
                list(THROTTLE_COLOURS),
                categories=THROTTLE_CLASSES,
                colours=THROTTLE_COLOURS,
            ),
            throttle_class,
        ),
        GpuMetric(
            "job",
            "Job",
            lambda f: MetricScale("job", "Job", "", (-0.5, JOB_COLOURS - 0.5), CMAP_CATEGORY),
            job_colour_index,
        ),
    )
}

DEFAULT_GPU_METRIC = "temp_c"


def gpu_metric(name: str) -> GpuMetric:
    """The registered GPU metric ``name``; ValueError naming the choices otherwise."""
    try:
        return GPU_METRICS[name]
    except KeyError:
        raise ValueError(
            f"unknown GPU metric {name!r}: choose from {', '.join(GPU_METRICS)}"
        ) from None


def register_gpu_metric(metric: GpuMetric) -> None:
    """Add a GPU metric (a ``twin.colour_modes`` plugin); its name must be new."""
    if metric.name in GPU_METRICS:
        raise ValueError(f"GPU metric {metric.name!r} is already registered")
    GPU_METRICS[metric.name] = metric


# ---------------------------------------------------------------------- design figures
def _rack_of_row(f: Facility) -> np.ndarray:
    return (f.rack_row % 20).astype(float)


def _load_ratio(f: Facility) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(f.rack_max_load_kg > 0, 100 * f.rack_weight_kg / f.rack_max_load_kg, np.nan)


def _cdu_of_rack(f: Facility) -> np.ndarray:
    return np.where(f.rack_cdu >= 0, f.rack_cdu % 20, np.nan).astype(float)


DESIGN_COLOURINGS: dict[str, DesignColouring] = {
    m.name: m
    for m in (
        DesignColouring(
            "power",
            "rack",
            "Rack design power (kW)",
            CMAP_POWER,
            lambda f: f.rack_power_w / 1e3,
            lambda f: (0.0, max(float(f.rack_power_w.max(initial=0)) / 1e3, 1.0)),
        ),
        DesignColouring(
            "airflow", "rack", "Rack airflow (m³/s)", "cividis", lambda f: f.rack_airflow_m3s
        ),
        DesignColouring(
            "liquid",
            "rack",
            "Liquid share of heat (%)",
            "Blues",
            lambda f: 100 * f.rack_liquid_fraction,
            lambda f: (0.0, 100.0),
        ),
        DesignColouring(
            "weight",
            "rack",
            "Rack weight / rated load (%)",
            "plasma",
            _load_ratio,
            lambda f: (0.0, 100.0),
        ),
        DesignColouring("row", "rack", "Row", CMAP_CATEGORY, _rack_of_row, lambda f: (-0.5, 19.5)),
        DesignColouring(
            "cdu", "rack", "CDU loop", CMAP_CATEGORY, _cdu_of_rack, lambda f: (-0.5, 19.5)
        ),
        DesignColouring("tdp", "gpu", "GPU TDP (W)", CMAP_POWER, lambda f: f.gpu_tdp_w),
        DesignColouring(
            "slowdown",
            "gpu",
            "GPU slowdown threshold (°C)",
            CMAP_TEMPERATURE,
            lambda f: f.gpu_slowdown_c,
        ),
    )
}
