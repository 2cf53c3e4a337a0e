"""Keeps every colour bar's title inside the view.

VTK centres a scalar bar's title over the bar, and our bars sit at the view's edges with
their widths capped in pixels, so in a narrow view (the window with its docks open) a long
title ran off the side: "GPU temperature (" on the right, "r temperature (°C)" on the left.
Before each render, a bar whose title would cross an edge is moved in just far enough; it goes
back to its own place when the view is wide enough again. Cheap: a few bars, one text
measurement each.
"""

from __future__ import annotations

from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkTextRenderer

#: Gap kept between a title and the view's edge, in pixels: the legend's backdrop pads the
#: title by 6 px (``legend_boxes.PAD_PX``), and 6 px of air are left beyond it (at 6 the
#: inlet legend's backdrop met the view's left edge).
MARGIN_PX = 12


def title_width_px(bar: vtkScalarBarActor, dpi: int) -> int:
    """Width in pixels of the bar's title as drawn (its widest line)."""
    title = bar.GetTitle() or ""
    if not title.strip():
        return 0
    bbox = [0, 0, 0, 0]
    if not vtkTextRenderer.GetInstance().GetBoundingBox(
        bar.GetTitleTextProperty(), title, bbox, dpi
    ):
        return 0
    return bbox[1] - bbox[0]


def fitted_x(home_x: float, frame_px: float, title_px: float, view_px: int) -> float:
    """Normalised x of a bar whose frame is ``frame_px`` wide: its own ``home_x`` when the
    centred title fits, else moved in by as much as it overhangs (left edge first when the
    title is wider than the view)."""
    centre = home_x * view_px + frame_px / 2
    lo = MARGIN_PX + title_px / 2
    hi = view_px - MARGIN_PX - title_px / 2
    centre = lo if hi < lo else min(max(centre, lo), hi)
    return (centre - frame_px / 2) / view_px


def fit_bar_titles(renderer: vtkRenderer) -> None:
    """Move each visible scalar bar of ``renderer`` so its title is inside the viewport."""
    width, _ = renderer.GetSize()
    window = renderer.GetRenderWindow()
    if width <= 0 or window is None:
        return
    dpi = window.GetDPI()
    props = renderer.GetViewProps()
    props.InitTraversal()
    for _ in range(props.GetNumberOfItems()):
        bar = props.GetNextProp()
        if not isinstance(bar, vtkScalarBarActor) or not bar.GetVisibility():
            continue
        home = getattr(bar, "_twin_home", None)
        if home is None:
            home = bar._twin_home = tuple(bar.GetPosition())
        frame_px = min(bar.GetWidth() * width, bar.GetMaximumWidthInPixels())
        x = fitted_x(home[0], frame_px, title_width_px(bar, dpi), width)
        if abs(x - bar.GetPosition()[0]) > 1e-6:
            bar.SetPosition(x, bar.GetPosition()[1])  # its height is legend_layout's
