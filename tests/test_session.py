"""The headless session: newest frame per tick, physics hook, recording, source swaps."""

from __future__ import annotations

import time

import numpy as np
import pytest

from twin.model.frame import Frame
from twin.model.loader import facility_from_text
from twin.recording import open_recording
from twin.session import Session
from twin.telemetry.source import SourceState, SourceStatus

LAYOUT = """\
format: twin-layout/1
name: session test
halls: [{id: H1, size_m: [10, 8, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [3, 3], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A02, position_m: [3.6, 3], servers: [{type: dgx-h100, count: 2}], feeds: {a: PDU-A, b: PDU-B}}
power:
  - {id: U, type: utility-feed-5mva}
  - {id: UPS, type: ups-1250kw, upstream: U}
  - {id: PDU-A, type: pdu-300kva, upstream: UPS}
  - {id: PDU-B, type: pdu-300kva, upstream: UPS}
cooling:
  air_units: [{id: CRAH-1, type: crah-150kw, hall: H1, position_m: [7, 1]}]
"""


@pytest.fixture(scope="module")
def fac():
    return facility_from_text(LAYOUT, "session.yaml")


class ListSource:
    """A scripted source: hands out prepared frames one poll at a time."""

    def __init__(self, facility, frames):
        self.facility = facility
        self.frames = list(frames)
        self.started = self.stopped = False

    def start(self):
        self.started = True

    def poll(self):
        return self.frames.pop(0) if self.frames else None

    def stop(self, timeout_s=5.0):
        self.stopped = True
        self.stop_timeout_s = timeout_s

    def status(self):
        return SourceStatus(SourceState.PLAYING, frames=len(self.frames))

    def drain_backfill(self):
        out, self.backfill = getattr(self, "backfill", []), []
        return out


class AddOne:
    """A stand-in physics model: fills rack inlets from nothing."""

    filled_by_model = ("rack/inlet_c",)

    def update(self, frame):
        frame.rack["inlet_c"] = np.full(2, 21.0, np.float32)


def frames(fac, times):
    return [Frame.empty(t, fac.counts()) for t in times]


def test_tick_records_and_fills_in(tmp_path, fac):
    src = ListSource(fac, frames(fac, [10.0, 11.0, 11.0, 9.0, 12.0]))
    s = Session(fac, src, physics=AddOne())
    s.start()
    assert src.started
    rec = s.record(tmp_path / "s.h5")
    got = [s.tick() for _ in range(6)]
    assert got[-1] is None  # nothing new: no frame, no wait
    assert s.last_frame.time_s == 12.0 and s.frames == 5
    assert np.all(s.last_frame.rack["inlet_c"] == 21.0)
    assert s.skipped_records == 2  # a repeated and an earlier time (a seek) are not recorded
    assert s.source_status().state == SourceState.PLAYING
    s.close()
    assert src.stopped and s.recorder is None
    assert rec.n_frames == 3
    with open_recording(tmp_path / "s.h5") as r:
        assert list(r.times) == [10.0, 11.0, 12.0]
        assert np.all(r.frame(0).rack["inlet_c"] == pytest.approx(21.0))
        # the file says which values may be the model's: a fit must not take them as read
        assert r.filled_by_model == ("rack/inlet_c",)


def test_open_with_simulated_source_and_recording(tmp_path, fac):
    path = tmp_path / "layout.yaml"
    path.write_text(LAYOUT)
    with Session.open(
        path, "simulated", record=tmp_path / "live.h5", speed=100, seed=1, start_s=0, physics=False
    ) as s:
        s.start()
        deadline = time.monotonic() + 60  # the first simulated step solves the hall's airflow
        while s.frames < 5 and time.monotonic() < deadline:
            s.tick()
            time.sleep(0.01)
        assert s.frames >= 5
        assert s.last_frame.gpu["temp_c"].shape == (fac.n_gpus,)
    with open_recording(tmp_path / "live.h5") as r:
        assert r.n_frames >= 5
        assert np.all(np.diff(r.times) > 0)


def test_session_without_source(fac):
    s = Session(fac)
    assert s.tick() is None and s.source_status() is None
    old = ListSource(fac, [])
    s.set_source(old)
    s.set_source(ListSource(fac, frames(fac, [1.0])))
    assert old.stopped and old.stop_timeout_s == 0  # never waits on a replaced source
    assert s.tick().time_s == 1.0


@pytest.mark.slow
def test_physics_fills_what_live_telemetry_lacks(fac):
    pytest.importorskip("twin.physics")
    from twin.telemetry.physics_air import PhysicsFill

    fill = PhysicsFill(fac)
    live = []
    for t in (100.0, 101.0, 102.0):
        f = Frame(time_s=t, gpu={"power_w": np.full(fac.n_gpus, 600.0, np.float32)})
        f.rack["inlet_c"] = np.array([np.nan, 25.5], np.float32)  # one rack measured
        live.append(f)
    s = Session(fac, ListSource(fac, live), physics=fill)
    for _ in live:
        f = s.tick()
    inlet = f.rack["inlet_c"]
    assert inlet[1] == pytest.approx(25.5)  # a measurement is kept
    assert 15 < inlet[0] < 40  # the gap is modelled
    assert np.all(np.isfinite(f.rack["exhaust_c"]))
    assert np.all(f.rack["exhaust_c"][0] > inlet[0])
    assert np.all(np.isfinite(f.air_unit["return_c"]))


def test_signals_carry_frames_events_status_and_recording(tmp_path, fac):
    from twin.model.frame import Event, EventKind

    f1, f2 = frames(fac, [1.0, 2.0])
    f2.events.append(Event(2.0, EventKind.ALARM, "A01", "hot", 2))
    s = Session(fac, ListSource(fac, [f1, f2]))
    got: dict[str, list] = {"frame": [], "events": [], "status": [], "started": [], "stopped": []}
    s.frame.connect(got["frame"].append)
    s.events.connect(got["events"].append)
    s.status.connect(got["status"].append)
    s.recording_started.connect(got["started"].append)
    s.recording_stopped.connect(lambda p, n, why: got["stopped"].append((p.name, n, why)))
    s.record(tmp_path / "r.h5")
    s.tick(), s.tick(), s.tick()
    s.stop_recording()
    assert [f.time_s for f in got["frame"]] == [1.0, 2.0]
    assert [[e.item for e in ev] for ev in got["events"]] == [["A01"]]  # only frames with events
    assert len(got["status"]) == 3 and got["status"][-1].state == SourceState.PLAYING
    assert got["started"] == [tmp_path / "r.h5"] and got["stopped"] == [("r.h5", 2, "")]


def test_backfill_is_recorded_before_the_live_frame(tmp_path, fac):
    src = ListSource(fac, frames(fac, [10.0]))
    src.backfill = frames(fac, [1.0])  # history fetched before recording: not recorded
    s = Session(fac, src)
    s.record(tmp_path / "b.h5")
    assert src.backfill == []
    src.backfill = frames(fac, [7.0, 8.0])  # a gap filled after a reconnect
    s.tick()
    s.close()
    with open_recording(tmp_path / "b.h5") as r:
        assert list(r.times) == [7.0, 8.0, 10.0]


def test_slow_frames_are_flushed_within_the_interval(tmp_path, fac):
    """A recording is readable by another process within ``flush_interval_s`` of a frame even
    when the next frame is far away (no further append to trigger the recorder's own flush)."""
    import subprocess
    import sys

    path = tmp_path / "slow.h5"
    src = ListSource(fac, frames(fac, [1.0, 2.0]))
    s = Session(fac, src, flush_interval_s=0.2)
    s.record(path)
    s.recorder.flush_interval_s = 3600.0  # the recorder alone would wait an hour
    s.tick(), s.tick()
    count = (
        "from twin.recording import open_recording\n"
        f"r = open_recording({str(path)!r}); print(r.n_frames)"
    )

    def readable() -> int:
        out = subprocess.run([sys.executable, "-c", count], capture_output=True, text=True)
        return int(out.stdout.strip() or -1)

    assert readable() == 0  # not yet flushed
    time.sleep(0.25)
    s.tick()  # no new frame, but the interval passed
    assert readable() == 2
    s.close()


def test_layout_change_keeps_the_source_and_maps_frames_by_id(tmp_path, fac):
    """An edit (here: rack A01 deleted, a new rack B01 added) changes the facility's index
    order; the same source keeps feeding the session and each value lands on its item."""
    edited = facility_from_text(
        LAYOUT.replace(
            "      - {id: A01, position_m: [3, 3], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}\n",
            "",
        ).replace(
            "power:",
            "  - id: B\n    hall: H1\n    racks:\n"
            "      - {id: B01, position_m: [3, 6], servers: [{type: dgx-h100, count: 1}], feeds: {a: PDU-A, b: PDU-B}}\n"
            "power:",
        ),
        "edited.yaml",
    )
    f = frames(fac, [5.0])[0]
    f.rack["power_w"][:] = [1000.0, 2000.0]  # A01, A02
    f.gpu["temp_c"][:] = np.arange(fac.n_gpus, dtype=np.float32)
    src = ListSource(fac, [f])
    s = Session(fac, src)
    s.record(tmp_path / "x.h5")
    stopped = []
    s.recording_stopped.connect(lambda p, n, why: stopped.append(why))
    s.set_facility(edited)
    assert s.source is src and not src.stopped
    assert stopped and "layout changed" in stopped[0]
    out = s.tick()
    a02 = edited.rack_ids.index("A02")
    b01 = edited.rack_ids.index("B01")
    assert out.rack["power_w"][a02] == 2000.0 and np.isnan(out.rack["power_w"][b01])
    # A02's GPUs keep their own readings: A02 held hosts 5 and 6 of the old order
    old_a02 = np.flatnonzero(fac.gpu_rack == fac.rack_ids.index("A02"))
    new_a02 = np.flatnonzero(edited.gpu_rack == a02)
    np.testing.assert_array_equal(out.gpu["temp_c"][new_a02], old_a02.astype(np.float32))
    assert np.all(np.isnan(out.gpu["temp_c"][edited.gpu_rack == b01]))
    assert out.gpu["temp_c"].shape == (edited.n_gpus,)


def test_run_for_ends_when_the_source_fails(fac):
    """``twin record``'s loop: a source that failed gives nothing more, so the loop ends
    instead of waiting out ``--duration`` (and it never raises)."""

    class Broken(ListSource):
        def poll(self):
            raise OSError("device gone")

    s = Session(fac, Broken(fac, []))
    t0 = time.monotonic()
    assert s.run_for(30.0, interval_s=0.01) == 0
    assert time.monotonic() - t0 < 10
    assert s.source_failure == "source 'Broken': poll() raised OSError: device gone: stopped"
    assert s.source_status().state == SourceState.ERROR


def test_a_problem_is_said_once_naming_the_source_as_given(fac):
    s = Session(fac)
    s.set_source(ListSource(fac, [Frame.empty(float("nan"), fac.counts())]), name="bench-7")
    assert s.take_source_problem() == "" and s.tick() is None
    assert s.take_source_problem() == (
        "source 'bench-7': a frame: its time is nan, not a number of seconds: frame dropped"
    )
    assert s.take_source_problem() == ""  # said once
