"""Which colour bars show and where, decided before each render so they never overlap.

Every bar an overlay adds is registered with a priority and a side (``register``). Before a
render, the visible bars are ranked and all but the first ``limit`` are hidden (two by
default: the GPU metric and the thermal overlay on show; View › Show All Legends lifts the
limit). The bars left on each side are stacked top to bottom in the band between the caption
line (top left) and the link key (bottom left), each as tall as the band allows up to its own
height, with a gap between them, so their boxes never meet. ``legend_fit`` then keeps titles
inside the view horizontally. Bars hidden for the limit are shown again after the render,
so each overlay's own visibility is never lost. No Qt.
"""

from __future__ import annotations

from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import vtkRenderer

#: Bars shown at once unless the user asks for all.
DEFAULT_LIMIT = 2
#: The band bars are stacked in (normalised viewport height), and the gap between two.
TOP = 0.93
BOTTOM = 0.04
GAP = 0.04
#: A bar's title is drawn above its box: room kept for it (px), and for the caption line
#: at the top left over the band (px).
TITLE_PX = 22
CAPTION_PX = 26
#: Height of the link key (pyvista's legend box) per entry and its padding, as drawn by
#: ``Labels.set_link_key``; the left band starts above it.
KEY_ENTRY_H = 0.025
KEY_PAD_H = 0.02

_ATTR = "_twin_legend"


def register(bar: vtkScalarBarActor, priority: float, side: str) -> vtkScalarBarActor:
    """Let ``arrange`` place ``bar``: lower ``priority`` shows first; ``side`` is "left" or
    "right". Its height when set is its tallest."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    setattr(bar, _ATTR, (float(priority), side, float(bar.GetHeight())))
    # the scene's backdrop (``legend_boxes``) draws its background, notes and title included
    bar.DrawBackgroundOff()
    bar.DrawFrameOff()
    return bar


def registered(renderer: vtkRenderer) -> list[vtkScalarBarActor]:
    """The registered bars of ``renderer``, in priority order."""
    props = renderer.GetViewProps()
    props.InitTraversal()
    out = []
    for _ in range(props.GetNumberOfItems()):
        p = props.GetNextProp()
        if isinstance(p, vtkScalarBarActor) and hasattr(p, _ATTR):
            out.append(p)
    return sorted(out, key=lambda b: getattr(b, _ATTR)[0])


def side(bar: vtkScalarBarActor) -> str:
    """The side a registered bar stands on ("left" or "right")."""
    return getattr(bar, _ATTR)[1]


def _visible(renderer: vtkRenderer) -> list[vtkScalarBarActor]:
    return [b for b in registered(renderer) if b.GetVisibility()]


def to_show(renderer: vtkRenderer, limit: int = DEFAULT_LIMIT) -> list[vtkScalarBarActor]:
    """The bars ``arrange`` will show: the first ``limit`` visible ones by priority."""
    return _visible(renderer)[:limit]


def stack(
    n: int, top: float, bottom: float, tallest: list[float], gap: float = GAP
) -> list[tuple[float, float]]:
    """(y, height) of ``n`` bars stacked down from ``top`` to ``bottom`` with ``gap`` between
    them (room for the lower one's title), each no taller than its ``tallest`` nor than an
    equal share of the band."""
    share = (top - bottom - gap * max(n - 1, 0)) / max(n, 1)
    out, y_top = [], top
    for k in range(n):
        h = max(min(tallest[k], share), 0.05)
        out.append((y_top - h, h))
        y_top -= h + gap
    return out


def arrange(
    renderer: vtkRenderer, limit: int = DEFAULT_LIMIT, key_entries: int = 0
) -> list[vtkScalarBarActor]:
    """Hide the bars beyond ``limit`` and stack the rest on their sides (``key_entries``:
    lines of the link key at the bottom left, 0 when it is not shown). Returns the bars it
    hid: ``restore`` shows them again after the render, so what each overlay wants shown
    stays its own business."""
    visible = _visible(renderer)
    shown, hidden = visible[:limit], visible[limit:]
    for bar in hidden:
        bar.SetVisibility(False)
    height_px = max(renderer.GetSize()[1], 1)
    title = TITLE_PX / height_px
    for side in ("left", "right"):
        bars = [b for b in shown if getattr(b, _ATTR)[1] == side]
        top = min(TOP, 1.0 - (CAPTION_PX + TITLE_PX) / height_px)
        bottom = BOTTOM
        if side == "left" and key_entries:
            bottom += KEY_ENTRY_H * key_entries + KEY_PAD_H + GAP / 2
        places = stack(len(bars), top, bottom, [getattr(b, _ATTR)[2] for b in bars], GAP + title)
        for bar, (y, h) in zip(bars, places, strict=True):
            bar.SetPosition(bar.GetPosition()[0], y)
            bar.SetHeight(h)
    return hidden


def restore(hidden: list[vtkScalarBarActor]) -> None:
    """Show again the bars ``arrange`` hid for one render."""
    for bar in hidden:
        bar.SetVisibility(True)
