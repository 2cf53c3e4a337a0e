"""Replay in a real window (Xvfb): open a recording made by ``twin simulate``, seek with the
timeline's scrubber, play, click an event, and check that the scene's GPU colours are the
recording's values at that time and that the chart follows; a recording of another layout
asks first; bad files give a message box; a dropped .h5 opens."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from twin.cli import main
from twin.model.frame import EventKind
from twin.telemetry.replay import ReplaySource

OTHER_LAYOUT = """\
format: twin-layout/1
name: other hall
halls: [{id: H1, size_m: [10, 8, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [2, 3], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A}}
power:
  - {id: U, type: utility-feed-5mva}
  - {id: UPS, type: ups-500kw, upstream: U}
  - {id: PDU-A, type: pdu-300kva, upstream: UPS}
cooling:
  air_units: [{id: CRAH-9, type: crah-77kw, hall: H1, position_m: [8, 1]}]
"""


def _simulate(layout, out, seconds=20, fail_at=5):
    args = ["simulate", str(layout), "--scenario", "crah-trip", "--duration", f"{seconds}s"]
    assert main([*args, "--fail-at", f"{fail_at}s", "--seed", "3", "-o", str(out), "-q"]) == 0
    return out


@pytest.fixture
def recording(small_layout, tmp_path):
    """20 s of the small hall at 1 Hz; its only CRAH trips at +5 s."""
    return _simulate(small_layout, tmp_path / "run.h5")


def _gpu_array(window):
    return np.asarray(window.scene._gpu_values)[:, 0]


def _shown(window, rec, i):
    """The window shows frame ``i`` of ``rec``: scene colours equal its GPU temperatures."""
    f = window.last_frame
    if f is None or f.time_s != rec.times[i]:
        return False
    expected = rec.frame(i).gpu["temp_c"]
    return np.array_equal(_gpu_array(window), expected, equal_nan=True)


@pytest.mark.gui
def test_replay_seek_play_event_and_chart(opened, qtbot, recording):
    win = opened
    rp = win.extensions["replay"]
    assert rp.open_recording(recording, autoplay=False)
    assert isinstance(win.source, ReplaySource) and rp.timeline.mode.text() == "REPLAY"
    # the source's own reader: a second handle on a file open with SWMR in the same process
    # shares HDF5's file state and its chunk index (reads through it can fail)
    rec = win.source.recording
    qtbot.waitUntil(lambda: _shown(win, rec, 0), timeout=5000)
    assert rp.timeline.clock.text() == "00:00 / 00:19"
    # the scrubber: a real click at +12 s seeks there (not reading from the start)
    scrub = rp.timeline.scrubber
    x = scrub.x_of(rec.start_s + 12.2)
    QTest.mouseClick(scrub, Qt.MouseButton.LeftButton, pos=QPoint(round(x), scrub.height() // 2))
    i = rec.index_at(scrub.t_of(round(x)))
    assert 10 <= i <= 14
    qtbot.waitUntil(lambda: _shown(win, rec, i), timeout=5000)
    assert rp.timeline.clock.text().startswith(f"00:{i:02d}")
    # event markers are on the scrubber, coloured by severity
    failed = [e for e in rec.events if e.kind == EventKind.UNIT_FAILED]
    assert failed and failed[0].time_s in scrub.event_times
    # step one sample forward
    rp.step(1)
    qtbot.waitUntil(lambda: _shown(win, rec, i + 1), timeout=5000)
    # click the unit-failure event: the timeline jumps there and CRAH-1 is selected
    row = rp.events.row_of(failed[0])
    assert row >= 0
    view = rp.events.view
    rect = view.visualRect(rp.events.proxy.index(row, 3))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    j = rec.index_at(failed[0].time_s)
    qtbot.waitUntil(lambda: _shown(win, rec, j), timeout=5000)
    assert win.selection == ("air_unit", win.facility.air_unit_index["CRAH-1"])
    # the tripped unit is outlined as alarmed; its chart has the recorded history
    assert rp.overlay.alerts.alarmed.get("air_unit") == {0: 2}
    charts = rp.charts
    assert charts.n_points() > 0 and "CRAH-1" in charts.title.text()
    assert charts.cursors and charts.cursors[0].value() == pytest.approx(rec.times[j])
    # with a selection, a jump keeps it (and its chart) unless asked to select the event's item
    win.select_id("A01")
    rp.go_to_event(failed[0])
    assert win.selection == ("rack", win.facility.rack_index["A01"])
    assert "A01" in charts.title.text()
    rp.events.select_item.setChecked(True)
    rp.go_to_event(failed[0])
    assert win.selection == ("air_unit", win.facility.air_unit_index["CRAH-1"])
    # a host plots each of its GPUs
    host = win.facility.host_names[0]
    win.select_id(host)
    assert len(charts.panels[0].lines) == 8 and charts.n_points() > 8 * len(rec.times)
    # play at x10: the clock, the scene and the chart cursor move on
    rp.set_speed(10)
    rp.toggle_play()
    qtbot.waitUntil(lambda: win.last_frame.time_s >= rec.times[j] + 3, timeout=5000)
    rp.toggle_play()
    qtbot.waitUntil(lambda: not win.source.playing, timeout=2000)
    qtbot.wait(100)
    k = rec.index_at(win.last_frame.time_s)
    qtbot.waitUntil(lambda: _shown(win, rec, k), timeout=5000)
    assert charts.cursors[0].value() == pytest.approx(rec.times[k])
    # another overlay: power over its fixed range 0..TDP, not the frame's own span
    rp.overlay.set_metric("power_w")
    assert win.scene.gpu_colouring.clim == (0.0, 700.0)
    assert np.array_equal(_gpu_array(win), rec.frame(k).gpu["power_w"], equal_nan=True)


@pytest.mark.gui
def test_other_layout_asks_and_bad_files_explain(opened, qtbot, tmp_path, monkeypatch):
    win = opened
    rp = win.extensions["replay"]
    other = tmp_path / "other.yaml"
    other.write_text(OTHER_LAYOUT)
    path = _simulate(other, tmp_path / "other.h5", seconds=6, fail_at=2)
    asked = []

    def answer(reply):
        def question(parent, title, text, *args, **kw):
            asked.append(text)
            return reply

        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    assert not rp.open_recording(path)
    assert "other hall" in asked[0] and "small test hall" in asked[0]
    assert win.facility.layout.name == "small test hall" and win.source is None
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    assert rp.open_recording(path)
    assert win.facility.layout.name == "other hall" and isinstance(win.source, ReplaySource)
    qtbot.waitUntil(lambda: win.last_frame is not None, timeout=5000)

    # a truncated file and a newer format: a message box, the replay goes on
    truncated = tmp_path / "cut.h5"
    truncated.write_bytes(path.read_bytes()[:3000])
    assert not rp.open_recording(truncated)
    box = rp.error_box
    assert box.isVisible() and "cut.h5" in box.text()
    assert "truncated" in box.informativeText()
    box.close()
    import h5py

    newer = tmp_path / "newer.h5"
    newer.write_bytes(path.read_bytes())
    with h5py.File(newer, "a") as f:
        f.attrs["format"] = "twin-recording/9"
    assert not rp.open_recording(newer)
    assert "newer Twin" in rp.error_box.informativeText()
    rp.error_box.close()
    assert isinstance(win.source, ReplaySource)

    # a table cut short after the file was closed: replayed, and the status bar says what is lost
    short = tmp_path / "short.h5"
    short.write_bytes(path.read_bytes())
    with h5py.File(short, "a") as f:
        f["frames/gpu/temp_c"].resize(3, axis=0)
    assert rp.open_recording(short)
    shown = win.statusBar().currentMessage()
    assert "damaged: cut short" in shown and "/frames/gpu/temp_c 3 rows" in shown
    # and it stays in sight while the replay runs, where the status bar's note does not
    assert win.extensions["replay"].timeline_dock.windowTitle() == (
        "Timeline — short.h5 — damaged: see tooltip"
    )
    assert "/frames/gpu/temp_c 3 rows" in rp.timeline_dock.toolTip()


@pytest.mark.gui
def test_dropping_a_recording_opens_it(window, qtbot, recording):
    """With no layout open, a dropped .h5 opens with its own layout, no question asked."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(recording))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # what Qt's drag manager delivers to the window (sendEvent skips drops with no drag)
    assert window.extensions["replay"].eventFilter(window, event)
    qtbot.waitUntil(lambda: isinstance(window.source, ReplaySource), timeout=10000)
    assert window.facility.layout.name == "small test hall"
    # Space is Playback › Pause / Play, and with a replay open it plays and pauses the replay
    pause = window.action_registry["playback.pause"]
    assert pause.shortcut().toString() == "Space"
    replay = window.extensions["replay"].replay
    before = replay.playing
    pause.trigger()
    assert replay.playing != before and not window.view.live_paused


def test_run_checks_its_telemetry_options(small_layout, tmp_path, capsys):
    assert main(["run", str(small_layout), "--source", "replay"]) == 2
    assert "--recording" in capsys.readouterr().err
    assert main(["run", str(small_layout), "--recording", str(tmp_path / "nope.h5")]) == 2
    assert "no such recording" in capsys.readouterr().err
    assert main(["run", str(small_layout), "--scenario", "meteor-strike"]) == 2
    assert "unknown scenario" in capsys.readouterr().err
    assert main(["run", str(small_layout), "--source", "carrier-pigeon"]) == 2
    assert "no telemetry source" in capsys.readouterr().err


@pytest.mark.gui
def test_live_simulated_source_fills_events_charts_and_outlines(opened, qtbot):
    win = opened
    rp = win.extensions["replay"]
    assert rp.start_source("simulated", scenario="crah-trip", speed=20.0, fail_at_s=2.0)
    qtbot.waitUntil(lambda: rp.timeline.mode.text() == "LIVE", timeout=3000)
    assert (
        not rp.timeline.scrubber.isEnabled()
        and not win.action_registry["playback.step_forward"].isEnabled()
    )
    win.select_id("A02")
    # the simulated hall's first frame solves its airflow: seconds on a busy 2-core machine
    qtbot.waitUntil(
        lambda: any(e.kind == EventKind.UNIT_FAILED for e in rp.events.model.events),
        timeout=40000,
    )
    qtbot.waitUntil(lambda: rp.charts.n_points() >= 2 * 3, timeout=10000)
    assert "last frames" in rp.charts.title.text()
    assert rp.charts.cursors[0].value() == pytest.approx(win.last_frame.time_s)
    assert rp.overlay.alerts.alarmed.get("air_unit") == {0: 2}  # the tripped CRAH
    qtbot.waitUntil(
        lambda: np.array_equal(_gpu_array(win), win.last_frame.gpu["temp_c"], equal_nan=True),
        timeout=3000,
    )


@pytest.mark.gui
def test_export_report_and_selection_history(opened, qtbot, recording, tmp_path):
    """File › Export Incident Report and Selection History: the files hold what the
    recording holds."""
    import csv

    win = opened
    rp = win.extensions["replay"]
    ex = win.extensions["export_actions"]
    assert ex.act_report in win.menus["File"].actions()
    assert rp.open_recording(recording, autoplay=False)
    win.select_id("CRAH-1")
    out = tmp_path / "crah.csv"
    n = ex.export_history(out)
    rec = rp.replay.recording
    times, values = rec.history("air_unit", win.facility.air_unit_index["CRAH-1"])
    rows = list(csv.DictReader(out.open()))
    assert n == len(rows) == len(times)
    assert float(rows[-1]["state"]) == values["state"][-1] == 0.0  # tripped at +5 s
    assert float(rows[0]["t_s"]) == 0.0
    import pyarrow.parquet as pq

    assert ex.export_history(tmp_path / "crah.parquet") == len(times)
    table = pq.read_table(tmp_path / "crah.parquet")
    assert table.column("state").to_pylist()[-1] == 0.0
    assert table.schema.metadata[b"twin.item"] == b"CRAH-1"
    html = tmp_path / "report.html"
    msg = ex.export_report(html, snapshots=False)
    assert str(html) in msg and "CRAH-1" in html.read_text()
