"""The report's time axis has a handful of ticks at steps a clock reader expects, however
long the span: a recording 31 years long (a gap in its time axis) used to get a grid line
per day, 19 MB of SVG, and at a gap of 3,000 years a MemoryError."""

from __future__ import annotations

import pytest

from twin.report.svg import _time_step

DAY = 86400.0


@pytest.mark.parametrize(
    ("span_s", "step_s"),
    [
        (100.0, 15.0),  # 7 ticks
        (3600.0, 600.0),
        (3 * DAY, 43200.0),
        (8 * DAY, DAY),  # the last clock step
        (9 * DAY, 2 * DAY),  # then whole days: 1, 2, 5 x 10^k
        (30 * DAY, 5 * DAY),
        (1e9, 2000 * DAY),  # 31.7 years in 5.8 ticks
        (1e11, 200000 * DAY),
    ],
)
def test_at_most_eight_ticks_at_a_readable_step(span_s, step_s):
    step = _time_step(span_s, 8)
    assert step == step_s and span_s / step <= 8
