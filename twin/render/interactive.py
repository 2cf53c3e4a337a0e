"""The interactive 3D view's drawing settings in one call, shared by the window and the
benchmarks that measure its frames: one sample per pixel (``antialias``), one headlight
(``lighting``) and translucency blended in order (``translucency``)."""

from __future__ import annotations

from twin.render.antialias import use_interactive_antialiasing
from twin.render.lighting import use_headlight
from twin.render.translucency import use_ordered_translucency


def use_interactive_rendering(plotter) -> None:
    """Set ``plotter`` (a ``pv.Plotter`` or Qt interactor) to draw as the window draws.
    Call before the first draw."""
    use_interactive_antialiasing(plotter)
    use_headlight(plotter)
    use_ordered_translucency(plotter)
