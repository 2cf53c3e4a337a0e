"""The replay source: play, pause, step, speed limits, seek, events at high speed, end of
recording and following a recording that grows."""

from __future__ import annotations

import time

import pytest

from twin.model.frame import Event, EventKind, Frame
from twin.recording import Recorder
from twin.telemetry.replay import MAX_SPEED, MIN_SPEED, ReplaySource
from twin.telemetry.source import SourceState

T0 = 1_800_000_000.0


def write(path, fac, n, start=0):
    with Recorder(path, fac) as rec:
        for i in range(start, start + n):
            f = Frame.empty(T0 + i, fac.counts())
            f.rack["inlet_c"][:] = 20 + i * 0.1
            if i % 25 == 3:
                f.events.append(Event(T0 + i, EventKind.ALARM, "A01", f"e{i}"))
            rec.append(f)


@pytest.fixture
def rec_path(tmp_path, small_facility):
    path = tmp_path / "r.h5"
    write(path, small_facility, 200)
    return path


def wait_for(src, pred, timeout=5.0):
    """Poll until ``pred(frame)``; returns every frame polled."""
    got = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        f = src.poll()
        if f is not None:
            got.append(f)
            if pred(f):
                return got
        time.sleep(0.005)
    raise AssertionError(f"timed out; last {got[-1].time_s - T0 if got else None}; {src.status()}")


def test_paused_start_shows_first_frame_then_steps(rec_path, small_facility):
    src = ReplaySource(small_facility, rec_path, autoplay=False)
    src.start()
    try:
        (first,) = wait_for(src, lambda f: True)
        assert first.time_s == T0
        assert src.status().state == SourceState.PAUSED
        src.step(3)
        got = wait_for(src, lambda f: f.time_s == T0 + 3)
        assert [e.message for e in got[-1].events] == ["e3"]  # events of the frames stepped
        src.step(-2)
        got = wait_for(src, lambda f: f.time_s == T0 + 1)
        assert got[-1].events == []
        time.sleep(0.1)
        assert src.poll() is None  # paused: nothing new
        assert src.position_s == T0 + 1
    finally:
        src.stop()


def test_seek_without_reading_from_start(rec_path, small_facility):
    src = ReplaySource(small_facility, rec_path, autoplay=False)
    src.start()
    try:
        src.seek(T0 + 150.5)
        got = wait_for(src, lambda f: f.time_s == T0 + 150)
        assert got[-1].rack["inlet_c"][0] == pytest.approx(35.0, abs=0.06)
        assert got[-1].events == []  # a jump is not playback
        src.seek(T0 - 1e6)  # clamped to the span
        wait_for(src, lambda f: f.time_s == T0)
    finally:
        src.stop()


def test_fast_play_skips_frames_but_keeps_events(rec_path, small_facility):
    src = ReplaySource(small_facility, rec_path, speed=100)
    src.start()
    try:
        got = wait_for(src, lambda f: f.time_s == T0 + 199, timeout=10)
        messages = [e.message for f in got for e in f.events]
        assert messages == [f"e{i}" for i in range(3, 200, 25)]
        assert len(got) < 200  # frames were skipped, not queued
        times = [f.time_s for f in got]
        assert times == sorted(times)
        deadline = time.monotonic() + 5
        while src.status().state != SourceState.ENDED and time.monotonic() < deadline:
            time.sleep(0.02)
        assert src.status().state == SourceState.ENDED
        src.play()  # play again from the start
        wait_for(src, lambda f: f.time_s < T0 + 50)
    finally:
        src.stop()


def test_speed_is_clamped_and_pause_holds(rec_path, small_facility):
    src = ReplaySource(small_facility, rec_path, speed=1000)
    assert src.speed == MAX_SPEED
    assert src.set_speed(0.001) == MIN_SPEED
    assert src.set_speed(10) == 10
    src.start()
    try:
        time.sleep(0.5)
        src.pause()
        pos = src.position_s
        assert T0 + 2 <= pos <= T0 + 15
        time.sleep(0.3)
        assert src.position_s == pos
        assert src.status().state == SourceState.PAUSED
        src.toggle()
        assert src.playing
    finally:
        src.stop()


def test_follows_a_growing_recording(tmp_path, small_facility):
    path = tmp_path / "grow.h5"
    rec = Recorder(path, small_facility, flush_interval_s=0.0)
    for i in range(5):
        f = Frame.empty(T0 + i, small_facility.counts())
        rec.append(f)
    src = ReplaySource(small_facility, path, speed=50)
    src.start()
    try:
        wait_for(src, lambda f: f.time_s == T0 + 4)
        for i in range(5, 10):
            rec.append(Frame.empty(T0 + i, small_facility.counts()))
        wait_for(src, lambda f: f.time_s == T0 + 9, timeout=5)
    finally:
        src.stop()
        rec.close()


def test_replay_needs_a_path(small_facility):
    with pytest.raises(ValueError):
        ReplaySource(small_facility)
