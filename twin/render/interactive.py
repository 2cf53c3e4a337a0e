"""The interactive 3D view's drawing settings in one call, shared by the window and the
benchmarks that measure its frames: one sample per pixel (``antialias``), one headlight
(``lighting``), translucency blended in order (``translucency``) and a plain background.

A gradient background is a shaded pass over every pixel of every frame: under Mesa's llvmpipe
it costs about a fifth of a frame of the whole factory, where clearing to one colour costs
next to nothing. The window therefore clears to the gradient's middle colour; off-screen
pictures (``twin render``), drawn once, keep the gradient (``paint_background``).
"""

from __future__ import annotations

from twin.render import style
from twin.render.antialias import use_interactive_antialiasing
from twin.render.lighting import use_headlight
from twin.render.translucency import use_ordered_translucency

#: Set on a plotter whose scenes clear to one colour.
_PLAIN = "_twin_plain_background"


def use_interactive_rendering(plotter) -> None:
    """Set ``plotter`` (a ``pv.Plotter`` or Qt interactor) to draw as the window draws.
    Call before the first draw."""
    use_interactive_antialiasing(plotter)
    use_headlight(plotter)
    use_ordered_translucency(plotter)
    setattr(plotter, _PLAIN, True)
    paint_background(plotter)


def paint_background(plotter) -> None:
    """The scene's background: one colour in the interactive view, else the gradient."""
    if getattr(plotter, _PLAIN, False):
        plotter.set_background(style.BACKGROUND)
    else:
        plotter.set_background(style.BACKGROUND_BOTTOM, top=style.BACKGROUND_TOP)
