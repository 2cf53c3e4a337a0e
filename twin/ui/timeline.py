"""The timeline dock: transport buttons, speed, a scrubber with event markers coloured by
severity, and the current time. It only emits requests (play, seek, speed); the replay
controller applies them to the ReplaySource."""

from __future__ import annotations

import datetime as dt

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0)
SEVERITY_COLOURS = {0: "#5fb8ff", 1: "#ffb000", 2: "#ff3b3b"}
SEVERITY_NAMES = {0: "info", 1: "warning", 2: "critical"}
ACCENT = "#2a86d8"
BAND_EDGE = "#ffd54f"  # the charts' zoomed time range on the scrubber


def format_offset(seconds: float) -> str:
    """Seconds from the recording start as mm:ss, or h:mm:ss past an hour."""
    s = max(0, int(round(seconds)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def format_utc(t_s: float) -> str:
    return dt.datetime.fromtimestamp(t_s, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class Scrubber(QWidget):
    """A time track: played part, event ticks, a playhead, and the band of time the charts
    show when zoomed; click or drag to seek."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(240, 34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.t0 = 0.0
        self.t1 = 1.0
        self.position = 0.0
        self.event_times = np.zeros(0)
        self.event_severity = np.zeros(0, dtype=np.int8)
        self.event_text: list[str] = []
        #: the time range the charts show (start_s, end_s), highlighted; None: the whole span
        self.band: tuple[float, float] | None = None
        self._dragging = False

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, 34)

    # ------------------------------------------------------------------ state
    def set_span(self, t0: float, t1: float) -> None:
        self.t0, self.t1 = float(t0), float(max(t1, t0 + 1e-6))
        self.update()

    def set_events(self, times, severity, text: list[str]) -> None:
        self.event_times = np.asarray(times, dtype=float)
        self.event_severity = np.asarray(severity, dtype=np.int8)
        self.event_text = list(text)
        self.update()

    def set_band(self, band: tuple[float, float] | None) -> None:
        """Highlight ``band`` (start_s, end_s) on the track; None: no band."""
        band = None if band is None else (float(band[0]), float(band[1]))
        if band != self.band:
            self.band = band
            self.update()

    def band_rect(self) -> QRectF | None:
        """Where the band is drawn (None with no band)."""
        if self.band is None:
            return None
        tr = self._track()
        x0, x1 = self.x_of(self.band[0]), self.x_of(self.band[1])
        return QRectF(x0, tr.top() - 4, max(x1 - x0, 2.0), tr.height() + 8)

    def set_position(self, t: float) -> None:
        if t != self.position:
            self.position = float(t)
            self.update()

    # ------------------------------------------------------------------ geometry
    def _track(self) -> QRectF:
        return QRectF(8, self.height() / 2 + 1, self.width() - 16, 6)

    def x_of(self, t: float) -> float:
        tr = self._track()
        u = (t - self.t0) / (self.t1 - self.t0)
        return tr.left() + min(max(u, 0.0), 1.0) * tr.width()

    def t_of(self, x: float) -> float:
        tr = self._track()
        u = (x - tr.left()) / max(tr.width(), 1.0)
        return self.t0 + min(max(u, 0.0), 1.0) * (self.t1 - self.t0)

    # ------------------------------------------------------------------ painting
    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        tr = self._track()
        enabled = self.isEnabled()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#1b1f25"))
        p.drawRoundedRect(tr, 3, 3)
        xh = self.x_of(self.position)
        if enabled:
            played = QRectF(tr.left(), tr.top(), xh - tr.left(), tr.height())
            p.setBrush(QColor(ACCENT))
            p.drawRoundedRect(played, 3, 3)
        band = self.band_rect()
        if band is not None and enabled:  # what the charts show, over the track
            p.setPen(QPen(QColor(BAND_EDGE), 1.5))
            p.setBrush(QColor(255, 255, 255, 70))
            p.drawRoundedRect(band, 2, 2)
        # event ticks above the track, the worst severity drawn last (on top)
        if len(self.event_times):
            u = (self.event_times - self.t0) / (self.t1 - self.t0)
            xs = tr.left() + np.clip(u, 0.0, 1.0) * tr.width()
            y0, y1 = tr.top() - 12, tr.top() - 2
            for sev in sorted(set(self.event_severity.tolist())):
                colour = QColor(SEVERITY_COLOURS.get(int(sev), "#aaaaaa"))
                if not enabled:
                    colour.setAlpha(90)
                p.setPen(QPen(colour, 2))
                # one tick per pixel column is enough: thousands of events draw as one batch
                cols = np.unique(np.round(xs[self.event_severity == sev], 1))
                p.drawLines([QLineF(x, y0, x, y1) for x in cols.tolist()])
        if enabled:  # playhead
            p.setPen(QPen(QColor("#ffffff"), 1.5))
            p.setBrush(QColor("#e9eef3"))
            path = QPainterPath()
            path.addEllipse(QPointF(xh, tr.center().y()), 6.5, 6.5)
            p.drawPath(path)
        p.end()

    # ------------------------------------------------------------------ mouse
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            self._dragging = True
            self._seek_to(event.position().x())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        x = event.position().x()
        if self._dragging:
            self._seek_to(x)
        QToolTip.showText(event.globalPosition().toPoint(), self._tip(x), self)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._dragging:
            self._dragging = False
            self._seek_to(event.position().x())

    def _seek_to(self, x: float) -> None:
        t = self.t_of(x)
        near = self._event_near(x)
        if near is not None:  # snap to an event tick under the pointer
            t = float(self.event_times[near])
        self.set_position(t)
        self.seek_requested.emit(t)

    def _event_near(self, x: float, px: float = 4.0) -> int | None:
        if not len(self.event_times):
            return None
        xs = np.array([self.x_of(t) for t in self.event_times])
        i = int(np.argmin(np.abs(xs - x)))
        return i if abs(xs[i] - x) <= px else None

    def _tip(self, x: float) -> str:
        t = self.t_of(x)
        text = f"{format_offset(t - self.t0)}  ({format_utc(t)})"
        near = self._event_near(x)
        if near is not None and near < len(self.event_text):
            text += "\n" + self.event_text[near]
        return text


class TimelineWidget(QWidget):
    """Transport, speed, scrubber and clock. ``set_live(True)`` greys the replay controls
    and shows the live clock instead."""

    play_toggled = Signal()
    step_requested = Signal(int)
    speed_requested = Signal(float)
    seek_requested = Signal(float)
    event_jump_requested = Signal(int)  # +1 next event, -1 previous

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_transport()
        self.scrubber = Scrubber(self)
        self.scrubber.seek_requested.connect(self.seek_requested)
        self._build_clock()
        self._lay_out()
        self._controls = (
            self.btn_prev_event,
            self.btn_back,
            self.btn_play,
            self.btn_fwd,
            self.btn_next_event,
            self.speed,
            self.scrubber,
        )
        self.set_live(None)

    def _button(self, icon: QStyle.StandardPixmap, tip: str, slot) -> QToolButton:
        b = QToolButton(self)
        b.setIcon(self.style().standardIcon(icon))
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.setIconSize(QSize(20, 20))
        b.clicked.connect(slot)
        return b

    def _build_transport(self) -> None:
        """Previous/next event, step back/forward, play/pause, and the speed box."""
        P = QStyle.StandardPixmap
        button = self._button
        self.btn_prev_event = button(
            P.SP_MediaSkipBackward, "Previous event (Ctrl+Left)", lambda: self._jump(-1)
        )
        self.btn_back = button(
            P.SP_MediaSeekBackward, "Step back one sample (,)", lambda: self.step_requested.emit(-1)
        )
        self.btn_play = button(P.SP_MediaPlay, "Play / pause (Space)", self.play_toggled.emit)
        self.btn_fwd = button(
            P.SP_MediaSeekForward,
            "Step forward one sample (.)",
            lambda: self.step_requested.emit(1),
        )
        self.btn_next_event = button(
            P.SP_MediaSkipForward, "Next event (Ctrl+Right)", lambda: self._jump(1)
        )
        self.speed = QComboBox(self)
        self.speed.setToolTip("Replay speed")
        for s in SPEEDS:
            self.speed.addItem(f"×{s:g}", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(
            lambda i: self.speed_requested.emit(float(self.speed.itemData(i)))
        )

    def _build_clock(self) -> None:
        """The time (offset / length), the UTC time under it, and the source's mode badge."""
        self.clock = QLabel("--:-- / --:--", self)
        self.clock.setStyleSheet("font-size: 15px; font-weight: 600; font-family: monospace;")
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.utc = QLabel("", self)
        self.utc.setStyleSheet("color: #9aa4b0; font-size: 11px;")
        self.utc.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.mode = QLabel("", self)
        self.mode.setStyleSheet(
            "color: white; background: #3d4652; border-radius: 3px; padding: 1px 6px;"
            "font-size: 11px; font-weight: 600;"
        )

    def _lay_out(self) -> None:
        """One row: transport, speed, the scrubber (stretching), the clock, the badge."""
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 8, 2)
        row.setSpacing(4)
        for w in (self.btn_prev_event, self.btn_back, self.btn_play, self.btn_fwd):
            row.addWidget(w)
        row.addWidget(self.btn_next_event)
        row.addSpacing(4)
        row.addWidget(self.speed)
        row.addSpacing(6)
        row.addWidget(self.scrubber, 1)
        clock_box = QVBoxLayout()
        clock_box.setSpacing(0)
        clock_box.addWidget(self.clock)
        clock_box.addWidget(self.utc)
        row.addSpacing(6)
        row.addLayout(clock_box)
        row.addWidget(self.mode)

    def _jump(self, direction: int) -> None:
        self.event_jump_requested.emit(direction)

    # ------------------------------------------------------------------ state
    def set_live(self, live: bool | None) -> None:
        """True: a live source (no scrubbing); False: a replay; None: no source."""
        for w in self._controls:
            w.setEnabled(live is False)
        self.mode.setText({True: "LIVE", False: "REPLAY", None: "NO SOURCE"}[live])
        self.mode.setStyleSheet(
            self.mode.styleSheet().split("background:")[0]
            + "background: "
            + {True: "#2e8b57", False: ACCENT, None: "#3d4652"}[live]
            + "; border-radius: 3px; padding: 1px 6px; font-size: 11px; font-weight: 600;"
        )
        self._playing = None
        if live is None:
            self.clock.setText("--:-- / --:--")
            self.utc.setText("")

    def set_playing(self, playing: bool) -> None:
        if getattr(self, "_playing", None) == playing:
            return
        self._playing = playing
        P = QStyle.StandardPixmap
        icon = P.SP_MediaPause if playing else P.SP_MediaPlay
        self.btn_play.setIcon(self.style().standardIcon(icon))
        self.btn_play.setToolTip(("Pause" if playing else "Play") + " (Space)")

    def set_speed(self, speed: float) -> None:
        i = int(np.argmin([abs(s - speed) for s in SPEEDS]))
        if i != self.speed.currentIndex():
            self.speed.blockSignals(True)
            self.speed.setCurrentIndex(i)
            self.speed.blockSignals(False)

    def set_time(self, t: float, t0: float | None = None, t1: float | None = None) -> None:
        """Show time ``t``; with a span, as an offset into it and on the scrubber."""
        if t0 is not None and t1 is not None:
            self.scrubber.set_position(t)
            text = f"{format_offset(t - t0)} / {format_offset(t1 - t0)}"
        else:
            text = dt.datetime.fromtimestamp(t, dt.UTC).strftime("%H:%M:%S")
        if text != self.clock.text():  # a tick every 50 ms: touch Qt only on change
            self.clock.setText(text)
            self.utc.setText(format_utc(t))
