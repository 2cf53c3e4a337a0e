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


def plugin_modes() -> list[str]:
    """Names of installed ``twin.colour_modes`` plugins (nothing imported)."""
    from twin import plugins

    return [n for n in plugins.names(plugins.COLOUR_MODES) if n not in MODES and n != "none"]


def mode_title(name: str) -> str:
    """A mode's legend title; a plugin's is read by loading it (its name if it fails)."""
    if name in MODES:
        return MODES[name].title
    from twin import plugins

    try:
        return str(plugins.load(plugins.COLOUR_MODES, name).title)
    except plugins.PluginError:
        return name


def apply_mode(scene, name: str, frame=None) -> None:
    """Colour a ``Scene`` by a named mode (built in, or a ``twin.colour_modes`` plugin, which
    also sees the current ``frame``); ``none`` clears both colourings."""
    if name == "none":
        scene.clear_gpu_values()
        scene.clear_rack_values()
        return
    f = scene.facility
    if name in MODES:
        m = MODES[name]
        values, title, clim, cmap, target = m.values(f), m.title, m.clim(f), m.cmap, m.target
    else:
        from twin import plugins

        if name not in plugins.names(plugins.COLOUR_MODES):
            known = ", ".join(["none", *MODES, *plugin_modes()])
            raise ValueError(f"unknown colouring {name!r}: choose from {known}")
        try:
            m = plugins.load(plugins.COLOUR_MODES, name)
            values = np.asarray(m.values(f, frame), dtype=float)
            title, clim, cmap, target = m.title, m.clim(f), m.cmap, m.target
            n = f.n_gpus if target == "gpu" else f.n_racks
            if target not in ("gpu", "rack") or values.shape != (n,):
                raise ValueError(f"gave {values.shape} values for target {target!r}; wanted ({n},)")
        except plugins.PluginError as exc:
            raise ValueError(str(exc)) from exc
        except Exception as exc:  # a plugin's bug: recorded, reported, never fatal
            plugins.registry.record_failure(plugins.COLOUR_MODES, name, exc)
            raise ValueError(f"colour mode {name!r} failed: {type(exc).__name__}: {exc}") from exc
    if target == "rack":
        scene.set_rack_values(values, title, clim, cmap)
    else:
        scene.set_gpu_values(values, title, clim, cmap)
