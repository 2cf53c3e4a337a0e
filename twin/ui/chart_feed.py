"""What the Charts dock plots: the selected item's history, from the replayed recording or
from a rolling buffer of the live frames, reloaded as the recording grows."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from twin.recording import RecordingError
from twin.ui.charts import ChartPanel, panels_for
from twin.ui.describe import item_id

#: Memory a live source's rolling chart buffer may hold (whole frames are kept).
LIVE_BUFFER_BYTES = 64 << 20
LIVE_BUFFER_MAX_FRAMES = 900
HISTORY_RELOAD_S = 2.0  # a growing recording's plotted history is re-read this often


class ChartFeed:
    """Feeds ``charts`` for the followed item; ``replay()``/``source()`` give the current
    replay source (or None) and the current source."""

    def __init__(self, window, charts: ChartPanel, replay: Callable, source: Callable) -> None:
        self.window, self.charts = window, charts
        self._replay, self._source = replay, source
        self.live_frames: deque = deque(maxlen=LIVE_BUFFER_MAX_FRAMES)
        self.item: tuple[str, int] | None = None
        self._chart_end = -math.inf
        self._chart_loaded_at = 0.0

    def follow(self, item: tuple[str, int] | None) -> None:
        self.item = item
        self.reload()

    def reset(self) -> None:
        """A new layout: nothing followed, no buffered frames."""
        self.item = None
        self.live_frames.clear()
        self.charts.clear("Select a GPU, server, rack or unit to plot its history")

    def buffer(self, frame) -> None:
        """Keep recent live frames (as many as fit ``LIVE_BUFFER_BYTES``) for the charts."""
        per_frame = sum(
            v.nbytes
            for k in ("gpu", "rack", "air_unit", "cdu", "power")
            for v in frame.group(k).values()
        )
        cap = int(min(max(LIVE_BUFFER_BYTES // max(per_frame, 1), 30), LIVE_BUFFER_MAX_FRAMES))
        if self.live_frames.maxlen != cap:
            self.live_frames = deque(self.live_frames, maxlen=cap)
        self.live_frames.append(frame)

    def _fetch_recording(self, kind: str, index: int, metrics: list[str]):
        rec = self._replay().recording
        avail = {m for m, _, _ in rec.metrics.get(kind, [])}
        return rec.history(kind, index, [m for m in metrics if m in avail])

    def _fetch_live(self, kind: str, index: int, metrics: list[str]):
        frames = list(self.live_frames)
        times = np.array([f.time_s for f in frames])
        out = {}
        for m in metrics:
            col = [f.group(kind).get(m) for f in frames]
            out[m] = np.array(
                [c[index] if c is not None and index < len(c) else np.nan for c in col],
                dtype=float,
            )
        return times, out

    def reload(self) -> None:
        w = self.window
        item = self.item
        if item is None or w.facility is None:
            self.charts.clear("Select a GPU, server, rack or unit to plot its history")
            return
        kind, index = item
        name = f"{kind.replace('_', ' ')} {item_id(w.facility, kind, index)}"
        if self._replay() is not None:
            fetch, where = self._fetch_recording, "recording"
        elif self._source() is not None:
            fetch, where = self._fetch_live, "last frames"
        else:
            self.charts.clear(f"{name}: no telemetry (open a recording or a source)")
            return
        try:
            panels = panels_for(w.facility, kind, index, fetch)
        except (RecordingError, KeyError) as exc:
            self.charts.clear(f"{name}: {exc}")
            return
        if not panels:
            self.charts.clear(f"{name}: nothing to plot for a {kind.replace('_', ' ')}")
            return
        self.charts.show_panels(f"{name} — {where}", panels)
        times = panels[0].lines[0].times if panels[0].lines else np.zeros(0)
        self._chart_end = float(times[-1]) if len(times) else -math.inf
        self._chart_loaded_at = time.monotonic()
        if w.last_frame is not None:
            self.charts.set_cursor(w.last_frame.time_s)

    def update(self, t: float) -> None:
        if self.item is None:
            return
        if self._replay() is None:
            self.reload()  # rolling buffer: cheap, a few hundred frames at most
        elif t > self._chart_end and time.monotonic() - self._chart_loaded_at > HISTORY_RELOAD_S:
            self.reload()  # the recording grew past what is plotted
        self.charts.set_cursor(t)
