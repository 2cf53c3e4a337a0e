"""The selected rack's elevation in the inspector: front and rear, servers at their U
positions, GPUs coloured by the metric on show from the frame shown (``twin.render.elevation``).

Drawn off screen at a small size when the selection moves to another rack (a server, host or
GPU selects its rack) or the metric changes, after the inspector's text is shown, and kept
per (rack, metric, frame) so going back to a rack costs nothing. Frames arriving while a rack
stays selected do not redraw it (the caption says which frame it shows); "Refresh" does.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from twin.model.metrics import gpu_metric
from twin.model.worst import gpu_values
from twin.ui.worst_dock import clock

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.ui.main_window import MainWindow

#: Size of the drawing (px); small so a selection does not wait on it.
SIZE_PX = (380, 300)
#: The least room it asks of the inspector (px): none, so showing it never grows the dock
#: (and moves the 3D view under the mouse); a small dock scales the drawing down.
MIN_PX = (1, 1)  # (0, 0) would mean "unset": the pixmap's own size
#: Drawings kept (per rack, metric and frame).
CACHE_SIZE = 16


def rack_of(f: Facility, kind: str, index: int) -> int | None:
    """The rack an item sits in (a rack itself, a server, host or GPU), else None."""
    if kind == "rack":
        return int(index)
    if kind == "server":
        return int(f.server_rack[index])
    if kind == "host":
        return int(f.server_rack[f.host_server[index]])
    if kind == "gpu":
        return int(f.gpu_rack[index])
    return None


class FittedImage(QLabel):
    """A picture scaled to the space the inspector gives it (never widening the dock, which
    would move the 3D view under the user's mouse)."""

    def __init__(self) -> None:
        super().__init__()
        self.original: QPixmap | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(*MIN_PX)
        # any width; as tall as the inspector can spare (a share of it, not a minimum)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)

    def set_image(self, pix: QPixmap) -> None:
        self.original = pix
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.original is None:
            return
        size = self.size()
        if size.width() >= self.original.width() and size.height() >= self.original.height():
            self.setPixmap(self.original)
        else:
            self.setPixmap(
                self.original.scaled(
                    size,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )


class InspectorElevation(QObject):
    """The elevation panel of the inspector (``window.extensions["inspector_elevation"]``)."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.cache: OrderedDict[tuple, QPixmap] = OrderedDict()
        self.renders = 0  # drawings made (the cache saves the rest)
        self.rack: int | None = None
        from twin.render.elevation import ElevationPainter

        self.painter = ElevationPainter(SIZE_PX, font_scale=0.8)
        window.installEventFilter(self)  # its render window closes with the main window
        self._build()
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self.refresh)
        window.selection_changed.connect(self._on_selection)
        window.layout_loaded.connect(self._on_layout)
        window.view.events.gpu_metric.connect(lambda _m: self._schedule())

    def _build(self) -> None:
        self.panel = QWidget()
        lay = QVBoxLayout(self.panel)
        lay.setContentsMargins(0, 4, 0, 0)
        head = QHBoxLayout()
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head.addWidget(self.caption, 1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Draw the rack again from the latest frame")
        self.refresh_button.clicked.connect(self.refresh)
        head.addWidget(self.refresh_button)
        lay.addLayout(head)
        self.image = FittedImage()
        self.image.setObjectName("inspector_elevation")
        lay.addWidget(self.image, 1)
        self.panel.setVisible(False)
        self.window.inspector.add_panel(self.panel)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.painter.close()
        return False

    def _on_layout(self, _facility) -> None:
        self.cache.clear()
        self.rack = None
        self.panel.setVisible(False)

    def _on_selection(self, kind: str, index: int) -> None:
        f = self.window.facility
        rack = rack_of(f, kind, index) if f is not None and kind else None
        if rack is None:
            self.rack = None
            self.panel.setVisible(False)
            return
        if rack != self.rack:
            self.rack = rack
            self._schedule()

    def _schedule(self) -> None:
        """Draw after the inspector's text is on screen."""
        if self.rack is not None:
            self._pending.start()

    def key(self) -> tuple:
        frame = self.window.last_frame
        return (self.rack, self.window.view.gpu_metric, None if frame is None else id(frame))

    def refresh(self) -> None:
        """Show the selected rack's elevation for the frame shown now (from the cache when
        this rack, metric and frame were drawn already)."""
        w = self.window
        if self.rack is None or w.facility is None:
            return
        key = self.key()
        pix = self.cache.get(key)
        if pix is None:
            pix = self._draw(w.facility, self.rack)
            self.cache[key] = pix
            while len(self.cache) > CACHE_SIZE:
                self.cache.popitem(last=False)
        self.cache.move_to_end(key)
        self.image.set_image(pix)
        frame = w.last_frame
        metric = gpu_metric(w.view.gpu_metric).scale(w.facility).legend_title
        rid = w.facility.rack_ids[self.rack]
        when = "no telemetry yet" if frame is None else f"{metric} at {clock(frame.time_s)}"
        self.caption.setText(f"Rack {rid}, front and rear: {when}")
        self.panel.setVisible(True)

    def _draw(self, f: Facility, rack: int) -> QPixmap:
        w = self.window
        values = gpu_values(w.last_frame, w.view.gpu_metric)
        scale = gpu_metric(w.view.gpu_metric).scale(f)
        img = self.painter.image(
            f, rack, values, title=scale.unit or scale.title, clim=scale.clim, cmap=scale.cmap
        )
        self.renders += 1
        img = np.ascontiguousarray(img)
        h, wpx, _ = img.shape
        qimg = QImage(img.data, wpx, h, 3 * wpx, QImage.Format.Format_RGB888).copy()
        return QPixmap.fromImage(qimg)


def install(window: MainWindow) -> InspectorElevation:
    """Add the elevation panel to the window's inspector (``twin.ui.extensions``)."""
    return InspectorElevation(window)
