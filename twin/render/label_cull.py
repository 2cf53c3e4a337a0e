"""Labels in the 3D view (rows, halls, racks) left out where they would fall on a legend.

A point-label actor places its labels where their anchors project, wherever the camera is;
a legend is drawn over a fixed corner of the view. Before each still render, the anchors of
each label actor are projected (one matrix product over the labels) and a label whose box
could reach into a legend's box is left out of the actor's input, so no label is ever drawn
under a legend. The box is taken large enough for any justification: the label's text size
either side of its anchor. The input is replaced only when the set of labels shown changes.
No Qt.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from vtkmodules.vtkCommonCore import vtkStringArray
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkTextProperty

from twin.render.legend_boxes import Box, text_px

#: Room kept round a label's text: its rounded box's margin and a little air (px).
MARGIN_PX = 6


def project_px(renderer: vtkRenderer, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Display coordinates (n, 2) of world ``points`` (n, 3), and which lie in front of the
    camera."""
    cam = renderer.GetActiveCamera()
    w, h = renderer.GetSize()
    aspect = w / max(h, 1)
    m = cam.GetCompositeProjectionTransformMatrix(aspect, -1, 1)
    mat = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])
    hom = np.hstack([points, np.ones((len(points), 1))]) @ mat.T
    wq = hom[:, 3]
    front = wq > 1e-9
    ndc = hom[:, :2] / np.where(front, wq, 1.0)[:, None]
    ox, oy = renderer.GetOrigin()
    xy = np.column_stack([ox + (ndc[:, 0] + 1) / 2 * w, oy + (ndc[:, 1] + 1) / 2 * h])
    return xy, front


def half_sizes_px(texts: Sequence[str], prop: vtkTextProperty, dpi: int) -> np.ndarray:
    """(n, 2) half-widths and half-heights kept round each label's anchor: its text's full
    size (whatever its justification) plus ``MARGIN_PX``."""
    sizes = np.array([text_px(prop, t, dpi) for t in texts], dtype=float).reshape(-1, 2)
    return sizes + MARGIN_PX


def hits(xy: np.ndarray, half: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
    """Which labels (anchors ``xy``, half sizes ``half``) reach into any of ``boxes``."""
    out = np.zeros(len(xy), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        out |= (
            (xy[:, 0] - half[:, 0] < x1)
            & (xy[:, 0] + half[:, 0] > x0)
            & (xy[:, 1] - half[:, 1] < y1)
            & (xy[:, 1] + half[:, 1] > y0)
        )
    return out


class CulledLabels:
    """One point-label actor (``plotter.add_point_labels``) whose labels can be left out."""

    def __init__(self, actor, points: np.ndarray, texts: Sequence[str], dpi: int) -> None:
        self.actor = actor
        self.hier = actor.GetMapper().GetInputAlgorithm()
        self.points = np.asarray(points, dtype=float).reshape(-1, 3)
        self.texts = [str(t) for t in texts]
        self.half = half_sizes_px(self.texts, self.hier.GetTextProperty(), dpi)
        self.full = self.hier.GetInputDataObject(0, 0)
        self.shown = np.ones(len(self.texts), dtype=bool)

    def shown_labels(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(text, anchor, half size) of each label the actor draws now."""
        return [(self.texts[i], self.points[i], self.half[i]) for i in np.flatnonzero(self.shown)]

    def cull(self, renderer: vtkRenderer, boxes: Sequence[Box]) -> None:
        """Leave out the labels that would reach into ``boxes`` from this camera."""
        if boxes:
            xy, front = project_px(renderer, self.points)
            keep = ~(front & hits(xy, self.half, boxes))
        else:
            keep = np.ones(len(self.texts), dtype=bool)
        if np.array_equal(keep, self.shown):
            return
        self.shown = keep
        if keep.all():
            self.hier.SetInputData(self.full)
            return
        self.hier.SetInputData(self._subset(keep))

    def _subset(self, keep: np.ndarray):
        import pyvista as pv

        sub = pv.PolyData(self.points[keep]) if keep.any() else pv.PolyData()
        names = vtkStringArray()
        names.SetName("labels")
        for i in np.flatnonzero(keep):  # the labels left: tens, at most a few thousand
            names.InsertNextValue(self.texts[i])
        sub.GetPointData().AddArray(names)
        return sub
