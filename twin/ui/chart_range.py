"""The charts' time range and the timeline kept in step through the view state's one
``time_range``: zooming or panning a chart writes it, the charts and the scrubber's band
show it, a reset clears it, and a replay cursor that leaves it pans it along."""

from __future__ import annotations

from collections.abc import Callable

from twin.ui.charts import ChartPanel
from twin.ui.timeline import Scrubber
from twin.viewstate import ViewState


class TimeRangeBinding:
    """Binds ``charts`` and ``scrubber`` to ``view.time_range``. ``span()`` gives the
    replay's (start_s, end_s), or None when nothing is replayed."""

    def __init__(
        self,
        view: ViewState,
        charts: ChartPanel,
        scrubber: Scrubber,
        span: Callable[[], tuple[float, float] | None],
    ) -> None:
        self.view, self.charts, self.scrubber, self._span = view, charts, scrubber, span
        charts.time_range_chosen.connect(self._chosen)
        charts.fit_requested.connect(self.fit)
        view.events.time_range.connect(self._show)
        self._show(view.time_range)

    def _chosen(self, t0: float, t1: float) -> None:
        self.view.time_range = (t0, t1)

    def _show(self, time_range: tuple[float, float] | None) -> None:
        self.charts.set_time_range(time_range)
        self.scrubber.set_band(time_range)

    def fit(self) -> None:
        """Back to the whole span, on the charts and the timeline."""
        self.view.time_range = None

    def keep_in_view(self, t: float) -> None:
        """A replay cursor at ``t`` outside the shown range pans the range, same width, to
        centre it (kept inside the recording's span)."""
        shown = self.view.time_range
        if shown is None or shown[0] <= t <= shown[1]:
            return
        width = shown[1] - shown[0]
        start = t - width / 2
        span = self._span()
        if span is not None:
            start = min(max(start, span[0]), max(span[1] - width, span[0]))
        self.view.time_range = (start, start + width)
