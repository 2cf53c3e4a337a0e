"""What the Charts dock plots: the selected item's history, and that of the items pinned to
the chart, from the replayed recording or from a rolling buffer of the live frames, reloaded
as the recording grows."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from twin.model.frame import METRICS
from twin.recording import RecordingError
from twin.ui.chart_items import MAX_CHART_ITEMS, merge_items
from twin.ui.charts import ChartPanel, panels_for
from twin.ui.describe import item_id

#: Memory a live source's rolling chart buffer may hold (whole frames are kept).
LIVE_BUFFER_BYTES = 64 << 20
LIVE_BUFFER_MAX_FRAMES = 900
HISTORY_RELOAD_S = 2.0  # a growing recording's plotted history is re-read this often


class ChartFeed:
    """Feeds ``charts`` for the followed item (the selection) and the pinned ones;
    ``replay()``/``source()`` give the current replay source (or None) and the current source.

    Pinned items are of one kind and stay on the chart while the selection moves on; the
    selection joins them when it is of their kind. A selection of another kind is charted
    alone, the pins kept for when the user comes back to their kind."""

    def __init__(self, window, charts: ChartPanel, replay: Callable, source: Callable) -> None:
        self.window, self.charts = window, charts
        self._replay, self._source = replay, source
        self.live_frames: deque = deque(maxlen=LIVE_BUFFER_MAX_FRAMES)
        self.item: tuple[str, int] | None = None
        self.pinned: list[tuple[str, int]] = []
        self._chart_end = -math.inf
        self._chart_loaded_at = 0.0

    def follow(self, item: tuple[str, int] | None) -> None:
        self.item = item
        self.reload()

    # ------------------------------------------------------------------ pins
    def pin(self, item: tuple[str, int]) -> str:
        """Keep ``item`` on the chart; pins of another kind give way to it. Says what it did."""
        item = (item[0], int(item[1]))
        if item in self.pinned:
            return f"{self.name(item)} is already on the chart"
        note = ""
        if self.pinned and self.pinned[0][0] != item[0]:
            note = f" (unpinned {len(self.pinned)} {self.pinned[0][0].replace('_', ' ')}s)"
            self.pinned = []
        if len(self.pinned) >= MAX_CHART_ITEMS:
            return f"A chart shows at most {MAX_CHART_ITEMS} items: unpin one first"
        self.pinned.append(item)
        self.reload()
        return f"Pinned {self.name(item)} to the chart{note}"

    def unpin(self, item: tuple[str, int]) -> None:
        item = (item[0], int(item[1]))
        if item in self.pinned:
            self.pinned.remove(item)
            self.reload()

    def clear_pins(self) -> None:
        if self.pinned:
            self.pinned = []
            self.reload()

    def charted(self) -> list[tuple[str, int]]:
        """The items on the chart, in legend order: the pins, then the selection if it is of
        their kind; a selection of another kind alone."""
        if not self.pinned:
            return [self.item] if self.item is not None else []
        if self.item is None or self.item in self.pinned:
            return list(self.pinned)
        if self.item[0] == self.pinned[0][0] and len(self.pinned) < MAX_CHART_ITEMS:
            return [*self.pinned, self.item]
        return [self.item]

    def name(self, item: tuple[str, int]) -> str:
        return item_id(self.window.facility, *item)

    def _title(self, items: list[tuple[str, int]], where: str) -> str:
        kind = items[0][0].replace("_", " ")
        names = ", ".join(
            self.name(it) + (" (pinned)" if it in self.pinned else "") for it in items
        )
        title = f"{kind}{'s' if len(items) > 1 else ''} {names} — {where}"
        if self.pinned and self.pinned[0] not in items:
            pinned_kind = self.pinned[0][0].replace("_", " ")
            title += f" · {len(self.pinned)} pinned {pinned_kind}(s) wait for a {pinned_kind}"
        return title

    def reset(self) -> None:
        """A new layout: nothing followed or pinned, no buffered frames."""
        self.item = None
        self.pinned = []
        self.live_frames.clear()
        self.charts.clear("Select a GPU, server, rack, unit or sensor to plot its history")

    def buffer(self, frame) -> None:
        """Keep recent live frames (as many as fit ``LIVE_BUFFER_BYTES``) for the charts."""
        per_frame = sum(v.nbytes for k in METRICS for v in frame.group(k).values())
        cap = int(min(max(LIVE_BUFFER_BYTES // max(per_frame, 1), 30), LIVE_BUFFER_MAX_FRAMES))
        if self.live_frames.maxlen != cap:
            self.live_frames = deque(self.live_frames, maxlen=cap)
        self.live_frames.append(frame)

    def _fetch_recording(self, kind: str, index: int, metrics: list[str]):
        rec = self._replay().recording
        avail = {m for m, _, _ in rec.metrics.get(kind, [])}
        if not avail:  # e.g. point sensors in a recording made before they were recorded
            return np.zeros(0), {}
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
        items = self.charted() if w.facility is not None else []
        if not items:
            self.charts.clear("Select a GPU, server, rack, unit or sensor to plot its history")
            return
        kind = items[0][0]
        name = f"{kind.replace('_', ' ')} {', '.join(self.name(it) for it in items)}"
        if self._replay() is not None:
            fetch, where = self._fetch_recording, "recording"
        elif self._source() is not None:
            fetch, where = self._fetch_live, "last frames"
        else:
            self.charts.clear(f"{name}: no telemetry (open a recording or a source)")
            return
        try:
            per_item = [(self.name(it), panels_for(w.facility, *it, fetch)) for it in items]
        except (RecordingError, KeyError) as exc:
            self.charts.clear(f"{name}: {exc}")
            return
        panels = merge_items(per_item)
        if not panels:
            self.charts.clear(f"{name}: nothing to plot for a {kind.replace('_', ' ')}")
            return
        self.charts.show_panels(self._title(items, where), panels)
        times = panels[0].lines[0].times if panels[0].lines else np.zeros(0)
        self._chart_end = float(times[-1]) if len(times) else -math.inf
        self._chart_loaded_at = time.monotonic()
        if w.last_frame is not None:
            self.charts.set_cursor(w.last_frame.time_s)

    def update(self, t: float) -> None:
        if self.item is None and not self.pinned:
            return
        if self._replay() is None:
            self.reload()  # rolling buffer: cheap, a few hundred frames at most
        elif t > self._chart_end and time.monotonic() - self._chart_loaded_at > HISTORY_RELOAD_S:
            self.reload()  # the recording grew past what is plotted
        self.charts.set_cursor(t)
