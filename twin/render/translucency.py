"""How the interactive 3D view draws its translucent parts, chosen for software OpenGL.

VTK draws translucent geometry with order-independent transparency by default: every frame
that shows anything translucent (wall and unit outlines, containment panels, the air slices'
empty cells) then clears, fills and composites two extra full-size floating-point buffers.
Under Mesa's llvmpipe that costs about as much as drawing the whole factory, whatever the
translucent parts cover. The view instead blends them in drawing order over the opaque scene:
outlines and containment panels seldom overlap each other, and where they do, at their low
opacity the order hardly shows. Parts that are opaque but for fully transparent cells (the air
slices) are drawn as opaque (``draw_as_opaque``): their transparent cells are discarded, so
they hide and are hidden exactly, with or without this setting.
"""

from __future__ import annotations


def use_ordered_translucency(plotter) -> None:
    """Blend ``plotter``'s translucent geometry in drawing order instead of the
    order-independent pass (every renderer of its window)."""
    renderers = plotter.ren_win.GetRenderers()
    renderers.InitTraversal()
    for _ in range(renderers.GetNumberOfItems()):
        renderers.GetNextItem().SetUseOIT(False)


def draw_as_opaque(actor) -> None:
    """Draw ``actor`` in the opaque pass (depth written) although its colour map gives some
    cells zero opacity: the fragment shader discards those, so they stay invisible."""
    actor.ForceOpaqueOn()
