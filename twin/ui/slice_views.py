"""Slice images that zoom and pan together: the compare dialog's Twin, CFD and difference
slices show the same part of the hall whichever one is zoomed (mouse wheel, about the
cursor) or dragged; a double-click shows the whole slice again.

A factory hall's slice is 213 cells across at 0.2 m: fixed-size images gave it 213 pixels
for 42 m, a rack three pixels deep, with no way to look closer."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QWidget

#: How far in a slice zooms, in multiples of the whole slice fitting its view.
MAX_ZOOM = 16.0
#: One wheel notch (120 eighths of a degree) zooms by this factor.
WHEEL_STEP = 1.25


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
        self._zoom = 1.0  # in multiples of the fitted view
        self._following = False
        self.horizontalScrollBar().valueChanged.connect(self._pan_peers)
        self.verticalScrollBar().valueChanged.connect(self._pan_peers)

    def image(self) -> QImage:
        """The slice's image as drawn (colours and arrows), at its own pixel size."""
        return self._image

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
