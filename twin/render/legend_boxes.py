"""Where each colour bar is drawn on screen, its notes included, and the background behind it.

VTK draws a bar's annotations (the GPU bar's "shutdown 92" and "slowdown 89", the inlet bar's
A1 band edges) beside the colour strip on the side away from the tick labels, *outside* the
bar's own frame, and centres the title over the frame, where a long one overhangs it. A
background drawn by VTK covers the frame only, so the notes sat on the bare view, over racks
and labels. Here each bar's box is the union of its frame, its title and its notes, measured
with the text renderer by the rules VTK lays them out by (checked against the pixels of a
render in the tests), and one translucent actor draws a background per box, under the bars.
The boxes also tell the label culling (``label_cull``) where no label may go. No Qt.
"""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import (
    vtkActor2D,
    vtkPolyDataMapper2D,
    vtkRenderer,
    vtkTextProperty,
    vtkTextRenderer,
)

from twin.render import style

#: Gap VTK leaves between a bar's strip and its notes (leader line and spacing), in pixels.
LEADER_PX = 14
#: How far a title rises above the frame, and the margin kept round everything drawn (px).
TITLE_RISE_PX = 8
PAD_PX = 6

#: A screen box in display pixels: (x0, y0, x1, y1), y up.
Box = tuple[float, float, float, float]


def text_px(prop: vtkTextProperty, text: str, dpi: int) -> tuple[int, int]:
    """(width, height) in pixels of ``text`` drawn with ``prop`` (its widest line)."""
    if not text.strip():
        return 0, 0
    bbox = [0, 0, 0, 0]
    if not vtkTextRenderer.GetInstance().GetBoundingBox(prop, text, bbox, dpi):
        return 0, 0
    return bbox[1] - bbox[0], bbox[3] - bbox[2]


def notes(bar: vtkScalarBarActor) -> list[str]:
    """The annotations a bar draws beside its strip (none when it does not draw them)."""
    lut = bar.GetLookupTable()
    if lut is None or not bar.GetDrawAnnotations():
        return []
    return [str(lut.GetAnnotation(i)) for i in range(lut.GetNumberOfAnnotatedValues())]


def frame_px(bar: vtkScalarBarActor, renderer: vtkRenderer) -> Box:
    """The bar's frame as VTK draws it: its position and size, capped in pixels."""
    x0, y0 = bar.GetPositionCoordinate().GetComputedDisplayValue(renderer)
    x1, y1 = bar.GetPosition2Coordinate().GetComputedDisplayValue(renderer)
    w = min(x1 - x0, bar.GetMaximumWidthInPixels())
    h = min(y1 - y0, bar.GetMaximumHeightInPixels())
    return float(x0), float(y0), float(x0 + w), float(y0 + h)


def bar_box(bar: vtkScalarBarActor, renderer: vtkRenderer, dpi: int) -> Box:
    """Everything ``bar`` draws (frame, title, notes), with ``PAD_PX`` round it."""
    x0, y0, x1, y1 = frame_px(bar, renderer)
    title_w, _ = text_px(bar.GetTitleTextProperty(), bar.GetTitle() or "", dpi)
    mid = (x0 + x1) / 2
    lo, hi, top = min(x0, mid - title_w / 2), max(x1, mid + title_w / 2), y1 + TITLE_RISE_PX
    texts = notes(bar)
    if texts:
        prop = bar.GetAnnotationTextProperty()
        width = max(text_px(prop, t, dpi)[0] for t in texts) + LEADER_PX
        # notes go on the side away from the tick labels, outside the frame
        if bar.GetTextPosition() == vtkScalarBarActor.SucceedScalarBar:
            lo = min(lo, x0 - width)
        else:
            hi = max(hi, x1 + width)
    return lo - PAD_PX, y0 - PAD_PX, hi + PAD_PX, top + PAD_PX


def overlap(a: Box, b: Box) -> bool:
    """Whether two boxes share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def text_actor_box(actor, renderer: vtkRenderer, dpi: int) -> Box | None:
    """The box of a visible ``vtkTextActor`` (the caption line), None when hidden or empty."""
    if not actor.GetVisibility():
        return None
    w, h = text_px(actor.GetTextProperty(), actor.GetInput() or "", dpi)
    if w == 0:
        return None
    x, y = actor.GetPositionCoordinate().GetComputedDisplayValue(renderer)
    return float(x), float(y), float(x + w), float(y + h)


class LegendBackdrop:
    """One translucent box behind each legend, and its outline. Add it to the renderer before
    any bar (2D actors draw in the order they were added): it must lie under them."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.fill = self._actor(style.BACKGROUND_BOTTOM, style.LEGEND_BG_OPACITY)
        self.edge = self._actor(style.RACK_EDGE, 1.0)
        for a in (self.fill, self.edge):
            renderer.AddViewProp(a)
        #: the boxes drawn by the last ``draw``
        self.boxes: list[Box] = []

    def remove(self, renderer: vtkRenderer) -> None:
        """Take the backdrop out of ``renderer`` (its scene is going)."""
        for a in (self.fill, self.edge):
            renderer.RemoveViewProp(a)

    @staticmethod
    def _actor(colour: str, opacity: float) -> vtkActor2D:
        actor = vtkActor2D()
        mapper = vtkPolyDataMapper2D()
        mapper.SetInputData(vtkPolyData())
        actor.SetMapper(mapper)
        prop = actor.GetProperty()
        prop.SetColor(*(c / 255 for c in style.hex_rgb(colour)))
        prop.SetOpacity(opacity)
        prop.SetLineWidth(1.0)
        actor.PickableOff()
        return actor

    def draw(self, boxes: list[Box]) -> None:
        """Backgrounds for ``boxes`` (display pixels) and nothing else."""
        if list(boxes) == self.boxes and self.fill.GetMapper().GetInput().GetNumberOfPoints():
            return  # the same as drawn: nothing to send again
        self.boxes = list(boxes)
        corners = np.array(
            [[(b[0], b[1], 0), (b[2], b[1], 0), (b[2], b[3], 0), (b[0], b[3], 0)] for b in boxes],
            dtype=float,
        ).reshape(-1, 3)
        pts = vtkPoints()
        pts.SetNumberOfPoints(len(corners))
        for i, c in enumerate(corners):  # four corners a legend: a handful of points
            pts.SetPoint(i, *c)
        quads, loops = vtkCellArray(), vtkCellArray()
        for k in range(len(boxes)):
            ids = [4 * k + j for j in range(4)]
            quads.InsertNextCell(4, ids)
            loops.InsertNextCell(5, ids + [4 * k])
        for actor, cells, kind in ((self.fill, quads, "polys"), (self.edge, loops, "lines")):
            poly = vtkPolyData()
            poly.SetPoints(pts)
            poly.SetPolys(cells) if kind == "polys" else poly.SetLines(cells)
            actor.GetMapper().SetInputData(poly)
            actor.SetVisibility(bool(boxes))
