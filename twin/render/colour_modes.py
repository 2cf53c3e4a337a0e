"""Named colourings a user can ask for without telemetry (``twin render --color``), each from
the facility's own design figures, never made-up values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twin.model.facility import Facility
from twin.render import style


@dataclass(frozen=True)
class ColourMode:
    name: str
    target: str  # "rack" or "gpu"
    title: str
    cmap: str
    values: Callable[[Facility], np.ndarray]
    clim: Callable[[Facility], tuple[float, float] | None] = lambda f: None


def _rack_of_row(f: Facility) -> np.ndarray:
    return (f.rack_row % 20).astype(float)


def _load_ratio(f: Facility) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(f.rack_max_load_kg > 0, 100 * f.rack_weight_kg / f.rack_max_load_kg, np.nan)


def _cdu_of_rack(f: Facility) -> np.ndarray:
    return np.where(f.rack_cdu >= 0, f.rack_cdu % 20, np.nan).astype(float)


MODES: dict[str, ColourMode] = {
    m.name: m
    for m in (
        ColourMode(
            "power",
            "rack",
            "Rack design power (kW)",
            style.CMAP_POWER,
            lambda f: f.rack_power_w / 1e3,
            lambda f: (0.0, max(float(f.rack_power_w.max(initial=0)) / 1e3, 1.0)),
        ),
        ColourMode(
            "airflow",
            "rack",
            "Rack airflow (m³/s)",
            "cividis",
            lambda f: f.rack_airflow_m3s,
        ),
        ColourMode(
            "liquid",
            "rack",
            "Liquid share of heat (%)",
            "Blues",
            lambda f: 100 * f.rack_liquid_fraction,
            lambda f: (0.0, 100.0),
        ),
        ColourMode(
            "weight",
            "rack",
            "Rack weight / rated load (%)",
            "plasma",
            _load_ratio,
            lambda f: (0.0, 100.0),
        ),
        ColourMode("row", "rack", "Row", style.CMAP_CATEGORY, _rack_of_row, lambda f: (-0.5, 19.5)),
        ColourMode(
            "cdu", "rack", "CDU loop", style.CMAP_CATEGORY, _cdu_of_rack, lambda f: (-0.5, 19.5)
        ),
        ColourMode("tdp", "gpu", "GPU TDP (W)", style.CMAP_POWER, lambda f: f.gpu_tdp_w),
        ColourMode(
            "slowdown",
            "gpu",
            "GPU slowdown threshold (°C)",
            style.CMAP_TEMPERATURE,
            lambda f: f.gpu_slowdown_c,
        ),
    )
}


def apply_mode(scene, name: str) -> None:
    """Colour a ``Scene`` by a named mode; ``none`` clears both colourings."""
    if name == "none":
        scene.clear_gpu_values()
        scene.clear_rack_values()
        return
    if name not in MODES:
        raise ValueError(f"unknown colouring {name!r}: choose from none, {', '.join(MODES)}")
    m = MODES[name]
    f = scene.facility
    if m.target == "rack":
        scene.set_rack_values(m.values(f), m.title, m.clim(f), m.cmap)
    else:
        scene.set_gpu_values(m.values(f), m.title, m.clim(f), m.cmap)
