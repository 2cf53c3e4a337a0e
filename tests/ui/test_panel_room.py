"""No panel squeezed until unreadable: Charts keeps 150 px."""

from __future__ import annotations

from twin.ui.charts import CHART_MIN_HEIGHT_PX, ChartPanel


def test_charts_keep_their_height(qtbot):
    panel = ChartPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 40)
    assert CHART_MIN_HEIGHT_PX >= 150
    assert panel.minimumHeight() >= 150 and panel.height() >= 150
