"""Status-bar widgets for live data: a coloured state light with the source's freshness and
coverage, and a red recording indicator. The text is built by ``describe_status`` (no Qt), so
what the user reads is testable on its own."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from twin.model.units import count_text

#: State -> light colour. Unknown states are grey.
STATE_COLOURS = {
    "connected": "#3ecf5a",
    "playing": "#3ecf5a",
    "lagging": "#f0b429",
    "connecting": "#5fb8ff",
    "paused": "#8fa3bf",
    "disconnected": "#ff5c5c",
    "error": "#ff5c5c",
    "ended": "#8a929c",
    "stopped": "#8a929c",
    "idle": "#8a929c",
}
#: States in which the data on screen is not current (when there is data on screen).
STALE_STATES = frozenset({"lagging", "disconnected", "error", "connecting"})


def format_age(age_s: float | None) -> str:
    """``3 s``, ``4 min``, ``2.5 h``, ``3 d``; ``—`` when unknown."""
    if age_s is None or age_s != age_s:
        return "—"
    a = max(0.0, float(age_s))
    if a < 90:
        return f"{a:.0f} s"
    if a < 90 * 60:
        return f"{a / 60:.0f} min"
    if a < 48 * 3600:
        return f"{a / 3600:.1f} h"
    return f"{a / 86400:.0f} d"


@dataclass(frozen=True)
class StatusView:
    """What the status widget shows for one ``SourceStatus``."""

    state: str
    text: str
    tooltip: str
    stale: bool


def describe_status(
    status,
    *,
    paused: bool = False,
    has_data: bool = True,
    gpus_with_data: int | None = None,
    gpus_total: int | None = None,
    last_error: str = "",
    air: tuple[str, str] = ("", ""),
) -> StatusView:
    """Turn a ``SourceStatus``
    into the light's state, a one-line text, a tooltip and whether the view is stale.

    ``paused``: the window stopped taking frames. ``has_data``: a frame is on screen (a stale
    badge only makes sense then). ``gpus_with_data``/``gpus_total`` fill in coverage for
    sources that do not report it themselves. ``last_error``: the message of the last failure
    seen (a source's own message moves on once it reconnects). ``air``: where the air
    figures come from, a few words for the line and a sentence for the tooltip (the live
    fill's, ``live_fill.LiveAirFill.status``); empty without a fill.
    """
    state = str(status.state)
    live = status.live
    if paused:
        state = "paused"
    parts = [state]
    if status.age_s is not None:
        parts.append(f"{format_age(status.age_s)} old")
    if status.gpus_total is not None:
        gpus_with_data, gpus_total = status.gpus_with_data, status.gpus_total
    if gpus_total:
        parts.append(f"{gpus_with_data or 0:,}/{gpus_total:,} GPUs with data")
    unmatched = status.unmatched_series
    if live:
        parts.append(f"{unmatched:,} unmatched series")
    retry = status.retry_in_s
    if state == "disconnected" and retry is not None:
        parts.append(f"retry in {retry:.0f} s")
    if air[0]:
        parts.append(air[0])
    stale = status.stale if live else state in STALE_STATES
    stale = stale and has_data and state != "paused"

    tip = [*_tooltip(status, state, last_error, stale), air[1]]
    return StatusView(state, " · ".join(parts), "\n".join(t for t in tip if t), stale)


def _tooltip(status, state: str, last_error: str, stale: bool) -> list[str]:
    """The status light's tooltip lines: where from, freshness, counters, what is missing."""
    tip = []
    if status.url:
        tip.append(f"Source: {status.url}")
    tip.append(f"State: {state}")
    if status.age_s is not None:
        tip.append(f"Newest sample: {format_age(status.age_s)} old")
    tip.append(f"Frames: {status.frames:,} (dropped {status.dropped:,}), errors: {status.errors:,}")
    if status.poll_ms is not None:
        tip.append(f"Last poll: {status.poll_ms:.0f} ms")
    if status.unmatched_series:
        examples = ", ".join(status.unmatched_examples)
        tip.append(
            f"Series matching no GPU: {status.unmatched_series:,}"
            + (f" (e.g. {examples})" if examples else "")
        )
    if status.metrics_missing:
        tip.append("Metrics with no series: " + ", ".join(status.metrics_missing))
    failing = state in ("disconnected", "error")
    if failing and status.message:
        last_error = status.message
    elif status.message:
        tip.append(f"Note: {status.message}")
    last_error = last_error or status.last_error
    if last_error:
        tip.append(f"Last error: {last_error}")
    if stale:
        tip.append("The view shows the last data received (marked STALE).")
    return tip


class StateLight(QWidget):
    """A small filled circle in the state's colour."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._colour = QColor(STATE_COLOURS["idle"])
        self.state = "idle"
        self.setFixedSize(14, 14)

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._colour = QColor(STATE_COLOURS.get(state, STATE_COLOURS["idle"]))
            self.update()

    def colour(self) -> QColor:
        return QColor(self._colour)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(14, 14)

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QColor("#1f2329"))
        p.setBrush(self._colour)
        p.drawEllipse(2, 2, 10, 10)
        p.end()


class SourceStatusWidget(QWidget):
    """State light, status text and a STALE badge, with the details in a tooltip."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        row.setSpacing(4)
        self.light = StateLight(self)
        self.label = QLabel(self)
        self.badge = QLabel("STALE", self)
        self.badge.setStyleSheet(
            "QLabel { background: #f0b429; color: #1f2329; font-weight: bold;"
            " border-radius: 3px; padding: 0 5px; }"
        )
        self.badge.setVisible(False)
        row.addWidget(self.light)
        row.addWidget(self.label)
        row.addWidget(self.badge)
        self.view: StatusView | None = None

    def show_view(self, view: StatusView | None) -> None:
        """Show one ``describe_status`` result; None clears (no source)."""
        self.view = view
        if view is None:
            self.setVisible(False)
            self.badge.setVisible(False)
            return
        self.light.set_state(view.state)
        self.label.setText(view.text)
        self.badge.setVisible(view.stale)
        self.setToolTip(view.tooltip)
        self.setVisible(True)

    @property
    def text(self) -> str:
        return self.label.text()


class RecordingIndicator(QLabel):
    """``● REC mm:ss`` in red while recording; hidden otherwise."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setStyleSheet("QLabel { color: #ff5c5c; font-weight: bold; }")
        self.setAlignment(Qt.AlignmentFlag.AlignVCenter)
        self.setVisible(False)

    def show_elapsed(self, elapsed_s: float | None, frames: int = 0, path: str = "") -> None:
        if elapsed_s is None:
            self.setVisible(False)
            return
        s = int(max(0.0, elapsed_s))
        clock = (
            f"{s // 60:02d}:{s % 60:02d}"
            if s < 3600
            else f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        )
        self.setText(f"● REC {clock}")
        self.setToolTip(f"Recording to {path}\n{count_text(frames, 'frame')} written")
        self.setVisible(True)
