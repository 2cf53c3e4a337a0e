"""What the 3D view can show of a what-if, per GPU in facility order: minutes to slowdown, the
peak temperature, the baseline's temperature, and the rise from baseline to peak; each with
its unit, colour range and colour map, so a window, a side-by-side view and a script colour
the same numbers the same way."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.whatif.result import WhatIfResult

COUNTDOWN = "minutes to slowdown"
PEAK = "peak GPU temperature"
BASELINE = "baseline GPU temperature"
RISE = "GPU temperature rise from baseline"
#: In the order a menu offers them.
GPU_VIEWS = (COUNTDOWN, PEAK, BASELINE, RISE)


@dataclass(frozen=True)
class GpuView:
    name: str
    values: np.ndarray  # (G,), NaN: not followed (another hall) or no figure
    unit: str
    clim: tuple[float, float]
    cmap: str


def _finite_range(v: np.ndarray, fallback: tuple[float, float]) -> tuple[float, float]:
    f = v[np.isfinite(v)]
    if not f.size:
        return fallback
    lo, hi = float(f.min()), float(f.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def countdown_min(res: WhatIfResult) -> np.ndarray:
    """Minutes to slowdown: dark GPUs 0, never within the run the time it was followed, NaN
    not followed."""
    m = res.gpu_slowdown_s / 60.0
    m = np.where(np.isinf(m), res.followed_s / 60.0, m)
    return np.where(res.gpu_dark, 0.0, m)


def gpu_view(res: WhatIfResult, baseline_gpu_c: np.ndarray, name: str) -> GpuView:
    """The values of ``name`` (one of ``GPU_VIEWS``); ``baseline_gpu_c``: each GPU's
    temperature before the failure (the what-if's ``Baseline.gpu_temp_c``)."""
    base = np.asarray(baseline_gpu_c, float)
    followed = np.isfinite(res.gpu_peak_c) | res.gpu_dark
    if name == COUNTDOWN:
        return GpuView(name, countdown_min(res), "min", (0.0, res.followed_s / 60.0), "RdYlGn")
    if name == PEAK:
        v = np.where(res.gpu_dark, np.nan, res.gpu_peak_c)
        return GpuView(name, v, "°C", _finite_range(v, (20.0, 90.0)), "inferno")
    if name == BASELINE:
        v = np.where(followed, base, np.nan)
        return GpuView(name, v, "°C", _finite_range(v, (20.0, 90.0)), "inferno")
    if name == RISE:
        v = np.where(res.gpu_dark, np.nan, res.gpu_peak_c - base)
        f = np.abs(v[np.isfinite(v)])
        span = max(float(f.max()) if f.size else 0.0, 0.5)
        return GpuView(name, v, "K", (-span, span), "coolwarm")
    raise ValueError(f"unknown what-if view {name!r}: {', '.join(GPU_VIEWS)}")
