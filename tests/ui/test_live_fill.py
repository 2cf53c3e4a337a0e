"""File › Fill Unmeasured Air from the Model in a real window: a connected dcgm-exporter feed
(GPU readings only) gets its rack inlets and air-unit figures from the airflow model, the
first solve off the thread that draws, the inspector reads them, a recording made from the
window names them as the model's, and the fill follows the layout, the source and the
action. Before, the window showed no rack inlet at all for live GPU telemetry."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "live"))

from dcgm_exporter import Exporter, ExporterState, Host  # noqa: E402

from tests.ui.test_live import Heartbeat  # noqa: E402
from twin.telemetry.physics_background import BackgroundPhysicsFill, FillState  # noqa: E402


@pytest.fixture
def exporter():
    exp = Exporter(ExporterState(hosts=[Host("A01-01", 0), Host("A02-02", 1)])).start()
    yield exp
    exp.stop()


def connect(window, url: str):
    from twin.ui.connect_dialog import ConnectionSpec

    live = window.extensions["live"]
    live.connect_spec(ConnectionSpec("scrape", [url + "/metrics"], interval_s=0.2))
    return live


def test_live_gpu_telemetry_gets_its_air_from_the_model(opened, qtbot, exporter, tmp_path):
    win = opened
    beat = Heartbeat()
    live = connect(win, exporter.url)
    assert live.air_fill.action.isChecked()  # on by default
    fill = win.session.physics
    assert isinstance(fill, BackgroundPhysicsFill) and fill.facility is win.facility
    qtbot.waitUntil(lambda: fill.state is FillState.SOLVING, timeout=10000)
    status = live.status_widget
    qtbot.waitUntil(lambda: status.text.endswith(" · air model solving"), timeout=5000)
    qtbot.waitUntil(lambda: fill.state is FillState.FILLING, timeout=90000)
    qtbot.waitUntil(lambda: status.text.endswith(" · air from the model"), timeout=5000)
    assert "\nAir: physics: 1 of 1 halls' air from the airflow model (" in status.toolTip()
    gap_s = beat.max_gap_s()
    assert gap_s < 1.0  # the window kept drawing through the first solve
    qtbot.waitUntil(
        lambda: np.isfinite(win.last_frame.rack["inlet_c"]).all(), timeout=10000
    )  # fmt: skip
    frame = win.last_frame
    supply_c = win.facility.air_unit_supply_c[0]
    assert (frame.rack["inlet_c"] > supply_c).all()
    assert (frame.rack["exhaust_c"] > frame.rack["inlet_c"]).all()
    assert frame.air_unit["return_c"][0] > supply_c
    qtbot.waitUntil(lambda: "halls' air from the airflow model" in win.statusBar().currentMessage(), timeout=5000)  # fmt: skip
    # the inspector says whose figure it is
    win.select_id("A02")
    rows = dict(win.inspector.rows())
    assert rows["Inlet"].endswith(" °C (model)") and rows["Exhaust"].endswith(" °C (model)")
    win.select_id("CRAH-1")
    assert dict(win.inspector.rows())["Return"].endswith(" °C (model)")

    # a recording made from the window names the model's metrics
    from twin.recording import open_recording
    from twin.telemetry.physics_air import filled_metrics

    path = tmp_path / "watched.h5"
    assert live.start_recording(path)
    n = win.session.frames
    qtbot.waitUntil(lambda: win.session.frames >= n + 3, timeout=10000)
    live.stop_recording()
    with open_recording(path) as rec:
        assert rec.filled_by_model == filled_metrics()
        assert np.isfinite(rec.frame(rec.n_frames - 1).rack["inlet_c"]).all()

    # off: frames are no longer filled; on again: a new fill
    live.air_fill.action.setChecked(False)
    assert win.session.physics is None and fill.closed
    qtbot.waitUntil(lambda: "air" not in status.text and "Air:" not in status.toolTip(), timeout=5000)  # fmt: skip
    n = win.session.frames
    qtbot.waitUntil(lambda: win.session.frames >= n + 2, timeout=10000)
    assert np.isnan(win.last_frame.rack["inlet_c"]).all()
    assert win.settings.value("live/fill_air") == "false"
    live.air_fill.action.setChecked(True)
    again = win.session.physics
    assert isinstance(again, BackgroundPhysicsFill) and again is not fill

    # the source stops: no fill
    win.stop_source()
    assert win.session.physics is None


def test_the_simulated_source_is_left_to_its_own_air(opened, qtbot):
    """The simulator fills its own air: the window puts no second model on it."""
    from twin.telemetry.registry import create

    win = opened
    win.set_source(create("simulated", win.facility))
    qtbot.waitUntil(lambda: win.last_frame is not None, timeout=20000)
    assert win.session.physics is None


def test_an_edit_gets_a_fill_of_the_edited_layout(opened, qtbot, exporter, small_layout):
    from twin.model.loader import load_layout

    win = opened
    live = connect(win, exporter.url)
    first = win.session.physics
    assert isinstance(first, BackgroundPhysicsFill)
    edited = load_layout(small_layout)
    win.set_facility(edited, same_layout=True)  # as the editor shows its rebuilt layout
    fill = win.session.physics
    assert isinstance(fill, BackgroundPhysicsFill) and fill is not first
    assert fill.facility is edited and win.source is not None
    assert live.air_fill.fill is fill
    assert first.closed and not fill.closed  # the old layout's first solve is not wanted
    win.stop_source()
    assert fill.closed and win.session.physics is None


def test_the_events_dock_shows_the_fill_s_notes_in_words(opened, qtbot, exporter):
    """The dock is narrower than its five columns: the message reads third, beside the time
    and severity, not past the edge after kind and item ("info note physics")."""
    win = opened
    connect(win, exporter.url)
    fill = win.session.physics
    qtbot.waitUntil(lambda: fill.state is FillState.FILLING, timeout=90000)
    events = win.extensions["replay"].events
    qtbot.waitUntil(lambda: events.proxy.rowCount() >= 2, timeout=10000)
    view, header = events.view, events.view.horizontalHeader()
    assert [header.logicalIndex(v) for v in range(5)] == [0, 1, 4, 2, 3]
    messages = [events.proxy.index(r, 4).data() for r in range(events.proxy.rowCount())]
    assert "solving the hall air from the airflow model (filled once solved)" in messages
    assert any(m.startswith("physics: 1 of 1 halls' air from the airflow model") for m in messages)
    # the message starts inside what the dock shows
    assert view.columnViewportPosition(4) + 40 < view.viewport().width()


def test_the_status_line_says_a_failed_fill():
    from twin.telemetry.source import SourceState, SourceStatus
    from twin.ui.status_widgets import describe_status

    status = SourceStatus(state=SourceState.CONNECTED, live=True, age_s=2.0)
    why = "Air: the airflow model failed, the air is not filled: MemoryError: no room"
    view = describe_status(status, air=("air not filled", why))
    assert view.text.endswith(" · 0 unmatched series · air not filled")
    assert view.tooltip.endswith("\n" + why)
    plain = describe_status(status)
    assert view.text == plain.text + " · air not filled"
    assert view.tooltip == plain.tooltip + "\n" + why
