"""Apply a colouring to a scene: a design colouring from the registry
(``twin.model.metrics.DESIGN_COLOURINGS``: the facility's own design figures, never made-up
values) or an installed ``twin.colour_modes`` plugin (which also sees the current frame)."""

from __future__ import annotations

import numpy as np

from twin.model.metrics import DESIGN_COLOURINGS


def plugin_modes() -> list[str]:
    """Names of installed ``twin.colour_modes`` plugins (nothing imported)."""
    from twin import plugins

    return [
        n for n in plugins.names(plugins.COLOUR_MODES) if n not in DESIGN_COLOURINGS and n != "none"
    ]


def mode_title(name: str) -> str:
    """A mode's legend title; a plugin's is read by loading it (its name if it fails)."""
    if name in DESIGN_COLOURINGS:
        return DESIGN_COLOURINGS[name].title
    from twin import plugins

    try:
        return str(plugins.load(plugins.COLOUR_MODES, name).title)
    except plugins.PluginError:
        return name


def _plugin_colouring(f, name: str, frame):
    from twin import plugins

    if name not in plugins.names(plugins.COLOUR_MODES):
        known = ", ".join(["none", *DESIGN_COLOURINGS, *plugin_modes()])
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
    return values, title, clim, cmap, target


def apply_mode(scene, name: str, frame=None) -> None:
    """Colour a ``Scene`` by a named colouring; ``none`` clears both colourings."""
    if name == "none":
        scene.clear_gpu_values()
        scene.clear_rack_values()
        return
    f = scene.facility
    if name in DESIGN_COLOURINGS:
        m = DESIGN_COLOURINGS[name]
        values, title, clim, cmap, target = m.values(f), m.title, m.clim(f), m.cmap, m.target
    else:
        values, title, clim, cmap, target = _plugin_colouring(f, name, frame)
    if target == "rack":
        scene.set_rack_values(values, title, clim, cmap)
    else:
        scene.set_gpu_values(values, title, clim, cmap)
