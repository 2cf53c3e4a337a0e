"""Slice images that zoom and pan together: the compare dialog's Twin, CFD and difference
slices show the same part of the hall whichever one is zoomed (mouse wheel, about the
cursor) or dragged; a double-click shows the whole slice again. The air's arrows are drawn
over the image as lines of a constant screen width, ``ARROWS_ACROSS`` across what the view
shows: zoomed in, more of them (down to one a cell), not the same few enlarged.

A factory hall's slice is 213 cells across at 0.2 m: fixed-size images gave it 213 pixels
for 42 m, a rack three pixels deep, with no way to look closer."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap, QTransform
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

#: How far in a slice zooms, in multiples of the whole slice fitting its view.
MAX_ZOOM = 16.0
#: One wheel notch (120 eighths of a degree) zooms by this factor.
WHEEL_STEP = 1.25
#: Arrows across the longer side of what a view shows (at most one a cell).
ARROWS_ACROSS = 24
#: The arrows' colour: a cyan neither the temperature map (inferno), the difference map
#: (coolwarm) nor the solids' grey has.
ARROW_RGB = (0, 220, 255)


def arrow_stride(n_cells: int, zoom: float) -> int:
    """Cells between arrows on a slice ``n_cells`` across (its longer side) at ``zoom``."""
    return max(int(np.ceil(n_cells / (ARROWS_ACROSS * zoom))), 1)


def arrow_segments(
    vel_xy: np.ndarray,
    cell_px: float,
    speed_scale_ms: float,
    stride: int,
    cells: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """The lines of the arrows (shaft and two head strokes each; (N, 2, 2): start and end,
    image pixels with y down) of a slice's horizontal air (nx, ny, 2; NaN in solids), one
    every ``stride`` cells on a lattice fixed to the slice (so that panning does not move
    them), within ``cells`` = (i0, i1, j0, j1) when given; an arrow of ``speed_scale_ms``
    spans its spacing."""
    nx, ny = vel_xy.shape[:2]
    i0, i1, j0, j1 = cells if cells is not None else (0, nx, 0, ny)
    ii = np.arange(stride // 2, nx, stride)
    jj = np.arange(stride // 2, ny, stride)
    ii, jj = np.meshgrid(ii[(ii >= i0) & (ii < i1)], jj[(jj >= j0) & (jj < j1)])
    u, v = vel_xy[ii, jj, 0], vel_xy[ii, jj, 1]
    ok = np.isfinite(u) & np.isfinite(v)
    x0 = (ii[ok] + 0.5) * cell_px
    y0 = (ny - jj[ok] - 0.5) * cell_px  # rows run from the top: y up
    length_px = stride * cell_px / max(speed_scale_ms, 1e-9)
    dx, dy = u[ok] * length_px, -v[ok] * length_px
    tip = np.stack([x0 + dx, y0 + dy], -1)
    head, ang = 0.3 * np.hypot(dx, dy), np.arctan2(dy, dx)
    lines = [np.stack([np.stack([x0, y0], -1), tip], 1)]
    for side in (-0.5, 0.5):
        back = tip - np.stack([head * np.cos(ang + side), head * np.sin(ang + side)], -1)
        lines.append(np.stack([tip, back], 1))
    return np.concatenate(lines) if len(x0) else np.zeros((0, 2, 2))


class SliceView(QGraphicsView):
    """One slice image, fitted to its view until zoomed; views joined with :func:`link`
    follow each other's zoom and pan."""

    def __init__(self, image: QImage, parent: QWidget | None = None):
        super().__init__(parent)
        self._image = image
        scene = QGraphicsScene(self)
        self._item = QGraphicsPixmapItem(QPixmap.fromImage(image))
        scene.addItem(self._item)
        scene.setSceneRect(QRectF(self._item.boundingRect()))
        self.setScene(scene)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        # dragged, not scrolled: scroll bars would take the room the fitted slice had
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setMinimumSize(240, 200)
        self.peers: list[SliceView] = []
        self._arrows: tuple[np.ndarray, float, float] | None = None  # (vel, cell px, scale)
        self._arrow_item = QGraphicsPathItem()
        pen = QPen(QColor(*ARROW_RGB), 1.5)
        pen.setCosmetic(True)  # the same width on screen at any zoom
        self._arrow_item.setPen(pen)
        scene.addItem(self._arrow_item)
        self._arrow_lines = np.zeros((0, 2, 2))
        self._zoom = 1.0  # in multiples of the fitted view
        self._following = False
        self.horizontalScrollBar().valueChanged.connect(self._pan_peers)
        self.verticalScrollBar().valueChanged.connect(self._pan_peers)

    def image(self) -> QImage:
        """The slice's image (its colours), at its own pixel size."""
        return self._image

    def set_image(self, image: QImage) -> None:
        """Show another slice of the same field (the same size): the zoom and the part of
        it in view are kept."""
        self._image = image
        self._item.setPixmap(QPixmap.fromImage(image))
        self.scene().setSceneRect(QRectF(self._item.boundingRect()))
        self._apply()

    def clear_arrows(self) -> None:
        """Draw no arrows (a slice where one of the two models has no air velocity)."""
        self._arrows = None
        self._arrow_lines = np.zeros((0, 2, 2))
        self._arrow_item.setPath(QPainterPath())

    def set_arrows(self, vel_xy: np.ndarray, cell_px: float, speed_scale_ms: float) -> None:
        """Draw the slice's horizontal air (nx, ny, 2) as arrows over it (``arrow_segments``)."""
        self._arrows = (np.asarray(vel_xy, float), float(cell_px), float(speed_scale_ms))
        self._draw_arrows()

    def arrow_lines(self) -> np.ndarray:
        """The arrows drawn now ((N, 2, 2) image pixels; three lines an arrow)."""
        return self._arrow_lines

    def _draw_arrows(self) -> None:
        if self._arrows is None:
            return
        vel, px, scale = self._arrows
        nx, ny = vel.shape[:2]
        seen = self.mapToScene(self.viewport().rect()).boundingRect()
        cells = (
            int(max(seen.left() // px, 0)),
            int(min(seen.right() // px + 1, nx)),
            int(max(ny - 1 - seen.bottom() // px, 0)),
            int(min(ny - seen.top() // px, ny)),
        )
        shown = max(cells[1] - cells[0], cells[3] - cells[2], 1)
        stride = arrow_stride(max(nx, ny), max(nx, ny) / shown)
        self._arrow_lines = arrow_segments(vel, px, scale, stride, cells)
        path = QPainterPath()
        for (a, b), (c, d) in self._arrow_lines:
            path.moveTo(QPointF(a, b))
            path.lineTo(QPointF(c, d))
        self._arrow_item.setPath(path)

    def zoom(self) -> float:
        """The zoom in multiples of the whole slice fitting the view (1: all of it)."""
        return self._zoom

    def fit_scale(self) -> float:
        """Screen pixels per image pixel when the whole slice fits the view."""
        r = self._item.boundingRect()
        vp = self.viewport().size()
        return min(vp.width() / max(r.width(), 1.0), vp.height() / max(r.height(), 1.0))

    def set_zoom(self, zoom: float) -> None:
        """Zoom to ``zoom`` times the fitted view (1 to ``MAX_ZOOM``), and the peers too."""
        self._zoom = min(max(zoom, 1.0), MAX_ZOOM)
        self._apply()
        if self._zoom == 1.0:
            self.centerOn(self._item)
        self._zoom_peers()

    def _apply(self) -> None:
        """Scale to the zoom; shrunk, pixels are smoothed (thin arrows stay visible),
        enlarged, kept sharp (a cell is a cell, not a blur)."""
        s = self.fit_scale() * self._zoom
        self.setTransform(QTransform.fromScale(s, s))
        smooth = s < 1.0
        self._item.setTransformationMode(
            Qt.TransformationMode.SmoothTransformation
            if smooth
            else Qt.TransformationMode.FastTransformation
        )
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        self._draw_arrows()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._apply()

    def wheelEvent(self, event) -> None:  # noqa: N802
        self.set_zoom(self._zoom * WHEEL_STEP ** (event.angleDelta().y() / 120))
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.set_zoom(1.0)
        event.accept()

    def _zoom_peers(self) -> None:
        for p in self.peers:
            if p._zoom != self._zoom:
                p._zoom = self._zoom
                p._apply()
        self._pan_peers()

    def _pan_peers(self, _value: int | None = None) -> None:
        self._draw_arrows()
        if self._following:
            return
        h, v = self.horizontalScrollBar().value(), self.verticalScrollBar().value()
        for p in self.peers:
            p._following = True
            try:
                p.horizontalScrollBar().setValue(h)
                p.verticalScrollBar().setValue(v)
            finally:
                p._following = False


def link(views: list[SliceView]) -> None:
    """Make ``views`` (images of one size) zoom and pan together."""
    for v in views:
        v.peers = [p for p in views if p is not v]
