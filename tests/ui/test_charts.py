"""Charts as people expect them: limits only where they apply, zero-based power axes, the
recording's mm:ss time base, legends outside the data, hover read-outs and event marks."""

from __future__ import annotations

import numpy as np
import pytest

from twin.ui.charts import ChartPanel, panels_for

pytestmark = pytest.mark.gui


def _fetch(times):
    def fetch(kind, index, metrics):
        n = len(times)
        data = {
            "inlet_c": np.linspace(20.0, 24.0, n),
            "exhaust_c": np.full(n, 39.0),
            "power_w": 116e3 + 2e3 * np.sin(np.arange(n)),
        }
        return times, {m: data[m] for m in metrics if m in data}

    return fetch


def test_rack_charts(qtbot, small_layout):
    from twin.model.loader import load_layout

    fac = load_layout(small_layout)
    t0 = 1.8e9
    times = t0 + np.arange(0.0, 600.0, 10.0)
    panels = panels_for(fac, "rack", 0, _fetch(times))
    assert [p.title for p in panels] == ["Inlet", "Exhaust", "Power"]
    # the A1 limits sit on the inlet only: a 39 C exhaust is not "above A1 allowable"
    assert [r[1] for r in panels[0].refs] == ["A1 recommended", "A1 allowable"]
    assert panels[1].refs == [] and panels[2].refs == []
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.set_time_origin(t0)
    chart.set_events([t0 + 120.0, t0 + 300.0], [2, 0])
    chart.show_panels("A01", panels)
    assert chart.event_marks == [(t0 + 120.0, "#ff3b3b")]  # info events are not marked
    # the time axis reads mm:ss from the recording's start, as the timeline does
    assert chart.plots[0].getAxis("bottom").tickStrings([t0 + 125.0], 1, 1) == ["02:05"]
    # the legend is the title line, not a box over the newest data
    assert chart.plots[0].legend is None and "Inlet" in chart.plots[0].titleLabel.text
    # power starts at zero: 116 +- 2 kW reads as the small swing it is
    chart.plots[2].enableAutoRange()
    chart.plots[2].getViewBox().updateAutoRange()
    lo, hi = chart.plots[2].viewRange()[1]
    assert lo <= 0.0 and hi >= 118.0
    # hover read-out at the sample nearest the pointer
    text = chart.readout_at(t0 + 31.0)
    k = 3
    assert text.startswith("00:31") and f"Inlet {panels[0].lines[0].values[k]:,.1f} °C" in text
    assert "Exhaust 39.0 °C" in text
    # zoom and pan move time only
    assert chart.plots[0].getViewBox().state["mouseEnabled"] == [True, False]
    # no pyqtgraph context menu (the chart has its own): none is ever made
    assert all(p.getViewBox().menu is None and not p.menuEnabled() for p in chart.plots)


def test_time_ticks_are_never_closer_than_a_second(qtbot):
    """The labels are whole seconds: an empty chart (0-1 s) had a dozen "00:00:00" labels
    run together; a minute still gets its ticks."""
    from twin.ui.charts import ClockAxis

    axis = ClockAxis(orientation="bottom")
    assert axis.tickValues(1.8e9, 1.8e9 + 1.0, 300) == []
    minute = axis.tickValues(1.8e9, 1.8e9 + 60.0, 300)
    assert minute and all(spacing >= 1.0 for spacing, _ in minute)
    values = [v for _, vals in minute for v in vals]
    assert len(set(axis.tickStrings(values, 1.0, 10.0))) == len(values)  # no label twice
