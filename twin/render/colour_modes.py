"""Apply a design colouring (``twin.model.metrics.DESIGN_COLOURINGS``: the facility's own
design figures, never made-up values) to a scene."""

from __future__ import annotations

from twin.model.metrics import DESIGN_COLOURINGS


def apply_mode(scene, name: str) -> None:
    """Colour a ``Scene`` by a named design colouring; ``none`` clears both colourings."""
    if name == "none":
        scene.clear_gpu_values()
        scene.clear_rack_values()
        return
    if name not in DESIGN_COLOURINGS:
        raise ValueError(
            f"unknown colouring {name!r}: choose from none, {', '.join(DESIGN_COLOURINGS)}"
        )
    m = DESIGN_COLOURINGS[name]
    f = scene.facility
    if m.target == "rack":
        scene.set_rack_values(m.values(f), m.title, m.clim(f), m.cmap)
    else:
        scene.set_gpu_values(m.values(f), m.title, m.clim(f), m.cmap)
